/* life.c - Conway's Game of Life (B3/S23) on a torus, one byte per cell,
 * double buffered, for a number of generations from a random start with
 * a few gliders added.
 *
 * usage: life [width] [height] [generations]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct grid {
    int width, height;
    uint8_t *cells;      /* width * height, row major, 0 or 1 */
};

static uint32_t rng_state = 0xA5A5F00Du;

static uint32_t rng_next(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void seed_grid(struct grid *g, int percent)
{
    for (int i = 0; i < g->width * g->height; i++)
        g->cells[i] = (rng_next() % 100) < (uint32_t)percent;
    static const int glider[5][2] = { {0, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2} };
    for (int k = 0; k < 8; k++) {
        int ox = (int)(rng_next() % (uint32_t)g->width);
        int oy = (int)(rng_next() % (uint32_t)g->height);
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
                g->cells[((oy + y) % g->height) * g->width + (ox + x) % g->width] = 0;
        for (int c = 0; c < 5; c++) {
            int y = (oy + glider[c][0]) % g->height;
            int x = (ox + glider[c][1]) % g->width;
            g->cells[y * g->width + x] = 1;
        }
    }
}

static void step(const struct grid *src, struct grid *dst)
{
    int w = src->width, h = src->height;
    for (int y = 0; y < h; y++) {
        const uint8_t *up = src->cells + ((y + h - 1) % h) * w;
        const uint8_t *mid = src->cells + y * w;
        const uint8_t *down = src->cells + ((y + 1) % h) * w;
        uint8_t *out = dst->cells + y * w;
        for (int x = 0; x < w; x++) {
            int l = x == 0 ? w - 1 : x - 1;
            int r = x == w - 1 ? 0 : x + 1;
            int n = up[l] + up[x] + up[r] + mid[l] + mid[r] + down[l] +
                    down[x] + down[r];
            out[x] = (n == 3) | (mid[x] & (n == 2));
        }
    }
}

static long count_alive(const struct grid *g)
{
    long alive = 0;
    for (int i = 0; i < g->width * g->height; i++)
        alive += g->cells[i];
    return alive;
}

static long arg_or(int argc, char **argv, int i, long def)
{
    if (argc > i) {
        long v = strtol(argv[i], NULL, 10);
        if (v > 0)
            return v;
    }
    return def;
}

int main(int argc, char **argv)
{
    int w = (int)arg_or(argc, argv, 1, 600);
    int h = (int)arg_or(argc, argv, 2, 600);
    int gens = (int)arg_or(argc, argv, 3, 1000);
    if (w < 3)
        w = 3;
    if (h < 3)
        h = 3;

    struct grid a = { w, h, malloc((size_t)w * (size_t)h) };
    struct grid b = { w, h, malloc((size_t)w * (size_t)h) };
    if (!a.cells || !b.cells) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    seed_grid(&a, 33);

    struct grid *cur = &a, *next = &b;
    uint32_t trace = 0;
    for (int gen = 0; gen < gens; gen++) {
        step(cur, next);
        struct grid *t = cur;
        cur = next;
        next = t;
        if (gen % 50 == 49)
            trace = trace * 2654435761u + (uint32_t)count_alive(cur);
    }

    uint32_t h32 = 2166136261u;
    for (int i = 0; i < w * h; i++)
        h32 = (h32 ^ cur->cells[i]) * 16777619u;
    printf("life: %dx%d generations=%d alive=%ld\n", w, h, gens,
           count_alive(cur));
    printf("trace=%08x grid=%08x\n", (unsigned)trace, (unsigned)h32);
    free(b.cells);
    free(a.cells);
    return 0;
}
