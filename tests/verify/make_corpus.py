"""How tests/verify/corpus was made: each case is a real function (C source), and a candidate
written by hand or by editing gcc's output, with the verdict and the deciding check expected.

    .venv/bin/python tests/verify/make_corpus.py     rewrites tests/verify/corpus/ from this file

Not a test itself: test_verify_corpus.py runs the committed cases.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
from gcc_wrapper.compile import asm

OUT = str(Path(__file__).resolve().parent / "corpus")


def gcc_text(src, fn, flags=("-O3",)):
    r = subprocess.run(
        ["gcc", *flags, "-S", "-x", "c", "-o", "-", "-"], input=src, capture_output=True, text=True, check=True
    )
    return asm.parse(r.stdout).functions[fn].text()


def hand(fn, body, glob=True):
    """Standalone function assembly in gcc's layout; constants (after a .section line) go first."""
    g = f"\t.globl\t{fn}\n" if glob else ""
    code, _, data = body.strip().partition("\t.section")
    data = f"\t.section{data}\n" if data else ""
    return f"{data}\t.text\n\t.p2align 4\n{g}\t.type\t{fn}, @function\n{fn}:\n{code.rstrip()}\n\t.size\t{fn}, .-{fn}\n"


CASES = []


def case(name, src, fn, cand, verdict, check, note):
    CASES.append((name, src, fn, cand, verdict, check, note))


SUM = "int sum(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }\n"
SUML = "long suml(const long *a, int n) { long s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }\n"
VADD = "void vadd(int *dst, const int *b, int n) { for (int i = 0; i < n; i++) dst[i] += b[i]; }\n"
DSUM = "double dsum(const double *a, int n) { double s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }\n"
DMAX = "double dmax(double a, double b) { return a > b ? a : b; }\n"
DABS = "#include <math.h>\ndouble dabs(double x) { return fabs(x); }\n"
WIDEN = "long widen(int x) { return (long)x * 3; }\n"
MULW = "unsigned long mulw(unsigned a, unsigned b) { return (unsigned long)a * b; }\n"
ADDI = "long addi(int a, long b) { return a + b; }\n"
FIB = (
    "unsigned fib(unsigned n) { unsigned a = 0, b = 1; while (n--) { unsigned t = a + b; a = b; b = t; } return a; }\n"
)
POP = "unsigned pop(unsigned x) { unsigned c = 0; while (x) { c += x & 1; x >>= 1; } return c; }\n"
CLAMP = "int clamp(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }\n"
SLEN = "#include <stddef.h>\nsize_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }\n"
FILL = "void fill(int *a, int n, int v) { for (int i = 0; i < n; i++) a[i] = v; }\n"
SCALE = "int scale = 3;\nint scaled(int x) { return x * scale; }\n"
CNT = "long count_eq(const unsigned char *a, long n, int c) { long k = 0; for (long i = 0; i < n; i++) k += a[i] == (unsigned char)c; return k; }\n"
FACT = "unsigned fact(unsigned n) { unsigned r = 1; while (n > 1) r *= n--; return r; }\n"
SIGN = "int sign(int x) { return (x > 0) - (x < 0); }\n"
TEN = "unsigned times10(unsigned x) { return x * 10; }\n"
ABSD = "int absdiff(int a, int b) { return a > b ? a - b : b - a; }\n"
STRUCTS = """typedef struct { int x; double y; } pt;
struct seg { pt a, b; unsigned char tag[3]; _Bool on; float w[4]; };
double total(const pt *p, int n) { double s = 0; for (int i = 0; i < n; i++) s += p[i].x * p[i].y; return s; }
void shift(struct seg *s, int dx) { s->a.x += dx; s->b.x += dx; if (s->on) s->w[0] += 1.0f; s->tag[2] = 7; }
"""
IPA = "__attribute__((noinline)) int helper(int x) { return x * 3 + 1; }\nint caller(int a, int b, int c) { int r = helper(a); return r + b * c + a; }\n"
STAT = "static __attribute__((noinline)) int sq(int x) { return x * x; }\nint sumsq(int a, int b) { return sq(a) + sq(b); }\n"

