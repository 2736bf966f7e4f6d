/* Kernels of the llmcc example: a small compute-bound program whose hot functions are
 * worth optimizing. The static inline helpers below are compiled into several
 * translation units, so the same function appears in more than one object. */
#ifndef KERNELS_H
#define KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* xorshift64*: the deterministic pseudo-random source of every workload */
static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << (r & 31)) | (x >> ((32 - r) & 31));
}

/* fold a value into a running checksum */
static inline uint32_t mix32(uint32_t h, uint32_t v)
{
    h ^= v * 0x9E3779B1u;
    return rotl32(h, 13) * 5u + 0xE6546B64u;
}

/* crc.c */
uint32_t crc32_bitwise(const uint8_t *data, size_t len);
uint32_t adler32(const uint8_t *data, size_t len);

/* sort.c */
void sort_ints(int32_t *a, size_t n);
int is_sorted(const int32_t *a, size_t n);

/* matrix.c */
void matmul(const float *a, const float *b, float *c, int n);
void stencil5(const float *in, float *out, int w, int h);

/* text.c */
size_t count_words(const char *s, size_t len);
size_t count_substr(const char *hay, size_t len, const char *needle, size_t nlen);

/* hist.c */
void histogram(const uint8_t *data, size_t len, uint32_t counts[256]);
uint64_t popcount_sum(const uint64_t *words, size_t n);

#endif
