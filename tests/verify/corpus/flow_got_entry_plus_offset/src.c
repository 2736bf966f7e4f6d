#include <string.h>
int applyf(int (*fn)(int), const char *s) { return fn((int)strlen(s)); }
