/* Floating point: a small n-body step and a polynomial evaluation loop (no fast-math). */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

KERNEL void nbody_step(double *x, double *y, double *vx, double *vy, int n, double dt) {
    for (int i = 0; i < n; i++) {
        double ax = 0, ay = 0;
        for (int j = 0; j < n; j++) {
            double dx = x[j] - x[i], dy = y[j] - y[i];
            double d2 = dx * dx + dy * dy + 0.01;
            double inv = 1.0 / (d2 * sqrt(d2));
            ax += dx * inv; ay += dy * inv;
        }
        vx[i] += ax * dt; vy[i] += ay * dt;
    }
    for (int i = 0; i < n; i++) { x[i] += vx[i] * dt; y[i] += vy[i] * dt; }
}

KERNEL double horner_sum(const double *c, int deg, const double *xs, int m) {
    double t = 0;
    for (int i = 0; i < m; i++) {
        double v = c[deg];
        for (int k = deg - 1; k >= 0; k--) v = v * xs[i] + c[k];
        t += v;
    }
    return t;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 400;
    int steps = argc > 2 ? atoi(argv[2]) : 200;
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    double *vx = calloc(n, sizeof(double)), *vy = calloc(n, sizeof(double));
    for (int i = 0; i < n; i++) { x[i] = cos(i * 0.7) * (1 + i % 13); y[i] = sin(i * 1.3) * (1 + i % 7); }
    for (int s = 0; s < steps; s++) nbody_step(x, y, vx, vy, n, 0.001);
    double c[9] = {1, -0.5, 0.25, -0.125, 0.0625, 0.03, -0.01, 0.002, -0.0005};
    int m = 1 << 18;
    double *xs = malloc(sizeof(double) * m);
    for (int i = 0; i < m; i++) xs[i] = (i % 1000) * 0.001;
    double h = 0;
    for (int r = 0; r < 200; r++) h += horner_sum(c, 8, xs, m);
    double e = 0;
    for (int i = 0; i < n; i++) e += x[i] * 0.5 + y[i] * 0.25 + vx[i] + vy[i];
    printf("%.6f %.6f\n", e, h);
    free(x); free(y); free(vx); free(vy); free(xs);
    return 0;
}
#endif
