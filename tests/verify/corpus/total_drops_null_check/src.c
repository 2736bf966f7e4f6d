long total(const int *a, int n) { if (!a) return -1; long s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
