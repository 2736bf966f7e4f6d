unsigned lbu(const int *a, unsigned n, int key) { unsigned lo = 0, hi = n; while (lo < hi) { unsigned mid = lo + (hi - lo) / 2; if (a[mid] < key) lo = mid + 1; else hi = mid; } return lo; }
