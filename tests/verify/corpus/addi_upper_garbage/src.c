long addi(int a, long b) { return a + b; }
