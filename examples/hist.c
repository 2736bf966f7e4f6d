#include "kernels.h"

void histogram(const uint8_t *data, size_t len, uint32_t counts[256])
{
    for (int i = 0; i < 256; i++)
        counts[i] = 0;
    for (size_t i = 0; i < len; i++)
        counts[data[i]]++;
}

/* population count without the builtin, so the portable baseline stays portable */
static unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

uint64_t popcount_sum(const uint64_t *words, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += popcount64(words[i]);
    return total;
}
