/* mandelbrot.c - escape-time Mandelbrot image in 64-bit fixed point
 * (26 fraction bits), so that the result does not depend on how the
 * compiler rounds floating point. Rows are rendered into an image of
 * iteration counts, which is then summarised by a histogram.
 *
 * usage: mandelbrot [width] [height] [max_iter]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { FRAC_BITS = 26 };

struct view {
    int64_t x0, y0;      /* top-left corner, fixed point */
    int64_t step;        /* pixel size, fixed point */
    int width, height;
    int max_iter;
};

static int64_t to_fixed(double v)
{
    return (int64_t)(v * (double)(1 << FRAC_BITS));
}

static int64_t fmul(int64_t a, int64_t b)
{
    /* |a|, |b| < 8 << FRAC_BITS, so the product fits in 64 bits. */
    return (a * b) / ((int64_t)1 << FRAC_BITS);
}

static int escape_time(int64_t cx, int64_t cy, int max_iter)
{
    const int64_t four = (int64_t)4 << FRAC_BITS;
    int64_t zx = 0, zy = 0;
    int i = 0;
    while (i < max_iter) {
        int64_t x2 = fmul(zx, zx);
        int64_t y2 = fmul(zy, zy);
        if (x2 + y2 > four)
            break;
        int64_t xy = fmul(zx, zy);
        zx = x2 - y2 + cx;
        zy = 2 * xy + cy;
        i++;
    }
    return i;
}

static void render_row(const struct view *v, int row, uint16_t *out)
{
    int64_t cy = v->y0 - (int64_t)row * v->step;
    for (int col = 0; col < v->width; col++) {
        int64_t cx = v->x0 + (int64_t)col * v->step;
        out[col] = (uint16_t)escape_time(cx, cy, v->max_iter);
    }
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
    struct view v;
    v.width = (int)arg_or(argc, argv, 1, 800);
    v.height = (int)arg_or(argc, argv, 2, 600);
    v.max_iter = (int)arg_or(argc, argv, 3, 2500);
    if (v.max_iter > 65535)
        v.max_iter = 65535;

    /* The region [-2.2, 0.8] x [-1.125, 1.125], scaled to the width. */
    v.step = to_fixed(3.0) / v.width;
    if (v.step < 1)
        v.step = 1;
    v.x0 = to_fixed(-2.2);
    v.y0 = (int64_t)v.height * v.step / 2;

    uint16_t *img = malloc(sizeof(uint16_t) * (size_t)v.width * (size_t)v.height);
    if (!img) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int row = 0; row < v.height; row++)
        render_row(&v, row, img + (size_t)row * (size_t)v.width);

    uint64_t total = 0, inside = 0;
    uint32_t hist[16] = {0};
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < (size_t)v.width * (size_t)v.height; i++) {
        total += img[i];
        if (img[i] == v.max_iter)
            inside++;
        hist[img[i] % 16]++;
        h = (h ^ img[i]) * 16777619u;
    }

    printf("mandelbrot: %dx%d max_iter=%d total_iter=%llu inside=%llu\n",
           v.width, v.height, v.max_iter, (unsigned long long)total,
           (unsigned long long)inside);
    printf("hist:");
    for (int i = 0; i < 16; i++)
        printf(" %u", (unsigned)hist[i]);
    printf("\nchecksum=%08x\n", (unsigned)h);
    free(img);
    return 0;
}
