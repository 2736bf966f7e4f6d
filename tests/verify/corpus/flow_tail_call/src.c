#include <string.h>
size_t tl(const char *s) { return s[0] ? strlen(s) : 0; }
