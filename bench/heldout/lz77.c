/* lz77.c - a small LZ77 compressor (hash chains, 32 KiB window) and its
 * decompressor, run as a round trip over generated text-like data.
 *
 * usage: lz77 [kilobytes] [rounds]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    WINDOW = 32768,
    HASH_BITS = 15,
    HASH_SIZE = 1 << 15,
    MIN_MATCH = 3,
    MAX_MATCH = 258,
    MAX_CHAIN = 64
};

struct lz_state {
    int32_t *head;  /* HASH_SIZE entries: last position with this hash */
    int32_t *prev;  /* WINDOW entries: previous position in the chain */
};

static uint64_t rng_state;

static uint32_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return (uint32_t)(x >> 32);
}

/* Text built from a random vocabulary, with some noise and some long
 * repeats of earlier text, so that both short and long matches occur. */
static void make_input(uint8_t *buf, size_t n)
{
    char words[512][12];
    int wlen[512];
    for (int i = 0; i < 512; i++) {
        int len = 2 + (int)(rng_next() % 9);
        for (int j = 0; j < len; j++)
            words[i][j] = (char)('a' + rng_next() % 26);
        wlen[i] = len;
    }

    size_t pos = 0;
    while (pos < n) {
        uint32_t r = rng_next() % 100;
        if (r < 3 && pos > 20000) {
            size_t back = 1 + rng_next() % 20000;
            size_t len = 20 + rng_next() % 200;
            for (size_t k = 0; k < len && pos < n; k++, pos++)
                buf[pos] = buf[pos - back];
        } else if (r < 5) {
            size_t len = 1 + rng_next() % 16;
            for (size_t k = 0; k < len && pos < n; k++, pos++)
                buf[pos] = (uint8_t)rng_next();
        } else {
            /* Zipf-like choice: small indices are much more frequent. */
            uint32_t a = rng_next() % 512, b = rng_next() % 512;
            uint32_t w = (a * b) >> 9;
            for (int k = 0; k < wlen[w] && pos < n; k++, pos++)
                buf[pos] = (uint8_t)words[w][k];
            if (pos < n) {
                uint32_t p = rng_next() % 20;
                buf[pos++] = p == 0 ? '.' : p == 1 ? ',' : p == 2 ? '\n' : ' ';
            }
        }
    }
}

static uint32_t hash3(const uint8_t *p)
{
    uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void insert_pos(struct lz_state *st, const uint8_t *in, size_t pos)
{
    uint32_t h = hash3(in + pos);
    st->prev[pos & (WINDOW - 1)] = st->head[h];
    st->head[h] = (int32_t)pos;
}

/* Output format: a flag byte announces the next 8 items (bit set = match).
 * A literal is one byte; a match is offset (2 bytes, little endian) and
 * length - MIN_MATCH (1 byte). */
static size_t lz_compress(struct lz_state *st, const uint8_t *in, size_t n,
                          uint8_t *out)
{
    for (int i = 0; i < HASH_SIZE; i++)
        st->head[i] = -1;

    size_t ip = 0, op = 0, flag_pos = 0;
    int nitems = 8;

    while (ip < n) {
        if (nitems == 8) {
            flag_pos = op++;
            out[flag_pos] = 0;
            nitems = 0;
        }

        size_t best_len = 0, best_off = 0;
        if (ip + MIN_MATCH <= n) {
            size_t maxlen = n - ip;
            if (maxlen > MAX_MATCH)
                maxlen = MAX_MATCH;
            int32_t cand = st->head[hash3(in + ip)];
            int chain = MAX_CHAIN;
            while (cand >= 0 && chain-- > 0) {
                size_t c = (size_t)cand;
                if (ip - c >= WINDOW)
                    break;
                if (in[c + best_len] == in[ip + best_len]) {
                    size_t len = 0;
                    while (len < maxlen && in[c + len] == in[ip + len])
                        len++;
                    if (len > best_len) {
                        best_len = len;
                        best_off = ip - c;
                        if (len == maxlen)
                            break;
                    }
                }
                cand = st->prev[c & (WINDOW - 1)];
            }
        }

        if (best_len >= MIN_MATCH) {
            out[flag_pos] |= (uint8_t)(1u << nitems);
            out[op++] = (uint8_t)(best_off & 0xff);
            out[op++] = (uint8_t)(best_off >> 8);
            out[op++] = (uint8_t)(best_len - MIN_MATCH);
            for (size_t k = 0; k < best_len; k++) {
                if (ip + MIN_MATCH <= n)
                    insert_pos(st, in, ip);
                ip++;
            }
        } else {
            out[op++] = in[ip];
            if (ip + MIN_MATCH <= n)
                insert_pos(st, in, ip);
            ip++;
        }
        nitems++;
    }
    return op;
}

/* Returns the decompressed size, or (size_t)-1 on malformed input. */
static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out,
                            size_t cap)
{
    size_t ip = 0, op = 0;
    while (ip < n) {
        unsigned flags = in[ip++];
        for (int i = 0; i < 8 && ip < n; i++) {
            if (flags & (1u << i)) {
                if (ip + 3 > n)
                    return (size_t)-1;
                size_t off = in[ip] | ((size_t)in[ip + 1] << 8);
                size_t len = (size_t)in[ip + 2] + MIN_MATCH;
                ip += 3;
                if (off == 0 || off > op || op + len > cap)
                    return (size_t)-1;
                const uint8_t *src = out + op - off;
                for (size_t k = 0; k < len; k++)
                    out[op + k] = src[k];
                op += len;
            } else {
                if (op >= cap)
                    return (size_t)-1;
                out[op++] = in[ip++];
            }
        }
    }
    return op;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
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
    size_t n = (size_t)arg_or(argc, argv, 1, 4096) * 1024;
    int rounds = (int)arg_or(argc, argv, 2, 8);

    uint8_t *input = malloc(n);
    uint8_t *packed = malloc(n + n / 8 + 16);
    uint8_t *unpacked = malloc(n);
    struct lz_state st;
    st.head = malloc(sizeof(int32_t) * HASH_SIZE);
    st.prev = malloc(sizeof(int32_t) * WINDOW);
    if (!input || !packed || !unpacked || !st.head || !st.prev) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    uint32_t check = 0;
    size_t total_in = 0, total_out = 0;
    int ok = 1;
    for (int r = 0; r < rounds; r++) {
        rng_state = 0x9E3779B97F4A7C15ull + (uint64_t)r * 0x1234567ull;
        make_input(input, n);
        size_t clen = lz_compress(&st, input, n, packed);
        size_t dlen = lz_decompress(packed, clen, unpacked, n);
        if (dlen != n || memcmp(input, unpacked, n) != 0)
            ok = 0;
        total_in += n;
        total_out += clen;
        check = check * 31u + fnv1a(packed, clen);
    }

    printf("lz77: in=%zu out=%zu roundtrip=%s\n", total_in, total_out,
           ok ? "ok" : "FAILED");
    printf("checksum=%08x\n", (unsigned)check);

    free(st.prev);
    free(st.head);
    free(unpacked);
    free(packed);
    free(input);
    return ok ? 0 : 1;
}
