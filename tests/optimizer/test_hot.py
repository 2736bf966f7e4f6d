"""Hot-function selection: the static estimate, forced names, and a recorded profile that
changes the choice."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from gcc_wrapper.compile import asm, config

from gcc_wrapper.optimize import hot

SRC = r"""
#include <stdio.h>
#include <stdlib.h>
/* nested loops: the static estimate's favourite */
__attribute__((noipa)) long nested(const int *a, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            s += a[(i * 7 + j) % n] ^ j;
    return s;
}
/* one loop, but the workload below spends its time here */
__attribute__((noipa)) long single(const int *a, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) s = s * 31 + a[i] / (i | 1);
    return s;
}
int tiny(int x) { return x + 1; }
int main(void)
{
    static int a[1 << 16];
    for (int i = 0; i < (1 << 16); i++) a[i] = i * 2654435761u;
    long t = nested(a, 40);
    for (int r = 0; r < 1500; r++) { a[r] ^= r; t += single(a, (1 << 16) - (r & 1)); }
    printf("%ld %d\n", t, tiny(3));
    return 0;
}
"""


def cfg_for(tmp: Path, **over) -> config.Config:
    env = {"LLMCC_CACHE_DIR": str(tmp / "cache"), **{f"LLMCC_{k.upper()}": str(v) for k, v in over.items()}}
    return config.load(cwd=tmp, environ=env)


def unit_of(tmp: Path):
    src = tmp / "w.c"
    src.write_text(SRC)
    return asm.parse(
        subprocess.run(
            ["gcc", "-O3", "-fno-inline", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True
        ).stdout
    )


def test_static_estimate_prefers_nested_loops_and_skips_tiny_and_main(tmp_path):
    unit = unit_of(tmp_path)
    est = {n: hot.estimate(n, unit.functions[n].text()) for n in unit.functions}
    assert est["nested"].depth == 2 and est["single"].depth == 1
    assert est["nested"].score > est["single"].score > est["main"].score
    assert est["tiny"].score == 0
    assert hot.select(unit, cfg_for(tmp_path, hot_top=1)) == ["nested"]
    assert "tiny" not in hot.select(unit, cfg_for(tmp_path, hot_top=5))


def test_forced_names_come_first(tmp_path):
    unit = unit_of(tmp_path)
    assert hot.select(unit, cfg_for(tmp_path, hot_top=1, hot="tiny")) == ["tiny"]
    assert hot.select(unit, cfg_for(tmp_path, hot_top=2, hot="tiny,absent"))[:1] == ["tiny"]


def test_recorded_profile_changes_the_choice(tmp_path, llmcc_bin, llmcc_env):
    unit = unit_of(tmp_path)
    exe = tmp_path / "w"
    subprocess.run(["gcc", "-O3", "-fno-inline", "-o", str(exe), str(tmp_path / "w.c")], check=True)
    env = dict(llmcc_env, LLMCC_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", str(exe)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert "recorded with" in r.stdout
    files = list((tmp_path / "cache" / "profiles").glob("*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["tool"] in ("perf cpu-clock", "valgrind callgrind")
    prof = hot.load_profile(tmp_path / "cache", str(tmp_path))
    assert prof is not None and prof.get("single", 0) > prof.get("nested", 0)
    cfg = cfg_for(tmp_path, hot_top=1)
    assert hot.select(unit, cfg) == ["nested"]
    assert hot.select(unit, cfg, prof) == ["single"]
    # a profile recorded somewhere unrelated is not used
    assert hot.load_profile(tmp_path / "cache", "/usr") is None


def test_hot_functions_get_a_budget_a_candidate_can_be_timed_in_or_are_queued(tmp_path, monkeypatch):
    """Time goes where the samples are, but never in slices too thin to time one candidate: the
    hottest functions get at least search.least_budget, those left over wait in the queue with
    the reason, none is searched for nothing."""
    from gcc_wrapper.optimize import run, search, worklist

    unit = unit_of(tmp_path)
    cfg = cfg_for(tmp_path, mode="sync", budget=8, build_budget=8, hot_min_share=0.01)
    shares = {"nested": 0.5, "single": 0.3, "tiny": 0.15, "main": 0.05}
    monkeypatch.setattr(hot, "load_profile", lambda root, cwd: shares)
    searched: dict[str, float] = {}
    clock = [1000.0]

    class Clock:  # each search takes its whole budget
        monotonic = staticmethod(lambda: clock[0])
        time = staticmethod(time.time)

    def fake_search(ctx, proposers, *, budget_s, **kw):
        searched[ctx.name] = budget_s
        clock[0] += budget_s
        return search.Outcome(ctx.name, search.Status.NO_FASTER)

    monkeypatch.setattr(run, "time", Clock)
    monkeypatch.setattr(search, "optimize_function", fake_search)
    monkeypatch.setattr(run, "make_proposers", lambda *a, **k: [])
    job = run.UnitJob(str(tmp_path / "w.c"), str(tmp_path), "gcc", ("-O3",), ("-O3",), "x86-64")
    keys = {n: f"{i:040x}" for i, n in enumerate(shares)}
    run.optimize_unit(unit, job, cfg, keys)
    ctx, _ = run._context(unit, "nested", keys["nested"], job, cfg)
    least = search.least_budget(ctx)
    assert 8 * 0.5 < least < 8  # the profile's share alone would be too thin to time a candidate
    assert searched["nested"] >= least
    assert all(b >= least for b in searched.values())
    queued = {q.name: q.reason for q in worklist.items(cfg.cache_path)}
    assert set(searched) | set(queued) == set(shares)
    assert set(queued) and all(r.startswith("no sync budget left") for r in queued.values())
