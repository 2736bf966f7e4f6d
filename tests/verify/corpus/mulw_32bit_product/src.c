unsigned long mulw(unsigned a, unsigned b) { return (unsigned long)a * b; }
