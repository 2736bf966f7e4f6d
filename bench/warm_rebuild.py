#!/usr/bin/env python3
"""Build time of a C project with plain gcc, with llmcc on an empty cache (cold) and with llmcc
again after `make clean` (warm: every translation unit is a cache hit), side by side.

    bench/warm_rebuild.py [--project DIR] [--rounds N] [--jobs J] [--mode off|queue|sync]
                          [--make-arg WORD ...] [--json [FILE]]

DIR is any C project built by `make` that honours CC and has a `clean` target (default: the
bundled examples/). It is copied to a scratch directory first and never modified. Each round
runs the three builds in a rotating order (gcc, cold, warm), so drift in machine load spreads
over all three; the report gives the per-round ratios cold/gcc and warm/gcc of wall time and of
CPU time (user + system of every process of the build: steadier on a busy machine) as median and
[min, max], and the cache counters of the last warm build (to show they were hits).

gcc runs through a one-line wrapper that puts -O3 last, as llmcc does with its forced level, so
both compile at -O3 whatever the project's CFLAGS say. llmcc runs as a user's build runs it: the installed console script with bytecode caching on
(PYTHONDONTWRITEBYTECODE is removed from the environment), LLMCC_MODE=off by default (cached
rewrites only: the optimizer is not part of build overhead).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _builds import clean_build, summary

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# warm must follow cold on the same cache; gcc moves around them from round to round
ORDERS = (("gcc", "cold", "warm"), ("cold", "warm", "gcc"), ("cold", "gcc", "warm"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project", type=Path, default=ROOT / "examples")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--mode", default="off", choices=("off", "queue", "sync"))
    ap.add_argument("--make-arg", action="append", default=[], help="extra word for make (repeatable)")
    ap.add_argument("--json", nargs="?", const="-", help="also write the results as JSON to FILE (default: stdout, one line)")
    a = ap.parse_args(argv)

    llmcc = VENV_BIN / "llmcc"
    real_gcc = shutil.which("gcc")
    if not llmcc.exists() or real_gcc is None:
        print("needs the installed llmcc (make venv) and gcc", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="llmcc-bench-"))
    try:
        gcc = str(scratch / "gcc-O3")
        Path(gcc).write_text(f'#!/bin/sh\nexec {real_gcc} "$@" -O3\n')
        os.chmod(gcc, 0o755)
        project = scratch / "project"
        shutil.copytree(a.project, project, symlinks=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_") and k != "PYTHONDONTWRITEBYTECODE"}
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        env["LLMCC_MODE"] = a.mode
        env["LLMCC_LOG"] = str(scratch / "llmcc.log")
        env["XDG_CONFIG_HOME"] = str(scratch / "config")
        # warm up the OS file cache and Python's bytecode caches before measuring
        warm_env = {**env, "LLMCC_CACHE_DIR": str(scratch / "warmup")}
        clean_build(project, str(llmcc), warm_env, a.jobs, a.make_arg)
        clean_build(project, gcc, env, a.jobs, a.make_arg)

        times: dict[str, list[float]] = {"gcc": [], "cold": [], "warm": []}
        cpu: dict[str, list[float]] = {"gcc": [], "cold": [], "warm": []}
        last_cache = None
        for r in range(a.rounds):
            cache_dir = scratch / f"cache-{r}"
            llmcc_env = {**env, "LLMCC_CACHE_DIR": str(cache_dir)}
            for which in ORDERS[r % len(ORDERS)]:
                cc, e = (gcc, env) if which == "gcc" else (str(llmcc), llmcc_env)
                wall, used = clean_build(project, cc, e, a.jobs, a.make_arg)
                times[which].append(wall)
                cpu[which].append(used)
            last_cache = llmcc_env
        stats = json.loads(
            subprocess.run([str(llmcc), "stats", "--json"], env=last_cache, capture_output=True, text=True, check=True).stdout
        )
        cold = [c / g for c, g in zip(times["cold"], times["gcc"])]
        warm = [w / g for w, g in zip(times["warm"], times["gcc"])]
        cold_cpu = [c / g for c, g in zip(cpu["cold"], cpu["gcc"])]
        warm_cpu = [w / g for w, g in zip(cpu["warm"], cpu["gcc"])]
        result = {
            "project": str(a.project),
            "rounds": a.rounds,
            "jobs": a.jobs,
            "mode": a.mode,
            "seconds": {k: summary(v) for k, v in times.items()},
            "cold_over_gcc": summary(cold),
            "warm_over_gcc": summary(warm),
            "cpu_seconds": {k: summary(v) for k, v in cpu.items()},
            "cold_over_gcc_cpu": summary(cold_cpu),
            "warm_over_gcc_cpu": summary(warm_cpu),
            "counters_after_last_round": {
                k: v for k, v in stats["counters"].items() if k.split(".")[0] in ("compiles", "tu", "direct", "object", "fn", "fallback")
            },
        }
        print(f"project {a.project}  ({a.rounds} rounds, make -j{a.jobs}, LLMCC_MODE={a.mode})")
        for k in ("gcc", "cold", "warm"):
            s = result["seconds"][k]
            print(f"  {k:<5} build  median {s['median']:.3f} s  [{s['min']:.3f}, {s['max']:.3f}]")
        for k in ("cold_over_gcc", "warm_over_gcc", "cold_over_gcc_cpu", "warm_over_gcc_cpu"):
            s = result[k]
            label = k.replace("_over_", " / ").replace("_cpu", " (CPU time)")
            print(f"  {label:<22} median {s['median']:.2f}x  [{s['min']:.2f}, {s['max']:.2f}]")
        print(f"  cache counters after the last round: {result['counters_after_last_round']}")
        if a.json == "-":
            print(json.dumps(result))
        elif a.json:
            Path(a.json).write_text(json.dumps(result, indent=2))
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