# ---------------------------------------------------------------- wrong
base = gcc_text(SUM, "sum")
case(
    "sum_n_zero",
    SUM,
    "sum",
    hand(
        "sum",
        """
	xorl	%eax, %eax
	xorl	%ecx, %ecx
.L2:
	addl	(%rdi,%rcx,4), %eax
	addq	$1, %rcx
	cmpl	%ecx, %esi
	jg	.L2
	ret""",
    ),
    "reject",
    "difftest",
    "do-while loop: reads a[0] when n = 0",
)
case(
    "sum_unsigned_n",
    SUM,
    "sum",
    hand(
        "sum",
        """
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	testl	%esi, %esi
	je	.L3
.L2:
	addl	(%rdi,%rcx,4), %eax
	addq	$1, %rcx
	cmpl	%ecx, %esi
	ja	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    "compares n unsigned: a negative n runs off the buffer",
)
case(
    "sum_clobbers_rbx",
    SUM,
    "sum",
    hand(
        "sum",
        """
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%rbx,4), %eax
	addq	$1, %rbx
	cmpl	%ebx, %esi
	jg	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    "uses rbx (callee-saved) without saving it",
)
case(
    "sum_clobbers_r12",
    SUM,
    "sum",
    hand(
        "sum",
        """
	xorl	%eax, %eax
	xorl	%r12d, %r12d
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%r12,4), %eax
	addq	$1, %r12
	cmpl	%r12d, %esi
	jg	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    "uses r12 (callee-saved) without saving it",
)
case(
    "sum_clobbers_rbp_balanced_push",
    SUM,
    "sum",
    hand(
        "sum",
        """
	pushq	%rbp
	xorl	%eax, %eax
	xorl	%ebp, %ebp
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%rbp,4), %eax
	addq	$1, %rbp
	cmpl	%ebp, %esi
	jg	.L2
.L3:
	addq	$8, %rsp
	ret""",
    ),
    "reject",
    "difftest",
    "saves rbp but drops it instead of restoring it",
)
case(
    "sum_unbalanced_stack",
    SUM,
    "sum",
    hand(
        "sum",
        """
	pushq	%rdx
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%rcx,4), %eax
	addq	$1, %rcx
	cmpl	%ecx, %esi
	jg	.L2
.L3:
	ret""",
    ),
    "reject",
    "static.stack",
    "pushes without popping: returns to the wrong address",
)
case(
    "dsum_misaligned_stack",
    DSUM,
    "dsum",
    hand(
        "dsum",
        """
	subq	$16, %rsp
	pxor	%xmm0, %xmm0
	movaps	%xmm0, (%rsp)
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L3
.L2:
	addsd	(%rdi,%rax,8), %xmm0
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	addq	$16, %rsp
	ret""",
    ),
    "reject",
    "difftest",
    "movaps to a stack slot that is not 16-byte aligned",
)
case(
    "sum_below_red_zone",
    SUM,
    "sum",
    hand(
        "sum",
        """
	xorl	%eax, %eax
	movq	%rdi, -200(%rsp)
	testl	%esi, %esi
	jle	.L3
	xorl	%ecx, %ecx
.L2:
	addl	(%rdi,%rcx,4), %eax
	addq	$1, %rcx
	cmpl	%ecx, %esi
	jg	.L2
.L3:
	ret""",
    ),
    "reject",
    "static.stack",
    "stores below the 128-byte red zone without moving rsp",
)
SUML_VEC = """
	pxor	%xmm0, %xmm0
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L4
.L2:
	leal	1(%rax), %ecx
	cmpl	%esi, %ecx
	jl	.L5
	{TAIL}
	jmp	.L6
.L5:
	{LOAD}	(%rdi,%rax,8), %xmm1
.L6:
	paddq	%xmm1, %xmm0
	addq	$2, %rax
	cmpl	%eax, %esi
	jg	.L2
.L4:
	movdqa	%xmm0, %xmm1
	psrldq	$8, %xmm1
	paddq	%xmm1, %xmm0
	movq	%xmm0, %rax
	ret"""
case(
    "suml_vector_overread",
    SUML,
    "suml",
    hand(
        "suml",
        SUML_VEC.replace("{TAIL}", "movdqu	(%rdi,%rax,8), %xmm1\n\tmovq	%xmm1, %xmm1").replace(
            "{LOAD}", "movdqu"
        ),
    ),
    "reject",
    "difftest",
    "16-byte load for the last odd element reads 8 bytes past the end (result masked, so only the guard page sees it)",
)
case(
    "suml_aligned_loads",
    SUML,
    "suml",
    hand("suml", SUML_VEC.replace("{TAIL}", "movq	(%rdi,%rax,8), %xmm1").replace("{LOAD}", "movdqa")),
    "reject",
    "difftest",
    "movdqa on data that is only 8-byte aligned",
)
case(
    "fill_writes_past_end",
    FILL,
    "fill",
    hand(
        "fill",
        """
	testl	%esi, %esi
	jle	.L3
	xorl	%eax, %eax
