#!/usr/bin/env python3
"""Build time of a C project with plain gcc, with llmcc on an empty cache (cold) and with llmcc
again after `make clean` (warm: every translation unit is a cache hit), side by side.

    bench/warm_rebuild.py [--project DIR|generated:N] [--rounds N] [--jobs J] [--mode off|queue|sync]
                          [--install venv|pip] [--other-dir] [--make-arg WORD ...] [--json [FILE]]

DIR is any C project built by `make` that honours CC and has a `clean` target (default: the
bundled examples/; `generated:40`: a generated 40-file project, bench/_builds.py). It is copied
to a scratch directory first and never modified.

--install pip times the llmcc a user gets: a fresh venv with `pip install .` of this checkout
(the native client built by the install). --other-dir adds a fourth build per round, "other": a
second copy of the project in another directory, built right after the cold build with the
cache that build filled (LLMCC_BASE_DIR is the scratch directory above both copies). Each round
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

from _builds import clean_build, pip_install, project_copy, project_options, stop_server, summary

VENV_BIN = Path(sys.executable).parent
# warm (and other) must follow cold on the same cache; gcc moves around them from round to round
ORDERS = (("gcc", "cold", "warm", "other"), ("cold", "other", "warm", "gcc"), ("cold", "gcc", "warm", "other"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    project_options(ap, "also build a second copy of the project with the cache the cold build filled")
    ap.add_argument("--mode", default="off", choices=("off", "queue", "sync"))
    ap.add_argument("--make-arg", action="append", default=[], help="extra word for make (repeatable)")
    ap.add_argument(
        "--json", nargs="?", const="-", help="also write the results as JSON to FILE (default: stdout, one line)"
    )
    a = ap.parse_args(argv)

    real_gcc = shutil.which("gcc")
    scratch = Path(tempfile.mkdtemp(prefix="llmcc-bench-"))
    try:
        bin_dir = pip_install(scratch) if a.install == "pip" else VENV_BIN
        llmcc = bin_dir / "llmcc"
        if not llmcc.exists() or real_gcc is None:
            print("needs the installed llmcc (make venv) and gcc", file=sys.stderr)
            return 2
        gcc = str(scratch / "gcc-O3")
        Path(gcc).write_text(f'#!/bin/sh\nexec {real_gcc} "$@" -O3\n')
        os.chmod(gcc, 0o755)
        project = project_copy(a.project, scratch / "project")
        other = project_copy(a.project, scratch / "second" / "checkout") if a.other_dir else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_") and k != "PYTHONDONTWRITEBYTECODE"}
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["LLMCC_MODE"] = a.mode
        env["LLMCC_LOG"] = str(scratch / "llmcc.log")
        env["XDG_CONFIG_HOME"] = str(scratch / "config")
        # warm up the OS file cache and Python's bytecode caches before measuring
        warm_env = {**env, "LLMCC_CACHE_DIR": str(scratch / "warmup")}
        clean_build(project, str(llmcc), warm_env, a.jobs, a.make_arg)
        clean_build(project, gcc, env, a.jobs, a.make_arg)

        kinds = ("gcc", "cold", "warm", "other") if other is not None else ("gcc", "cold", "warm")
        times: dict[str, list[float]] = {k: [] for k in kinds}
        cpu: dict[str, list[float]] = {k: [] for k in kinds}
        last_cache = None
        for r in range(a.rounds):
            cache_dir = scratch / f"cache-{r}"
            llmcc_env = {**env, "LLMCC_CACHE_DIR": str(cache_dir), "LLMCC_BASE_DIR": str(scratch)}
            for which in ORDERS[r % len(ORDERS)]:
                if which not in kinds:
                    continue
                cc, e = (gcc, env) if which == "gcc" else (str(llmcc), llmcc_env)
                where = other if which == "other" and other is not None else project
                wall, used = clean_build(where, cc, e, a.jobs, a.make_arg)
                times[which].append(wall)
                cpu[which].append(used)
            last_cache = llmcc_env
        stats = json.loads(
            subprocess.run(
                [str(llmcc), "stats", "--json"], env=last_cache, capture_output=True, text=True, check=True
            ).stdout
        )
        cold = [c / g for c, g in zip(times["cold"], times["gcc"])]
        warm = [w / g for w, g in zip(times["warm"], times["gcc"])]
        cold_cpu = [c / g for c, g in zip(cpu["cold"], cpu["gcc"])]
        warm_cpu = [w / g for w, g in zip(cpu["warm"], cpu["gcc"])]
        result = {
            "project": str(a.project),
            "install": a.install,
            "rounds": a.rounds,
            "jobs": a.jobs,
            "mode": a.mode,
            "seconds": {k: summary(v) for k, v in times.items()},
            "cold_over_gcc": summary(cold),
            "warm_over_gcc": summary(warm),
            "cpu_seconds": {k: summary(v) for k, v in cpu.items()},
            "cold_over_gcc_cpu": summary(cold_cpu),
            "warm_over_gcc_cpu": summary(warm_cpu),
            **(
                {
                    "other_over_gcc": summary([o / g for o, g in zip(times["other"], times["gcc"])]),
                    "other_over_gcc_cpu": summary([o / g for o, g in zip(cpu["other"], cpu["gcc"])]),
                }
                if other
                else {}
            ),
            "counters_after_last_round": {
                k: v
                for k, v in stats["counters"].items()
                if k.split(".")[0] in ("compiles", "tu", "direct", "object", "fn", "fallback")
            },
        }
        print(f"project {a.project}  ({a.rounds} rounds, make -j{a.jobs}, LLMCC_MODE={a.mode}, llmcc from {a.install})")
        for k in kinds:
            s = result["seconds"][k]
            print(f"  {k:<5} build  median {s['median']:.3f} s  [{s['min']:.3f}, {s['max']:.3f}]")
        for k in (
            "cold_over_gcc",
            "warm_over_gcc",
            "other_over_gcc",
            "cold_over_gcc_cpu",
            "warm_over_gcc_cpu",
            "other_over_gcc_cpu",
        ):
            if k not in result:
                continue
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
        if (scratch / "pip-venv" / "bin" / "llmcc").exists():
            stop_server(scratch / "pip-venv" / "bin")
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
