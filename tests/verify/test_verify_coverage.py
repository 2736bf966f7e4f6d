"""coverage: the harness's one-shot breakpoints (coverage.c) see which of a candidate's blocks
ran, without the candidate noticing; a block no compared input ran rejects a candidate gcc did
not write."""

from __future__ import annotations

from pathlib import Path

from verify_helpers import make_context

from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.verify import coverage, difftest, flow, static, verify


def fn(name: str, body: str) -> str:
    return f"\t.text\n\t.globl\t{name}\n\t.type\t{name}, @function\n{name}:\n{body}\n\t.size\t{name}, .-{name}\n"


def context(tmp_path: Path, src: str, name: str):
    c = tmp_path / "src.c"
    c.write_text(src)
    return make_context(c, name)


def last(v):
    return v.checks[-1]


def test_flags_survive_a_breakpoint(tmp_path):
    """The block at .L1 starts with a jl that reads the flags the previous block set: the trap
    in front of it must hand them back untouched (and every register)."""
    ctx = context(tmp_path, "int pick(int a, int b) { return a < b ? a : b * 2; }\n", "pick")
    body = "\tmovl\t%edi, %eax\n\tcmpl\t%esi, %edi\n\tjmp\t.L1\n.L1:\n\tjl\t.L2\n\tleal\t(%rsi,%rsi), %eax\n.L2:\n\tret"
    v = verify(ctx, Candidate(fn("pick", body), "test"))
    assert v.verdict == "accept", v.reason
    assert last(v).name == "coverage" and "every one of the 4 basic blocks ran" in last(v).detail


def test_red_zone_survives_a_breakpoint(tmp_path):
    """A leaf keeps x in its red zone across a block boundary: the trap's signal frame goes on
    the alternate stack, not below the candidate's rsp."""
    ctx = context(tmp_path, "int f(int x) { return x + 1; }\n", "f")
    body = (
        "\tmovl\t%edi, -4(%rsp)\n\tmovq\t$-1, -16(%rsp)\n\txorl\t%edi, %edi\n\tjmp\t.L1\n"
        ".L1:\n\tmovl\t-4(%rsp), %eax\n\taddl\t$1, %eax\n\tret"
    )
    v = verify(ctx, Candidate(fn("f", body), "test"))
    assert v.verdict == "accept", v.reason
    assert last(v).name == "coverage" and last(v).passed


def test_other_sigtrap_is_still_a_crash(tmp_path):
    """An int3 the harness did not arm (static.instructions forbids it; here it is run anyway)
    is a crash, not a covered block."""
    ctx = context(tmp_path, "int f(int x) { return x + 1; }\n", "f")
    work = tmp_path / "w"
    work.mkdir()
    obj = work / "cand.o"
    assert static.assemble(fn("f", "\tleal\t1(%rdi), %eax\n\tjmp\t.L1\n.L1:\n\tint3\n\tret"), obj, None) is None
    a = flow.analyze(obj, "f", static.disassemble(obj))
    arming = coverage.Arming(coverage.sites(a), a.entry)
    assert len(arming.sites) == 2
    out = difftest.run(ctx, obj, binding="GLOBAL", arming=arming)
    assert out.ran and not out.check.passed and "SIGTRAP" in out.check.detail, out.check


ABS = "int absv(int x) { return x < 0 ? -x : x; }\n"
COLD = """	.text
	.globl	absv
	.type	absv, @function
absv:
	cmpl	${magic}, %edi
	je	.Lneg
	testl	%edi, %edi
	js	.Lneg
	movl	%edi, %eax
	ret
	.section	.text.unlikely
.Lneg:
	movl	%edi, %eax
	negl	%eax
	ret
	.text
	.size	absv, .-absv
"""


def test_blocks_in_another_section(tmp_path):
    """A .cold part lands wherever the linker puts .text.unlikely: the link map places it, and its
    block counts like any other."""
    ctx = context(tmp_path, ABS, "absv")
    v = verify(ctx, Candidate(COLD.format(magic="-5"), "test"))
    assert v.verdict == "accept", v.reason
    assert "every one of the 4 basic blocks" in last(v).detail


MAGIC_COLD = """	.text
	.globl	absv
	.type	absv, @function
absv:
	cmpl	$0x5eed, %edi
	je	.Lmagic
	movl	%edi, %eax
	negl	%eax
	cmovl	%edi, %eax
	ret
	.section	.text.unlikely
.Lmagic:
	movl	$0x5eed, %eax
	ret
	.text
	.size	absv, .-absv
"""


def test_uncovered_lines_named(tmp_path):
    """Right on every input, but only a magic value reaches the .cold block: rejected, naming
    the candidate's lines that never ran."""
    v = verify(context(tmp_path, ABS, "absv"), Candidate(MAGIC_COLD, "test"))
    assert v.verdict == "reject" and last(v).name == "coverage", v.reason
    assert "1 of the candidate's 3 basic blocks" in last(v).detail
    assert "lines 13-14 (`movl\t$0x5eed, %eax`" in last(v).detail, last(v).detail


def test_gcc_candidates_are_not_held_to_coverage(tmp_path):
    """The embedded proposer's candidates are gcc's own code: a special case no input reaches is
    accepted from it (and rejected from anyone else)."""
    ctx = context(tmp_path, "int f(int x) { return x + 1; }\n", "f")
    text = fn(
        "f", "\tcmpl\t$0x5eed, %edi\n\tjne\t.L2\n\tmovl\t$0x5eee, %eax\n\tret\n.L2:\n\tleal\t1(%rdi), %eax\n\tret"
    )
    v = verify(ctx, Candidate(text, "embedded:-O2"))
    assert v.verdict == "accept" and all(c.name != "coverage" for c in v.checks), v.reason
    v = verify(ctx, Candidate(text, "llm:some-model"))
    assert v.verdict == "reject" and last(v).name == "coverage"
    assert "line 7 (`movl\t$0x5eee, %eax`" in last(v).detail or "lines 7-8" in last(v).detail, last(v).detail


def test_covered_sets_union():
    """Each run reports a set of sites; runs (and, later, recorded states) are unioned."""
    sites = (coverage.Site(".text", 0), coverage.Site(".text", 9), coverage.Site(".text.unlikely", 0))
    one = coverage.covered("SKIP 3\nCOVERED 0 2\nDONE 10 1\n", sites)
    two = coverage.covered("COVERED 1\nDONE 10 1\n", sites)
    assert one == {sites[0], sites[2]} and two == {sites[1]}
    assert one | two == set(sites)
    assert coverage.covered("DONE 10 1\n", sites) == frozenset()
    arming = coverage.Arming(sites, (".text", 0))
    assert arming.needs_map()
    assert arming.offsets({".text": 0x1100, ".text.unlikely": 0x1040}) == [0, 9, -0xC0]
