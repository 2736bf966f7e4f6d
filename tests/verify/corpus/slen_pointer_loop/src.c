#include <stddef.h>
size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
