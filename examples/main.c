/* The example's workload: runs every kernel on deterministic pseudo-random data and prints
 * one checksum line per kernel. `make check` compares the output with expected_output.txt.
 * All floating-point data are small integers or short dyadic fractions, so every result is
 * exact and the output does not depend on vectorization, FMA contraction or -march. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define BYTES (4u << 20)
#define INTS (1u << 20)
#define N 256
#define W 512
#define H 512

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static uint32_t float_sum(const float *v, size_t n)
{
    uint32_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = mix32(h, (uint32_t)(int32_t)(v[i] * 4096.0f));
    return h;
}

int main(void)
{
    uint64_t seed = 0x1234567887654321ULL;

    uint8_t *bytes = xmalloc(BYTES);
    for (size_t i = 0; i < BYTES; i++)
        bytes[i] = (uint8_t)(rng_next(&seed) >> 56);
    printf("crc32   %08x\n", crc32_bitwise(bytes, BYTES));
    printf("adler32 %08x\n", adler32(bytes, BYTES));

    uint32_t counts[256];
    uint32_t h = 0;
    for (int round = 0; round < 8; round++) {
        histogram(bytes + round, BYTES - 8, counts);
        for (int i = 0; i < 256; i++)
            h = mix32(h, counts[i]);
    }
    printf("hist    %08x\n", h);
    printf("popcnt  %llu\n", (unsigned long long)popcount_sum((const uint64_t *)bytes, BYTES / 8));

    int32_t *ints = xmalloc(INTS * sizeof *ints);
    for (size_t i = 0; i < INTS; i++)
        ints[i] = (int32_t)(rng_next(&seed) >> 33) - (1 << 30);
    sort_ints(ints, INTS);
    h = 0;
    for (size_t i = 0; i < INTS; i += 97)
        h = mix32(h, (uint32_t)ints[i]);
    printf("sort    %08x %d\n", h, is_sorted(ints, INTS));

    float *a = xmalloc(N * N * sizeof *a), *b = xmalloc(N * N * sizeof *b), *c = xmalloc(N * N * sizeof *c);
    for (int i = 0; i < N * N; i++) {
        a[i] = (float)(rng_next(&seed) % 8);
        b[i] = (float)(rng_next(&seed) % 8);
    }
    matmul(a, b, c, N);
    printf("matmul  %08x\n", float_sum(c, N * N));

    float *g0 = xmalloc(W * H * sizeof *g0), *g1 = xmalloc(W * H * sizeof *g1);
    h = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < W * H; i++)
            g0[i] = (float)(rng_next(&seed) % 256);
        for (int step = 0; step < 4; step++) {
            stencil5(g0, g1, W, H);
            stencil5(g1, g0, W, H);
        }
        h = mix32(h, float_sum(g0, W * H));
    }
    printf("stencil %08x\n", h);

    static const char vocab[][8] = {"the", "llmcc", "gcc", "a", "loop", "hot", "and", "asm"};
    char *text = xmalloc(BYTES + 1);
    size_t len = 0;
    while (len + 8 < BYTES) {
        const char *w = vocab[rng_next(&seed) % 8];
        size_t wl = strlen(w);
        memcpy(text + len, w, wl);
        len += wl;
        text[len++] = (rng_next(&seed) % 16) ? ' ' : '\n';
    }
    text[len] = 0;
    printf("words   %zu\n", count_words(text, len));
    printf("substr  %zu %zu\n", count_substr(text, len, "hot loop", 8), count_substr(text, len, "ll", 2));

    free(text);
    free(g1);
    free(g0);
    free(c);
    free(b);
    free(a);
    free(ints);
    free(bytes);
    return 0;
}
