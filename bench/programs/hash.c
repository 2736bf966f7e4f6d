/* Hashes: FNV-1a and a murmur-style mixer over many short keys. */
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

KERNEL uint64_t fnv1a(const unsigned char *p, int n) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ull; }
    return h;
}

KERNEL uint64_t mix_sum(const uint64_t *k, int n) {
    uint64_t acc = 0;
    for (int i = 0; i < n; i++) {
        uint64_t h = k[i];
        h ^= h >> 33; h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
        acc += h;
    }
    return acc;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 16;
    int reps = argc > 2 ? atoi(argv[2]) : 3000;
    unsigned char *bytes = malloc(n);
    uint64_t *keys = malloc(sizeof *keys * n);
    uint64_t s = 7;
    for (int i = 0; i < n; i++) { s = s * 6364136223846793005ull + 1442695040888963407ull; bytes[i] = (unsigned char)(s >> 56); keys[i] = s; }
    uint64_t sum = 0;
    for (int r = 0; r < reps; r++) {
        bytes[r % n]++;
        for (int off = 0; off + 64 <= n; off += 4096) sum += fnv1a(bytes + off, 64);
        sum ^= fnv1a(bytes, n);
        sum += mix_sum(keys, n);
    }
    printf("%llu\n", (unsigned long long)sum);
    free(bytes); free(keys);
    return 0;
}
#endif
