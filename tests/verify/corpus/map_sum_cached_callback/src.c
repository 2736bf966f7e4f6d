long map_sum(const int *a, int n, long (*f)(int)) { long s = 0; for (int i = 0; i < n; i++) s += f(a[i]); return s; }
