#include <string.h>
long interp(const unsigned char *code, long n, long acc) {
  static void *const ops[4] = { &&add, &&sub, &&dbl, &&neg };
  long i = 0;
  if (n <= 0) return acc;
  goto *ops[code[i++] & 3];
add: acc += 3; if (i >= n) return acc; goto *ops[code[i++] & 3];
sub: acc -= (long)strnlen((const char *)code + i - 1, n - i + 1) & 7; if (i >= n) return acc; goto *ops[code[i++] & 3];
dbl: acc *= 2; if (i >= n) return acc; goto *ops[code[i++] & 3];
neg: acc = -acc; if (i >= n) return acc; goto *ops[code[i++] & 3];
}
