"""What `make bench` runs: every benchmark under bench/, then `llmcc bench` on the CodeNet dev set
and on bench/programs made into a problem set (the compute-bound one), and one summary table.

Each benchmark script (bench/NAME.py) prints, when run with --json, one JSON object per line; the
last line that parses is its figures. A script that is not there yet is listed as "missing", one
that fails as "failed" with its last message: the table never hides a benchmark.

Environment:
    LLMCC_BENCH_DATASET   problem set (default: ../shared/bench/codenet-dev.csv next to the repository)
    LLMCC_BENCH_LIMIT     rows of it to run (default 8: a few minutes on 2 cores)
    LLMCC_BENCH_BUDGET    optimization seconds per compile and per queued function (default 8)
    LLMCC_BENCH_PROPOSER  llmcc's proposer (default embedded)
    LLMCC_BENCH_PROGRAMS_LIMIT  how many of bench/programs to run as a compute-bound set (default 4; 0: none)
    LLMCC_BENCH_ONLY      comma-separated benchmark scripts to run (default: all of them)
    LLMCC_BENCH_OUT       output directory (default bench/out)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# name -> what it measures (the charter of each benchmark, for the table)
BENCHMARKS = {
    "build_overhead": "compile time of llmcc vs gcc on a cold and a cached build",
    "warm_rebuild": "a rebuild with every rewrite cached",
    "cache_lookup": "cost of a cache lookup per function",
    "verify_rate": "candidates verified per second, and how many are caught",
    "programs": "speedup of the compute-bound programs in bench/programs",
    "llm_client": "model client throughput against a scripted server",
}


def scripts() -> list[str]:
    """The benchmarks to run: LLMCC_BENCH_ONLY (comma-separated names) or all the expected ones and
    any other bench/*.py."""
    only = os.environ.get("LLMCC_BENCH_ONLY")
    if only is not None:
        return [n for n in (x.strip() for x in only.split(",")) if n]
    found = sorted(p.stem for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    return list(BENCHMARKS) + [n for n in found if n not in BENCHMARKS and n not in NEEDS_A_PROJECT]


# benchmarks of a project the user names (a fetched codebase is never part of the repository)
NEEDS_A_PROJECT = {"projects"}
SCRIPT_TIMEOUT = 1800
# Sized so that `make bench` finishes in minutes on 2 cores (the full set: `bench/programs.py`).
EXTRA_ARGS = {"programs": ["--quick", "--profile"]}  # the documented workflow: profile, then optimize


def run_script(name: str) -> tuple[str, dict | None, str]:
    """(status, figures, note) of bench/NAME.py --json."""
    script = HERE / f"{name}.py"
    if not script.exists():
        return "missing", None, ""
    t0 = time.monotonic()
    try:
        p = subprocess.run(
            [sys.executable, str(script), "--json", *EXTRA_ARGS.get(name, [])],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return "failed", None, f"timed out after {SCRIPT_TIMEOUT} s"
    took = f"{time.monotonic() - t0:.0f} s"
    figures = None
    for line in reversed(p.stdout.splitlines()):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            figures = obj
            break
    if p.returncode != 0 or figures is None:
        last = (p.stderr.strip().splitlines() or p.stdout.strip().splitlines() or [""])[-1]
        return "failed", None, f"status {p.returncode}: {last[:120]}"
    return "ok", figures, took


def flatten(obj: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(obj, dict):
        out: list[tuple[str, object]] = []
        for k, v in obj.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(obj, list):
        return [] if len(obj) > 4 else [(prefix, obj)]  # per-round lists stay in the JSON
    return [(prefix, obj)]


def fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def dataset_path() -> Path:
    env = os.environ.get("LLMCC_BENCH_DATASET")
    return Path(env) if env else ROOT.parent / "shared" / "bench" / "codenet-dev.csv"


def programs_dataset(out: Path) -> Path:
    """bench/programs as a problem set for `llmcc bench`: each program, no input, and as its one
    test the output of its gcc -O3 build (so the test checks that llmcc changes nothing it prints).
    These are compute-bound, unlike the CodeNet sample."""
    ref = out / "programs-ref"
    ref.mkdir(parents=True, exist_ok=True)
    lines = []
    for src in sorted((HERE / "programs").glob("*.c")):
        exe = ref / src.stem
        subprocess.run(["gcc", "-O3", str(src), "-o", str(exe), "-lm"], check=True, capture_output=True)
        printed = subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=120).stdout
        lines.append(
            json.dumps(
                {"problem_id": src.stem, "answer": src.read_text(), "test_cases": [{"input": "", "output": printed}]}
            )
        )
    path = out / "programs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_llmcc_bench(data: Path, out: Path, limit: str) -> tuple[str, dict | None, str]:
    if not data.exists():
        return "missing", None, f"no dataset at {data} (set LLMCC_BENCH_DATASET)"
    llmcc = Path(sys.executable).with_name("llmcc")
    cmd = [
        str(llmcc) if llmcc.exists() else sys.executable,
        *([] if llmcc.exists() else ["-m", "gcc_wrapper"]),
        "bench",
        "--dataset",
        str(data),
        "--out",
        str(out),
        "--limit",
        limit,
        "--budget",
        os.environ.get("LLMCC_BENCH_BUDGET", "8"),
        "--proposer",
        os.environ.get("LLMCC_BENCH_PROPOSER", "embedded"),
        "--compare",
        "o3-native,pgo",
    ]
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=SCRIPT_TIMEOUT)
    took = f"{time.monotonic() - t0:.0f} s"
    try:
        res = json.loads((out / "results.json").read_text())
    except (OSError, ValueError):
        return "failed", None, f"status {p.returncode}, no results.json"
    status = "ok" if p.returncode == 0 else f"status {p.returncode}"
    return status, res, took


def bench_rows(name: str, status: str, res: dict | None, note: str, out: Path) -> list[tuple[str, str, str]]:
    if res is None:
        return [(name, status, note)]
    counted = sum(1 for r in res["problems"] if not r["excluded"])
    excluded = len(res["bad_rows"]) + sum(1 for r in res["problems"] if r["excluded"])
    nf = res.get("noise_floor", {})
    rows = [
        (
            name,
            status,
            f"{counted} problems counted, {excluded} excluded (llmcc mode {res['meta']['llmcc_mode']}, "
            f"{note}; A/A noise geomean {nf.get('geomean') or float('nan'):.3f}; {out / 'report.md'})",
        )
    ]
    for build, subsets in res["summary"].items():
        for subset, s in subsets.items():
            if not s["problems"]:
                rows.append((f"{name} {build} {subset}", "–", "no problems"))
                continue
            rows.append(
                (
                    f"{name} {build} {subset}",
                    status,
                    f"n={s['problems']} compile={s['compile_rate']:.0%} pass={s['pass_rate']:.0%} "
                    f"geomean={s['geomean']:.3f} p25/50/75={s['p25']:.3f}/{s['p50']:.3f}/{s['p75']:.3f} "
                    f"improved≥5%={s['improved_share']:.0%}",
                )
            )
    return rows


def main() -> int:
    out = Path(os.environ.get("LLMCC_BENCH_OUT", HERE / "out"))
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str]] = []
    for name in scripts():
        print(f"== {name}: {BENCHMARKS.get(name, 'see its docstring')}", file=sys.stderr, flush=True)
        status, figures, note = run_script(name)
        if figures is not None:
            (out / f"{name}.json").write_text(json.dumps(figures, indent=1) + "\n")
            shown = ", ".join(f"{k}={fmt(v)}" for k, v in flatten(figures)[:8])
        else:
            shown = note
        rows.append((name, status, shown))

    print("== llmcc bench on the CodeNet dev set", file=sys.stderr, flush=True)
    status, res, note = run_llmcc_bench(dataset_path(), out / "codenet", os.environ.get("LLMCC_BENCH_LIMIT", "8"))
    rows += bench_rows("codenet", status, res, note, out / "codenet")
    limit = os.environ.get("LLMCC_BENCH_PROGRAMS_LIMIT", "4")
    if limit != "0":
        print("== llmcc bench on bench/programs (compute-bound)", file=sys.stderr, flush=True)
        try:
            data = programs_dataset(out)
        except (OSError, subprocess.SubprocessError) as e:
            rows.append(("programs-set", "failed", f"cannot make the problem set: {e}"))
        else:
            status, res, note = run_llmcc_bench(data, out / "programs-set", limit)
            rows += bench_rows("programs-set", status, res, note, out / "programs-set")

    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print()
    print(f"{'benchmark':<{w0}}  {'status':<{w1}}  figures")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 40}")
    for name, status, shown in rows:
        print(f"{name:<{w0}}  {status:<{w1}}  {shown}")
    return 0 if all(r[1] in ("ok", "missing", "–") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