.L2:
	movl	%edx, (%rdi,%rax,4)
	addq	$1, %rax
	cmpl	%eax, %esi
	jge	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    "off by one: writes a[n]",
)
vadd = gcc_text(VADD, "vadd")
vadd_noalias, k = re.subn(r"cmpq\t\$8, %rax\n\tja\t(\.L\d+)", r"jmp\t\1", vadd)
assert k == 1
case(
    "vadd_ignores_aliasing",
    VADD,
    "vadd",
    vadd_noalias,
    "reject",
    "difftest",
    "gcc's vector loop without its overlap check: wrong when dst and b overlap",
)
case(
    "dsum_reassociated",
    DSUM,
    "dsum",
    hand(
        "dsum",
        """
	pxor	%xmm0, %xmm0
	pxor	%xmm1, %xmm1
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L3
.L2:
	addsd	(%rdi,%rax,8), %xmm0
	addq	$1, %rax
	cmpl	%eax, %esi
	jle	.L3
	addsd	(%rdi,%rax,8), %xmm1
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	addsd	%xmm1, %xmm0
	ret""",
    ),
    "reject",
    "difftest",
    "two accumulators: floating-point addition reassociated",
)
case(
    "dmax_nan_zero_order",
    DMAX,
    "dmax",
    hand(
        "dmax",
        """
	maxsd	%xmm0, %xmm1
	movapd	%xmm1, %xmm0
	ret""",
    ),
    "reject",
    "difftest",
    "maxsd with operands swapped: differs on NaN and on -0.0 vs 0.0",
)
case(
    "dabs_negative_zero",
    DABS,
    "dabs",
    hand(
        "dabs",
        """
	pxor	%xmm1, %xmm1
	comisd	%xmm0, %xmm1
	jbe	.L2
	xorpd	.LC0(%rip), %xmm0
.L2:
	ret
	.section	.rodata.cst16,"aM",@progbits,16
	.p2align 4
.LC0:
	.long	0
	.long	-2147483648
	.long	0
	.long	0""",
    ),
    "reject",
    "difftest",
    "x < 0 ? -x : x keeps the sign of -0.0 and of negative NaNs",
)
case(
    "widen_32bit_multiply",
    WIDEN,
    "widen",
    hand(
        "widen",
        """
	leal	(%rdi,%rdi,2), %eax
	ret""",
    ),
    "reject",
    "difftest",
    "multiplies in 32 bits: no sign extension, overflow",
)
case(
    "mulw_32bit_product",
    MULW,
    "mulw",
    hand(
        "mulw",
        """
	movl	%edi, %eax
	imull	%esi, %eax
	ret""",
    ),
    "reject",
    "difftest",
    "32-bit product where the original widens to 64 bits",
)
case(
    "addi_upper_garbage",
    ADDI,
    "addi",
    hand(
        "addi",
        """
	leaq	(%rdi,%rsi), %rax
	ret""",
    ),
    "reject",
    "difftest",
    "uses all 64 bits of a 32-bit argument (its upper half is undefined)",
)
case(
    "scaled_writes_global",
    SCALE,
    "scaled",
    hand(
        "scaled",
        """
	movl	scale(%rip), %eax
	imull	%edi, %eax
	movl	%eax, scale(%rip)
	ret""",
    ),
    "reject",
    "difftest",
    "stores into the global it only reads",
)
case(
    "fib_hangs_on_zero",
    FIB,
    "fib",
    hand(
        "fib",
        """
	xorl	%eax, %eax
	movl	$1, %edx
.L2:
	leal	(%rax,%rdx), %ecx
	movl	%edx, %eax
	movl	%ecx, %edx
	subl	$1, %edi
	jne	.L2
	ret""",
    ),
    "reject",
    "difftest",
    "do-while with n-- : n = 0 loops 2^32 times",
)
case(
    "fact_hardcoded_small",
    FACT,
    "fact",
    hand(
        "fact",
        """
	cmpl	$5, %edi
	ja	.L2
	leaq	.LC0(%rip), %rax
	movl	(%rax,%rdi,4), %eax
	ret
.L2:
	xorl	%eax, %eax
	ret
	.section	.rodata
	.p2align 4
.LC0:
	.long	1, 1, 2, 6, 24, 120""",
    ),
    "reject",
    "difftest",
    "right for n <= 5, hard-coded; 0 for everything else",
)
case(
    "pop_syscall",
    POP,
    "pop",
    hand(
        "pop",
        """
	movl	$39, %eax
	syscall
	xorl	%eax, %eax
	ret""",
    ),
    "reject",
    "static.instructions",
    "a system call",
)
case(
    "pop_hidden_syscall_bytes",
    POP,
    "pop",
    hand(
        "pop",
        """
	xorl	%eax, %eax
	.byte	0x0f, 0x05
	ret""",
    ),
    "reject",
    "static.instructions",
    "a system call spelled as .byte",
)
case(
    "pop_int80",
    POP,
    "pop",
    hand(
        "pop",
        """
	xorl	%eax, %eax
	int	$0x80
	ret""",
    ),
    "reject",
    "static.instructions",
    "int $0x80",
)
case(
    "pop_rdtsc",
    POP,
    "pop",
    hand(
        "pop",
        """
	rdtsc
	ret""",
    ),
    "reject",
    "static.instructions",
    "rdtsc: nondeterministic",
)
case(
    "pop_popcnt_not_in_isa",
    POP,
    "pop",
    hand(
        "pop",
        """
	popcntl	%edi, %eax
	ret""",
    ),
    "reject",
    "static.assemble",
    "popcnt is outside baseline x86-64",
)
case(
    "sum_avx2_not_in_isa",
    SUM,
    "sum",
    hand(
        "sum",
        """
	vpxor	%ymm0, %ymm0, %ymm0
	xorl	%eax, %eax
	vzeroupper
	ret""",
    ),
    "reject",
    "static.assemble",
    "AVX2 instruction under baseline x86-64",
)
case(
    "clamp_calls_abs",
    CLAMP,
    "clamp",
    hand(
        "clamp",
        """
	subq	$8, %rsp
	call	abs@PLT
	addq	$8, %rsp
	ret""",
    ),
    "reject",
    "static.symbols",
    "calls a function the original never calls",
)
case(
    "clamp_exports_helper",
    CLAMP,
    "clamp",
    hand(
        "clamp",
        """
	cmpl	%esi, %edi
	cmovl	%esi, %edi
	cmpl	%edx, %edi
	cmovg	%edx, %edi
	movl	%edi, %eax
	ret""",
    )
    + "\t.globl\tclamp_helper\nclamp_helper:\n\tret\n",
    "reject",
    "static.symbols",
    "exports a second symbol",
)
case(
    "clamp_data_section",
    CLAMP,
    "clamp",
    hand(
        "clamp",
        """
	movl	%edi, cache(%rip)
	cmpl	%esi, %edi
	cmovl	%esi, %edi
	cmpl	%edx, %edi
	cmovg	%edx, %edi
	movl	%edi, %eax
	ret
	.data
cache:
	.long	0""",
    ),
    "reject",
    "static.directives",
    "adds writable state (.data)",
)
case(
    "clamp_writable_section",
    CLAMP,
    "clamp",
    hand(
        "clamp",
        """
	movl	%edi, %eax
	ret
	.section	.mystate,"aw",@progbits
	.long	0""",
    ),
    "reject",
    "static.directives",
    "a section declared writable",
)
case(
    "clamp_incbin",
    CLAMP,
    "clamp",
    hand(
        "clamp",
        """
	movl	%edi, %eax
	ret
	.section	.rodata
	.incbin	"/etc/passwd" """,
    ),
    "reject",
    "static.directives",
    ".incbin",
)
case(
    "clamp_unsigned_compare",
    CLAMP,
    "clamp",
    hand(
        "clamp",
        """
	cmpl	%esi, %edi
	cmovb	%esi, %edi
	cmpl	%edx, %edi
	cmova	%edx, %edi
	movl	%edi, %eax
	ret""",
    ),
    "reject",
    "difftest",
    "unsigned comparisons for signed ints",
)
case(
    "count_eq_signed_char",
    CNT,
    "count_eq",
    hand(
        "count_eq",
        """
	xorl	%eax, %eax
	testq	%rsi, %rsi
	jle	.L3
	xorl	%ecx, %ecx
.L2:
	movsbl	(%rdi,%rcx), %r8d
	cmpl	%edx, %r8d
	sete	%r8b
	movzbl	%r8b, %r8d
	addq	%r8, %rax
	addq	$1, %rcx
	cmpq	%rcx, %rsi
	jg	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    "sign-extends the bytes and compares c without truncating it",
)
case(
    "slen_direction_flag",
    SLEN,
    "slen",
    hand(
        "slen",
        """
	std
	xorl	%eax, %eax
	cmpb	$0, (%rdi)
	je	.L3
.L2:
	addq	$1, %rax
	cmpb	$0, (%rdi,%rax)
	jne	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    "leaves the direction flag set",
)
case(
    "dsum_changes_mxcsr",
    DSUM,
    "dsum",
    hand(
        "dsum",
        """
	subq	$8, %rsp
	stmxcsr	(%rsp)
	orl	$0x8000, (%rsp)
	ldmxcsr	(%rsp)
	addq	$8, %rsp
	pxor	%xmm0, %xmm0
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L3
.L2:
	addsd	(%rdi,%rax,8), %xmm0
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    "turns on flush-to-zero in MXCSR and leaves it on",
)
case(
    "slen_empty_string",
    SLEN,
    "slen",
    hand(
        "slen",
        """
	movl	$1, %eax
.L2:
	cmpb	$0, (%rdi,%rax)
	je	.L3
	addq	$1, %rax
	jmp	.L2
.L3:
	ret""",
    ),
    "reject",
    "difftest",
    'assumes a non-empty string (reads past the NUL of "")',
)
case(
    "sign_wrong_zero",
    SIGN,
    "sign",
    hand(
        "sign",
        """
	movl	%edi, %eax
	sarl	$31, %eax
	orl	$1, %eax
	ret""",
    ),
    "reject",
    "difftest",
    "returns 1 for 0",
)

case(
    "dmax_x87_not_popped",
    DMAX,
    "dmax",
    hand(
        "dmax",
        """
	movsd	%xmm0, -8(%rsp)
	fldl	-8(%rsp)
	maxsd	%xmm1, %xmm0
	ret""",
    ),
    "reject",
    "difftest",
    "loads onto the x87 stack and never pops: the caller's x87 code would overflow",
)
case(
    "dmax_mmx_without_emms",
    DMAX,
    "dmax",
    hand(
        "dmax",
        """
	movq	%xmm0, %rax
	movq	%rax, %mm0
	maxsd	%xmm1, %xmm0
	ret""",
    ),
    "reject",
    "difftest",
    "touches an MMX register and returns without emms",
)

shift_o1 = gcc_text(STRUCTS, "shift", ("-O1",))
assert shift_o1.count("movb\t$7, 34(%rdi)") == 1
case(
    "shift_struct_store_too_wide",
    STRUCTS,
    "shift",
    shift_o1.replace("movb\t$7, 34(%rdi)", "movw\t$7, 34(%rdi)"),
    "reject",
    "difftest",
    "a 16-bit store to a byte member clobbers the next member (the _Bool)",
)

case(
    "helper_clobbers_ipa_register",
    IPA,
    "helper",
    hand(
        "helper",
        """
	leal	1(%rdi,%rdi,2), %esi
	movl	%esi, %eax
	ret""",
    ),
    "reject",
    "static.ipa",
    "ABI-legal, but writes %rsi, which its caller in the unit keeps b in across the call (gcc -fipa-ra)",
)

case(
    "helper_aligned_stack_slot",
    IPA,
    "helper",
    hand(
        "helper",
        """
	subq	$24, %rsp
	pxor	%xmm0, %xmm0
	movaps	%xmm0, (%rsp)
	leal	1(%rdi,%rdi,2), %eax
	addq	$24, %rsp
	ret""",
    ),
    "reject",
    "static.ipa",
    "an aligned spill slot, but its caller in the unit calls it with an unaligned stack (gcc -fipa-stack-alignment)",
)

# ---------------------------------------------------------------- correct
case(
    "helper_same_registers",
    IPA,
    "helper",
    hand(
        "helper",
        """
	movl	%edi, %eax
	imull	$3, %eax, %eax
	addl	$1, %eax
	ret""",
    ),
    "accept",
    "coverage",
    "imul instead of lea, writing only %rax like the original",
)
case(
    "total_struct_array_o1",
    STRUCTS,
    "total",
    gcc_text(STRUCTS, "total", ("-O1",)),
    "accept",
    "coverage",
    "gcc -O1 on an array of structs",
)
case("shift_struct_o1", STRUCTS, "shift", shift_o1, "accept", "coverage", "gcc -O1 on nested struct members")
case(
    "suml_vectorized_unaligned",
    SUML,
    "suml",
    hand("suml", SUML_VEC.replace("{TAIL}", "movq	(%rdi,%rax,8), %xmm1").replace("{LOAD}", "movdqu")),
    "accept",
    "coverage",
    "two longs per iteration with movdqu, 8-byte load for the odd tail",
)
case(
    "sum_unrolled",
    SUM,
    "sum",
    gcc_text(SUM, "sum", ("-O3", "-funroll-loops")),
    "accept",
    "coverage",
    "gcc -O3 -funroll-loops",
)
case("sum_scalar_o1", SUM, "sum", gcc_text(SUM, "sum", ("-O1",)), "accept", "coverage", "gcc -O1: a plain loop")
case(
    "dsum_in_order_o2",
    DSUM,
    "dsum",
    gcc_text(DSUM, "dsum", ("-O2",)),
    "accept",
    "coverage",
    "gcc -O2: same order of additions",
)
case(
    "absdiff_branchless",
    ABSD,
    "absdiff",
    hand(
        "absdiff",
        """
	movl	%edi, %eax
	subl	%esi, %eax
	movl	%esi, %edx
	subl	%edi, %edx
	cmpl	%esi, %edi
	cmovle	%edx, %eax
	ret""",
    ),
    "accept",
    "coverage",
    "cmov instead of a branch",
)
case(
    "pop_table_driven",
    POP,
    "pop",
    hand(
        "pop",
        """
	leaq	.LC0(%rip), %rcx
	xorl	%eax, %eax
.L2:
	movl	%edi, %edx
	andl	$15, %edx
	movzbl	(%rcx,%rdx), %edx
	addl	%edx, %eax
	shrl	$4, %edi
	jne	.L2
	ret
	.section	.rodata
.LC0:
	.byte	0,1,1,2,1,2,2,3,1,2,2,3,2,3,3,4""",
    ),
    "accept",
    "coverage",
    "a 16-entry table per nibble",
)
case(
    "pop_swar",
    POP,
    "pop",
    hand(
        "pop",
        """
	movl	%edi, %eax
	shrl	%eax
	andl	$0x55555555, %eax
	subl	%eax, %edi
	movl	%edi, %eax
	shrl	$2, %edi
	andl	$0x33333333, %eax
	andl	$0x33333333, %edi
	addl	%edi, %eax
	movl	%eax, %edx
	shrl	$4, %edx
	addl	%edx, %eax
	andl	$0x0f0f0f0f, %eax
	imull	$0x01010101, %eax, %eax
	shrl	$24, %eax
	ret""",
    ),
    "accept",
    "coverage",
    "branchless bit-twiddling popcount",
)
case(
    "times10_strength_reduced",
    TEN,
    "times10",
    hand(
        "times10",
        """
	leal	(%rdi,%rdi,4), %eax
	addl	%eax, %eax
	ret""",
    ),
    "accept",
    "coverage",
    "lea + add instead of a multiply",
)
case(
    "sign_branchless",
    SIGN,
    "sign",
    hand(
        "sign",
        """
	movl	%edi, %eax
	sarl	$31, %eax
	negl	%edi
	shrl	$31, %edi
	orl	%edi, %eax
	ret""",
    ),
    "accept",
    "coverage",
    "shifts instead of compares",
)
case(
    "fill_rep_stos",
    FILL,
    "fill",
    hand(
        "fill",
        """
	testl	%esi, %esi
	jle	.L3
	movl	%edx, %eax
	movl	%esi, %ecx
	rep stosl
.L3:
	ret""",
    ),
    "accept",
    "coverage",
    "rep stosl",
)
case(
    "slen_pointer_loop",
    SLEN,
    "slen",
    hand(
        "slen",
        """
	movq	%rdi, %rax
.L2:
	cmpb	$0, (%rax)
	je	.L3
	addq	$1, %rax
	jmp	.L2
.L3:
	subq	%rdi, %rax
	ret""",
    ),
    "accept",
    "coverage",
    "pointer increment, subtract at the end",
)
case(
    "dmax_branchy",
    DMAX,
    "dmax",
    hand(
        "dmax",
        """
	comisd	%xmm1, %xmm0
	ja	.L2
	movapd	%xmm1, %xmm0
.L2:
	ret""",
    ),
    "accept",
    "coverage",
    "compare and branch: same NaN and zero semantics as the C",
)
case(
    "scaled_reads_global",
    SCALE,
    "scaled",
    hand(
        "scaled",
        """
	movl	%edi, %eax
	imull	scale(%rip), %eax
	ret""",
    ),
    "accept",
    "coverage",
    "reads the global as a memory operand",
)
case(
    "widen_lea",
    WIDEN,
    "widen",
    hand(
        "widen",
        """
	movslq	%edi, %rax
	leaq	(%rax,%rax,2), %rax
	ret""",
    ),
    "accept",
    "coverage",
    "sign-extends then lea",
)
case(
    "sumsq_static_helper",
    STAT,
    "sq",
    hand(
        "sq",
        """
	movl	%edi, %eax
	imull	%eax, %eax
	ret""",
        glob=False,
    ),
    "accept",
    "coverage",
    "a static function: local binding kept",
)
case(
    "vadd_o2",
    VADD,
    "vadd",
    gcc_text(VADD, "vadd", ("-O2",)),
    "accept",
    "coverage",
    "gcc -O2: a scalar loop, correct under aliasing",
)
case("count_eq_o1", CNT, "count_eq", gcc_text(CNT, "count_eq", ("-O1",)), "accept", "coverage", "gcc -O1")

from corpus_flow import flow_cases  # noqa: E402  (the control-flow and coverage cases, in their own module)

for c in flow_cases(gcc_text, hand):
    case(*c)

# ---------------------------------------------------------------- const, NULL, huge lengths, callbacks
import make_corpus_harness  # beside this file; its cases need case/hand/gcc_text

make_corpus_harness.add(case, hand, gcc_text)

# ---------------------------------------------------------------- decided on recorded states
import make_corpus_states  # beside this file; each case brings the program whose calls are recorded

STATE_CASES = []


def case_states(name, src, main, args, fn, cand, verdict, check, note):
    STATE_CASES.append((name, src, main, args, fn, cand, verdict, check, note))


make_corpus_states.add(case_states, gcc_text)

# ================================================================ dispatch on the CPU
# Candidates that carry a function for higher x86-64 levels behind a test of libgcc's CPU model
# (gcc_wrapper/optimize/dispatch.py), composed as llmcc composes them from gcc's texts, then
# tampered with. case.json's "dispatch" is the levels the build allows (Context.dispatch); the
# host must support x86-64-v3 (AVX2) for the bodies to be tested.
from gcc_wrapper.optimize import dispatch  # noqa: E402

MIX = """int mix(const int *a, const int *b, int *out, int n) {
  int s = 0;
  for (int i = 0; i < n; i++) {
    int v = a[i] * 7 + (b[i] >> 2);
    out[i] = v > 1000 ? v - 1000 : v;
    s += out[i];
  }
  return s;
}
"""
MIX_WRONG = MIX.replace("v - 1000", "v - 999")  # one off above the threshold
LEVELS = ["x86-64-v2", "x86-64-v3", "x86-64-v4"]
DCASES = []  # (name, levels the build allows) beside CASES


def dcase(name, cand, verdict, check, note, allow=LEVELS):
    case(name, MIX, "mix", cand, verdict, check, note)
    DCASES.append((name, allow))


def composed(levels, src=None):
    """The dispatched candidate of MIX for `levels`; src: {level or "x86-64": C text} for bodies
    made from other source."""
    src = src or {}
    t = dispatch.template("gcc")
    body = lambda lvl: gcc_text(
        src.get(lvl, MIX), "mix", ("-O3",) + (dispatch.level_flags(lvl) if lvl != "x86-64" else ())
    )
    return dispatch.compose("mix", body("x86-64"), {lvl: body(lvl) for lvl in levels}, t)


def once(text, old, new):
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


V3 = composed(["x86-64-v3"])
dcase("mix_dispatch_v3", V3, "accept", "coverage", "AVX2 body behind the x86-64-v3 test, baseline fallback")
dcase(
    "mix_dispatch_v2_v3",
    composed(["x86-64-v2", "x86-64-v3"]),
    "accept",
    "coverage",
    "bodies for x86-64-v3 and x86-64-v2 and the baseline; the v2 one is tested with the v3 bit cleared",
)
dcase(
    "mix_dispatch_wrong_mask",
    once(V3, "testl\t$2,", "testl\t$1,"),
    "reject",
    "static.dispatch",
    "the AVX2 body behind the x86-64-v2 bit: it would run on SSE4.2 CPUs without AVX2",
)
dcase(
    "mix_dispatch_avx_in_baseline",
    once(V3, "\tpxor\t%xmm2, %xmm2\n", "\tvpxor\t%xmm2, %xmm2, %xmm2\n"),
    "reject",
    "static.dispatch",
    "an AVX instruction in the baseline body, which every x86-64 CPU runs",
)
dcase(
    "mix_dispatch_avx_in_dispatcher",
    once(V3, "\t.cfi_startproc\n\ttestl", "\t.cfi_startproc\n\tvzeroupper\n\ttestl"),
    "reject",
    "static.dispatch",
    "an AVX instruction in the dispatcher, before any test",
)
dcase(
    "mix_dispatch_writable_pointer",
    once(V3, "\t.cfi_startproc\n\ttestl", "\t.cfi_startproc\n\tjmp\t*.Lllmcc_cache(%rip)\n\ttestl")
    + "\t.data\n\t.p2align 3\n.Lllmcc_cache:\n\t.quad\t.Lllmcc_dispatch_v3\n",
    "reject",
    "static.directives",
    "a writable pointer to the chosen body, as an ifunc-like cache would keep",
)
dcase(
    "mix_dispatch_jump_into_v3",
    once(V3, "\tjle\t.Lllmcc_v1_.L", "\tjle\t.Lllmcc_v3_.L"),
    "reject",
    "static.dispatch",
    "the baseline body jumps into the AVX2 body",
)
dcase(
    "mix_dispatch_baseline_first",
    once(
        V3,
        "\tjne\t.Lllmcc_dispatch_v3\n\tjmp\t.Lllmcc_dispatch_v1\n",
        "\tje\t.Lllmcc_dispatch_v1\n\tjmp\t.Lllmcc_dispatch_v3\n",
    ),
    "reject",
    "static.dispatch",
    "the test inverted: the dispatcher is not the template",
)
dcase(
    "mix_dispatch_bytes_in_code",
    once(V3, "\tret\n", "\t.byte\t0xc5, 0xf8, 0x77\n\tret\n"),
    "reject",
    "static.dispatch",
    "vzeroupper spelled as bytes in a body's code: the level's assembler never sees it",
)
dcase(
    "mix_dispatch_no_vzeroupper",
    V3.replace("\tvzeroupper\n", ""),
    "reject",
    "static.dispatch",
    "the AVX2 body returns with the upper halves of the ymm registers dirty",
)
dcase(
    "mix_dispatch_not_allowed",
    V3,
    "reject",
    "static.dispatch",
    "a correct dispatched candidate for a build with dispatch = off",
    allow=[],
)
dcase(
    "mix_dispatch_v2_body_wrong",
    composed(["x86-64-v2", "x86-64-v3"], {"x86-64-v2": MIX_WRONG}),
    "reject",
    "difftest",
    "the x86-64-v2 body is off by one: only the run with the v3 bit cleared sees it",
)
dcase(
    "mix_dispatch_baseline_body_wrong",
    composed(["x86-64-v3"], {"x86-64": MIX_WRONG}),
    "reject",
    "difftest",
    "the baseline body is off by one: only the run with every level bit cleared sees it",
)

if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    allows = dict(DCASES)
    for name, src, fn, cand, verdict, check, note in CASES:
        d = Path(OUT) / name
        d.mkdir(parents=True)
        (d / "src.c").write_text(src)
        (d / "cand.s").write_text(cand)
        meta = {"function": fn, "verdict": verdict, "check": check, "what": note}
        if name in allows:
            meta["dispatch"] = allows[name]
        (d / "case.json").write_text(json.dumps(meta, indent=1) + "\n")
    for name, src, main, args, fn, cand, verdict, check, note in STATE_CASES:
        d = Path(OUT) / name
        d.mkdir(parents=True)
        (d / "src.c").write_text(src)
        (d / "main.c").write_text(main)
        (d / "cand.s").write_text(cand)
        meta = {"function": fn, "verdict": verdict, "check": check, "what": note, "workload": {"args": args}}
        (d / "case.json").write_text(json.dumps(meta, indent=1) + "\n")
    every = CASES + [(c[0], c[1], c[4], c[5], c[6], c[7], c[8]) for c in STATE_CASES]
    print(len(every), sum(c[4] == "reject" for c in every), "wrong")
