struct set { unsigned n; int v[16]; };
int set_find(const struct set *s, int key) { unsigned n = s->n & 15; for (unsigned i = 0; i < n; i++) if (s->v[i] == key) return (int)i; return -1; }
