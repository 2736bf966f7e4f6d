int mix(const int *a, const int *b, int *out, int n) {
  int s = 0;
  for (int i = 0; i < n; i++) {
    int v = a[i] * 7 + (b[i] >> 2);
    out[i] = v > 1000 ? v - 1000 : v;
    s += out[i];
  }
  return s;
}
