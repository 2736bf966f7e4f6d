void isort(int *a, int n, int (*cmp)(int, int)) { for (int i = 1; i < n; i++) { int k = a[i], j = i; while (j > 0 && cmp(a[j-1], k) > 0) { a[j] = a[j-1]; j--; } a[j] = k; } }
