#include <stddef.h>
typedef int cmp_t(const void *, const void *);
void gsort(double *a, size_t n, cmp_t *cmp) {
    for (size_t gap = n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && cmp(&a[j - gap], &a[j]) > 0; j -= gap) { double t = a[j]; a[j] = a[j - gap]; a[j - gap] = t; }
}
