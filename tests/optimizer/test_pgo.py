"""Profile-guided variants of the embedded proposer: real gcc, real training runs, real verification."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from gcc_wrapper.compile import asm

from gcc_wrapper.optimize import pgo
from gcc_wrapper.optimize.candidate import Context, Feedback
from gcc_wrapper.optimize.propose import embedded

# Rare branches and a data-dependent dispatch: with counters gcc lays the code out for the common
# path (block order, which side falls through), without them it guesses.
BRANCHY = """
int classify(const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) {
        int x = a[i];
        if (x % 7 == 0) s += x * 3;
        else if (x & 1) s -= x;
        else s ^= x;
    }
    return s;
}
"""
BRANCHY_PROTO = "int classify(const int *a, int n)"


def context(d: Path, src: str, name: str, proto: str, cflags: tuple[str, ...] = ("-O3",)) -> Context:
    f = d / f"{name}.c"
    f.write_text(src)
    unit = subprocess.run(["gcc", *cflags, "-S", "-o", "-", str(f)], capture_output=True, text=True, check=True).stdout
    fn = asm.parse(unit).functions[name]
    return Context(
        name=name,
        source_path=str(f),
        cflags=cflags,
        baseline_asm=fn.text(),
        unit_asm=unit,
        key="k-" + name,
        prototype=proto,
        cwd=str(d),
    )


def use_compile(ctx: Context, profile: pgo.Profile) -> subprocess.CompletedProcess:
    # the candidate compile's flags, without -w, and with the missing-profile warning on
    return subprocess.run(
        [ctx.compiler, *ctx.cflags, *profile.use_flags(), "-Wmissing-profile", "-S", "-o", "-", ctx.source_path],
        cwd=profile.cwd,
        env=pgo.compile_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_training_writes_the_counters_the_candidate_compile_reads(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    # the compile ran in a symlinked directory, and this process's PWD says so: the names of the
    # counters must still agree between the instrumented and the candidate compiles
    ctx = context(real, BRANCHY, "classify", BRANCHY_PROTO)
    ctx = Context(**{**ctx.__dict__, "cwd": str(link), "source_path": str(link / "classify.c")})
    monkeypatch.setenv("PWD", str(link))
    monkeypatch.setenv("GCOV_PREFIX", str(tmp_path / "elsewhere"))  # must not move the counters
    prof_dir = tmp_path / "prof"
    prof_dir.mkdir()
    prof = pgo.train(ctx, prof_dir)
    assert Path(prof.gcda).is_file() and Path(prof.gcda).parent == prof_dir.resolve()
    assert Path(prof.gcda).name == "llmcc-pgo.gcda"
    assert prof.inputs in {f"generated: size {n}" for n in (1024, 256, 64, 16)}
    used = use_compile(ctx, prof)
    assert used.returncode == 0, used.stderr
    assert "profile count data file not found" not in used.stderr
    with_profile = asm.parse(used.stdout).functions["classify"].normalized()
    assert with_profile != asm.parse_function(ctx.baseline_asm, "classify").normalized()
    # the control: the same compile without the counters says they are missing
    os.unlink(prof.gcda)
    assert "profile count data file not found" in use_compile(ctx, prof).stderr
    # the profile flags change how gcc optimizes, never the instruction set or the semantics
    assert not any(f.startswith(("-m", "-ffast-math", "-Ofast", "-fprofile-generate")) for f in prof.use_flags())


def test_pgo_variant_differs_from_gcc_and_passes_verification(tmp_path):
    from gcc_wrapper.optimize import verify

    ctx = context(tmp_path, BRANCHY, "classify", BRANCHY_PROTO)
    p = embedded.EmbeddedProposer()
    cands = p.propose(ctx, [], 3)
    pgo_cands = [c for c in cands if "-fprofile-use" in c.meta["flags"]]
    assert len(pgo_cands) == 1, [c.proposer for c in cands]
    cand = pgo_cands[0]
    assert cand.proposer == "embedded:-fprofile-use"
    assert embedded.allowed(cand.meta["flags"])
    assert any(f.startswith("-fprofile-use=") for f in cand.meta["gcc_flags"])
    assert (
        asm.parse_function(cand.asm, "classify").normalized()
        != asm.parse_function(ctx.baseline_asm, "classify").normalized()
    )
    verdict = verify.verify(ctx, cand, budget=60)
    assert verdict.accepted, verdict.reason
    assert any(c.name == "difftest" and c.passed for c in verdict.checks)
    # its children combine the profile with one more dimension, trained once for all of them
    kids = p.propose(ctx, [Feedback(cand)], 3)
    assert kids
    for k in kids:
        assert k.meta["flags"][0] == "-fprofile-use" and len(k.meta["variant"].choices) == 2
        assert embedded.allowed(k.meta["flags"])
    assert p.trainings == 1


def test_a_function_the_harness_cannot_drive_gets_no_pgo_variant(tmp_path):
    src = "struct p { int x, y; };\nint dot(const struct p *a, int n)\n{ int s = 0; for (int i = 0; i < n; i++) s += a[i].x * a[i].y; return s; }\n"
    ctx = context(tmp_path, src, "dot", "int dot(const struct p *a, int n)")
    p = embedded.EmbeddedProposer()
    cands = p.propose(ctx, [], 4)
    assert cands, "the other dimensions still propose"
    assert not any("-fprofile-use" in c.meta["flags"] for c in cands)
    assert "cannot drive" in str(p._profiles[ctx.key])
    with pytest.raises(pgo.TrainingError, match="cannot drive"):
        pgo.train(ctx, tmp_path / "prof")


def test_failed_training_yields_no_pgo_candidate_and_the_search_goes_on(tmp_path):
    from gcc_wrapper.optimize import search

    # it faults on the harness's inputs (every size is above 12: it reads far past its buffer),
    # not on most of differential testing's, so its other variants can still be verified
    src = (
        "long walk(const long *a, int n)\n{ long s = 0; if (n > 12) s = ((volatile const long *)a)[(long)n << 30];\n"
        "  for (int i = 0; i < n; i++) s += (a[i] & 3) ? a[i] : -a[i]; return s; }\n"
    )
    ctx = context(tmp_path, src, "walk", "long walk(const long *a, int n)")
    p = embedded.EmbeddedProposer()
    cands = p.propose(ctx, [], 3)
    assert cands and not any("-fprofile-use" in c.meta["flags"] for c in cands)
    assert str(p._profiles[ctx.key]).startswith("no profile:")
    with pytest.raises(pgo.TrainingError, match="quickly and cleanly"):
        pgo.train(ctx, tmp_path / "prof")

    class Cfg:
        threshold = 0.03

    class Recorder:
        root = tmp_path / "cache"

        def __init__(self):
            self.records: list[dict] = []

        def record_attempt(self, key, attempt):
            self.records.append(attempt)

        def record_context(self, key, context):
            pass

        def bump(self, counter, n=1):
            pass

    cache = Recorder()
    q = embedded.EmbeddedProposer()
    out = search.optimize_function(ctx, [q], budget_s=15, cache=cache, cfg=Cfg())
    assert out.status in ("unmeasurable", "unverifiable", "rejected", "no-faster", "nothing", "timeout"), out
    assert cache.records, "the search tried the other variants"
    assert not any("proposer failed" in r["reason"] for r in cache.records)
    assert not any("-fprofile-use" in r["proposer"] for r in cache.records)
    assert q.trainings == 1


# The branch taken depends on a scalar argument: generated inputs (values near the size, 512..1024)
# always take the first, the recorded calls (mode 5) always the second.
MODAL = """
long pick(const long *a, int n, int mode)
{
    long s = 0;
    for (int i = 0; i < n; i++) {
        if (mode > 100) s += a[i] * 3;
        else s ^= (a[i] >> 1) + i;
    }
    return s;
}
"""


def test_training_runs_on_the_recorded_calls_when_there_are_any(tmp_path):
    from gcc_wrapper.optimize import hot

    ctx = context(tmp_path, MODAL, "pick", "long pick(const long *a, int n, int mode)")
    regs = hot.ARG_REGISTERS
    calls = tuple(tuple({"rsi": 300 + k, "rdx": 5}.get(r, 0) for r in regs) for k in range(16))
    rec = hot.RecordedCalls("pick", regs, calls)
    gen = pgo.train(ctx, tmp_path / "gen")
    got = pgo.train(ctx, tmp_path / "rec", recorded=rec)
    assert gen.inputs.startswith("generated:")
    assert got.inputs.startswith("recorded: 16 calls"), got.inputs
    assert "mode=5" in got.inputs
    # the counters, and what gcc makes of them, follow the inputs
    assert Path(gen.gcda).read_bytes() != Path(got.gcda).read_bytes()
    texts = [asm.parse(use_compile(ctx, prof).stdout).functions["pick"].normalized() for prof in (gen, got)]
    assert texts[0] != texts[1]
    # recorded calls that do not fit the prototype: generated inputs, as the measurement falls back
    wrong = hot.RecordedCalls("pick", ("xmm0",), ((1,),))
    assert pgo.train(ctx, tmp_path / "fallback", recorded=wrong).inputs.startswith("generated:")


def test_training_respects_the_deadline(tmp_path):
    ctx = context(tmp_path, BRANCHY, "classify", BRANCHY_PROTO)
    t0 = time.monotonic()
    with pytest.raises(pgo.TrainingError, match="out of time"):
        pgo.train(ctx, tmp_path / "prof", deadline=time.monotonic() + 0.2)
    assert time.monotonic() - t0 < 5


def test_denylist_keeps_profiles_to_the_proposers_own_training():
    assert embedded.allowed(["-fprofile-use"])
    assert embedded.allowed(["-fprofile-use", "-funroll-loops"])
    for bad in (
        ["-fprofile-use=/somewhere/else"],
        ["-fprofile-generate"],
        ["-fprofile-generate=/x"],
        ["--coverage"],
        ["-fprofile-arcs"],
        ["-fauto-profile=perf.afdo"],
        ["-fprofile-update=atomic"],
        ["-pg"],
    ):
        assert not embedded.allowed(bad), bad
    assert ("pgo", (embedded.PGO,)) in embedded.DIMENSIONS


def test_a_build_with_its_own_profiling_is_left_alone(tmp_path):
    ctx = context(tmp_path, BRANCHY, "classify", BRANCHY_PROTO, cflags=("-O3", "-fprofile-arcs"))
    with pytest.raises(pgo.TrainingError, match="its own profiling"):
        pgo.train(ctx, tmp_path / "prof")


MAIN = """#include <stdio.h>
int classify(const int *a, int n);
int main(void)
{
    static int a[8192];
    unsigned s = 1;
    for (int i = 0; i < 8192; i++) { s = s * 1103515245u + 12345u; a[i] = (int)(s >> 16) % 1000; }
    long t = 0;
    for (int r = 0; r < 20; r++) t += classify(a, 8192 - r);
    printf("%ld\\n", t);
    return 0;
}
"""


def test_a_sync_build_tries_the_pgo_variant_and_records_it(tmp_path, llmcc_env, llmcc_bin, cache_dir):
    import json

    (tmp_path / "k.c").write_text(BRANCHY)
    (tmp_path / "main.c").write_text(MAIN)
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="20", LLMCC_PROPOSER="embedded", LLMCC_HOT="classify")
    for f in ("k", "main"):
        subprocess.run([str(llmcc_bin), "-O3", "-c", f"{f}.c", "-o", f"{f}.o"], cwd=tmp_path, env=env, check=True)
    subprocess.run(["gcc", "-o", "prog", "k.o", "main.o"], cwd=tmp_path, check=True)
    ref = subprocess.run(["gcc", "-O3", "-o", "ref", "k.c", "main.c"], cwd=tmp_path, check=True)
    assert ref.returncode == 0
    out = [
        subprocess.run([f"./{x}"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
        for x in ("prog", "ref")
    ]
    assert out[0] == out[1]
    tried = [
        json.loads(line)
        for f in (cache_dir / "attempts").rglob("*")
        if f.is_file()
        for line in f.read_text().splitlines()
        if line.strip()
    ]
    pgo_tried = [a for a in tried if a["proposer"].split(":", 1)[-1].split()[:1] == ["-fprofile-use"]]
    assert pgo_tried, [a["proposer"] for a in tried]
    # verified (differential testing passed) and then timed: faster or not, never rejected
    first = pgo_tried[0]
    assert first["outcome"] in ("accepted", "slower"), first
    assert first["speedup"] is not None
