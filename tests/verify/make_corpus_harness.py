"""Corpus cases for what the differential-test harness models beyond values: memory declared const
(mapped read-only during the call), memory the original only reads, NULL pointers, lengths at the
limits of their C types (lazily committed buffers), and function-pointer parameters (callbacks
that check the ABI and record their calls). make_corpus.py adds them with add(case, hand, gcc_text).

Each wrong rewrite here is wrong in a way only a running harness sees: right on every small input,
or ABI-legal in every instruction a static rule can check.
"""

import re

# ---------------------------------------------------------------- sources
FIND = "int find(const int *a, int n, int key) { for (int i = 0; i < n; i++) if (a[i] == key) return i; return -1; }\n"
FINDM = "int findm(int *a, int n, int key) { for (int i = 0; i < n; i++) if (a[i] == key) return i; return -1; }\n"
SET = """struct set { unsigned n; int v[16]; };
int set_find(const struct set *s, int key) { unsigned n = s->n & 15; for (unsigned i = 0; i < n; i++) if (s->v[i] == key) return (int)i; return -1; }
"""
BS = "int bs(const int *a, int n, int key) { int lo = 0, hi = n; while (lo < hi) { int mid = lo + (hi - lo) / 2; if (a[mid] < key) lo = mid + 1; else hi = mid; } return lo; }\n"
BS_SUM = BS.replace("lo + (hi - lo) / 2", "(lo + hi) / 2")  # the classic bug, as C
LBU = "unsigned lbu(const int *a, unsigned n, int key) { unsigned lo = 0, hi = n; while (lo < hi) { unsigned mid = lo + (hi - lo) / 2; if (a[mid] < key) lo = mid + 1; else hi = mid; } return lo; }\n"
SAMPLE = "long sample(const int *a, long n, int k) { if (k <= 0) return 0; long step = n / k, s = 0; for (int i = 0; i < k; i++) s += a[i * step]; return s; }\n"
TOTAL = "long total(const int *a, int n) { if (!a) return -1; long s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }\n"
ISORT = "void isort(int *a, int n, int (*cmp)(int, int)) { for (int i = 1; i < n; i++) { int k = a[i], j = i; while (j > 0 && cmp(a[j-1], k) > 0) { a[j] = a[j-1]; j--; } a[j] = k; } }\n"
MAPSUM = "long map_sum(const int *a, int n, long (*f)(int)) { long s = 0; for (int i = 0; i < n; i++) s += f(a[i]); return s; }\n"
COUNTIF = "int count_if(const signed char *s, int n, int (*pred)(signed char)) { int c = 0; for (int i = 0; i < n; i++) c += pred(s[i]) != 0; return c; }\n"
LOOKUP = "int table[64];\nint lookup(int i) { return table[i & 63] * 3; }\n"
GSORT = """#include <stddef.h>
typedef int cmp_t(const void *, const void *);
void gsort(double *a, size_t n, cmp_t *cmp) {
    for (size_t gap = n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && cmp(&a[j - gap], &a[j]) > 0; j -= gap) { double t = a[j]; a[j] = a[j - gap]; a[j - gap] = t; }
}
"""


