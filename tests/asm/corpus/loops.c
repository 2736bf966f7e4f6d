/* Loops that vectorize, clones (constprop/isra/part), recursion, structs. */
#include <stddef.h>
#include <stdint.h>

struct point { int x, y, z; };

long dot(const int *a, const int *b, size_t n)
{
    long s = 0;
    for (size_t i = 0; i < n; i++)
        s += (long)a[i] * b[i];
    return s;
}

void transform(struct point *p, int n, int dx)
{
    for (int i = 0; i < n; i++) {
        p[i].x += dx;
        p[i].y -= dx;
        p[i].z ^= dx;
    }
}

static int scaled(const struct point *p, int k)
{
    if (!p) return 0;
    return p->x * k + p->y * k + p->z;
}

int use_scaled(const struct point *p) { return scaled(p, 3) + scaled(p + 1, 3); }

uint32_t crc32_sw(const uint8_t *data, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

void byte_hist(const unsigned char *s, size_t n, unsigned *hist)
{
    for (size_t i = 0; i < n; i++)
        hist[s[i]]++;
}

int max_index(const int *a, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (a[i] > a[best])
            best = i;
    return best;
}
