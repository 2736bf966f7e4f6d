"""static.flow and static.stack (flow.py): gcc's own output always passes, at every level and
code model, for a broad set of real C; and the specific things they exist to catch are caught,
with the instruction and its offset named."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from verify_helpers import make_context

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.verify import flow, static

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
DEBIAN = [Path("/usr/share/doc/zlib1g-dev/examples"), Path("/usr/share/doc/libpng-dev/examples")]
GROUPS = {
    "flow_gcc": [HERE / "flow_gcc.c"],
    "asm_corpus": sorted((ROOT / "tests/asm/corpus").glob("*.c")) + sorted((ROOT / "tests/asm/program").glob("*.c")),
    "bench": sorted((ROOT / "bench/programs").glob("*.c")) + sorted((ROOT / "bench/heldout").glob("*.c")),
    "examples": sorted((ROOT / "examples").glob("*.c")),
    # infcover.c needs zlib's private headers
    "debian": [p for d in DEBIAN for p in sorted(d.glob("*.c")) if p.name != "infcover.c"],
}
FLAGS = [
    "-O2 -fno-pic",
    "-O3 -fno-pic",
    "-Os -fno-pic",
    "-O3 -funroll-loops -fno-pic",
    "-O2 -fPIC",
    "-O3 -fPIC",
    "-Os -fPIC",
    "-O3 -funroll-loops -fPIC",
]
# more code shapes, for the C written for this test: AVX (32-byte aligned frames), BMI and
# popcnt, stack protector, CET (endbr64, notrack jumps), gcc's default (PIE)
MORE_FLAGS = ["-O2 -mavx2", "-O3 -march=haswell", "-O2 -fstack-protector-strong -fcf-protection", "-O2", "-O1"]


def gcc_functions(src: Path, flags: str) -> dict[str, str]:
    r = subprocess.run(
        ["gcc", *flags.split(), "-w", f"-I{ROOT / 'examples'}", "-S", "-o", "-", str(src)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, f"gcc cannot compile {src}: {r.stderr[:300]}"
    return {n: f.text() for n, f in asm.parse(r.stdout).functions.items()}


def assembled(text: str, obj: Path) -> Path:
    obj.with_suffix(".s").write_text(text)
    subprocess.run(["as", "--64", "-o", str(obj), str(obj.with_suffix(".s"))], check=True, capture_output=True)
    return obj


def analyzed(text: str, name: str, tmp: Path, original: str | None = None):
    """static.flow/static.stack of text as a candidate against original (gcc's text against
    itself when None)."""
    obj = assembled(text, tmp / f"{name}.o")
    base = obj if original is None else assembled(original, tmp / f"{name}.orig.o")
    return flow.checks(name, obj, static.disassemble(obj), base)


# what Ubuntu's and Fedora's gcc turn on by default (stack-clash probe loops move rsp in a loop)
DISTRO = "-O2 -fstack-clash-protection -fstack-protector-strong -fcf-protection"


@pytest.mark.parametrize(
    "group,flags", [(g, f) for g in sorted(GROUPS) for f in [*FLAGS, DISTRO]] + [("flow_gcc", f) for f in MORE_FLAGS]
)
def test_gcc_output_always_passes(group, flags, tmp_path):
    if group == "debian":
        assert all(d.exists() for d in DEBIAN), "`make sysdeps` installs zlib1g-dev and libpng-dev"
    sources = GROUPS[group]
    assert sources
    checked, relro_tables, failures = 0, 0, []
    for src in sources:
        for name, text in gcc_functions(src, flags).items():
            # -fPIC (and the default PIE) put tables of addresses, computed-goto labels, function
            # or string pointers, in .data.rel.ro: allowed where the original has one (flow.py)
            assert static._directive_problem(text, relro_allowed=True) is None, name
            checks, a = analyzed(text, name, tmp_path)
            checked += 1
            assert a.blocks, name
            if static._has_relro_table(text):
                relro_tables += 1
                problem = flow.relro_table_problem(tmp_path / f"{name}.o")
                if problem:
                    failures.append(f"{src.name}:{name}: {problem}")
            if not all(c.passed for c in checks):
                failures.append(f"{src.name}:{name}: {checks[-1].detail}")
    assert not failures, "\n".join(failures)
    assert checked >= 5
    if group == "flow_gcc" and "-fno-pic" not in flags:
        assert relro_tables >= 1  # its computed goto


def hand(name: str, body: str, data: str = "") -> str:
    return f"{data}\t.text\n\t.globl\t{name}\n\t.type\t{name}, @function\n{name}:\n{body}\n\t.size\t{name}, .-{name}\n"


def judged(tmp_path: Path, src: str, name: str, body: str, data: str = "", cflags=("-O3",)):
    c = tmp_path / "src.c"
    c.write_text(src)
    ctx = make_context(c, name, cflags)
    checks = static.check(ctx, Candidate(hand(name, body, data), "test"))
    return checks[-1]


INC = "int f(int x) { return x + 1; }\n"
SW = HERE / "corpus/flow_switch_jump_table_pic/src.c"


def test_non_pic_jump_table_accepted_and_checked(tmp_path):
    """gcc -fno-pic's `jmp *.L4(,%rax,8)` with .quad entries: accepted; with the bounds check
    gone or an entry moved into an instruction, rejected."""
    text = gcc_functions(SW, "-O2 -fno-pic")["sw"]
    assert "jmp\t*.L4(,%rdi,8)" in text and ".quad\t.L" in text
    checks, _ = analyzed(text, "sw", tmp_path)
    assert all(c.passed for c in checks), checks
    unchecked = text.replace("\tcmpl\t$7, %edi\n\tja\t.L11\n", "")
    checks, _ = analyzed(unchecked, "sw", tmp_path, text)
    assert checks[-1].name == "static.flow" and "not bounded" in checks[-1].detail and "offset 0x" in checks[-1].detail
    # the compare proves nothing about a register written after it
    stale = text.replace("\tcmpl\t$7, %edi\n\tja\t.L11\n", "\tcmpl\t$7, %edi\n\tmovl\t%esi, %edi\n\tja\t.L11\n")
    assert stale != text
    checks, _ = analyzed(stale, "sw", tmp_path, text)
    assert checks[-1].name == "static.flow" and "not bounded" in checks[-1].detail
    shifted = text.replace("\t.quad\t.L11\n", "\t.quad\t.L11+1\n")
    checks, _ = analyzed(shifted, "sw", tmp_path, text)
    assert checks[-1].name == "static.flow" and "entry 6" in checks[-1].detail


def test_byte_encoded_jump_counts(tmp_path):
    """Machine code is the ground truth: a jmp spelled as .byte still has to land on an
    instruction (here: 2 bytes into a 10-byte movabs)."""
    c = judged(
        tmp_path, INC, "f", "\tleal\t1(%rdi), %eax\n\t.byte\t0xeb, 0x02\n\tmovabsq\t$0x90c3c03148909090, %rdx\n\tret"
    )
    assert (
        c.name == "static.flow" and not c.passed and "middle of an instruction" in c.detail and "offset 0x3" in c.detail
    )


def test_absolute_jump_rejected(tmp_path):
    c = judged(tmp_path, INC, "f", "\tleal\t1(%rdi), %eax\n\tjmp\t0x401000")
    assert c.name == "static.flow" and not c.passed and "absolute address" in c.detail


def test_calling_a_symbol_the_original_only_reads(tmp_path):
    """static.symbols lets a candidate refer to what the original refers to; calling a data
    symbol the original only reads is still new control flow."""
    src = "int scale = 3;\nint scaled(int x) { return x * scale; }\n"
    c = judged(tmp_path, src, "scaled", "\tsubq\t$8, %rsp\n\tcall\tscale\n\taddq\t$8, %rsp\n\tret")
    assert c.name == "static.flow" and not c.passed and "scale, which the original does not call" in c.detail


def test_falls_off_the_end(tmp_path):
    c = judged(tmp_path, INC, "f", "\tleal\t1(%rdi), %eax\n\ttestl\t%eax, %eax\n\tjne\t.L1\n\tret\n.L1:\n\tnop")
    assert c.name == "static.flow" and not c.passed and "runs off the end" in c.detail


def test_pop_of_the_return_address(tmp_path):
    c = judged(tmp_path, INC, "f", "\tpopq\t%rcx\n\tpushq\t%rcx\n\tleal\t1(%rdi), %eax\n\tret")
    assert c.name == "static.stack" and not c.passed and "reads the return address" in c.detail


def test_return_address_through_a_frame_pointer_copy(tmp_path):
    """rbp as a frame pointer, and a copy of rsp in another register, are followed too."""
    body = "\tpushq\t%rbp\n\tmovq\t%rsp, %rbp\n\tmovq\t%rbp, %rdx\n\tmovq\t$0, 8(%rdx)\n\tleal\t1(%rdi), %eax\n\tpopq\t%rbp\n\tret"
    c = judged(tmp_path, INC, "f", body)
    assert (
        c.name == "static.stack"
        and not c.passed
        and "writes the return address" in c.detail
        and "offset 0x7" in c.detail
    )


def test_below_the_red_zone_is_still_static_stack(tmp_path):
    c = judged(tmp_path, INC, "f", "\tmovl\t%edi, -200(%rsp)\n\tleal\t1(%rdi), %eax\n\tret")
    assert c.name == "static.stack" and not c.passed and "200 bytes below rsp" in c.detail


def test_red_zone_in_a_leaf_is_fine(tmp_path):
    c = judged(tmp_path, INC, "f", "\tmovl\t%edi, -4(%rsp)\n\tmovl\t-4(%rsp), %eax\n\taddl\t$1, %eax\n\tret")
    assert c.passed, c


def test_variable_stack_index_only_like_the_original(tmp_path):
    """An index into the stack the analysis cannot bound: allowed for a function whose original
    does the same (local arrays), rejected for one whose original does not."""
    body = "\tmovl\t%edi, %eax\n\tmovl\t$1, -64(%rsp,%rax,4)\n\tleal\t1(%rdi), %eax\n\tret"
    c = judged(tmp_path, INC, "f", body)
    assert c.name == "static.stack" and not c.passed and "cannot pin down" in c.detail
    src = "int f(int x) { volatile int a[64]; a[x] = 1; return a[0] + 1; }\n"
    c = judged(
        tmp_path,
        src,
        "f",
        "\tmovslq\t%edi, %rax\n\tmovl\t$1, -120(%rsp,%rax,4)\n\tmovl\t-120(%rsp), %eax\n\taddl\t$1, %eax\n\tret",
    )
    assert c.passed, c


def test_noreturn_callee_learned_from_the_original(tmp_path):
    """gcc puts nothing after a call it knows does not return (here a static helper that
    aborts); a rewrite may do the same, so the paths after it do not have to join."""
    src = (
        "#include <stdlib.h>\nstatic __attribute__((noinline)) void die(int c) { if (c) abort(); exit(1); }\n"
        "int checked_div(int a, int b) { if (b == 0) die(a); return a / b; }\n"
    )
    c = tmp_path / "src.c"
    c.write_text(src)
    ctx = make_context(c, "checked_div", ("-Os",))
    assert "die" in ctx.baseline_asm
    checks = static.check(ctx, Candidate(ctx.baseline_asm, "test"))
    assert all(k.passed for k in checks), checks


def test_indirect_tail_call_like_the_original(tmp_path):
    src = "long call(long (*f)(long), long x) { return f(x * 2); }\n"
    ok = judged(tmp_path, src, "call", "\tmovq\t%rdi, %rax\n\taddq\t%rsi, %rsi\n\tmovq\t%rsi, %rdi\n\tjmp\t*%rax")
    assert ok.passed, ok
    # jumping with rsp off its entry value is no tail call
    bad = judged(
        tmp_path,
        src,
        "call",
        "\tsubq\t$8, %rsp\n\tmovq\t%rdi, %rax\n\taddq\t%rsi, %rsi\n\tmovq\t%rsi, %rdi\n\tjmp\t*%rax",
    )
    assert bad.name == "static.flow" and not bad.passed


def test_stack_addresses_are_not_laundered(tmp_path):
    """A copy of rsp passed through a vector register, a spill and reload of another width, or
    two 32-bit halves is still a stack address: writing the return address through it rejects."""
    through_xmm = "\tmovq\t%rsp, %xmm0\n\tmovq\t%xmm0, %rax\n\tmovq\t$0, (%rax)\n\tleal\t1(%rdi), %eax\n\tret"
    spilled = (
        "\tmovq\t%rsp, %rax\n\tmovq\t%rax, -16(%rsp)\n\tmovq\t-16(%rsp), %xmm1\n\tmovq\t%xmm1, %rcx\n"
        "\tmovq\t$0, (%rcx)\n\tleal\t1(%rdi), %eax\n\tret"
    )
    halves = (
        "\tmovq\t%rsp, %rax\n\tmovl\t%eax, %ecx\n\tshrq\t$32, %rax\n\tshlq\t$32, %rax\n\torq\t%rcx, %rax\n"
        "\tmovq\t$0, (%rax)\n\tleal\t1(%rdi), %eax\n\tret"
    )
    for body in (through_xmm, spilled, halves):
        c = judged(tmp_path, INC, "f", body)
        assert c.name == "static.stack" and not c.passed, (body, c)
        assert "return address" in c.detail or "cannot pin down" in c.detail, c.detail


def test_caller_frame_writes_only_like_the_original(tmp_path):
    """Above the return address is the caller's frame: a function with no stack arguments has
    nothing to write there (the harness only watches 72 bytes of it); one whose original writes
    its incoming stack argument (gcc, before a tail call) may too."""
    c = judged(tmp_path, INC, "f", "\tmovq\t$0, 200(%rsp)\n\tleal\t1(%rdi), %eax\n\tret")
    assert c.name == "static.stack" and not c.passed and "caller's frame" in c.detail and "entry rsp+200" in c.detail
    src = (
        "extern long callee(long, long, long, long, long, long, long);\n"
        "long t(long a, long b, long c, long d, long e, long f, long g) { return callee(a, b, c, d, e, f, g + 1); }\n"
        "long seventh(long a, long b, long c, long d, long e, long f, long g) { g += a; return g * 3; }\n"
    )
    # seventh's original only reads its stack argument
    bad = judged(
        tmp_path,
        src,
        "seventh",
        "\tmovq\t8(%rsp), %rax\n\taddq\t%rdi, %rax\n\tmovq\t%rax, 8(%rsp)\n\tleaq\t(%rax,%rax,2), %rax\n\tret",
    )
    assert bad.name == "static.stack" and not bad.passed and "caller's frame" in bad.detail
    # t's original writes it before its tail call
    assert "8(%rsp)" in make_context(tmp_path / "src.c", "t").baseline_asm
    ok = judged(tmp_path, src, "t", "\tmovq\t8(%rsp), %rax\n\tincq\t%rax\n\tmovq\t%rax, 8(%rsp)\n\tjmp\tcallee@PLT")
    assert ok.passed, ok


def test_reading_its_own_code_rejected(tmp_path):
    """A candidate that reads its own instructions could see the harness's breakpoints and
    behave only while tested: its own code is not data."""
    peek = "\tleaq\t.L2(%rip), %rax\n\tmovzbl\t(%rax), %eax\n\tcmpl\t$204, %eax\n\tsete\t%al\n.L2:\n\tleal\t1(%rdi), %eax\n\tret"
    direct = "\tmovzbl\t.L2(%rip), %eax\n.L2:\n\tleal\t1(%rdi), %eax\n\tret"
    unrelocated = "\tmovzbl\t1(%rip), %eax\n\tleal\t1(%rdi), %eax\n\tret"
    for body in (peek, direct, unrelocated):
        c = judged(tmp_path, INC, "f", body)
        assert c.name == "static.flow" and not c.passed and "its own code as data" in c.detail, (body, c)


def test_incoming_values_are_only_saved(tmp_path):
    """The caller's rbx (a test harness's canary) and a register that carries no argument (the
    harness's poison) may be saved, restored and overwritten, never looked at: a candidate that
    looks can tell the harness from a real caller."""
    canary = (
        "\tmovabsq\t$0x1b1b1b1b1b1b1b1b, %rcx\n\tcmpq\t%rcx, %rbx\n\tsete\t%cl\n\tmovzbl\t%cl, %ecx\n"
        "\tleal\t2(%rdi), %eax\n\tsubl\t%ecx, %eax\n\tret"
    )
    c = judged(tmp_path, INC, "f", canary)
    assert c.name == "static.stack" and not c.passed and "%rbx had on entry" in c.detail
    poison = "\tleal\t1(%rdi), %eax\n\ttestq\t%r11, %r11\n\tjs\t.L1\n\tret\n.L1:\n\tret"
    c = judged(tmp_path, INC, "f", poison)
    assert c.name == "static.stack" and not c.passed and "%r11 had on entry" in c.detail
    saved = (
        "\tpushq\t%rbx\n\tmovq\t%r12, %r11\n\tmovl\t%edi, %ebx\n\tleal\t1(%rbx), %eax\n\tmovq\t%r11, %r12\n"
        "\tpopq\t%rbx\n\tret"
    )
    c = judged(tmp_path, INC, "f", saved)
    assert c.passed, c


def test_return_address_copy_only_like_gcc(tmp_path):
    """gcc's dynamically realigned frames push a copy of the return address (for the unwinder):
    allowed where the original does it, and the copy is never read back."""
    body = (
        "\tleaq\t8(%rsp), %r10\n\tandq\t$-32, %rsp\n\tpushq\t-8(%r10)\n\tmovq\t(%rsp), %rax\n"
        "\tleaq\t-8(%r10), %rsp\n\tleal\t1(%rdi), %eax\n\tret"
    )
    c = judged(tmp_path, INC, "f", body)
    assert c.name == "static.stack" and not c.passed and "return address" in c.detail


def test_caller_frame_reads_only_like_the_original(tmp_path):
    """Reading above the return address is reading stack arguments: a function without any has
    no business there (the harness keeps canaries there)."""
    c = judged(tmp_path, INC, "f", "\tmovq\t16(%rsp), %rax\n\tleal\t1(%rdi), %eax\n\tret")
    assert c.name == "static.stack" and not c.passed and "reads the caller's frame" in c.detail
    src = "long seventh(long a, long b, long c, long d, long e, long f, long g) { g += a; return g * 3; }\n"
    ok = judged(
        tmp_path, src, "seventh", "\tmovq\t8(%rsp), %rax\n\taddq\t%rdi, %rax\n\tleaq\t(%rax,%rax,2), %rax\n\tret"
    )
    assert ok.passed, ok


def test_relro_table_address_left_in_a_register_the_callee_does_not_take(tmp_path):
    """gcc leaves its RELRO table's address in registers a callee does not take; which those
    are, the callee's prototype (gcc's debugging information) says: strnlen takes two."""
    from corpus_flow import GOTO

    c = tmp_path / "g.c"
    c.write_text(GOTO)
    ctx = make_context(c, "interp")
    call = "\tcall\tstrnlen@PLT\n"
    assert ctx.baseline_asm.count(call) == 1
    verdicts = {}
    for r_ in ("rdx", "rcx", "rsi"):
        text = ctx.baseline_asm.replace(call, f"\tmovq\t%r15, %{r_}\n{call}")
        assert "ops.0(%rip), %r15" in text
        verdicts[r_] = static.check(ctx, Candidate(text, "test"))[-1]
    assert verdicts["rdx"].passed and verdicts["rcx"].passed, (verdicts["rdx"].detail, verdicts["rcx"].detail)
    assert verdicts["rsi"].name == "static.flow" and "RELRO table's address (maybe) in %rsi" in verdicts["rsi"].detail
