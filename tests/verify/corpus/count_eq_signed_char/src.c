long count_eq(const unsigned char *a, long n, int c) { long k = 0; for (long i = 0; i < n; i++) k += a[i] == (unsigned char)c; return k; }
