/* bignum.c - arbitrary precision unsigned integers on 32-bit limbs:
 * schoolbook multiplication, repeated on generated operands, and a
 * conversion of the final product to decimal by repeated division by 10^9.
 *
 * usage: bignum [limbs] [rounds]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bignum {
    uint32_t *limb;   /* least significant first */
    int len;          /* limbs in use; no leading zero limbs */
    int cap;
};

static uint64_t rng_state = 0xC0FFEE1234567ull;

static uint32_t rng_next(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) ^ (uint32_t)(rng_state >> 11);
}

static int bn_init(struct bignum *x, int cap)
{
    x->limb = calloc((size_t)cap, sizeof(uint32_t));
    x->len = 0;
    x->cap = cap;
    return x->limb ? 0 : -1;
}

static void bn_trim(struct bignum *x)
{
    while (x->len > 0 && x->limb[x->len - 1] == 0)
        x->len--;
}

static void bn_random(struct bignum *x, int len)
{
    for (int i = 0; i < len; i++)
        x->limb[i] = rng_next();
    x->limb[len - 1] |= 1u;     /* keep it nonzero */
    x->len = len;
    bn_trim(x);
}

/* out = a * b; out must not alias a or b and needs a->len + b->len limbs. */
static void bn_mul(const struct bignum *a, const struct bignum *b,
                   struct bignum *out)
{
    int n = a->len + b->len;
    memset(out->limb, 0, sizeof(uint32_t) * (size_t)n);
    for (int i = 0; i < a->len; i++) {
        uint64_t ai = a->limb[i];
        uint64_t carry = 0;
        uint32_t *row = out->limb + i;
        for (int j = 0; j < b->len; j++) {
            uint64_t t = ai * b->limb[j] + row[j] + carry;
            row[j] = (uint32_t)t;
            carry = t >> 32;
        }
        row[b->len] = (uint32_t)carry;
    }
    out->len = n;
    bn_trim(out);
}

/* x = x / d, returns the remainder. */
static uint32_t bn_divmod_small(struct bignum *x, uint32_t d)
{
    uint64_t rem = 0;
    for (int i = x->len - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | x->limb[i];
        x->limb[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    bn_trim(x);
    return (uint32_t)rem;
}

/* Writes the decimal digits of x (destroying x) into buf; returns length. */
static size_t bn_to_decimal(struct bignum *x, char *buf, size_t cap)
{
    uint32_t *chunks = malloc(sizeof(uint32_t) * ((size_t)x->len * 10 / 9 + 2));
    size_t nchunks = 0;
    if (!chunks)
        return 0;
    while (x->len > 0)
        chunks[nchunks++] = bn_divmod_small(x, 1000000000u);

    size_t pos = 0;
    if (nchunks == 0) {
        buf[pos++] = '0';
    } else {
        pos = (size_t)snprintf(buf, cap, "%u", (unsigned)chunks[nchunks - 1]);
        for (size_t i = nchunks - 1; i-- > 0;) {
            uint32_t v = chunks[i];
            for (int k = 8; k >= 0; k--) {
                buf[pos + (size_t)k] = (char)('0' + v % 10);
                v /= 10;
            }
            pos += 9;
        }
    }
    buf[pos] = '\0';
    free(chunks);
    return pos;
}

/* dst = src limbs [from, from + count), trimmed. */
static void bn_slice(struct bignum *dst, const struct bignum *src, int from,
                     int count)
{
    for (int i = 0; i < count; i++) {
        int k = from + i;
        dst->limb[i] = k < src->len ? src->limb[k] : 0;
    }
    dst->len = count;
    bn_trim(dst);
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
    int limbs = (int)arg_or(argc, argv, 1, 1500);
    int rounds = (int)arg_or(argc, argv, 2, 480);

    struct bignum a, b, c;
    if (bn_init(&a, limbs) || bn_init(&b, limbs) || bn_init(&c, 2 * limbs)) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    bn_random(&a, limbs);
    bn_random(&b, limbs);

    uint32_t check = 0;
    for (int r = 0; r < rounds; r++) {
        bn_mul(&a, &b, &c);
        /* Next operands: the middle of the product, and the old a with
         * its low limb perturbed; both stay at most `limbs` long. */
        bn_slice(&b, &a, 0, a.len);
        b.limb[0] ^= (uint32_t)r * 2654435761u;
        bn_trim(&b);
        bn_slice(&a, &c, limbs / 2, limbs);
        if (a.len == 0) {
            a.limb[0] = 1;
            a.len = 1;
        }
        check = check * 16777619u ^ c.limb[c.len / 3] ^ (uint32_t)c.len;
    }
    bn_mul(&a, &b, &c);

    size_t cap = (size_t)c.len * 10 + 16;
    char *digits = malloc(cap);
    if (!digits) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    size_t nd = bn_to_decimal(&c, digits, cap);
    unsigned long digit_sum = 0;
    for (size_t i = 0; i < nd; i++)
        digit_sum += (unsigned long)(digits[i] - '0');

    printf("bignum: limbs=%d rounds=%d digits=%zu digit_sum=%lu check=%08x\n",
           limbs, rounds, nd, digit_sum, (unsigned)check);
    printf("head=%.20s tail=%s\n", digits, nd > 20 ? digits + nd - 20 : digits);
    free(digits);
    free(c.limb);
    free(b.limb);
    free(a.limb);
    return 0;
}
