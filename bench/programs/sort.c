/* Sorting: insertion sort on short runs, then a bottom-up merge. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

KERNEL void insertion_sort(int *a, int n) {
    for (int i = 1; i < n; i++) {
        int v = a[i], j = i - 1;
        while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

KERNEL void merge_pass(const int *src, int *dst, int n, int width) {
    for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = lo + width < n ? lo + width : n;
        int hi = lo + 2 * width < n ? lo + 2 * width : n;
        int i = lo, j = mid, k = lo;
        while (i < mid && j < hi) dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
        while (i < mid) dst[k++] = src[i++];
        while (j < hi) dst[k++] = src[j++];
    }
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 17;
    int reps = argc > 2 ? atoi(argv[2]) : 40;
    int *a = malloc(sizeof *a * n), *b = malloc(sizeof *b * n);
    unsigned long long sum = 0;
    unsigned s = 1;
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; a[i] = (int)(s >> 8); }
        for (int i = 0; i < n; i += 32) insertion_sort(a + i, n - i < 32 ? n - i : 32);
        for (int w = 32; w < n; w *= 2) { merge_pass(a, b, n, w); int *t = a; a = b; b = t; }
        for (int i = 0; i < n; i += 97) sum = sum * 131 + (unsigned)a[i];
    }
    printf("%llu\n", sum);
    free(a); free(b);
    return 0;
}
#endif
