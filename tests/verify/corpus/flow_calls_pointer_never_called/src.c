int first(const int *p, int x) { return p[0] + x; }
