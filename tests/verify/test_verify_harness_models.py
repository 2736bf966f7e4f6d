"""What the differential-test harness models beyond values, run for real (gcc, the harness, the
sandbox): read-only memory (const, and what the original only reads), NULL pointers, lengths at
the limits of their types over lazily committed buffers, and callbacks for function pointers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from verify_helpers import make_context

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.verify import difftest, inputs, verify


def unit(tmp_path, src: str, name: str):
    p = tmp_path / f"{name}.c"
    p.write_text(src)
    return make_context(p, name)


def gcc(ctx, flags=("-O1",)) -> str:
    out = subprocess.run(
        ["gcc", *flags, "-S", "-o", "-", ctx.source_path], capture_output=True, text=True, check=True
    ).stdout
    return asm.parse(out).functions[ctx.name].text()


def fn(name: str, body: str) -> str:
    return (
        f"\t.text\n\t.globl\t{name}\n\t.type\t{name}, @function\n{name}:\n{body.strip()}\n\t.size\t{name}, .-{name}\n"
    )


def test_an_original_that_writes_const_memory_is_skipped_there_not_untestable(tmp_path):
    # casts const away on one length: those inputs are the original's own fault (skipped), the
    # others still test a candidate
    ctx = unit(
        tmp_path,
        "int odd(const int *a, int n) { if (n == 5) ((int *)a)[0] = 1; int s = 0;\n"
        "  for (int i = 0; i < n; i++) s += a[i]; return s; }\n",
        "odd",
    )
    v = verify(ctx, Candidate(gcc(ctx), "embedded:-O1"))
    assert v.verdict == "accept" and v.inputs_tried >= 1000, v.reason
    p = difftest.prepare(ctx)
    assert all(x.values[1] != 5 for x in p.inputs)  # every n == 5 input crashed the original: skipped


def test_aliased_const_memory_stays_writable(tmp_path):
    # dst and src share memory in some inputs: the original writes there through dst
    ctx = unit(
        tmp_path,
        "void addto(int *dst, const int *src, int n) { for (int i = 0; i < n; i++) dst[i] += src[i]; }\n",
        "addto",
    )
    v = verify(ctx, Candidate(gcc(ctx), "embedded:-O1"))
    assert v.verdict == "accept", v.reason
    shared = [
        x for x in difftest.prepare(ctx).inputs if x.values[0] and x.values[1] and x.values[0][0] == x.values[1][0]
    ]
    assert shared and not any(x.regions[x.values[0][0]].const for x in shared)


def test_a_huge_buffer_written_deep_is_compared_page_by_page(tmp_path):
    ctx = unit(tmp_path, "#include <stddef.h>\nvoid set_last(int *a, size_t n) { if (n) a[n - 1] = 7; }\n", "set_last")
    assert verify(ctx, Candidate(gcc(ctx), "embedded:-O1")).verdict == "accept"
    # the index truncated to 32 bits: right below 2^32 elements, wrong above
    wrong = fn(
        "set_last",
        """
	testq	%rsi, %rsi
	je	.L1
	leal	-1(%rsi), %eax
	movl	$7, (%rdi,%rax,4)
.L1:
	ret""",
    )
    v = verify(ctx, Candidate(wrong, "t"))
    assert v.verdict == "reject" and v.checks[-1].name == "difftest", v.reason
    n = int(v.counterexample.split("n=")[1].rstrip(")"))
    assert n > 2**32 and "committed page by page" in v.counterexample
    # the first difference by address: the candidate wrote a[0] (n - 1 truncated), whose page the
    # original never touched, so it still holds the ramp's first value, the int minimum
    assert "a[0] is 7 after the call, -2147483648 after the original" in v.reason, v.reason


def test_a_candidate_touching_far_more_pages_is_rejected(tmp_path):
    src = (
        "int bs(const int *a, int n, int key) { int lo = 0, hi = n; while (lo < hi) { int mid = lo + (hi - lo) / 2;\n"
        "  if (a[mid] < key) lo = mid + 1; else hi = mid; } return lo; }\n"
    )
    ctx = unit(tmp_path, src, "bs")
    # the same search, after touching one element in each page of the array (a "prefetch")
    wrong = fn(
        "bs",
        """
	movslq	%esi, %rax
	xorl	%ecx, %ecx
.L9:
	cmpq	%rax, %rcx
	jge	.L8
	movl	(%rdi,%rcx,4), %r8d
	addq	$1024, %rcx
	jmp	.L9
.L8:
	xorl	%ecx, %ecx
	jmp	.L3
