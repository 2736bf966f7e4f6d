/* huffman.c - per-block canonical Huffman coding: count symbol
 * frequencies, build the code tree with a binary heap, derive canonical
 * codes, encode the block into a bit stream, rebuild a decoding tree from
 * the code lengths and decode the stream again by walking the tree.
 *
 * usage: huffman [blocks] [block_kilobytes]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    uint64_t freq;
    int symbol;        /* -1 for internal nodes */
    int order;         /* creation order, breaks ties deterministically */
    struct node *left;
    struct node *right;
};

struct code {
    uint32_t bits;
    int len;
};

struct bitwriter {
    uint8_t *buf;
    size_t pos;        /* bytes written */
    uint64_t acc;
    int nacc;          /* bits held in acc */
};

struct node_pool {
    struct node nodes[1024];
    int used;
};

static uint64_t rng_s = 0x2545F4914F6CDD1Dull;

static uint32_t rng32(void)
{
    rng_s ^= rng_s >> 12;
    rng_s ^= rng_s << 25;
    rng_s ^= rng_s >> 27;
    return (uint32_t)((rng_s * 0x2545F4914F6CDD1Dull) >> 32);
}

static void make_block(uint8_t *buf, size_t n, int block)
{
    /* Product of two uniforms gives a skewed distribution; the salt and
     * the shift change the alphabet and the skew from block to block. */
    uint32_t salt = (uint32_t)(block * 37) & 0xff;
    int shift = 24 + (block % 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rng32();
        uint32_t v = ((r & 0xffff) * (r >> 16)) >> shift;
        buf[i] = (uint8_t)(v ^ salt);
    }
}

static struct node *new_node(struct node_pool *pool, uint64_t freq,
                             int symbol, struct node *l, struct node *r)
{
    struct node *nd = &pool->nodes[pool->used];
    nd->freq = freq;
    nd->symbol = symbol;
    nd->order = pool->used;
    nd->left = l;
    nd->right = r;
    pool->used++;
    return nd;
}

static int node_less(const struct node *a, const struct node *b)
{
    if (a->freq != b->freq)
        return a->freq < b->freq;
    return a->order < b->order;
}

static void heap_push(struct node **heap, int *size, struct node *nd)
{
    int i = (*size)++;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!node_less(nd, heap[parent]))
            break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = nd;
}

static struct node *heap_pop(struct node **heap, int *size)
{
    struct node *top = heap[0];
    struct node *last = heap[--(*size)];
    int i = 0;
    for (;;) {
        int child = 2 * i + 1;
        if (child >= *size)
            break;
        if (child + 1 < *size && node_less(heap[child + 1], heap[child]))
            child++;
        if (!node_less(heap[child], last))
            break;
        heap[i] = heap[child];
        i = child;
    }
    if (*size > 0)
        heap[i] = last;
    return top;
}

static void assign_lengths(const struct node *nd, int depth, int *lengths)
{
    if (nd->symbol >= 0) {
        lengths[nd->symbol] = depth > 0 ? depth : 1;
        return;
    }
    assign_lengths(nd->left, depth + 1, lengths);
    assign_lengths(nd->right, depth + 1, lengths);
}

static void build_lengths(const uint64_t *freq, int *lengths)
{
    struct node_pool pool;
    struct node *heap[256];
    int size = 0;

    pool.used = 0;
    for (int s = 0; s < 256; s++) {
        lengths[s] = 0;
        if (freq[s] > 0)
            heap_push(heap, &size, new_node(&pool, freq[s], s, NULL, NULL));
    }
    if (size == 0)
        return;
    while (size > 1) {
        struct node *a = heap_pop(heap, &size);
        struct node *b = heap_pop(heap, &size);
        heap_push(heap, &size, new_node(&pool, a->freq + b->freq, -1, a, b));
    }
    assign_lengths(heap[0], 0, lengths);
}

/* Canonical codes: shorter codes first, equal lengths by symbol value. */
static void canonical_codes(const int *lengths, struct code *codes)
{
    int count[64] = {0};
    uint32_t next[64];
    for (int s = 0; s < 256; s++)
        count[lengths[s]]++;
    count[0] = 0;
    uint32_t c = 0;
    for (int len = 1; len < 64; len++) {
        c = (c + (uint32_t)count[len - 1]) << 1;
        next[len] = c;
    }
    for (int s = 0; s < 256; s++) {
        codes[s].len = lengths[s];
        codes[s].bits = lengths[s] ? next[lengths[s]]++ : 0;
    }
}

