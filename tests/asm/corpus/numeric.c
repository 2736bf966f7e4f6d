/* Floating and vector constants, static inline helpers, variadic functions, alloca. */
#include <alloca.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

typedef float v4sf __attribute__((vector_size(16)));
typedef int v8si __attribute__((vector_size(32)));

static inline double sq(double x) { return x * x; }

double poly(double x)
{
    return 3.25 * sq(x) * x - 1.5 * sq(x) + 0.125 * x + 7.0;
}

float polyf(float x)
{
    return 2.5f * x * x + 0.1f;
}

double norm(const double *v, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += sq(v[i]);
    return sqrt(s);
}

v4sf scale4(v4sf a)
{
    const v4sf k = { 1.0f, 2.0f, 3.0f, 4.0f };
    return a * k + (v4sf){ 0.5f, 0.5f, 0.5f, 0.5f };
}

v8si add8(v8si a)
{
    return a + (v8si){ 1, 2, 3, 4, 5, 6, 7, 8 };
}

void saxpy(float *restrict y, const float *restrict x, float a, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = a * x[i] + y[i];
}

int sum_ints(int count, ...)
{
    va_list ap;
    int s = 0;
    va_start(ap, count);
    for (int i = 0; i < count; i++)
        s += va_arg(ap, int);
    va_end(ap);
    return s;
}

double mean_doubles(int count, ...)
{
    va_list ap;
    double s = 0;
    va_start(ap, count);
    for (int i = 0; i < count; i++)
        s += va_arg(ap, double);
    va_end(ap);
    return count ? s / count : 0.0;
}

int reverse_sum(const int *a, int n)
{
    int *tmp = alloca(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        tmp[n - 1 - i] = a[i] * (i + 1);
    int s = 0;
    for (int i = 0; i < n; i++)
        s += tmp[i] * (i & 1 ? -1 : 1);
    return s;
}

long double ld_scale(long double x)
{
    return x * 1.000000000000000000001L;
}

static double shared_k(double x) { return x * 2.718281828459045 + 1.4142135623730951; }
double use_k1(double x) { return shared_k(x) + 2.718281828459045; }
double use_k2(double x) { return shared_k(x) - 2.718281828459045; }
