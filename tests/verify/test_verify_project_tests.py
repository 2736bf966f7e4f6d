"""Project tests with the candidate built in (a real make project), and the program-level
differential test."""

from __future__ import annotations

import subprocess
from pathlib import Path

from verify_helpers import make_context

from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.verify import project_tests
from gcc_wrapper.optimize.verify import verify

MAKEFILE = """\
CC ?= cc
prog: main.o lib.o
\t$(CC) -o $@ main.o lib.o
%.o: %.c
\t$(CC) -O2 -c $< -o $@
check: prog
\t./prog 5 | grep -qx 120
\t./prog 0 | grep -qx 1
"""
LIB = (
    "unsigned fact(unsigned n) { unsigned r = 1; while (n > 1) r *= n--; return r; }\n"
    "int apply(int *(*f)(int), int x) { return *f(x) * 2; }\n"
)
MAIN = (
    "#include <stdio.h>\n#include <stdlib.h>\nunsigned fact(unsigned);\n"
    'int main(int c, char **v) { printf("%u\\n", fact(atoi(v[1]))); return 0; }\n'
)


def project(tmp_path: Path) -> Path:
    d = tmp_path / "proj"
    d.mkdir()
    (d / "Makefile").write_text(MAKEFILE)
    (d / "lib.c").write_text(LIB)
    (d / "main.c").write_text(MAIN)
    subprocess.run(["make", "-s", "prog"], cwd=d, check=True, capture_output=True)
    return d


def fn(name: str, body: str) -> str:
    return f"\t.text\n\t.globl\t{name}\n\t.type\t{name}, @function\n{name}:\n{body}\n\t.size\t{name}, .-{name}\n"


APPLY_OK = fn(
    "apply",
    "\tsubq\t$8, %rsp\n\tmovq\t%rdi, %rax\n\tmovl\t%esi, %edi\n\tcall\t*%rax\n\tmovl\t(%rax), %eax\n\taddq\t$8, %rsp\n\taddl\t%eax, %eax\n\tret",
)
APPLY_WRONG = fn(
    "apply",
    "\tsubq\t$8, %rsp\n\tmovq\t%rdi, %rax\n\tmovl\t%esi, %edi\n\tcall\t*%rax\n\tmovl\t(%rax), %eax\n\taddq\t$8, %rsp\n\tleal\t1(%rax,%rax), %eax\n\tret",
)
FACT_WRONG = fn("fact", "\tmovl\t$120, %eax\n\tret")


def test_tests_decide_when_difftest_cannot(tmp_path):
    d = project(tmp_path)
    ctx = make_context(d / "lib.c", "apply")
    # apply takes a function returning a pointer: not testable by difftest, so without tests: error
    assert verify(ctx, Candidate(APPLY_OK, "t")).verdict == "error"
    # gcc's own code (the embedded proposer's): the tests decide
    v = verify(ctx, Candidate(APPLY_OK, "embedded:-O2"), tests="make -s check")
    assert v.verdict == "accept", v.reason
    assert [c.name for c in v.checks][-1] == "tests"
    # a hand-written one passes the tests too, but nothing shows its code ran: not accepted
    v = verify(ctx, Candidate(APPLY_OK, "t"), tests="make -s check")
    assert v.verdict == "error" and v.checks[-1].name == "coverage", v.reason
    assert any(c.name == "tests" and c.passed for c in v.checks)


def test_tests_reject_a_wrong_candidate(tmp_path):
    d = project(tmp_path)
    # the candidate is built into a copy: the user's tree is untouched
    before = (d / "lib.o").read_bytes()
    t = project_tests.run(make_context(d / "lib.c", "fact"), Candidate(FACT_WRONG, "t"), "make -s check")
    assert not t.passed and "failed" in t.detail
    assert (d / "lib.o").read_bytes() == before
    ok = project_tests.run(
        make_context(d / "lib.c", "fact"),
        Candidate(make_context(d / "lib.c", "fact").baseline_asm, "t"),
        "make -s check",
    )
    assert ok.passed, ok.detail


