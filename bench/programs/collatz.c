/* Branchy integer code: Collatz stopping times and a digit-sum loop. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdio.h>
#include <stdlib.h>

KERNEL int collatz_len(unsigned long long x) {
    int steps = 0;
    while (x != 1) {
        if (x & 1) x = 3 * x + 1; else x >>= 1;
        steps++;
    }
    return steps;
}

KERNEL int best_start(int lo, int hi) {
    int best = lo, len = -1;
    for (int i = lo; i < hi; i++) {
        int l = collatz_len((unsigned long long)i);
        if (l > len) { len = l; best = i; }
    }
    return best;
}

KERNEL long digit_sums(int n) {
    long t = 0;
    for (int i = 0; i < n; i++) {
        int v = i, s = 0;
        while (v) { s += v % 10; v /= 10; }
        t += s & 1 ? s : -s;
    }
    return t;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1500000;
    int b = best_start(1, n);
    long d = digit_sums(n * 4);
    printf("%d %d %ld\n", b, collatz_len((unsigned long long)b), d);
    return 0;
}
#endif
