#include "kernels.h"

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

size_t count_words(const char *s, size_t len)
{
    size_t words = 0;
    int in_word = 0;
    for (size_t i = 0; i < len; i++) {
        if (is_space(s[i])) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    return words;
}

/* naive search, overlapping matches counted */
size_t count_substr(const char *hay, size_t len, const char *needle, size_t nlen)
{
    if (nlen == 0 || nlen > len)
        return 0;
    size_t count = 0;
    for (size_t i = 0; i + nlen <= len; i++) {
        size_t k = 0;
        while (k < nlen && hay[i + k] == needle[k])
            k++;
        count += (k == nlen);
    }
    return count;
}
