long sample(const int *a, long n, int k) { if (k <= 0) return 0; long step = n / k, s = 0; for (int i = 0; i < k; i++) s += a[i * step]; return s; }