def test_compare_programs(tmp_path):
    src = tmp_path / "p.c"
    src.write_text(
        '#include <stdio.h>\nint main(void) { int c; long s = 0; while ((c = getchar()) != EOF) s += c; printf("%ld\\n", s); return s % 7; }\n'
    )
    wrong = tmp_path / "q.c"
    wrong.write_text(src.read_text().replace("s += c", "s += c & 0x7f"))
    for c in (src, wrong):
        subprocess.run(["gcc", "-O2", "-o", str(c.with_suffix("")), str(c)], check=True)
    ins = []
    for i, data in enumerate([b"", b"hello", bytes(range(256))]):
        p = tmp_path / f"in{i}"
        p.write_bytes(data)
        ins.append(p)
    same = project_tests.compare_programs([str(tmp_path / "p")], [str(tmp_path / "p")], ins)
    assert same.passed
    diff = project_tests.compare_programs([str(tmp_path / "p")], [str(tmp_path / "q")], ins)
    assert not diff.passed and "in2" in diff.detail


def test_program_level_comparison(tmp_path, llmcc_bin, llmcc_env):
    d = project(tmp_path)
    ins = tmp_path / "inputs"
    ins.mkdir()
    # the program reads its argument, not stdin: a wrapper script feeds stdin to it
    (d / "run.sh").write_text('#!/bin/sh\nread n\nexec "$(dirname "$0")/prog" "$n"\n')
    (d / "run.sh").chmod(0o755)
    for i, n in enumerate(("0", "1", "5", "7")):
        (ins / f"{i}.in").write_text(n + "\n")
    (tmp_path / "wrong.s").write_text(FACT_WRONG)
    (tmp_path / "same.s").write_text(make_context(d / "lib.c", "fact").baseline_asm)
    args = ["verify", "--build", "make -s prog", "--run", "run.sh", "--inputs", str(ins / "*.in"), "lib.c", "fact"]
    r = subprocess.run(
        [str(llmcc_bin), *args, str(tmp_path / "wrong.s")],
        cwd=d,
        env=llmcc_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and "reject: difftest" in r.stdout  # difftest catches it first
    apply_wrong = tmp_path / "apply.s"
    apply_wrong.write_text(APPLY_WRONG)
    # apply's callback returns a pointer: only the program comparison can judge it; prog never calls apply,
    # so both builds behave the same and the comparison passes on these inputs (testing is not
    # proof); no compared input ran the candidate, so a hand-written one is still not accepted
    args[-1] = "apply"
    r = subprocess.run(
        [str(llmcc_bin), *args, str(apply_wrong)], cwd=d, env=llmcc_env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "the program comparison passed" in r.stdout and "[ok] programs" in r.stdout
    assert "[FAIL] coverage" in r.stdout
    bad = subprocess.run(
        [str(llmcc_bin), "verify", "--build", "make -s prog", "lib.c", "fact", str(tmp_path / "same.s")],
        cwd=d,
        env=llmcc_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "go together" in bad.stderr


def test_program_comparison_rejects(tmp_path):
    d = project(tmp_path)
    (d / "run.sh").write_text('#!/bin/sh\nread n\nexec "$(dirname "$0")/prog" "$n"\n')
    (d / "run.sh").chmod(0o755)
    ins = []
    for i, n in enumerate(("0", "5")):
        p = tmp_path / f"{i}.in"
        p.write_text(n + "\n")
        ins.append(str(p))
    ctx = make_context(d / "lib.c", "fact")
    t = project_tests.run_programs(
        ctx, Candidate(FACT_WRONG, "t"), project_tests.Programs("make -s prog", "run.sh", tuple(ins))
    )
    assert not t.passed and "0.in" in t.detail and "output differs" in t.detail
    ok = project_tests.run_programs(
        ctx, Candidate(ctx.baseline_asm, "t"), project_tests.Programs("make -s prog", "run.sh", tuple(ins))
    )
    assert ok.passed, ok.detail
