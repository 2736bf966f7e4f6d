/* fft.c - iterative radix-2 complex FFT on doubles, used to multiply
 * polynomials with small integer coefficients (a convolution). The
 * products are rounded back to integers, so the printed result is exact
 * and independent of floating point contraction; a few coefficients are
 * checked against the direct sum.
 *
 * usage: fft [log2_length] [rounds]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct cpx {
    double re, im;
};

static uint32_t rng_a = 123456789u, rng_b = 362436069u;

static uint32_t rng_next(void)
{
    /* Marsaglia's multiply-with-carry pair. */
    rng_a = 36969u * (rng_a & 65535u) + (rng_a >> 16);
    rng_b = 18000u * (rng_b & 65535u) + (rng_b >> 16);
    return (rng_a << 16) + rng_b;
}

static void make_twiddles(struct cpx *tw, int n)
{
    const double pi = 3.14159265358979323846;
    for (int k = 0; k < n / 2; k++) {
        double ang = -2.0 * pi * (double)k / (double)n;
        tw[k].re = cos(ang);
        tw[k].im = sin(ang);
    }
}

static void bit_reverse(struct cpx *a, int n)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            struct cpx t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}

/* In-place transform; inverse uses conjugate twiddles and no scaling. */
static void fft(struct cpx *a, int n, const struct cpx *tw, int inverse)
{
    bit_reverse(a, n);
    for (int len = 2; len <= n; len <<= 1) {
        int half = len >> 1;
        int stride = n / len;
        for (int i = 0; i < n; i += len) {
            for (int k = 0; k < half; k++) {
                struct cpx w = tw[k * stride];
                if (inverse)
                    w.im = -w.im;
                struct cpx u = a[i + k];
                struct cpx v = a[i + k + half];
                struct cpx t;
                t.re = v.re * w.re - v.im * w.im;
                t.im = v.re * w.im + v.im * w.re;
                a[i + k].re = u.re + t.re;
                a[i + k].im = u.im + t.im;
                a[i + k + half].re = u.re - t.re;
                a[i + k + half].im = u.im - t.im;
            }
        }
    }
}

/* c = a * b, where a and b have m coefficients and the transform size n
 * is at least 2m. Returns the largest distance of a product from the
 * nearest integer. */
static double convolve(const int32_t *a, const int32_t *b, int m, int64_t *c,
                       struct cpx *fa, struct cpx *fb, const struct cpx *tw,
                       int n)
{
    for (int i = 0; i < n; i++) {
        fa[i].re = i < m ? a[i] : 0.0;
        fa[i].im = 0.0;
        fb[i].re = i < m ? b[i] : 0.0;
        fb[i].im = 0.0;
    }
    fft(fa, n, tw, 0);
    fft(fb, n, tw, 0);
    for (int i = 0; i < n; i++) {
        double re = fa[i].re * fb[i].re - fa[i].im * fb[i].im;
        double im = fa[i].re * fb[i].im + fa[i].im * fb[i].re;
        fa[i].re = re;
        fa[i].im = im;
    }
    fft(fa, n, tw, 1);
    double worst = 0.0;
    for (int i = 0; i < 2 * m - 1; i++) {
        double v = fa[i].re / n;
        double r = nearbyint(v);
        double err = fabs(v - r);
        if (err > worst)
            worst = err;
        c[i] = (int64_t)r;
    }
    return worst;
}

static int64_t direct_coeff(const int32_t *a, const int32_t *b, int m, int i)
{
    int64_t s = 0;
    int lo = i - (m - 1) > 0 ? i - (m - 1) : 0;
    int hi = i < m - 1 ? i : m - 1;
    for (int j = lo; j <= hi; j++)
        s += (int64_t)a[j] * b[i - j];
    return s;
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
    int lg = (int)arg_or(argc, argv, 1, 16);
    int rounds = (int)arg_or(argc, argv, 2, 72);
    if (lg < 2)
        lg = 2;
    if (lg > 22)
        lg = 22;
    int m = 1 << lg;
    int n = 2 * m;

    int32_t *a = malloc(sizeof(int32_t) * (size_t)m);
    int32_t *b = malloc(sizeof(int32_t) * (size_t)m);
    int64_t *c = malloc(sizeof(int64_t) * (size_t)n);
    struct cpx *fa = malloc(sizeof(struct cpx) * (size_t)n);
    struct cpx *fb = malloc(sizeof(struct cpx) * (size_t)n);
    struct cpx *tw = malloc(sizeof(struct cpx) * (size_t)(n / 2));
    if (!a || !b || !c || !fa || !fb || !tw) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    make_twiddles(tw, n);

    uint64_t check = 0;
    int64_t total = 0;
    double worst = 0.0;
    int mismatches = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < m; i++) {
            a[i] = (int32_t)(rng_next() % 1000);
            b[i] = (int32_t)(rng_next() % 1000);
        }
        double err = convolve(a, b, m, c, fa, fb, tw, n);
        if (err > worst)
            worst = err;
        for (int i = 0; i < 2 * m - 1; i++) {
            check = check * 0x9E3779B97F4A7C15ull + (uint64_t)c[i];
            total += c[i];
        }
        for (int t = 0; t < 16; t++) {
            int i = (int)(rng_next() % (uint32_t)(2 * m - 1));
            if (direct_coeff(a, b, m, i) != c[i])
                mismatches++;
        }
    }

    printf("fft: size=%d rounds=%d total=%lld mismatches=%d rounding=%s\n",
           n, rounds, (long long)total, mismatches,
           worst < 0.25 ? "ok" : "LOST");
    printf("checksum=%016llx\n", (unsigned long long)check);
    free(tw);
    free(fb);
    free(fa);
    free(c);
    free(b);
    free(a);
    return mismatches == 0 ? 0 : 1;
}
