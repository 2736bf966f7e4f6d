static __attribute__((noinline)) int sq(int x) { return x * x; }
int sumsq(int a, int b) { return sq(a) + sq(b); }
