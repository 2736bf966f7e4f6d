/* Prime sieve over a byte array, then a prime-gap histogram. */
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

KERNEL int sieve(unsigned char *comp, int n) {
    memset(comp, 0, n);
    int count = 0;
    for (int i = 2; i < n; i++) {
        if (comp[i]) continue;
        count++;
        for (long j = (long)i * i; j < n; j += i) comp[j] = 1;
    }
    return count;
}

KERNEL long gap_score(const unsigned char *comp, int n) {
    long score = 0;
    int last = 2;
    for (int i = 3; i < n; i++)
        if (!comp[i]) { int g = i - last; score += (long)g * g; last = i; }
    return score;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 6000000;
    int reps = argc > 2 ? atoi(argv[2]) : 16;
    unsigned char *c = malloc(n);
    long s = 0;
    for (int r = 0; r < reps; r++) { s += sieve(c, n - r); s += gap_score(c, n - r); }
    printf("%ld\n", s);
    free(c);
    return 0;
}
#endif
