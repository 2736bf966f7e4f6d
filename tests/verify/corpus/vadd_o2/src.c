void vadd(int *dst, const int *b, int n) { for (int i = 0; i < n; i++) dst[i] += b[i]; }
