int sw(int x, int y) {
  switch (x) {
  case 0: return y + 1;
  case 1: return y * 3;
  case 2: return y - 7;
  case 3: return y ^ 0x55;
  case 4: return y << 2;
  case 5: return y / 3;
  case 7: return -y;
  default: return 0;
  }
}
