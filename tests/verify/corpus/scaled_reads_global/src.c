int scale = 3;
int scaled(int x) { return x * scale; }
