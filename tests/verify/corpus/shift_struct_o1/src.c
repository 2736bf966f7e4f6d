typedef struct { int x; double y; } pt;
struct seg { pt a, b; unsigned char tag[3]; _Bool on; float w[4]; };
double total(const pt *p, int n) { double s = 0; for (int i = 0; i < n; i++) s += p[i].x * p[i].y; return s; }
void shift(struct seg *s, int dx) { s->a.x += dx; s->b.x += dx; if (s->on) s->w[0] += 1.0f; s->tag[2] = 7; }
