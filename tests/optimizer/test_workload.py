"""The workload as judge (workload.py): the command `llmcc profile` ran, run again with the
profiled program patched, one function replaced; outputs compared, the whole program timed. This
is what verifies and times functions nothing else can (main, whose work gcc inlined into it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize import workload
from gcc_wrapper.optimize.candidate import Context

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload_helpers import function, profile_workload, unit  # noqa: E402

PROG = r"""
#include <stdio.h>
#include <stdlib.h>
static unsigned step(unsigned x) { return x * 1103515245u + 12345u; }
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3000, rounds = argc > 2 ? atoi(argv[2]) : 3000;
    unsigned *a = malloc(n * sizeof *a);
    unsigned s = 1;
    long acc = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) { s = step(s); a[i] = s >> 7; }
        for (int i = 0; i < n; i++) acc += (a[i] % 7 == 3) ? a[i] : -(long)(a[i] & 15);
    }
    FILE *f = fopen("result.txt", "w");
    fprintf(f, "%ld\n", acc);
    fclose(f);
    printf("%ld\n", acc % 1000);
    return 0;
}
"""


def _unit(d: Path, *flags: str) -> str:
    return subprocess.run(
        ["gcc", "-O3", *flags, "-S", "-o", "-", "m.c"], cwd=d, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def profiled(tmp_path, llmcc_bin, llmcc_env):
    (tmp_path / "m.c").write_text(PROG)
    subprocess.run(["gcc", "-O3", "-o", "m", "m.c"], cwd=tmp_path, check=True)
    (tmp_path / "result.txt").write_text("the user's own file\n")
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", "./m", "3000", "300"],
        cwd=tmp_path,
        env=llmcc_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    (tmp_path / "result.txt").write_text("the user's own file\n")  # the profile's own runs wrote it
    w = workload.find(Path(llmcc_env["LLMCC_CACHE_DIR"]), str(tmp_path))
    assert w is not None and w.command == ("./m", "3000", "300")
    u = _unit(tmp_path)
    ctx = Context(
        "main",
        str(tmp_path / "m.c"),
        ("-O3",),
        asm.parse(u).functions["main"].text(),
        u,
        cwd=str(tmp_path),
        workload=w.profile,
    )
    return tmp_path, ctx


def test_gccs_variants_give_the_same_outputs_and_a_wrong_one_does_not(profiled):
    d, ctx = profiled
    judge = workload.judge(ctx)
    for flags in (("-funroll-loops",), ("-O2",), ("-fno-if-conversion",)):
        check = judge.compare(asm.parse(_unit(d, *flags)).functions["main"].text())
        assert check.passed, check.detail
    wrong = ctx.baseline_asm.replace("$1103515245", "$1103515247")
    assert wrong != ctx.baseline_asm
    check = judge.compare(wrong)
    assert not check.passed and "stdout differs" in check.detail
    # the program's file output is compared too, and the user's file is never touched
    other_file = ctx.baseline_asm.replace('"result.txt"', '"resulx.txt"')  # same stdout, another file
    assert other_file != ctx.baseline_asm
    check = judge.compare(other_file)
    assert not check.passed and "the files it writes differ (result.txt, resulx.txt)" in check.detail, check.detail
    assert (d / "result.txt").read_text() == "the user's own file\n"


def test_the_whole_program_is_timed_with_its_noise(profiled):
    d, ctx = profiled
    m = workload.judge(ctx).time(asm.parse(_unit(d, "-O2")).functions["main"].text(), 3, d / "lock")
    assert m.rounds == 3 and m.method.startswith("workload cpu-time (`./m 3000 300`, noise ")
    assert 0 <= workload.noise_of(m) < 1 and all(c > 0 for c in m.candidate)


def test_a_workload_that_does_not_repeat_itself_judges_nothing(tmp_path, llmcc_bin, llmcc_env):
    (tmp_path / "r.c").write_text(
        "#include <stdio.h>\n#include <time.h>\nint main(void){ struct timespec t; "
        "clock_gettime(CLOCK_MONOTONIC, &t); long s = 0; for (long i = 0; i < 20000000; i++) "
        's += i ^ t.tv_nsec; printf("%ld %ld\\n", s, t.tv_nsec); return 0; }\n'
    )
    subprocess.run(["gcc", "-O3", "-o", "r", "r.c"], cwd=tmp_path, check=True)
    subprocess.run(
        [str(llmcc_bin), "profile", "--no-states", "--", "./r"],
        cwd=tmp_path,
        env=llmcc_env,
        check=True,
        capture_output=True,
    )
    w = workload.find(Path(llmcc_env["LLMCC_CACHE_DIR"]), str(tmp_path))
    u = subprocess.run(["gcc", "-O3", "-S", "-o", "-", "r.c"], cwd=tmp_path, capture_output=True, text=True).stdout
    ctx = Context(
        "main",
        str(tmp_path / "r.c"),
        ("-O3",),
        asm.parse(u).functions["main"].text(),
        u,
        cwd=str(tmp_path),
        workload=w.profile,
    )
    with pytest.raises(workload.JudgeError, match="does not repeat itself"):
        workload.judge(ctx).compare(ctx.baseline_asm)


TABLE = r"""
#include <stdio.h>
#include <stdlib.h>
static long add(long a, long b) { return a + b; }
static long sub(long a, long b) { return a - b; }
static long mul(long a, long b) { return a * b; }
static long mix(long a, long b) { return (a ^ b) * 31; }
int main(int argc, char **argv)
{
    /* a table of function pointers: absolute addresses, which a PIE has relocated at load time */
    static long (*const ops[4])(long, long) = {add, sub, mul, mix};
    long n = argc > 1 ? atol(argv[1]) : 1000, acc = 1;
    unsigned s = 7;
    for (long i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        acc = ops[(s >> 9) & 3](acc, (long)(s >> 12)) & 0xffffffffL;
    }
    printf("%ld\n", acc);
    return 0;
}
"""


def test_code_with_absolute_addresses_is_judged_in_a_pie(tmp_path, llmcc_bin, llmcc_env):
    (tmp_path / "t.c").write_text(TABLE)
    subprocess.run(["gcc", "-O3", "-o", "t", "t.c"], cwd=tmp_path, check=True)
    with open(tmp_path / "t", "rb") as f:
        assert f.read(18)[16:18] == b"\x03\x00"  # a PIE, as gcc makes by default here
    w = profile_workload(tmp_path, llmcc_bin, llmcc_env, "./t", "20000000")

    def main_of(*flags: str) -> str:
        return function(tmp_path, "t.c", "main", *flags)

    ctx = Context(
        "main", str(tmp_path / "t.c"), ("-O3",), main_of(), unit(tmp_path, "t.c"), cwd=str(tmp_path), workload=w.profile
    )
    assert ".quad\tadd" in ctx.baseline_asm  # the table travels with main, relocated by its 8-byte addresses
    judge = workload.judge(ctx)
    check = judge.compare(main_of("-O2", "-funroll-loops"))
    assert check.passed, check.detail
    # the same table with two entries swapped: the addresses are used, and they are the program's
    swapped = ctx.baseline_asm.replace(".quad\tadd", ".quad\tTMP").replace(".quad\tsub", ".quad\tadd")
    swapped = swapped.replace(".quad\tTMP", ".quad\tsub")
    assert swapped != ctx.baseline_asm
    check = judge.compare(swapped)
    assert not check.passed and "stdout differs" in check.detail, check.detail


def test_a_sync_build_optimizes_main_judged_by_the_workload(profiled, llmcc_bin, llmcc_env):
    d, _ = profiled
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="45", LLMCC_BUILD_BUDGET="45")
    r = subprocess.run(
        [str(llmcc_bin), "-O3", "-c", "m.c", "-o", "m.o"], cwd=d, env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(
        subprocess.run([str(llmcc_bin), "report", "--json"], cwd=d, env=env, capture_output=True, text=True).stdout
    )
    main = {h["name"]: h for h in report["hot"]}["main"]
    assert main["status"] in ("accepted", "no-faster"), main  # verified and timed: never "unmeasurable"
    tried = [a for a in report["attempts"] if a["function"] == "main"]
    assert (
        any("workload" in (a["reason"] or "") or a["outcome"] == "slower" for a in tried)
        or main["status"] == "accepted"
    )
    # whatever was kept, the program prints and writes what gcc's does
    subprocess.run(["gcc", "-O3", "m.o", "-o", "m2"], cwd=d, check=True)
    subprocess.run(["gcc", "-O3", "m.c", "-o", "m3"], cwd=d, check=True)
    out2 = subprocess.run(["./m2", "1000", "50"], cwd=d, capture_output=True, text=True).stdout
    r2 = (d / "result.txt").read_text()
    out3 = subprocess.run(["./m3", "1000", "50"], cwd=d, capture_output=True, text=True).stdout
    assert out2 == out3 and r2 == (d / "result.txt").read_text()
    if main["status"] == "accepted":
        assert "the workload's outputs" in main["detail"]
    os.unlink(d / "m2")


def test_a_candidate_that_overwrites_files_is_stopped(profiled, tmp_path_factory):
    """With the static checks out of the way (the judge called directly), a candidate main that
    overwrites a file of the workload's directory and one outside it, through the program's own
    fopen: the overlay keeps the directory as it was, the sandbox the rest of the machine."""
    d, ctx = profiled
    outside = tmp_path_factory.mktemp("outside") / "keep.txt"
    outside.write_text("keep me\n")
    (d / "hostile.c").write_text(f"""
