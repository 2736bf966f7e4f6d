"""What the sandbox costs: per run, and to the timing harness's figures.

1. Per run of /bin/true (the setup and teardown alone), median of N runs, in each way llmcc runs
   code: limits only (what every run cost before the sandbox, and what the trusted assembler still
   gets), the full read-only view (project tests, programs), the harness view (difftest, timing),
   and `timed` (program-level timing, with its launcher). Wall time, and CPU time where this
   process may make a cgroup (v1 cpuacct or v2) to count the sandbox's processes in: bubblewrap's
   pid-namespace init reaps the command, so the usual rusage does not see them.
2. One difftest harness run, confined as the verifier runs it against limits only.
3. The timing harness with and without its system-call allowlist (the same binary, the filter
   switched off by LLMCC_SANDBOX_NO_SECCOMP): per-round baseline/candidate ratios of a candidate
   identical to the baseline, alternating A/B runs; the spread (max/min ratio within a run) and
   the median must not grow with the filter.

    .venv/bin/python bench/sandbox_cost.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "verify"))

from gcc_wrapper.optimize.verify import sandbox  # noqa: E402


class CpuMeter:
    """CPU time of everything started from inside `with meter:`, through a private cgroup."""

    def __init__(self) -> None:
        self.path: Path | None = None
        for base, usage in ((Path("/sys/fs/cgroup/cpuacct"), "cpuacct.usage"), (Path("/sys/fs/cgroup"), "cpu.stat")):
            d = base / f"llmcc-bench-{os.getpid()}"
            try:
                d.mkdir()
                (d / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                try:
                    d.rmdir()
                except OSError:
                    pass
                continue
            self.path, self.usage, self.base = d, usage, base
            break

    def read(self) -> float | None:
        if self.path is None:
            return None
        text = (self.path / self.usage).read_text()
        if self.usage == "cpu.stat":
            return int(text.split("usage_usec")[1].split()[0]) / 1e6
        return int(text) / 1e9

    def close(self) -> None:
        if self.path is not None:
            (self.base / "cgroup.procs").write_text(str(os.getpid()))
            self.path.rmdir()


def per_run(name: str, fn, runs: int, meter: CpuMeter) -> dict:
    fn()  # warm
    walls = []
    c0 = meter.read()
    for _ in range(runs):
        t = time.monotonic()
        fn()
        walls.append(time.monotonic() - t)
    c1 = meter.read()
    return {
        "what": name,
        "wall_ms": round(1000 * statistics.median(walls), 2),
        "cpu_ms": round(1000 * (c1 - c0) / runs, 2) if c0 is not None else None,
    }


def harness_run_cost(runs: int) -> dict:
    d = Path(tempfile.mkdtemp(prefix="llmcc-bench-sandbox-"))
    try:
        return _harness_run_cost(d, runs)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _harness_run_cost(d: Path, runs: int) -> dict:
    from verify_helpers import make_context

    from gcc_wrapper.optimize.verify import difftest, harness
    from gcc_wrapper.optimize.verify.static import assemble

    src = d / "f.c"
    src.write_text(
        "long dot(const long *a, const long *b, int n) { long s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }\n"
    )
    ctx = make_context(src, "dot")
    obj = d / "cand.o"
    assert assemble(ctx.baseline_asm, obj, None) is None
    p = difftest.prepare(ctx)
    exe = d / "harness"
    assert harness.link(p.build, exe, obj) is None
    out = {}
    for label, kw in (("limits only", {"isolate_net": False}), ("confined", {"reads": (exe, p.inputs_path)})):
        walls = []
        for _ in range(runs):
            r = sandbox.run([str(exe), str(p.inputs_path)], timeout=60, cpu_seconds=60, **kw)
            assert r.stdout.startswith(b"DONE"), r
            walls.append(r.wall)
        out[label] = round(1000 * statistics.median(walls), 1)
    return out


def timing_noise(pairs: int) -> dict:
    d = Path(tempfile.mkdtemp(prefix="llmcc-bench-timing-"))
    try:
        return _timing_noise(d, pairs)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _timing_noise(d: Path, pairs: int) -> dict:
    from gcc_wrapper.optimize import measure

    src = d / "f.c"
    src.write_text(
        "long dot(const long *a, const long *b, int n) { long s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }\n"
    )
    import subprocess

    unit = subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    sig = measure.parse_prototype("long dot(const long *a, const long *b, int n);", "dot")
    h = measure.link_and_calibrate("gcc", "dot", sig, unit, unit, d)
    rounds = 8
    results: dict[str, list[tuple[float, float]]] = {"filter": [], "no filter": []}
    for i in range(pairs):
        for label in ("filter", "no filter") if i % 2 == 0 else ("no filter", "filter"):
            env = {sandbox.NO_SECCOMP_ENV: "1"} if label == "no filter" else {}
            r = sandbox.run(
                [str(h.exe), str(h.size), str(h.reps), str(rounds)],
                cwd=str(d),
                timeout=120,
                cpu_seconds=120,
                reads=(),
                env=env,
            )
            ratios = [b / c for b, c in (map(float, ln.split()) for ln in r.stdout.decode().split("\n") if ln.strip())]
            results[label].append((statistics.median(ratios), max(ratios) / min(ratios)))
    out = {}
    for label, rs in results.items():
        out[label] = {
            "median_ratio": round(statistics.median(m for m, _ in rs), 4),
            "median_spread": round(statistics.median(s for _, s in rs), 4),
            "worst_spread": round(max(s for _, s in rs), 4),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    layers = sandbox.probe()
    meter = CpuMeter()
    cwd = tempfile.mkdtemp(prefix="llmcc-bench-run-")
    try:
        rows = [
            per_run(
                "limits only",
                lambda: sandbox.run(["/bin/true"], cwd=cwd, timeout=10, cpu_seconds=5, isolate_net=False),
                a.runs,
                meter,
            ),
            per_run(
                "full view (tests, programs)",
                lambda: sandbox.run(["/bin/true"], cwd=cwd, timeout=10, cpu_seconds=5),
                a.runs,
                meter,
            ),
            per_run(
                "harness view",
                lambda: sandbox.run(["/bin/true"], cwd=cwd, timeout=10, cpu_seconds=5, reads=()),
                a.runs,
                meter,
            ),
            per_run(
                "timed (launcher)",
                lambda: sandbox.timed(["/bin/true"], timeout=10, cwd=cwd, memory_bytes=1 << 30, fsize_bytes=1 << 20),
                a.runs,
                meter,
            ),
        ]
    finally:
        meter.close()
        shutil.rmtree(cwd, ignore_errors=True)
    harness = harness_run_cost(max(5, a.runs // 4))
    noise = timing_noise(max(4, a.runs // 5))
    figures = {
        "layers": layers.to_json(),
        "per_run": rows,
        "difftest_run_ms": harness,
        "timing_harness": noise,
        "load": os.getloadavg()[0],
    }
    if a.json:
        print(json.dumps(figures))
        return 0
    print(
        f"sandbox: {', '.join(layers.namespaces) or 'no namespaces'}; seccomp {'on' if layers.seccomp else 'off'}; "
        f"load {figures['load']:.1f}"
    )
    for r in rows:
        cpu = f"{r['cpu_ms']:.2f} ms CPU" if r["cpu_ms"] is not None else "CPU not measurable here"
        print(f"  {r['what']:<30} {r['wall_ms']:7.2f} ms wall  {cpu}")
    print(f"  difftest harness run: {harness['limits only']} ms limits only, {harness['confined']} ms confined")
    for label, v in noise.items():
        print(
            f"  timing harness, {label:<10} median ratio {v['median_ratio']}, spread median {v['median_spread']}, worst {v['worst_spread']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
