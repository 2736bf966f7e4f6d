"""Profile feedback trained on the workload itself (pgo.train_on_workload): the whole unit,
instrumented, patched into a copy of the profiled program, the workload run on it; the counters
are what the program did in every function of the unit, and gcc reads them."""

from __future__ import annotations

import hashlib
import struct
import subprocess
from pathlib import Path

import pytest

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize import pgo, workload
from gcc_wrapper.optimize.candidate import Context
from gcc_wrapper.optimize.propose import embedded

# main calls mix exactly N times (it is kept out of line) and qsort calls cmp, through a pointer:
# the counters must see both, though neither is main
PROG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) static unsigned mix(unsigned x, int k)
{
    for (int i = 0; i < k; i++) x = x * 1103515245u + 12345u;
    return x;
}
static int cmp(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000, rounds = argc > 2 ? atoi(argv[2]) : 1;
    unsigned *a = malloc(n * sizeof *a), s = 1, t = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) { s = mix(s, (i % 3) + 1); a[i] = s; }
        qsort(a, n, sizeof *a, cmp);
        t += a[n / 2];
    }
    printf("%u %u %u\n", a[0], a[n - 1], t);
    fflush(stdout);
    if (argc > 3) _exit(0);  /* leaves without running the exit handlers */
    return 0;
}
"""
N, ROUNDS = 20000, 40


def _profiled(d: Path, llmcc_bin, llmcc_env, *extra: str) -> Context:
    (d / "m.c").write_text(PROG)
    subprocess.run(["gcc", "-O3", "-o", "m", "m.c"], cwd=d, check=True)
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", "./m", str(N), str(ROUNDS), *extra],
        cwd=d,
        env=llmcc_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    w = workload.find(Path(llmcc_env["LLMCC_CACHE_DIR"]), str(d))
    assert w is not None
    unit = subprocess.run(
        ["gcc", "-O3", "-S", "-o", "-", str(d / "m.c")], capture_output=True, text=True, check=True
    ).stdout
    return Context(
        "main",
        str(d / "m.c"),
        ("-O3",),
        asm.parse(unit).functions["main"].text(),
        unit,
        key="k-main",
        cwd=str(d),
        workload=w.profile,
    )


def _records(data: bytes) -> list[tuple[int, tuple[int, ...]]]:
    """(ident, counts) of each function record of a counters file pgo.gcda wrote."""
    out, at = [], 32
    while at + 4 < len(data):
        _tag, _len, ident, _line, _cfg, _arcs, size = struct.unpack_from("<7I", data, at)
        at += 28
        out.append((ident, struct.unpack_from(f"<{size // 8}Q", data, at)))
        at += size
    return out


def test_the_workload_trains_every_function_of_the_unit_and_gcc_reads_it(tmp_path, llmcc_bin, llmcc_env):
    ctx = _profiled(tmp_path, llmcc_bin, llmcc_env)
    exe_before = hashlib.sha256((tmp_path / "m").read_bytes()).hexdigest()
    listing = sorted(p.name for p in tmp_path.iterdir())
    prof = pgo.train(ctx, tmp_path / "pgo")
    assert prof.inputs == f"workload: `./m {N} {ROUNDS}`"
    records = _records(Path(prof.gcda).read_bytes())
    assert len(records) == 3  # main, mix, cmp
    firsts = sorted(c[0] for _, c in records)
    # mix's entry ran once per element and round; cmp's as often as qsort compared; main's once
    assert firsts[0] == 1 and N * ROUNDS in firsts and firsts[-1] > N * ROUNDS
    # the program and the directory the workload ran in are as they were
    assert hashlib.sha256((tmp_path / "m").read_bytes()).hexdigest() == exe_before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*listing, "pgo"])
    # gcc takes the counters as this unit's, and they change main's code
    flags = [f for f in prof.use_flags() if f != "-Wno-coverage-mismatch"]
    use = subprocess.run(
        ["gcc", "-O3", *flags, "-Werror=coverage-mismatch", "-S", "-o", "-", ctx.source_path],
        cwd=prof.cwd,
        capture_output=True,
        text=True,
        env=pgo.compile_env(),
    )
    assert use.returncode == 0, use.stderr
    assert (
        asm.parse(use.stdout).functions["main"].normalized()
        != asm.parse_function(ctx.baseline_asm, "main").normalized()
    )


def test_the_embedded_proposer_proposes_main_trained_on_the_workload(tmp_path, llmcc_bin, llmcc_env):
    ctx = _profiled(tmp_path, llmcc_bin, llmcc_env)
    p = embedded.EmbeddedProposer()
    cands = []
    for _ in range(4):
        cands += p.propose(ctx, [], 3)
        if any("-fprofile-use" in c.meta["flags"] for c in cands):
            break
    trained = [c for c in cands if "-fprofile-use" in c.meta["flags"]]
    assert trained, [c.proposer for c in cands]
    assert p.trainings == 1 and p._profiles[ctx.key].inputs.startswith("workload: ")
    check = workload.judge(ctx).compare(trained[0].asm)
    assert check.passed, check.detail


def test_a_program_that_leaves_without_exit_trains_nothing(tmp_path, llmcc_bin, llmcc_env):
    ctx = _profiled(tmp_path, llmcc_bin, llmcc_env, "quick-exit")
    with pytest.raises(pgo.TrainingError, match="left no counters"):
        pgo.train_on_workload(ctx, tmp_path / "pgo")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".llmcc-counters")]