#include <stdio.h>
int main(void)
{{
    FILE *f = fopen("result.txt", "w");
    fprintf(f, "%ld\\n", 7L);
    fclose(f);
    FILE *g = fopen("{outside}", "w");
    printf("%d\\n", g != 0);
    return 0;
}}
""")
    text = subprocess.run(
        ["gcc", "-O2", "-S", "-o", "-", "hostile.c"], cwd=d, capture_output=True, text=True, check=True
    ).stdout
    check = workload.judge(ctx).compare(asm.parse(text).functions["main"].text())
    assert not check.passed
    assert (d / "result.txt").read_text() == "the user's own file\n"
    assert outside.read_text() == "keep me\n"


def test_only_gccs_own_variants_are_verified_by_the_workload_alone(profiled):
    """One run of one workload says nothing of the code it never reaches: a rewrite gcc did not
    produce (a model's, a file's) is not accepted on the workload's outputs alone."""
    from gcc_wrapper.optimize.candidate import Candidate
    from gcc_wrapper.optimize.verify import verify

    d, ctx = profiled
    text = asm.parse(_unit(d, "-O2")).functions["main"].text()
    gcc_made = verify(ctx, Candidate(text, "embedded:-O2"))
    assert gcc_made.accepted and any(c.name == "workload" and c.passed for c in gcc_made.checks), gcc_made.reason
    modelled = verify(ctx, Candidate(text, "llm:some-model"))
    assert modelled.verdict == "error" and not any(c.name == "workload" for c in modelled.checks), modelled.reason


