/* Dense matrix multiply (i-k-j order) and a transposed dot-product variant. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdio.h>
#include <stdlib.h>

KERNEL void matmul(const double *a, const double *b, double *c, int n) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) c[i * n + j] = 0.0;
        for (int k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
    }
}

KERNEL long imatmul_trace(const int *a, const int *bt, int n) {
    long tr = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int s = 0;
            for (int k = 0; k < n; k++) s += a[i * n + k] * bt[j * n + k];
            tr += (long)s * ((i ^ j) & 3);
        }
    return tr;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 360;
    double *a = malloc(sizeof *a * n * n), *b = malloc(sizeof *b * n * n), *c = malloc(sizeof *c * n * n);
    int *ia = malloc(sizeof *ia * n * n), *ib = malloc(sizeof *ib * n * n);
    for (int i = 0; i < n * n; i++) { a[i] = (i % 7) * 0.5; b[i] = (i % 11) * 0.25; ia[i] = i % 13 - 6; ib[i] = i % 5 - 2; }
    matmul(a, b, c, n);
    double s = 0;
    for (int i = 0; i < n * n; i++) s += c[i];
    long t = 0;
    for (int r = 0; r < 40; r++) { ia[r] += r; t += imatmul_trace(ia, ib, n); }
    printf("%.1f %ld\n", s, t);
    free(a); free(b); free(c); free(ia); free(ib);
    return 0;
}
#endif
