/* Bit manipulation: population counts, bit reversal and parity over a word array. */
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

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

KERNEL unsigned popcount_sum(const uint32_t *a, int n) {
    unsigned s = 0;
    for (int i = 0; i < n; i++) {
        uint32_t x = a[i];
        x = x - ((x >> 1) & 0x55555555u);
        x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
        x = (x + (x >> 4)) & 0x0f0f0f0fu;
        s += (x * 0x01010101u) >> 24;
    }
    return s;
}

KERNEL uint32_t reverse_xor(const uint32_t *a, int n) {
    uint32_t acc = 0;
    for (int i = 0; i < n; i++) {
        uint32_t x = a[i], r = 0;
        for (int b = 0; b < 32; b++) { r = (r << 1) | (x & 1); x >>= 1; }
        acc ^= r + (uint32_t)i;
    }
    return acc;
}

KERNEL int parity_count(const uint32_t *a, int n) {
    int c = 0;
    for (int i = 0; i < n; i++) {
        uint32_t x = a[i];
        int p = 0;
        while (x) { p ^= 1; x &= x - 1; }
        c += p;
    }
    return c;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 16;
    int reps = argc > 2 ? atoi(argv[2]) : 400;
    uint32_t *a = malloc(sizeof *a * n);
    for (int i = 0; i < n; i++) a[i] = (uint32_t)next();
    uint64_t sum = 0;
    for (int r = 0; r < reps; r++) {
        a[r % n] ^= (uint32_t)r;
        sum += popcount_sum(a, n);
        sum = sum * 31 + reverse_xor(a, n);
        sum += parity_count(a, n);
    }
    printf("%llu\n", (unsigned long long)sum);
    free(a);
    return 0;
}
#endif