.L4:
	movl	%esi, %eax
	subl	%ecx, %eax
	sarl	%eax
	addl	%ecx, %eax
	movslq	%eax, %r8
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
    )
    v = verify(ctx, Candidate(wrong, "t"))
    assert v.verdict == "reject" and "pages of a lazily committed buffer (a)" in v.reason, v.reason


def test_callbacks_destroy_caller_saved_registers_and_the_red_zone(tmp_path):
    ctx = unit(
        tmp_path,
        "long map_sum(const int *a, int n, long (*f)(int)) { long s = 0; for (int i = 0; i < n; i++) s += f(a[i]); return s; }\n",
        "map_sum",
    )
    frame = """
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
.L3:
	movl	(%rbx), %edi
	addq	$4, %rbx
	{CALL}
	cmpq	%r13, %rbx
	jne	.L3
.L4:
	movq	%rbp, %rax
	addq	$8, %rsp
	popq	%rbx
	popq	%rbp
	popq	%r12
	popq	%r13
	ret"""
    ok = fn("map_sum", frame.replace("{CALL}", "call\t*%r12\n\taddq\t%rax, %rbp"))
    assert verify(ctx, Candidate(ok, "t")).verdict == "accept"
    # the sum in r11 (caller-saved) across the call
    in_r11 = fn(
        "map_sum", frame.replace("{CALL}", "movq\t%rbp, %r11\n\tcall\t*%r12\n\taddq\t%r11, %rax\n\tmovq\t%rax, %rbp")
    )
    v = verify(ctx, Candidate(in_r11, "t"))
    assert v.verdict == "reject" and v.reason.startswith("difftest: returned"), v.reason
    # the sum in the red zone, 16 bytes below rsp, across the call
    red = fn(
        "map_sum",
        frame.replace("{CALL}", "movq\t%rbp, -16(%rsp)\n\tcall\t*%r12\n\taddq\t-16(%rsp), %rax\n\tmovq\t%rax, %rbp"),
    )
    v = verify(ctx, Candidate(red, "t"))
    assert v.verdict == "reject" and v.checks[-1].name == "static.stack", v.reason  # the static rule first
    # and the harness on its own: the callback's garbage below its stack pointer ends the sum
    from gcc_wrapper.optimize.verify import difftest, static

    obj = tmp_path / "red.o"
    assert static.assemble(red, obj, None) is None
    out = difftest.run(ctx, obj, binding="GLOBAL")
    assert out.ran and not out.check.passed and "returned" in out.check.detail, out.check.detail


def test_pointers_into_the_callers_stack_compare_by_content(tmp_path):
    ctx = unit(
        tmp_path,
        "long via(const int *a, int n, long (*f)(const int *)) { long s = 0;\n"
        "  for (int i = 0; i < n; i++) { int t = a[i] + 1; s += f(&t); } return s; }\n",
        "via",
    )
    # gcc -O1's frame differs from -O3's: the same calls all the same
    v = verify(ctx, Candidate(gcc(ctx), "embedded:-O1"))
    assert v.verdict == "accept", v.reason
    wrong = gcc(ctx).replace("addl\t$1, %eax", "addl\t$2, %eax")
    assert wrong != gcc(ctx)
    v = verify(ctx, Candidate(wrong, "t"))
    assert v.verdict == "reject" and "(a pointer into the caller's stack)" in v.reason, v.reason


def test_null_callbacks_and_floating_point_callbacks(tmp_path):
    ctx = unit(tmp_path, "int maybe(int x, int (*f)(int)) { return f ? f(x) : -x; }\n", "maybe")
    assert verify(ctx, Candidate(gcc(ctx), "embedded:-O1")).verdict == "accept"
    no_check = fn("maybe", "\tsubq\t$8, %rsp\n\tcall\t*%rsi\n\taddq\t$8, %rsp\n\tret")
    v = verify(ctx, Candidate(no_check, "t"))
    assert v.verdict == "reject" and "f=NULL" in v.counterexample, v.reason
    ctx = unit(
        tmp_path,
        "double integrate(double (*f)(double), double a, double b, int n) { double h = (b - a) / n, s = 0;\n"
        "  for (int i = 0; i < n; i++) s += f(a + i * h); return s * h; }\n",
        "integrate",
    )
    v = verify(ctx, Candidate(gcc(ctx), "embedded:-O1"))
    assert v.verdict == "accept" and v.inputs_tried >= 1000, v.reason
    wrong = gcc(ctx).replace("mulsd", "addsd", 1)
    v = verify(ctx, Candidate(wrong, "t"))
    assert v.verdict == "reject" and v.checks[-1].name == "difftest", v.reason


