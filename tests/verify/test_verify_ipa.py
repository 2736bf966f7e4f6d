"""The -fipa-ra register contract: what instructions write, and who relies on it."""

from __future__ import annotations

import subprocess

import pytest

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize.verify import ipa


@pytest.mark.parametrize(
    "head,ops,under,over",
    [
        ("movl", "%edi, %eax", {"rax"}, {"rax"}),
        ("addq", "%rsi, (%rdi)", set(), set()),  # a store writes no register
        ("cmpl", "%esi, %edi", set(), set()),
        ("testq", "%rdx, %rdx", set(), set()),
        ("imull", "%ecx", {"rax", "rdx"}, {"rax", "rdx"}),  # one-operand multiply: rdx:rax
        ("divq", "%r8", {"rax", "rdx"}, {"rax", "rdx"}),
        ("cqto", "", {"rdx"}, {"rdx"}),
        ("rep stosq", "%rax,%es:(%rdi)", {"rdi", "rcx"}, {"rdi", "rcx"}),
        ("xchgq", "%rsi, %rdi", {"rsi", "rdi"}, {"rsi", "rdi"}),
        ("vpaddd", "%ymm1, %ymm2, %ymm3", {"xmm3"}, {"xmm3"}),
        ("movq", "%xmm0, %r11", {"r11"}, {"r11"}),
        ("pcmpistri", "$0, (%rdi), %xmm1", {"rcx"}, {"rcx"}),
        ("vzeroupper", "", set(), {f"xmm{i}" for i in range(16)}),
        ("movl", "%ebx, %eax", {"rax"}, {"rax"}),
        ("pushq", "%rbx", set(), set()),
        ("sete", "%cl", {"rcx"}, {"rcx"}),
        ("cmpltpd", "%xmm1, %xmm2", {"xmm2"}, {"xmm2"}),  # SSE compares write a mask
        ("lock cmpxchgq", "%rsi, %rdx", {"rdx"}, {"rdx", "rax"}),
    ],
)
def test_instruction_writes(head, ops, under, over):
    assert ipa.insn_writes(head, ops, over=False) == under
    assert ipa.insn_writes(head, ops, over=True) == over


def test_callers_and_clobbers(tmp_path):
    src = tmp_path / "u.c"
    src.write_text(
        "#include <string.h>\n"
        "__attribute__((noinline)) static int leaf(int x) { return x + 1; }\n"
        "__attribute__((noinline)) int mid(int x) { return leaf(x) * 2; }\n"
        "int top(int a, int b) { return mid(a) + b; }\n"
        "__attribute__((noinline)) size_t ext(const char *s) { return strlen(s); }\n"
        "int alone(int x) { return x; }\n"
    )
    unit = asm.parse(
        subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    )
    funcs = {n: f.text() for n, f in unit.functions.items()}
    assert ipa.direct_callers(funcs, "mid") == ["top"]
    assert ipa.direct_callers(funcs, "alone") == []
    # mid's clobbers include its callee's, a call outside the unit clobbers everything
    assert ipa.clobbers("leaf", funcs["leaf"], funcs, over=False) <= ipa.clobbers(
        "mid", funcs["mid"], funcs, over=False
    )
    assert ipa.clobbers("ext", funcs["ext"], funcs, over=False) == set(ipa.CALLER_SAVED)


def test_stack_alignment_need(tmp_path):
    src = tmp_path / "sa.c"
    src.write_text(
        "#include <string.h>\n"
        "__attribute__((noinline)) int h1(int x) { return x * 3 + 1; }\n"
        "__attribute__((noinline)) size_t h2(const char *s) { return strlen(s) + 1; }\n"
        "int c1(int a, int b) { return h1(a) + b; }\n"
        "size_t c2(const char *s, int b) { return h2(s) + b; }\n"
    )
    unit = asm.parse(
        subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    )
    funcs = {n: f.text() for n, f in unit.functions.items()}
    assert not ipa._base_needs_alignment(
        "h1", funcs["h1"], funcs
    )  # gcc calls it unaligned (c1 has no sub before the call)
    assert ipa._base_needs_alignment("h2", funcs["h2"], funcs)  # it calls strlen
    assert ipa._aligned_stack_access("movaps", "%xmm0,(%rsp)")
    assert ipa._aligned_stack_access("paddd", "0x10(%rsp),%xmm1")
    assert not ipa._aligned_stack_access("movups", "%xmm0,(%rsp)")
    assert not ipa._aligned_stack_access("addsd", "8(%rsp),%xmm0")
    assert not ipa._aligned_stack_access("vpaddd", "(%rsp),%xmm1,%xmm1")
    assert not ipa._aligned_stack_access("movaps", "%xmm0,(%rdi)")


# A unit where leaf is called by mid, and mid by top; leaf's original writes only %eax.
_UNIT = {
    "leaf": "leaf:\n\tleal\t1(%rdi), %eax\n\tret\n",
    "mid": "mid:\n\tmovl\t%edi, %r8d\n\tcall\tleaf\n\taddl\t%r8d, %eax\n\tret\n",
    "top": "top:\n\tmovl\t%esi, %r9d\n\tcall\tmid\n\taddl\t%r9d, %eax\n\tret\n",
    "alone": "alone:\n\tmovl\t%edi, %eax\n\tret\n",
}


def _cand(reg: str) -> str:
    return f"leaf:\n\tmovl\t%edi, %{reg}\n\tleal\t1(%{reg}), %eax\n\tret\n"


def test_extra_register_nobody_mentions_is_allowed():
    assert ipa.ancestors(_UNIT, "leaf") == ["mid", "top"]
    verdict = ipa.check_text(_UNIT, "leaf", _cand("r10d"), ["-O3"])
    assert verdict is not None and verdict.passed, verdict


@pytest.mark.parametrize("reg, who", [("r8d", "direct caller"), ("r9d", "caller of the caller")])
def test_extra_register_a_caller_keeps_a_value_in_is_refused(reg, who):
    verdict = ipa.check_text(_UNIT, "leaf", _cand(reg), ["-O3"])
    assert verdict is not None and not verdict.passed, who
    assert "%" + reg[:2] in verdict.detail


def test_no_callers_or_no_ipa_ra_means_no_contract():
    assert ipa.check_text(_UNIT, "alone", "alone:\n\tmovl\t%edi, %r8d\n\tmovl\t%r8d, %eax\n\tret\n", ["-O3"]) is None
    assert ipa.check_text(_UNIT, "leaf", _cand("r8d"), ["-O3", "-fno-ipa-ra", "-fno-ipa-stack-alignment"]) is None
