/* Stencil loops: 2-D Jacobi relaxation on a float grid and a 1-D integer smoothing. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdio.h>
#include <stdlib.h>

KERNEL void jacobi_step(const float *in, float *out, int w, int h) {
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++)
            out[y * w + x] = 0.25f * (in[y * w + x - 1] + in[y * w + x + 1] + in[(y - 1) * w + x] + in[(y + 1) * w + x]);
}

KERNEL void smooth3(const int *in, int *out, int n) {
    for (int i = 1; i < n - 1; i++) out[i] = (in[i - 1] + 2 * in[i] + in[i + 1]) >> 2;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int w = argc > 1 ? atoi(argv[1]) : 512, h = w;
    int iters = argc > 2 ? atoi(argv[2]) : 2500;
    float *a = calloc((size_t)w * h, sizeof *a), *b = calloc((size_t)w * h, sizeof *b);
    for (int x = 0; x < w; x++) { a[x] = b[x] = 100.0f; }
    for (int i = 0; i < iters; i++) { jacobi_step(a, b, w, h); float *t = a; a = b; b = t; }
    double s = 0;
    for (int i = 0; i < w * h; i++) s += a[i];
    int n = 1 << 16;
    int *p = malloc(sizeof *p * n), *q = malloc(sizeof *q * n);
    for (int i = 0; i < n; i++) p[i] = q[i] = (i * 7919) & 1023;
    for (int i = 0; i < 6000; i++) { smooth3(p, q, n); int *t = p; p = q; q = t; }
    long t = 0;
    for (int i = 0; i < n; i++) t += p[i] * (i & 7);
    printf("%.3f %ld\n", s, t);
    free(a); free(b); free(p); free(q);
    return 0;
}
#endif
