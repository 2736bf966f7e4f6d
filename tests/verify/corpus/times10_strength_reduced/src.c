unsigned times10(unsigned x) { return x * 10; }
