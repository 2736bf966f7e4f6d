__attribute__((noinline)) int helper(int x) { return x * 3 + 1; }
int caller(int a, int b, int c) { int r = helper(a); return r + b * c + a; }
