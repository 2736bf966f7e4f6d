int mode(const unsigned char *a, int n) {
  int h[256] = {0};
  for (int i = 0; i < n; i++) h[a[i]]++;
  int b = 0;
  for (int i = 1; i < 256; i++) if (h[i] > h[b]) b = i;
  return b;
}
