unsigned fact(unsigned n) { unsigned r = 1; while (n > 1) r *= n--; return r; }
