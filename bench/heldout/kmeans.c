/* kmeans.c - Lloyd's k-means clustering of generated 2-D points (clumps
 * around hidden centres plus uniform noise), a fixed number of rounds.
 * Results are printed rounded so that they do not depend on last-bit
 * differences in floating point.
 *
 * usage: kmeans [points] [clusters] [iterations]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct point {
    double x, y;
};

struct cluster {
    struct point centre;
    double sum_x, sum_y;
    int count;
};

static uint64_t rng_state = 88172645463325252ull;

static uint64_t xorshift64(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A value in [-range, range) with 1/256 resolution. */
static double coord(int range)
{
    int64_t v = (int64_t)(xorshift64() % (uint64_t)(2 * range * 256)) - range * 256;
    return (double)v / 256.0;
}

static void make_points(struct point *pts, int n, int hidden)
{
    struct point centres[64];
    for (int c = 0; c < hidden; c++) {
        centres[c].x = coord(1000);
        centres[c].y = coord(1000);
    }
    for (int i = 0; i < n; i++) {
        if (i % 10 == 9) {
            pts[i].x = coord(1200);
            pts[i].y = coord(1200);
        } else {
            const struct point *c = &centres[xorshift64() % (uint64_t)hidden];
            /* The sum of three uniforms is roughly bell shaped. */
            pts[i].x = c->x + coord(40) + coord(40) + coord(40);
            pts[i].y = c->y + coord(40) + coord(40) + coord(40);
        }
    }
}

static double assign_points(const struct point *pts, int n,
                            struct cluster *cl, int k, int *label)
{
    double inertia = 0.0;
    for (int c = 0; c < k; c++) {
        cl[c].sum_x = 0.0;
        cl[c].sum_y = 0.0;
        cl[c].count = 0;
    }
    for (int i = 0; i < n; i++) {
        double px = pts[i].x, py = pts[i].y;
        int best = 0;
        double best_d = INFINITY;
        for (int c = 0; c < k; c++) {
            double dx = px - cl[c].centre.x;
            double dy = py - cl[c].centre.y;
            double d = dx * dx + dy * dy;
            if (d < best_d) {
                best_d = d;
                best = c;
            }
        }
        label[i] = best;
        cl[best].sum_x += px;
        cl[best].sum_y += py;
        cl[best].count++;
        inertia += best_d;
    }
    return inertia;
}

static int update_centres(struct cluster *cl, int k)
{
    int empty = 0;
    for (int c = 0; c < k; c++) {
        if (cl[c].count > 0) {
            cl[c].centre.x = cl[c].sum_x / cl[c].count;
            cl[c].centre.y = cl[c].sum_y / cl[c].count;
        } else {
            empty++;
        }
    }
    return empty;
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
    int n = (int)arg_or(argc, argv, 1, 500000);
    int k = (int)arg_or(argc, argv, 2, 24);
    int iters = (int)arg_or(argc, argv, 3, 60);
    if (k > n)
        k = n;

    struct point *pts = malloc(sizeof(struct point) * (size_t)n);
    struct cluster *cl = malloc(sizeof(struct cluster) * (size_t)k);
    int *label = malloc(sizeof(int) * (size_t)n);
    if (!pts || !cl || !label) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    make_points(pts, n, 20);
    for (int c = 0; c < k; c++)
        cl[c].centre = pts[(int)(((int64_t)c * 7919) % n)];

    double inertia = 0.0;
    int empty = 0;
    for (int it = 0; it < iters; it++) {
        inertia = assign_points(pts, n, cl, k, label);
        empty = update_centres(cl, k);
    }

    /* Summarise: sizes, and centres rounded to 1/100. */
    uint32_t check = 0;
    long long csum = 0;
    int largest = 0;
    for (int c = 0; c < k; c++) {
        long long rx = llround(cl[c].centre.x * 100.0);
        long long ry = llround(cl[c].centre.y * 100.0);
        csum += rx + 3 * ry;
        check = check * 31u + (uint32_t)cl[c].count;
        if (cl[c].count > largest)
            largest = cl[c].count;
    }
    uint32_t lab = 0;
    for (int i = 0; i < n; i++)
        lab = lab * 131u + (uint32_t)label[i];

    printf("kmeans: points=%d k=%d iters=%d empty=%d largest=%d\n", n, k,
           iters, empty, largest);
    printf("rms=%.3f centre_sum=%lld sizes=%08x labels=%08x\n",
           sqrt(inertia / n), csum, (unsigned)check, (unsigned)lab);
    free(label);
    free(cl);
    free(pts);
    return 0;
}