static void put_bits(struct bitwriter *bw, uint32_t bits, int len)
{
    bw->acc = (bw->acc << len) | bits;
    bw->nacc += len;
    while (bw->nacc >= 8) {
        bw->nacc -= 8;
        bw->buf[bw->pos++] = (uint8_t)(bw->acc >> bw->nacc);
    }
}

static size_t encode_block(const uint8_t *in, size_t n,
                           const struct code *codes, uint8_t *out,
                           uint64_t *nbits)
{
    struct bitwriter bw = { out, 0, 0, 0 };
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct code *c = &codes[in[i]];
        put_bits(&bw, c->bits, c->len);
        total += (uint64_t)c->len;
    }
    if (bw.nacc > 0)
        bw.buf[bw.pos++] = (uint8_t)(bw.acc << (8 - bw.nacc));
    *nbits = total;
    return bw.pos;
}

static struct node *build_decoder(struct node_pool *pool,
                                  const struct code *codes)
{
    pool->used = 0;
    struct node *root = new_node(pool, 0, -1, NULL, NULL);
    for (int s = 0; s < 256; s++) {
        if (codes[s].len == 0)
            continue;
        struct node *nd = root;
        for (int b = codes[s].len - 1; b >= 0; b--) {
            struct node **link = ((codes[s].bits >> b) & 1) ? &nd->right
                                                            : &nd->left;
            if (*link == NULL)
                *link = new_node(pool, 0, -1, NULL, NULL);
            nd = *link;
        }
        nd->symbol = s;
    }
    return root;
}

static size_t decode_block(const uint8_t *in, uint64_t nbits,
                           const struct node *root, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const struct node *nd = root;
    for (uint64_t i = 0; i < nbits; i++) {
        int bit = (in[i >> 3] >> (7 - (i & 7))) & 1;
        nd = bit ? nd->right : nd->left;
        if (nd == NULL)
            return (size_t)-1;
        if (nd->symbol >= 0) {
            if (n >= cap)
                return (size_t)-1;
            out[n++] = (uint8_t)nd->symbol;
            nd = root;
        }
    }
    return n;
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
    int blocks = (int)arg_or(argc, argv, 1, 128);
    size_t n = (size_t)arg_or(argc, argv, 2, 256) * 1024;

    uint8_t *block = malloc(n);
    uint8_t *packed = malloc(n * 4 + 16);
    uint8_t *unpacked = malloc(n);
    struct node_pool *pool = malloc(sizeof *pool);
    if (!block || !packed || !unpacked || !pool) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    uint64_t total_bits = 0;
    uint32_t check = 0;
    int ok = 1;
    for (int b = 0; b < blocks; b++) {
        uint64_t freq[256] = {0};
        int lengths[256];
        struct code codes[256];

        make_block(block, n, b);
        for (size_t i = 0; i < n; i++)
            freq[block[i]]++;
        build_lengths(freq, lengths);
        canonical_codes(lengths, codes);

        uint64_t nbits;
        size_t bytes = encode_block(block, n, codes, packed, &nbits);
        struct node *root = build_decoder(pool, codes);
        size_t got = decode_block(packed, nbits, root, unpacked, n);
        if (got != n || memcmp(block, unpacked, n) != 0)
            ok = 0;

        total_bits += nbits;
        for (size_t i = 0; i < bytes; i++)
            check = (check ^ packed[i]) * 0x01000193u;
        for (int s = 0; s < 256; s++)
            check += (uint32_t)lengths[s] * (uint32_t)(s + 1);
    }

    printf("huffman: blocks=%d bytes=%zu bits=%llu roundtrip=%s\n", blocks,
           n * (size_t)blocks, (unsigned long long)total_bits,
           ok ? "ok" : "FAILED");
    printf("checksum=%08x\n", (unsigned)check);

    free(pool);
    free(unpacked);
    free(packed);
    free(block);
    return ok ? 0 : 1;
}
