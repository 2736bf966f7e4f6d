/* C whose gcc output stresses flow.py: every function here, at every optimization level the
 * test uses, must pass static.flow and static.stack (gcc's own code is never rejected).
 * Switches of every shape, recursion, callbacks, alloca and VLAs, long functions, varargs,
 * struct returns, cold paths to noreturn functions, computed goto, over-aligned locals,
 * __builtin_unreachable. */
#include <alloca.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

extern int sink(int);
extern void take(void *, long);
extern long (*hook)(long);

int dense(int x, int y)
{
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

int sparse(long x)
{
    switch (x) {
    case -5: return 1;
    case 100: return 2;
    case 1000: return 3;
    case 100000: return 4;
    case 1L << 40: return 5;
    default: return sink((int)x);
    }
}

int chars(const char *s)
{
    int n = 0;
    for (; *s; s++) {
        switch (*s) {
        case 'a': case 'e': case 'i': case 'o': case 'u': n += 1; break;
        case '0' ... '9': n += 2; break;
        case ' ': n = sink(n); break;
        case '\n': return n;
        case 'z': n *= 3; /* fall through */
        case 'y': n -= 1; break;
        }
    }
    return n;
}

enum op { ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, SHL, SHR, NEG, NOT, INC, DEC, HALT };

long run_vm(const unsigned char *code, long acc, long arg)
{
    for (int pc = 0;; pc++) {
        switch ((enum op)code[pc]) {
        case ADD: acc += arg; break;
        case SUB: acc -= arg; break;
        case MUL: acc *= arg; break;
        case DIV: acc = arg ? acc / arg : 0; break;
        case MOD: acc = arg ? acc % arg : 0; break;
        case AND: acc &= arg; break;
        case OR: acc |= arg; break;
        case XOR: acc ^= arg; break;
        case SHL: acc <<= (arg & 63); break;
        case SHR: acc >>= (arg & 63); break;
        case NEG: acc = -acc; break;
        case NOT: acc = ~acc; break;
        case INC: acc++; break;
        case DEC: acc--; break;
        case HALT: return acc;
        default: return -1;
        }
    }
}

int big_switch(unsigned x)
{
    switch (x % 64) {
#define C(n) case n: return sink(n * 7 + 1);
        C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15)
        C(16) C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29)
        C(30) C(31) C(32) C(33) C(34) C(35) C(36) C(37) C(38) C(39) C(40) C(41) C(42) C(43)
#undef C
    }
    return -1;
}

int nested_switch(int a, int b)
{
    switch (a) {
    case 0: switch (b) { case 0: return 1; case 1: return 2; case 2: return 3; case 3: return 9; default: return 4; }
    case 1: switch (b) { case 5: return 5; case 6: return 6; case 7: return 7; case 8: return 8; default: return 0; }
    case 2: return b * 2;
    case 3: return b * 3;
    case 4: return sink(b);
    }
    return -a;
}

unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int is_even(unsigned n);
int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }

long ack(long m, long n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
void sort_ints(int *a, size_t n) { qsort(a, n, sizeof *a, cmp_int); }

long map_reduce(long (*f)(long), long (*g)(long, long), const long *a, int n)
{
    long acc = 0;
    for (int i = 0; i < n; i++) acc = g(acc, f(a[i]));
    return acc;
}

long call_tail(long (*f)(long), long x) { return f(x * 2); }
long call_hook(long x) { return hook ? hook(x) : x; }

static long twice_l(long x) { return 2 * x; }
static long thrice_l(long x) { return 3 * x; }
long table_call(int i, long x) { static long (*const t[2])(long) = { twice_l, thrice_l }; return t[i & 1](x) + 1; }

int vla_sum(int n)
{
    int v[n];
    for (int i = 0; i < n; i++) v[i] = sink(i);
    int s = 0;
    for (int i = 0; i < n; i++) s += v[i] * v[n - 1 - i];
    return s;
}

int vla_scope(int n, int k)
{
    int s = 0;
    for (int j = 0; j < k; j++) {
        char buf[n + j];
        memset(buf, j, sizeof buf);
        take(buf, (long)sizeof buf);
        s += buf[0];
    }
    return s;
}

long alloca_branch(int n, int c)
{
    char *p = c ? alloca((size_t)n) : NULL;
    if (p) { memset(p, 1, (size_t)n); take(p, n); }
    return sink(n) + (p != NULL);
}

int local_array(const unsigned char *s, int n)
{
    int hist[256] = {0};
    for (int i = 0; i < n; i++) hist[s[i]]++;
    int best = 0;
    for (int i = 1; i < 256; i++) if (hist[i] > hist[best]) best = i;
    return best;
}

long big_frame(int i)
{
    long a[5000];
    for (int k = 0; k < 5000; k++) a[k] = k * i;
    take(a, sizeof a);
    return a[(unsigned)i % 5000];
}

int varsum(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap);
    return s;
}

double vardsum(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, double);
    va_end(ap);
    return s;
}

struct big { long a[8]; };
struct big make_big(long x) { struct big b; for (int i = 0; i < 8; i++) b.a[i] = x + i; return b; }
long use_big(long x) { struct big b = make_big(x); return b.a[3] + b.a[7]; }

static __attribute__((noinline, noreturn)) void die(int code) { sink(code); abort(); }
int checked(int a, int b)
{
    if (__builtin_expect(b == 0, 0)) die(a);
    if (a < 0) abort();
    return a / b;
}

int cold_path(const int *p, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) {
        if (__builtin_expect(p[i] < 0, 0)) s += sink(p[i]);
        else s += p[i];
    }
    return s;
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

typedef float v8f __attribute__((vector_size(32)));
float aligned_locals(const float *x, int n)
{
    v8f acc[4] __attribute__((aligned(32))) = {{0}};
    for (int i = 0; i + 8 <= n; i += 8) {
        v8f v;
        memcpy(&v, x + i, sizeof v);
        acc[(i / 8) & 3] += v;
    }
    take(acc, sizeof acc);
    float s = 0;
    for (int k = 0; k < 4; k++) for (int j = 0; j < 8; j++) s += acc[k][j];
    return s;
}

int long_function(int *st, int n)
{
    int a = 0, b = 1, c = 2, d = 3, e = 4, f = 5, g = 6, h = 7;
    for (int i = 0; i < n; i++) {
        int t = st[i];
        if (t & 1) a += b * c; else b ^= a + d;
        if (t & 2) c -= d << 1; else d += e >> 2;
        if (t & 4) e *= f | 1; else f -= g;
        if (t & 8) g += h; else h ^= a;
        if (t & 16) a = sink(a + b); else b = (b * 31) ^ c;
        if (t & 32) { int u = a; a = h; h = u; }
        if (t & 64) { st[i] = a + b + c + d; } else { st[i] = e - f + g - h; }
        switch (t >> 7 & 7) {
        case 0: a++; break;
        case 1: b--; break;
        case 2: c += 3; break;
        case 3: d -= 5; break;
        case 4: e ^= 7; break;
        case 5: f <<= 1; break;
        default: g = sink(g); break;
        }
    }
    return a + b + c + d + e + f + g + h;
}

/* default: __builtin_unreachable(): gcc drops the bounds check before the jump table */
int unreachable_default(int x, int y)
{
    switch (x) {
    case 0: return y + 1;
    case 1: return y * 3;
    case 2: return y - 7;
    case 3: return y ^ 0x55;
    case 4: return y << 2;
    case 5: return y / 3;
    default: __builtin_unreachable();
    }
}

void unreachable_end(int x) { if (x) __builtin_unreachable(); }
