long g(long x) { return x + 1; }
