/* String scanning: character classes, word counting and naive substring search. */
/* bench/programs.py builds the kernels and main as two translation units from this one file, the
 * way a library and its user are built: the kernels' unit with -DBENCH_NO_MAIN, main's unit with
 * KERNEL defined weak (its copies of the kernels lose to the kernels' unit at link time). Built
 * alone, the file is one ordinary program; KERNEL keeps the kernels out of line either way. */
#ifndef KERNEL
#define KERNEL __attribute__((noipa))
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

KERNEL int count_words(const char *s, int n) {
    int words = 0, in = 0;
    for (int i = 0; i < n; i++) {
        int sp = s[i] == ' ' || s[i] == '\n' || s[i] == '\t';
        if (!sp && !in) words++;
        in = !sp;
    }
    return words;
}

KERNEL int count_vowels(const char *s, int n) {
    int c = 0;
    for (int i = 0; i < n; i++) {
        char ch = s[i] | 0x20;
        c += ch == 'a' || ch == 'e' || ch == 'i' || ch == 'o' || ch == 'u';
    }
    return c;
}

KERNEL int find_all(const char *s, int n, const char *pat, int m) {
    int hits = 0;
    for (int i = 0; i + m <= n; i++) {
        int j = 0;
        while (j < m && s[i + j] == pat[j]) j++;
        hits += j == m;
    }
    return hits;
}

#ifndef BENCH_NO_MAIN
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1 << 20;
    int reps = argc > 2 ? atoi(argv[2]) : 40;
    char *s = malloc(n + 1);
    unsigned x = 42;
    const char alpha[] = "abcdeeeeffghiijklmnoopqrstuuvwxyz  \n";
    for (int i = 0; i < n; i++) { x = x * 1103515245u + 12345u; s[i] = alpha[(x >> 16) % (sizeof alpha - 1)]; }
    s[n] = 0;
    long sum = 0;
    for (int r = 0; r < reps; r++) {
        s[r] = 'e';
        sum += count_words(s, n);
        sum += count_vowels(s, n) * 3;
        sum += find_all(s, n, "eee", 3) * 7;
    }
    printf("%ld\n", sum);
    free(s);
    return 0;
}
#endif
