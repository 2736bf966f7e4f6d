"""C sources the optimizer tests share: a popcount loop gcc compiles bit by bit (BITS_SLOW),
and the same function written the fast way (BITS_FAST), a known-faster correct rewrite."""

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
