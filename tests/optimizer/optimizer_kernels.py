"""C sources the optimizer tests share: a popcount loop gcc compiles bit by bit (BITS_SLOW),
the same function written the fast way (BITS_FAST), a known-faster correct rewrite, and a main
that calls it (bits_main)."""

BITS_SLOW = """int bits(const unsigned *a, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++) {
        unsigned x = a[i];
        while (x) { c += x & 1; x >>= 1; }
    }
    return c;
}
"""
BITS_FAST = """int bits(const unsigned *a, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++) {
        unsigned x = a[i];
        x = x - ((x >> 1) & 0x55555555u);
        x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
        x = (x + (x >> 4)) & 0x0f0f0f0fu;
        c += (int)((x * 0x01010101u) >> 24);
    }
    return c;
}
"""


def bits_main(rounds: int, call: str) -> str:
    """A main that fills 4096 words, then sums `call` (an expression calling bits, in a loop over
    r < rounds that changes a[r] first) and prints the sum."""
    return f"""#include <stdio.h>
int bits(const unsigned *a, int n);
int main(void)
{{
    static unsigned a[4096];
    unsigned s = 1;
    for (int i = 0; i < 4096; i++) {{ s = s * 1103515245u + 12345u; a[i] = s; }}
    long t = 0;
    for (int r = 0; r < {rounds}; r++) {{ a[r] ^= r; t += {call}; }}
    printf("%ld\\n", t);
    return 0;
}}
"""
