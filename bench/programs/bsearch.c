/* Searching: branchy and branch-free binary search over a sorted table. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdio.h>
#include <stdlib.h>

KERNEL int lower_bound(const int *a, int n, int key) {
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo;
}

KERNEL long count_hits(const int *table, int n, const int *keys, int m) {
    long hits = 0;
    for (int i = 0; i < m; i++) {
        int p = lower_bound(table, n, keys[i]);
        if (p < n && table[p] == keys[i]) hits += p;
    }
    return hits;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 20;
    int m = argc > 2 ? atoi(argv[2]) : 1 << 21;
    int *t = malloc(sizeof *t * n), *k = malloc(sizeof *k * m);
    for (int i = 0; i < n; i++) t[i] = 3 * i + (i & 1);
    unsigned s = 99;
    for (int i = 0; i < m; i++) { s = s * 1103515245u + 12345u; k[i] = (int)((s >> 4) % (unsigned)(3 * n)); }
    long h = count_hits(t, n, k, m);
    printf("%ld\n", h);
    free(t); free(k);
    return 0;
}
#endif