def add(case, hand, gcc_text):
    # ------------------------------------------------------------ wrong: memory it may not write
    # A sentinel search: the key is written over the last element so the loop needs no bounds
    # check, and the element is put back before returning. Right on writable memory, but the
    # prototype promises not to write a (it may be read-only, or read by another thread).
    sentinel = """
	testl	%esi, %esi
	jle	.L5
	movslq	%esi, %rsi
	leaq	-4(%rdi,%rsi,4), %r8
	movl	(%r8), %r9d
	movl	%edx, (%r8)
	xorl	%eax, %eax
.L4:
	cmpl	%edx, (%rdi,%rax,4)
	je	.L3
	addq	$1, %rax
	jmp	.L4
.L3:
	movl	%r9d, (%r8)
	leaq	-1(%rsi), %rcx
	cmpq	%rcx, %rax
	jl	.L6
	cmpl	%edx, %r9d
	jne	.L5
.L6:
	ret
.L5:
	movl	$-1, %eax
	ret"""
    case(
        "find_const_sentinel_restored",
        FIND,
        "find",
        hand("find", sentinel),
        "reject",
        "difftest",
        "sentinel search: writes the key over a[n-1] of a const array and restores it before returning",
    )
    case(
        "findm_sentinel_restored",
        FINDM,
        "findm",
        hand("findm", sentinel),
        "reject",
        "difftest",
        "the same sentinel on a non-const array the original only reads: an invented (if undone) store",
    )
    case(
        "set_find_const_struct_sentinel",
        SET,
        "set_find",
        hand(
            "set_find",
            """
	movl	(%rdi), %ecx
	andl	$15, %ecx
	je	.L30
	leaq	(%rdi,%rcx,4), %r8
	movl	(%r8), %r9d
	movl	%esi, (%r8)
	xorl	%eax, %eax
.L2:
	cmpl	%esi, 4(%rdi,%rax,4)
	je	.L3
	addq	$1, %rax
	jmp	.L2
.L3:
	movl	%r9d, (%r8)
	leal	-1(%rcx), %edx
	cmpl	%edx, %eax
	jb	.L1
	cmpl	%esi, %r9d
	jne	.L30
.L1:
	ret
.L30:
	movl	$-1, %eax
	ret""",
        ),
        "reject",
        "difftest",
        "sentinel in a member array of a const struct, restored before returning",
    )

    case(
        "lookup_global_scratch_restored",
        LOOKUP,
        "lookup",
        hand(
            "lookup",
            """
	andl	$63, %edi
	leaq	table(%rip), %rdx
	movl	(%rdx,%rdi,4), %eax
	leal	(%rax,%rax,2), %ecx
	movl	%ecx, (%rdx,%rdi,4)
	movl	%eax, (%rdx,%rdi,4)
	movl	%ecx, %eax
	ret""",
        ),
        "reject",
        "difftest",
        "uses an element of a global table it only reads as scratch, and restores it",
    )

    # ------------------------------------------------------------ wrong: only for huge lengths
    case(
        "bs_midpoint_overflow",
        BS,
        "bs",
        gcc_text(BS_SUM, "bs"),
        "reject",
        "difftest",
        "(lo + hi) / 2 in 32 bits: lo + hi overflows only for lengths above 2^30",
    )
    lbu = gcc_text(LBU, "lbu")
    lbu_signed, k = re.subn(r"\tjb\t", "\tjl\t", lbu)
    assert k == 1
    case(
        "lbu_signed_compare",
        LBU,
        "lbu",
        lbu_signed,
        "reject",
        "difftest",
        "compares the unsigned bounds as signed: a length of 2^31 or more reads as negative",
    )
    case(
        "sample_32bit_index",
        SAMPLE,
        "sample",
        hand(
            "sample",
            """
	xorl	%ecx, %ecx
	testl	%edx, %edx
	jle	.L1
	movq	%rsi, %rax
	movl	%edx, %r8d
	movslq	%edx, %rsi
	cqto
	idivq	%rsi
	xorl	%r9d, %r9d
.L3:
	movl	%r9d, %r10d
	imull	%eax, %r10d
	movslq	%r10d, %r10
	movslq	(%rdi,%r10,4), %rsi
	addq	%rsi, %rcx
	addl	$1, %r9d
	cmpl	%r9d, %r8d
	jne	.L3
.L1:
	movq	%rcx, %rax
	ret""",
        ),
        "reject",
        "difftest",
        "i * step multiplied in 32 bits: the index overflows only when the length exceeds 2^31",
    )

    # ------------------------------------------------------------ wrong: NULL
    total = gcc_text(TOTAL, "total")
    no_null, k = re.subn(r"\ttestq\t%rdi, %rdi\n\tje\t\.L\d+\n", "", total)
    assert k == 1
    case("total_drops_null_check", TOTAL, "total", no_null, "reject", "difftest", "drops the original's NULL check")

    # ------------------------------------------------------------ wrong: callbacks
    isort = gcc_text(ISORT, "isort")
    old = "\tmovl\t-4(%r15), %edi\n\tmovq\t%r15, %rbx\n\tmovl\t%ebp, %esi\n\tcall\t*%r13\n\ttestl\t%eax, %eax\n\tjg\t"
    assert isort.count(old) == 1
    swapped = isort.replace(
        old,
        "\tmovl\t-4(%r15), %esi\n\tmovq\t%r15, %rbx\n\tmovl\t%ebp, %edi\n\tcall\t*%r13\n\ttestl\t%eax, %eax\n\tjs\t",
    )
    case(
        "isort_comparator_swapped",
        ISORT,
        "isort",
        swapped,
        "reject",
        "difftest",
        "cmp(k, a[j-1]) < 0 for cmp(a[j-1], k) > 0: the same order for an antisymmetric comparator, different calls",
    )
    case(
        "map_sum_cached_callback",
        MAPSUM,
        "map_sum",
        hand(
            "map_sum",
            """
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%rbp
	pushq	%rbx
	subq	$8, %rsp
	xorl	%ebp, %ebp
	testl	%esi, %esi
	jle	.L4
	movslq	%esi, %rsi
	movq	%rdx, %r12
	movq	%rdi, %rbx
	leaq	(%rdi,%rsi,4), %r13
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
.L3:
	movl	(%rbx), %edi
	testl	%r14d, %r14d
	je	.L5
	cmpl	-4(%rbx), %edi
	je	.L6
.L5:
	call	*%r12
	movq	%rax, %r15
	movl	$1, %r14d
.L6:
	addq	%r15, %rbp
	addq	$4, %rbx
	cmpq	%r13, %rbx
	jne	.L3
.L4:
	movq	%rbp, %rax
	addq	$8, %rsp
	popq	%rbx
	popq	%rbp
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	ret""",
        ),
        "reject",
        "difftest",
        "reuses f's result when a[i] == a[i-1], assuming f is pure: fewer calls",
    )
    case(
        "map_sum_stack_misaligned_by_length",
        MAPSUM,
        "map_sum",
        hand(
            "map_sum",
            """
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%rbx
	subq	$8, %rsp
	xorl	%r13d, %r13d
	testl	%esi, %esi
	jle	.L4
	movq	%rdx, %r12
	movslq	%esi, %r14
	leaq	7(,%r14,4), %rax
	andq	$-8, %rax
	subq	%rax, %rsp
	xorl	%eax, %eax
.L2:
	movl	(%rdi,%rax,4), %edx
	movl	%edx, (%rsp,%rax,4)
	addq	$1, %rax
	cmpq	%r14, %rax
	jne	.L2
	xorl	%ebx, %ebx
.L3:
	movl	(%rsp,%rbx,4), %edi
	call	*%r12
	addq	%rax, %r13
	addq	$1, %rbx
	cmpq	%r14, %rbx
	jne	.L3
.L4:
	movq	%r13, %rax
	leaq	-40(%rbp), %rsp
	popq	%rbx
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	popq	%rbp
	ret""",
        ),
        "reject",
        "static.stack",
        "copies a to a stack array of n ints rounded to 8 bytes, not 16: the calls are misaligned when n % 4 is 1 or 2",
    )
    case(
        "map_sum_sum_below_rsp",
        MAPSUM,
        "map_sum",
        hand(
            "map_sum",
            """
	pushq	%r13
	pushq	%r12
	pushq	%rbp
	pushq	%rbx
	subq	$8, %rsp
	leaq	-8(%rsp), %rbp
	andq	$-64, %rbp
	movq	$0, (%rbp)
	testl	%esi, %esi
	jle	.L4
	movslq	%esi, %rsi
	movq	%rdx, %r12
	movq	%rdi, %rbx
	leaq	(%rdi,%rsi,4), %r13
.L3:
	movl	(%rbx), %edi
	addq	$4, %rbx
	call	*%r12
	addq	%rax, (%rbp)
	cmpq	%r13, %rbx
	jne	.L3
.L4:
	movq	(%rbp), %rax
	addq	$8, %rsp
	popq	%rbx
	popq	%rbp
	popq	%r12
	popq	%r13
	ret""",
        ),
        "reject",
        "static.stack",
        "keeps the sum in a cache-line aligned slot below rsp, reached through rbp: the callee owns that memory",
    )
    countif = gcc_text(COUNTIF, "count_if")
    assert countif.count("\tmovsbl\t(%rbx), %edi\n") == 1
    case(
        "count_if_char_not_extended",
        COUNTIF,
        "count_if",
        countif.replace("\tmovsbl\t(%rbx), %edi\n", "\tmovzbl\t(%rbx), %edi\n"),
        "reject",
        "difftest",
        "passes the signed char zero-extended: its low byte is right, but callees rely on sign extension to 32 bits",
    )

    # ------------------------------------------------------------ correct
    case(
        "isort_comparator_o2",
        ISORT,
        "isort",
        gcc_text(ISORT, "isort", ("-O2",)),
        "accept",
        "coverage",
        "gcc -O2 of an insertion sort with a comparator",
    )
    case(
        "gsort_comparator_o1",
        GSORT,
        "gsort",
        gcc_text(GSORT, "gsort", ("-O1",)),
        "accept",
        "coverage",
        "gcc -O1 of a shell sort through a typedef'd comparator on pointers to the elements",
    )
    case(
        "map_sum_o1",
        MAPSUM,
        "map_sum",
        gcc_text(MAPSUM, "map_sum", ("-O1",)),
        "accept",
        "coverage",
        "gcc -O1 of a map-and-sum through a callback",
    )
    case(
        "bs_unsigned_sum_shift",
        BS,
        "bs",
        hand(
            "bs",
            """
	xorl	%ecx, %ecx
	jmp	.L3
.L4:
	leal	(%rsi,%rcx), %eax
	shrl	%eax
	movl	%eax, %r8d
	cmpl	%edx, (%rdi,%r8,4)
	jl	.L7
	movl	%eax, %esi
.L3:
	cmpl	%esi, %ecx
	jl	.L4
	movl	%ecx, %eax
	ret
.L7:
	leal	1(%rax), %ecx
	jmp	.L3""",
        ),
        "accept",
        "coverage",
        "(lo + hi) >> 1 unsigned: lo + hi < 2^32 for int indices, so it is lo + (hi - lo) / 2 (tested up to n = 2^31-1)",
    )
    case(
        "set_find_const_struct_o1",
        SET,
        "set_find",
        gcc_text(SET, "set_find", ("-O1",)),
        "accept",
        "coverage",
        "gcc -O1 on a const struct pointer: reads only",
    )
    case(
        "sample_o1",
        SAMPLE,
        "sample",
        gcc_text(SAMPLE, "sample", ("-O1",)),
        "accept",
        "coverage",
        "gcc -O1: 64-bit index arithmetic (tested with lengths beyond 2^32)",
    )
