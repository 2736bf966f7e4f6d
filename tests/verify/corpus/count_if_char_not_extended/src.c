int count_if(const signed char *s, int n, int (*pred)(signed char)) { int c = 0; for (int i = 0; i < n; i++) c += pred(s[i]) != 0; return c; }
