/* editdist.c - Levenshtein distance and longest common subsequence by
 * dynamic programming over pairs of generated DNA-like strings, where the
 * second string of each pair is a mutated copy of the first.
 *
 * usage: editdist [pairs] [length]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t lcg_state = 20261205u;

static uint32_t lcg_next(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lcg_state >> 8;
}

static void random_string(char *s, int n)
{
    static const char alphabet[4] = { 'A', 'C', 'G', 'T' };
    for (int i = 0; i < n; i++)
        s[i] = alphabet[lcg_next() & 3];
    s[n] = '\0';
}

/* Copies src into dst with about rate/1000 of the positions substituted,
 * deleted or followed by an insertion. Returns the new length. */
static int mutate(const char *src, int n, char *dst, int cap, int rate)
{
    static const char alphabet[4] = { 'A', 'C', 'G', 'T' };
    int m = 0;
    for (int i = 0; i < n && m < cap - 2; i++) {
        uint32_t r = lcg_next() % 1000;
        if (r < (uint32_t)rate / 3) {
            dst[m++] = alphabet[lcg_next() & 3];          /* substitute */
        } else if (r < 2 * (uint32_t)rate / 3) {
            /* delete */
        } else if (r < (uint32_t)rate) {
            dst[m++] = src[i];                            /* insert */
            dst[m++] = alphabet[lcg_next() & 3];
        } else {
            dst[m++] = src[i];
        }
    }
    dst[m] = '\0';
    return m;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

static int levenshtein(const char *a, int n, const char *b, int m, int *row)
{
    for (int j = 0; j <= m; j++)
        row[j] = j;
    for (int i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = i;
        char ca = a[i - 1];
        for (int j = 1; j <= m; j++) {
            int up = row[j];
            int cost = (ca == b[j - 1]) ? 0 : 1;
            row[j] = min3(up + 1, row[j - 1] + 1, diag + cost);
            diag = up;
        }
    }
    return row[m];
}

static int lcs_length(const char *a, int n, const char *b, int m, int *prev,
                      int *cur)
{
    for (int j = 0; j <= m; j++)
        prev[j] = 0;
    for (int i = 1; i <= n; i++) {
        cur[0] = 0;
        for (int j = 1; j <= m; j++) {
            if (a[i - 1] == b[j - 1])
                cur[j] = prev[j - 1] + 1;
            else
                cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
        }
        int *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
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
    int pairs = (int)arg_or(argc, argv, 1, 32);
    int len = (int)arg_or(argc, argv, 2, 3000);
    int cap = 2 * len + 4;

    char *a = malloc((size_t)len + 1);
    char *b = malloc((size_t)cap);
    int *row = malloc(sizeof(int) * (size_t)(cap + 1));
    int *row2 = malloc(sizeof(int) * (size_t)(cap + 1));
    if (!a || !b || !row || !row2) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    long long sum_ed = 0, sum_lcs = 0;
    uint32_t check = 0;
    for (int p = 0; p < pairs; p++) {
        random_string(a, len);
        int rate = 20 + (p * 37) % 300;
        int m = mutate(a, len, b, cap, rate);
        int ed = levenshtein(a, len, b, m, row);
        int lcs = lcs_length(a, len, b, m, row, row2);
        sum_ed += ed;
        sum_lcs += lcs;
        check = check * 1000003u + (uint32_t)ed * 131u + (uint32_t)lcs;
    }

    printf("editdist: pairs=%d len=%d sum_edit=%lld sum_lcs=%lld\n", pairs,
           len, sum_ed, sum_lcs);
    printf("checksum=%08x\n", (unsigned)check);
    free(row2);
    free(row);
    free(b);
    free(a);
    return 0;
}
