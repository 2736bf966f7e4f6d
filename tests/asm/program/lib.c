/* Functions whose assembly the replace tests swap around; main.c prints what they compute. */
#include <stdio.h>
#include <stdlib.h>

int classify(unsigned op)
{
    switch (op) {
    case 0: return 11; case 1: return 27; case 2: return 3; case 3: return 94;
    case 4: return 15; case 5: return 61; case 6: return 7; case 7: return 2;
    default: return -1;
    }
}

const char *op_name(unsigned op)
{
    switch (op) {
    case 0: return "add"; case 1: return "sub"; case 2: return "mul"; case 3: return "div";
    case 4: return "mod"; case 5: return "and"; case 6: return "or";
    default: return "unknown";
    }
}

static int g_reports;
__attribute__((cold, noinline)) void report(int x) { g_reports += x; }

int walk(const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) {
        if (a[i] == 12345) { report(i); report(i + 1); s -= 7; continue; }
        s += a[i] * 3;
    }
    return s + g_reports;
}

long interpret(const unsigned char *code, int n)
{
    static void *table[] = { &&op_inc, &&op_dec, &&op_dbl, &&op_end };
    long acc = 0;
    int pc = 0;
#define NEXT do { if (pc >= n) return acc; goto *table[code[pc++] & 3]; } while (0)
    NEXT;
op_inc:
    acc++;
    NEXT;
op_dec:
    acc--;
    NEXT;
op_dbl:
    acc *= 2;
    NEXT;
op_end:
    return acc;
#undef NEXT
}

double poly(double x) { return 3.25 * x * x - 1.5 * x + 0.125; }

static double shared_k(double x) { return x * 2.718281828459045 + 1.4142135623730951; }
double use_k1(double x) { return shared_k(x) + 2.718281828459045; }
double use_k2(double x) { return shared_k(x) - 2.718281828459045; }

int add3(int x) { return x + 3; }
int sub3(int x) { return x - 3; }

__attribute__((noinline)) static int twice(int x) { return 2 * x + (x > 100); }
int use_twice(int x) { return twice(x) + twice(x + 1); }

int checked_div(int a, int b)
{
    if (__builtin_expect(b == 0, 0)) {
        fprintf(stderr, "division by zero in %s\n", __func__);
        abort();
    }
    return a / b;
}