def test_a_function_the_workload_cannot_judge_says_why(profiled):
    """When nothing else can test a gcc variant and the workload cannot take it either, the
    verdict names the workload's reason (what a user would change), not only the missing tests."""
    from gcc_wrapper.optimize.candidate import Candidate
    from gcc_wrapper.optimize.verify import verify

    d, ctx = profiled
    absolute = ctx.baseline_asm.replace("\tret\n", "\tmovl\t$main, %ecx\n\tret\n", 1)
    v = verify(ctx, Candidate(absolute, "embedded:-O2"))
    assert v.verdict == "error", v.reason
    assert "the workload could not judge it: it uses 32-bit absolute addresses (main)" in v.reason


def test_a_hidden_function_of_a_library_unit_is_judged(tmp_path, llmcc_bin, llmcc_env):
    """A function of hidden visibility (a library's internal one, Lua's luaV_execute) is local in
    the linked program and filed after every unit's own symbols: it is still the unit's."""
    (tmp_path / "k.c").write_text(
        '__attribute__((visibility("hidden"))) long work(long n)\n'
        "{ long s = 0; for (long i = 0; i < n; i++) s += (i * i) ^ (s >> 3); return s; }\n"
    )
    (tmp_path / "m.c").write_text(
        "#include <stdio.h>\n#include <stdlib.h>\nlong work(long n);\n"
        'int main(int argc, char **argv) { printf("%ld\\n", work(atol(argv[1]))); return 0; }\n'
    )
    subprocess.run(["gcc", "-O3", "-o", "p", "k.c", "m.c"], cwd=tmp_path, check=True)
    assert " t work" in subprocess.run(["nm", "p"], cwd=tmp_path, capture_output=True, text=True).stdout  # local
    w = profile_workload(tmp_path, llmcc_bin, llmcc_env, "./p", "300000000")

    def work_of(*flags: str) -> str:
        return function(tmp_path, "k.c", "work", *flags)

    ctx = Context("work", str(tmp_path / "k.c"), ("-O3",), work_of(), "", cwd=str(tmp_path), workload=w.profile)
    judge = workload.judge(ctx)
    assert judge.compare(work_of("-O2")).passed
    check = judge.compare(work_of().replace("sarq\t$3", "sarq\t$4", 1))
    assert not check.passed and "stdout differs" in check.detail, check.detail
