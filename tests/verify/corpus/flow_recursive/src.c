unsigned sumdig(unsigned n) { return n < 10 ? n : n % 10 + sumdig(n / 10); }