def test_a_libc_sort_with_a_harness_comparator_is_testable(tmp_path):
    ctx = unit(
        tmp_path,
        "#include <stdlib.h>\nvoid sort_ints(int *a, size_t n, int (*cmp)(const void *, const void *)) {\n"
        "  if (n > 1) qsort(a, n, sizeof *a, cmp); }\n",
        "sort_ints",
    )
    v = verify(ctx, Candidate(gcc(ctx), "embedded:-O1"))
    assert v.verdict == "accept" and v.inputs_tried >= 1000, v.reason
    wrong = gcc(ctx).replace("$4, %edx", "$2, %edx")  # sorts shorts
    assert wrong != gcc(ctx)
    assert verify(ctx, Candidate(wrong, "t")).verdict == "reject"


def test_callbacks_destroy_the_upper_lanes_with_a_native_isa(tmp_path):
    if " avx " not in Path("/proc/cpuinfo").read_text().replace("\n", " "):
        pytest.skip("the host has no AVX: no upper lanes to keep")
    src = tmp_path / "m.c"
    src.write_text(
        "long map_sum(const int *a, int n, long (*f)(int)) { long s = 0; for (int i = 0; i < n; i++) s += f(a[i]); return s; }\n"
    )
    ctx = make_context(src, "map_sum", cflags=("-O2", "-march=native"), isa="native")
    body = """
	pushq	%r13
	pushq	%r12
	pushq	%rbp
	pushq	%rbx
	subq	$8, %rsp
	vpxor	%xmm0, %xmm0, %xmm0
	vinserti128	$1, %xmm0, %ymm8, %ymm8
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
	vextracti128	$1, %ymm8, %xmm1
	vmovq	%rax, %xmm2
	vpaddq	%xmm2, %xmm1, %xmm1
	vinserti128	$1, %xmm1, %ymm8, %ymm8
	cmpq	%r13, %rbx
	jne	.L3
.L4:
	vextracti128	$1, %ymm8, %xmm1
	vmovq	%xmm1, %rax
	vzeroupper
	addq	$8, %rsp
	popq	%rbx
	popq	%rbp
	popq	%r12
	popq	%r13
	ret"""
    # the sum in the upper half of ymm8 across the calls: caller-saved, like the rest of it. The
    # static rule sees ymm8's entry value used; the harness, on its own, sees the sum destroyed.
    v = verify(ctx, Candidate(fn("map_sum", body), "t"))
    assert v.verdict == "reject" and v.checks[-1].name == "static.stack", v.reason
    from gcc_wrapper.optimize.verify import static

    obj = tmp_path / "upper.o"
    assert static.assemble(fn("map_sum", body), obj, "generic64+avx2") is None
    out = difftest.run(ctx, obj, binding="GLOBAL")
    assert out.ran and not out.check.passed and out.check.detail.startswith("returned"), out.check.detail


def test_callback_reports_in_words():
    cb = inputs.Callback(
        "int (*)(const int *, long)",
        (inputs.CallbackArg("pointer", 4, False, 0), inputs.CallbackArg("int", 8, True, 1)),
        "int",
        4,
    )
    sig = inputs.Signature(
        "f",
        (
            inputs.Arg("a", "buffer", 4, True, "int", 0, 2),
            inputs.Arg("g", "callback", 8, reg=1, callback=cb),
            inputs.Arg("n", "int", 4, True, reg=2, is_length=True),
        ),
        "void",
    )
    x = inputs.Input(((0, 8), 0, 3), (inputs.Region(bytes(20), -1),), 1)  # a starts 8 bytes into its region
    assert (
        difftest.explain(sig, x, ["calls", "4", "3"])
        == "the callbacks (g) were called 4 times by the original, 3 times by the candidate"
    )

    def call(
        offset: int,
    ) -> str:  # the harness's words: header, pointer (region 0 + 1, offset), its bytes' digest, the long
        return ",".join(f"{v:x}" for v in (0 | 4 << 8, 1 << 48 | offset, 0x1234, (1 << 64) - 1))

    assert (
        difftest.explain(sig, x, ["call", "1", call(12), call(16)])
        == "callback call #2: the candidate called g(&a[2], -1), the original g(&a[1], -1)"
    )
    stack = ",".join(f"{v:x}" for v in (0 | 4 << 8, 0x5AC0 << 48, 0x1234, 5))
    assert "g((a pointer into the caller's stack), 5)" in difftest.explain(sig, x, ["call", "0", call(8), stack])
    assert (
        inputs.describe_input(sig, x)
        == "f(a=[3 x int32: 0, 0, 0] (against the end guard page), g=<callback int (*)(const int *, long)>, n=3)"
    )
