"""Inputs recorded from the workload: `llmcc profile` records states of the hottest functions'
calls (states/record.py), whose argument registers the function harness uses as scalar inputs.

The program reads its size from stdin (777 here; 100 without input), so the recorded value also
shows that the recording run was given the profiled run's input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gcc_wrapper.compile import asm

from gcc_wrapper.optimize import hot, measure
from gcc_wrapper.optimize.candidate import Candidate, Context
from optimizer_kernels import BITS_FAST, BITS_SLOW, bits_main

SRC = r"""
#include <stdio.h>
__attribute__((noipa)) long scan(const int *a, int n, double w)
{
    long s = 0;
    for (int i = 0; i < n; i++) s += (a[i] ^ i) * (long)w;
    return s;
}
int main(void)
{
    static int a[1 << 20];
    int n = 100;
    if (scanf("%d", &n) != 1) n = 100;
    for (int i = 0; i < (1 << 20); i++) a[i] = i * 2654435761u;
    long t = 0;
    for (int r = 0; r < 60000; r++) t += scan(a, n, 1.5 + (r & 1));
    printf("total %ld\n", t);
    return 0;
}
"""
PROTO = "long scan(const int *a, int n, double w)"


@pytest.fixture(scope="module")
def profiled(tmp_path_factory, llmcc_bin):
    """The program, built and profiled once: (its directory, the cache directory, llmcc's stdout)."""
    d = tmp_path_factory.mktemp("recorded")
    (d / "prog.c").write_text(SRC)
    subprocess.run(["gcc", "-O3", "-o", "prog", "prog.c"], cwd=d, check=True)
    (d / "input.txt").write_text("777\n")
    cache = d / "cache"
    env = {
        "PATH": f"{llmcc_bin.parent}:/usr/local/bin:/usr/bin:/bin",
        "LLMCC_CACHE_DIR": str(cache),
        "XDG_CONFIG_HOME": str(d / "xdg"),
    }
    with open(d / "input.txt") as stdin:
        r = subprocess.run(
            [str(llmcc_bin), "profile", "--", "./prog"],
            cwd=d,
            env=env,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert r.returncode == 0, r.stderr
    return d, cache, r.stdout


def test_profile_records_the_hot_functions_arguments(profiled):
    d, cache, out = profiled
    assert out.count("total ") == 1 or "callgrind" in out  # the recording run's output is not the user's
    assert "states recorded" in out
    data = json.loads(next((cache / "profiles").glob("*.json")).read_text())
    assert data["arguments"]["registers"][:2] == ["rdi", "rsi"]
    rec = hot.recorded_calls(cache, str(d), "scan")
    assert rec is not None
    # called 60000 times: a few bursts of calls spread over the run, never more than RECORD_CALLS
    assert 8 <= len(rec.calls) <= hot.RECORD_CALLS
    n = [c[rec.registers.index("rsi")] & 0xFFFFFFFF for c in rec.calls]
    assert set(n) == {777}
    w = measure.recorded_inputs(measure.parse_prototype(PROTO, "scan"), rec)
    assert sorted(set(w.values(1))) == [1.5, 2.5]
    # a directory the profile is not related to has none
    assert hot.recorded_calls(cache, "/usr", "scan") is None


def test_measurement_uses_the_recorded_inputs(profiled):
    d, cache, _ = profiled
    unit = subprocess.run(
        ["gcc", "-O3", "-S", "-o", "-", "prog.c"], cwd=d, capture_output=True, text=True, check=True
    ).stdout
    fn = asm.parse(unit).functions["scan"]
    ctx = Context(
        name="scan",
        source_path=str(d / "prog.c"),
        cflags=("-O3",),
        baseline_asm=fn.text(),
        unit_asm=unit,
        prototype=PROTO,
        cwd=str(d),
    )
    m = measure.measure(ctx, Candidate(fn.text(), "test"), rounds=4, lock_dir=cache)
    assert "recorded inputs" in m.method and "n=777" in m.method, m.method
    assert "w=1.5|2.5" in m.method, m.method
    g = measure.measure(ctx, Candidate(fn.text(), "test"), rounds=4, lock_dir=cache, recorded=False)
    assert "generated inputs" in g.method and "777" not in g.method, g.method


def _unit(tmp: Path, src: str) -> str:
    (tmp / "k.c").write_text(src)
    return subprocess.run(
        ["gcc", "-O3", "-S", "-o", "-", "k.c"], cwd=tmp, capture_output=True, text=True, check=True
    ).stdout


def _calls(*rows: tuple[int, ...]) -> hot.RecordedCalls:
    regs = hot.ARG_REGISTERS
    return hot.RecordedCalls("f", regs, tuple(tuple(r) + (0,) * (len(regs) - len(r)) for r in rows))


FILL = """void fill(int *a, long n, int v)
{
    for (long i = 0; i < n; i++) a[i] = v + (int)i;
}
"""


def test_calls_the_baseline_cannot_run_are_left_out(tmp_path):
    unit = _unit(tmp_path, FILL)
    proto = "void fill(int *a, long n, int v)"
    # 2**40 elements overrun any buffer (the call faults in its probe); -5 is a count of none
    rec = _calls((0, 1000, 7), (0, 1 << 40, 7), (0, 2000, (1 << 32) - 3), (0, (1 << 64) - 5, 1))
    m = measure.measure_units("gcc", "fill", proto, unit, unit, rounds=2, lock_dir=tmp_path, recorded=rec)
    assert "recorded inputs: 3 calls" in m.method, m.method
    assert "n=-5|1000|2000" in m.method and "v=-3|1|7" in m.method, m.method


def test_no_usable_recorded_call_means_generated_inputs(tmp_path):
    unit = _unit(tmp_path, FILL)
    rec = _calls((0, 1 << 40, 7))
    m = measure.measure_units(
        "gcc", "fill", "void fill(int *a, long n, int v)", unit, unit, rounds=2, lock_dir=tmp_path, recorded=rec
    )
    assert "generated inputs: size" in m.method and "recorded calls unused: none of the 1 ran cleanly" in m.method, (
        m.method
    )


def test_written_bytes_of_every_recorded_call_are_restored(tmp_path):
    # in place, and how far it writes depends on the call: each call must see its input unchanged,
    # or the later (larger) calls would find their prefix already sorted, and the time would drop
    src = """void isort(int *a, int n)
{
    for (int i = 1; i < n; i++) { int x = a[i], j = i - 1; while (j >= 0 && a[j] > x) { a[j + 1] = a[j]; j--; } a[j + 1] = x; }
}
"""
    unit = _unit(tmp_path, src)
    sig = measure.parse_prototype("void isort(int *a, int n)", "isort")
    inputs = measure.recorded_inputs(sig, _calls((0, 64), (0, 600)))
    h = measure.link_and_calibrate("gcc", "isort", sig, unit, unit, tmp_path, recorded=_calls((0, 64), (0, 600)))
    assert h.inputs == "recorded" and h.calls is not None
    lines = h.calls.read_text().splitlines()
    assert lines[0].split()[0] == "2" and int(lines[1]) >= 600 * 4 - 4  # the larger call's extent
    assert inputs.describe() == "2 calls, n=64|600"


def test_script_workload_is_profiled_without_arguments(tmp_path, llmcc_bin):
    (tmp_path / "prog.c").write_text(SRC)
    subprocess.run(["gcc", "-O3", "-o", "prog", "prog.c"], cwd=tmp_path, check=True)
    (tmp_path / "run.sh").write_text("#!/bin/sh\necho 300 | ./prog\n")
    (tmp_path / "run.sh").chmod(0o755)
    env = {
        "PATH": f"{llmcc_bin.parent}:/usr/local/bin:/usr/bin:/bin",
        "LLMCC_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", "./run.sh"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "states not recorded: ./run.sh is not an ELF executable" in r.stdout
    data = json.loads(next((tmp_path / "cache" / "profiles").glob("*.json")).read_text())
    assert "scan" in data["functions"] and data["arguments"]["calls"] == {}


BITS_MAIN = bits_main(3000, "bits(a + (r & 7), 777)")


def test_a_build_after_profiling_times_on_the_recorded_states(tmp_path, llmcc_bin, llmcc_env, cache_dir):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "k.c").write_text(BITS_SLOW)
    (proj / "main.c").write_text(BITS_MAIN)
    (proj / "Makefile").write_text("prog: main.o k.o\n\t$(CC) -O3 -o $@ $^\n%.o: %.c\n\t$(CC) -O3 -c $< -o $@\n")
    fast = tmp_path / "fast"
    fast.mkdir()
    (fast / "src.c").write_text(BITS_FAST)
    out = subprocess.run(
        ["gcc", "-O3", "-fno-tree-vectorize", "-S", "-o", "-", "src.c"],
        cwd=fast,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (fast / "bits.s").write_text(asm.parse(out).functions["bits"].text())

    subprocess.run(["make", "-s", f"CC={llmcc_bin}"], cwd=proj, env=llmcc_env, check=True, capture_output=True)
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", "./prog"],
        cwd=proj,
        env=llmcc_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0 and "states recorded" in r.stdout, r.stdout + r.stderr
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="40", LLMCC_PROPOSER=f"file:{fast}", LLMCC_HOT="bits")
    subprocess.run(["make", "-s", "-B", f"CC={llmcc_bin}"], cwd=proj, env=env, check=True, capture_output=True)
    listing = subprocess.run([str(llmcc_bin), "cache", "list"], env=env, capture_output=True, text=True).stdout
    key = next(line.split()[0] for line in listing.splitlines() if " bits " in line)
    show = subprocess.run([str(llmcc_bin), "cache", "show", key], env=env, capture_output=True, text=True).stdout
    # timed on the workload's own calls, replayed (states/replay.py)
    assert "replayed cycles (recorded states:" in show, show
