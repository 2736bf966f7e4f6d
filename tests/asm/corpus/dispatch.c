/* Switch tables, cold parts, string literals, computed goto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int classify(int op)
{
    switch (op) {
    case 0: return 11;
    case 1: return 27;
    case 2: return 3;
    case 3: return 94;
    case 4: return 15;
    case 5: return 61;
    case 6: return 7;
    case 7: return 2;
    default: return -1;
    }
}

const char *op_name(unsigned op)
{
    switch (op) {
    case 0: return "add";
    case 1: return "sub";
    case 2: return "mul";
    case 3: return "div";
    case 4: return "mod";
    case 5: return "and";
    case 6: return "or";
    default: return "unknown";
    }
}

int checked_div(int a, int b)
{
    if (__builtin_expect(b == 0, 0)) {
        fprintf(stderr, "division by zero in %s\n", __func__);
        abort();
    }
    return a / b;
}

int must_positive(int x)
{
    if (x <= 0)
        __builtin_unreachable();
    return x * 3 + 1;
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

int lookup_word(const char *w)
{
    if (strcmp(w, "add") == 0) return 1;
    if (strcmp(w, "unknown") == 0) return -1;
    if (strcmp(w, "mul") == 0) return 3;
    return 0;
}

int main(int argc, char **argv)
{
    int s = 0;
    for (int i = 0; i < argc + 8; i++)
        s += classify(i) + (int)strlen(op_name((unsigned)i));
    unsigned char prog[] = { 0, 0, 2, 1, 2, 3 };
    s += (int)interpret(prog, 6);
    s += checked_div(s, argc) + must_positive(argc) + lookup_word(argv[0]);
    printf("%d\n", s);
    return 0;
}
