/* Prefix sums, running maximum and a histogram: dependent loops. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

KERNEL void prefix_sum(const int *in, long *out, int n) {
    long s = 0;
    for (int i = 0; i < n; i++) { s += in[i]; out[i] = s; }
}

KERNEL int max_run(const int *a, int n) {
    int best = 0, cur = 0;
    for (int i = 0; i < n; i++) {
        if (a[i] > 0) { cur++; if (cur > best) best = cur; } else cur = 0;
    }
    return best;
}

KERNEL void histogram(const int *a, int n, int *bins, int nb) {
    for (int i = 0; i < nb; i++) bins[i] = 0;
    for (int i = 0; i < n; i++) bins[(unsigned)a[i] % (unsigned)nb]++;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 20;
    int reps = argc > 2 ? atoi(argv[2]) : 80;
    int *a = malloc(sizeof *a * n);
    long *p = malloc(sizeof *p * n);
    int bins[64];
    uint32_t s = 3;
    for (int i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; a[i] = (int)(s >> 20) - 2000; }
    long sum = 0;
    for (int r = 0; r < reps; r++) {
        a[r] = r;
        prefix_sum(a, p, n);
        sum += p[n - 1] + p[n / 2];
        sum += max_run(a, n);
        histogram(a, n, bins, 61);
        for (int i = 0; i < 61; i++) sum += (long)bins[i] * i;
    }
    printf("%ld\n", sum);
    free(a); free(p);
    return 0;
}
#endif
