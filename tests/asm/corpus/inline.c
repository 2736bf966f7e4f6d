/* Inline assembly (with its own section switches), top-level asm, alloca-free VLAs, recursion
   through function pointers. */
#include <string.h>

__asm__(".text\n\t.globl\ttoplevel_asm\n\t.type\ttoplevel_asm, @function\ntoplevel_asm:\n\tret\n"
        "\t.size\ttoplevel_asm, .-toplevel_asm\n");

int with_note(int x)
{
    int y;
    __asm__("leal 1(%1), %0\n\t.pushsection .rodata.llmcc_note,\"a\"\n\t.byte 7\n\t.popsection"
            : "=r"(y) : "r"(x));
    return y * 2;
}

int barrier_sum(const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) {
        s += a[i];
        __asm__ volatile("" ::: "memory");
    }
    return s;
}

int vla_sum(int n)
{
    int v[n > 0 ? n : 1];
    for (int i = 0; i < n; i++)
        v[i] = i * i;
    int s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

typedef int (*op_fn)(int);
static int inc(int x) { return x + 1; }
static int dec(int x) { return x - 1; }
static const op_fn ops[2] = { inc, dec };
int apply(int which, int x) { return ops[which & 1](x); }

size_t copy_name(char *dst, const char *src)
{
    size_t n = strlen(src);
    memcpy(dst, src, n + 1);
    return n;
}
