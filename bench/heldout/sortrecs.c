/* sortrecs.c - a stable merge sort of record structs driven by a
 * comparator callback, applied with several orderings (by name, by score,
 * by group and weight), followed by binary-search lookups that use the
 * same comparators.
 *
 * usage: sortrecs [records] [rounds]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record {
    uint32_t id;
    int32_t score;
    uint16_t group;
    char name[14];
    double weight;
};

typedef int (*record_cmp)(const struct record *, const struct record *);

static uint64_t rng_state = 0x6A09E667F3BCC909ull;

static uint32_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return (uint32_t)((x * 2685821657736338717ull) >> 32);
}

static void make_records(struct record *r, int n)
{
    for (int i = 0; i < n; i++) {
        r[i].id = (uint32_t)i;
        r[i].score = (int32_t)(rng_next() % 20001) - 10000;
        r[i].group = (uint16_t)(rng_next() % 97);
        /* Few letters and a common prefix make names collide often. */
        int len = 3 + (int)(rng_next() % 10);
        for (int k = 0; k < len; k++)
            r[i].name[k] = (char)('a' + rng_next() % 5);
        r[i].name[len] = '\0';
        r[i].weight = (double)(rng_next() % 1000000) / 64.0;
    }
}

static int compare_names(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int by_name(const struct record *a, const struct record *b)
{
    int c = compare_names(a->name, b->name);
    if (c != 0)
        return c;
    return (a->id > b->id) - (a->id < b->id);
}

static int by_score_desc(const struct record *a, const struct record *b)
{
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return 0;   /* ties keep their previous order (stable sort) */
}

static int by_group_weight(const struct record *a, const struct record *b)
{
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return 0;
}

static void insertion_sort(struct record *a, int n, record_cmp cmp)
{
    for (int i = 1; i < n; i++) {
        struct record t = a[i];
        int j = i - 1;
        while (j >= 0 && cmp(&a[j], &t) > 0) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = t;
    }
}

static void merge_sort(struct record *a, struct record *tmp, int n,
                       record_cmp cmp)
{
    if (n <= 12) {
        insertion_sort(a, n, cmp);
        return;
    }
    int mid = n / 2;
    merge_sort(a, tmp, mid, cmp);
    merge_sort(a + mid, tmp, n - mid, cmp);
    if (cmp(&a[mid - 1], &a[mid]) <= 0)
        return;     /* already in order */
    memcpy(tmp, a, sizeof(struct record) * (size_t)mid);
    int i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (cmp(&a[j], &tmp[i]) < 0)
            a[k++] = a[j++];
        else
            a[k++] = tmp[i++];
    }
    while (i < mid)
        a[k++] = tmp[i++];
}

/* Index of the first element not less than key, or n. */
static int lower_bound(const struct record *a, int n,
                       const struct record *key, record_cmp cmp)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cmp(&a[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int is_sorted(const struct record *a, int n, record_cmp cmp)
{
    for (int i = 1; i < n; i++)
        if (cmp(&a[i - 1], &a[i]) > 0)
            return 0;
    return 1;
}

static uint32_t order_hash(const struct record *a, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ a[i].id) * 16777619u;
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
    int n = (int)arg_or(argc, argv, 1, 200000);
    int rounds = (int)arg_or(argc, argv, 2, 6);

    struct record *recs = malloc(sizeof(struct record) * (size_t)n);
    struct record *tmp = malloc(sizeof(struct record) * (size_t)(n / 2 + 1));
    if (!recs || !tmp) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    make_records(recs, n);

    static const record_cmp orders[3] = { by_name, by_score_desc,
                                          by_group_weight };
    uint32_t check = 0;
    int sorted_ok = 1;
    long found = 0;
    for (int r = 0; r < rounds; r++) {
        for (int o = 0; o < 3; o++) {
            merge_sort(recs, tmp, n, orders[o]);
            if (!is_sorted(recs, n, orders[o]))
                sorted_ok = 0;
            check = check * 31u + order_hash(recs, n);

            /* Look up random probes (existing records, so found). */
            for (int q = 0; q < n / 4; q++) {
                struct record key = recs[rng_next() % (uint32_t)n];
                int pos = lower_bound(recs, n, &key, orders[o]);
                if (pos < n && orders[o](&recs[pos], &key) == 0)
                    found++;
                check += (uint32_t)pos;
            }
        }
        /* Shake the scores and weights a little for the next round. */
        for (int i = 0; i < n; i++) {
            recs[i].score += (int32_t)(rng_next() % 201) - 100;
            if (rng_next() % 8 == 0)
                recs[i].weight = (double)(rng_next() % 1000000) / 64.0;
        }
    }

    printf("sortrecs: records=%d rounds=%d sorted=%s found=%ld\n", n, rounds,
           sorted_ok ? "ok" : "FAILED", found);
    printf("first=%u:%s last=%u:%s checksum=%08x\n", (unsigned)recs[0].id,
           recs[0].name, (unsigned)recs[n - 1].id, recs[n - 1].name,
           (unsigned)check);
    free(tmp);
    free(recs);
    return sorted_ok ? 0 : 1;
}
