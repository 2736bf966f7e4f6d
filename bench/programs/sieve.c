/* Prime sieve over a byte array, then a prime-gap histogram. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sieve(unsigned char *comp, int n) {
    memset(comp, 0, n);
    int count = 0;
    for (int i = 2; i < n; i++) {
        if (comp[i]) continue;
        count++;
        for (long j = (long)i * i; j < n; j += i) comp[j] = 1;
    }
    return count;
}

long gap_score(const unsigned char *comp, int n) {
    long score = 0;
    int last = 2;
    for (int i = 3; i < n; i++)
        if (!comp[i]) { int g = i - last; score += (long)g * g; last = i; }
    return score;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 6000000;
    int reps = argc > 2 ? atoi(argv[2]) : 16;
    unsigned char *c = malloc(n);
    long s = 0;
    for (int r = 0; r < reps; r++) { s += sieve(c, n - r); s += gap_score(c, n - r); }
    printf("%ld\n", s);
    free(c);
    return 0;
}
