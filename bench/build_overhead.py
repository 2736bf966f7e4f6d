#!/usr/bin/env python3
"""Clean-build wall time of a C project with CC=llmcc against CC=gcc, side by side; and the
start-up cost of `llmcc --version` against `gcc --version`.

    bench/build_overhead.py [--project DIR|generated:N] [--rounds N] [--jobs J] [--starts N]
                            [--install venv|pip] [--other-dir] [--set NAME=VALUE ...] [--json [FILE]]

DIR is a C project built by `make` that honours CC and CFLAGS and has a `clean` target
(default: the bundled examples/); `generated:40` is a generated 40-file project
(bench/_builds.py). It is copied to a scratch directory and never modified.

--install pip times the llmcc a user gets: a fresh venv with `pip install .` of this checkout
(the native client built by the install), not the checkout's development venv.
--other-dir adds a third llmcc build per round: a second copy of the project, in another
directory, built with the cache an untimed build of the first copy filled (base_dir set to
the scratch directory, as a team sharing a cache across checkouts sets it).
Both builds use CFLAGS=-O3, so the compiler does the same work; llmcc runs with
LLMCC_MODE=off and a fresh, empty cache for every build (no optimizer, no cache hits: the
overhead of the compile path itself); `--set tu_cache=0` (any LLMCC_ setting) changes that.
llmcc is timed twice per round: with its compile server already running (as for any build
within a few minutes of another compile) and with none at the start (the build's first compiles
start it and wait for it); the server's CPU time is counted in the build's.
Each round runs the two builds in alternating order
after a `make clean`; the report gives the per-round ratio llmcc/gcc of wall time and of CPU
time (user + system of every process of the build, less sensitive to a busy machine) as
median and [min, max], and the median seconds of each.

When ccache is installed (`make bench` installs it), each round also times `CC="ccache gcc"`
with an empty ccache directory: the cold-miss cost of a mature compiler cache written in C, for
scale (`--no-ccache` leaves it out).

llmcc runs as a user's build runs it: the installed console script, bytecode caching on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _builds import clean_build, pip_install, project_copy, project_options, stop_server, summary

VENV_BIN = Path(sys.executable).parent


def _env(scratch: Path, bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["LLMCC_MODE"] = "off"
    env["XDG_CONFIG_HOME"] = str(scratch / "xdg")  # no user config
    return env


def build(project: Path, cc: str, env: dict[str, str], jobs: int, server: str = "up") -> tuple[float, float]:
    """(wall seconds, CPU seconds of all the processes) of one clean build at -O3."""
    return clean_build(project, cc, env, jobs, ["CFLAGS=-O3"], server=server)


def start(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    project_options(ap, "also time a build of a second copy with the cache a build of the first filled")
    ap.add_argument("--starts", type=int, default=20, help="start-up measurements of each")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an llmcc setting for the llmcc builds, e.g. tu_cache=0 (repeatable)",
    )
    ap.add_argument("--no-ccache", action="store_true", help="do not time ccache gcc alongside (when installed)")
    ap.add_argument("--json", nargs="?", const="-", help="also print (or write to FILE) the figures as JSON")
    a = ap.parse_args(argv)
    generated = a.project.startswith("generated:")
    if not generated and not any((Path(a.project) / n).exists() for n in ("GNUmakefile", "makefile", "Makefile")):
        print(f"build_overhead: {a.project} has no Makefile", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="llmcc-bench-") as tmp:
        scratch = Path(tmp)
        bin_dir = pip_install(scratch) if a.install == "pip" else VENV_BIN
        llmcc = str(bin_dir / "llmcc")
        if not os.access(llmcc, os.X_OK):
            print(f"build_overhead: llmcc is not installed in {bin_dir} (make venv)", file=sys.stderr)
            return 2
        project = project_copy(a.project, scratch / "project")
        other = project_copy(a.project, scratch / "second" / "checkout") if a.other_dir else None
        env = _env(scratch, bin_dir)
        settings = {}
        for item in a.set:
            name, _, value = item.partition("=")
            settings["LLMCC_" + name.upper()] = value
        # one untimed build of each warms the page cache and writes llmcc's bytecode
        build(project, "gcc", env, a.jobs)
        build(project, llmcc, dict(env, **settings, LLMCC_CACHE_DIR=str(scratch / "warmup-cache")), a.jobs)

        gcc_t: list[float] = []
        llmcc_t: list[float] = []
        first_t: list[float] = []
        ratios: list[float] = []
        cpu_ratios: list[float] = []
        first_ratios: list[float] = []
        first_cpu_ratios: list[float] = []
        other_t: list[float] = []
        other_ratios: list[float] = []
        other_cpu_ratios: list[float] = []
        ccache = None if a.no_ccache else shutil.which("ccache", path=env["PATH"])
        ccache_ratios: list[float] = []
        if ccache:
            build(project, f"{ccache} gcc", dict(env, CCACHE_DIR=str(scratch / "ccache-warmup")), a.jobs)

        def timed(where: Path, cc: str, e: dict[str, str], server: str = "up"):
            return lambda: build(where, cc, e, a.jobs, server)

        for r in range(a.rounds):
            # fresh and empty caches for every llmcc build
            lenv = dict(env, **settings, LLMCC_CACHE_DIR=str(scratch / f"cache-{r}"))
            fenv = dict(env, **settings, LLMCC_CACHE_DIR=str(scratch / f"cache-first-{r}"))
            runs = {
                "gcc": timed(project, "gcc", env),
                "llmcc": timed(project, llmcc, lenv),
                "first": timed(project, llmcc, fenv, "none"),
            }
            if ccache:  # an empty ccache directory for every build, as llmcc's cache
                runs["ccache"] = timed(project, f"{ccache} gcc", dict(env, CCACHE_DIR=str(scratch / f"ccache-{r}")))
            if other is not None:
                # the first copy fills a cache (untimed), the second copy is built with it
                oenv = dict(
                    env, **settings, LLMCC_CACHE_DIR=str(scratch / f"cache-shared-{r}"), LLMCC_BASE_DIR=str(scratch)
                )
                build(project, llmcc, oenv, a.jobs)
                runs["other"] = timed(other, llmcc, oenv)
            order = list(runs) if r % 2 == 0 else list(reversed(runs))
            got = {name: (0.0, 0.0) for name in runs}
            for name in order:
                got[name] = runs[name]()
            (g, gc), (m, mc), (f, fc) = got["gcc"], got["llmcc"], got["first"]
            if other is not None:
                o, oc = got["other"]
                other_t.append(o)
                other_ratios.append(o / g)
                other_cpu_ratios.append(oc / gc)
            if ccache:
                ccache_ratios.append(got["ccache"][0] / g)
            gcc_t.append(g)
            llmcc_t.append(m)
            first_t.append(f)
            ratios.append(m / g)
            cpu_ratios.append(mc / gc)
            first_ratios.append(f / g)
            first_cpu_ratios.append(fc / gc)
            print(
                f"round {r + 1}: gcc {g:.3f} s, llmcc {m:.3f} s, ratio {m / g:.3f} (CPU time {mc / gc:.3f}); "
                f"with no server at the start {f:.3f} s, ratio {f / g:.3f} (CPU time {fc / gc:.3f})"
                + (f"; ccache gcc ratio {ccache_ratios[-1]:.3f}" if ccache else "")
                + (f"; second checkout {other_t[-1]:.3f} s, ratio {other_ratios[-1]:.3f}" if other else ""),
                file=sys.stderr,
            )

        g_start: list[float] = []
        m_start: list[float] = []
        for i in range(a.starts):
            order = [("gcc", g_start), (llmcc, m_start)]
            for cc, acc in order if i % 2 == 0 else reversed(order):
                acc.append(start([cc, "--version"], env))
        if a.install == "pip":
            stop_server(bin_dir)

    fig = {
        "project": str(a.project),
        "install": a.install,
        "rounds": a.rounds,
        "jobs": a.jobs,
        "settings": settings,
        "build_ratio": summary(ratios),
        "build_cpu_ratio": summary(cpu_ratios),
        "gcc_build_s": summary(gcc_t),
        "llmcc_build_s": summary(llmcc_t),
        "startup_gcc_ms": statistics.median(g_start) * 1000,
        "startup_llmcc_ms": statistics.median(m_start) * 1000,
        "startup_ratio": statistics.median(m_start) / statistics.median(g_start),
        "first_build_ratio": summary(first_ratios),
        "first_build_cpu_ratio": summary(first_cpu_ratios),
        "ccache_build_ratio": summary(ccache_ratios) if ccache_ratios else None,
        "other_dir_build_ratio": summary(other_ratios) if other_ratios else None,
        "other_dir_build_cpu_ratio": summary(other_cpu_ratios) if other_cpu_ratios else None,
        "per_round": {
            "gcc": gcc_t,
            "llmcc": llmcc_t,
            "ratio": ratios,
            "cpu_ratio": cpu_ratios,
            "first": first_t,
            "first_ratio": first_ratios,
            "first_cpu_ratio": first_cpu_ratios,
            "ccache_ratio": ccache_ratios,
            "other": other_t,
            "other_ratio": other_ratios,
            "other_cpu_ratio": other_cpu_ratios,
        },
    }
    br = fig["build_ratio"]
    print(
        f"clean build of {Path(a.project).name} (make -j{a.jobs}, CFLAGS=-O3, llmcc from {a.install}), "
        f"{a.rounds} interleaved rounds:"
    )
    print(f"  gcc   median {fig['gcc_build_s']['median']:.3f} s")
    extra = "".join(f", {k}={v}" for k, v in settings.items())
    print(f"  llmcc median {fig['llmcc_build_s']['median']:.3f} s  (LLMCC_MODE=off, empty cache{extra})")
    print(f"  ratio llmcc/gcc median {br['median']:.3f}  [min {br['min']:.3f}, max {br['max']:.3f}]")
    cr = fig["build_cpu_ratio"]
    print(f"  CPU-time ratio  median {cr['median']:.3f}  [min {cr['min']:.3f}, max {cr['max']:.3f}]")
    fr, fcr = fig["first_build_ratio"], fig["first_build_cpu_ratio"]
    print(
        f"  with no compile server at the start (its start-up in the build): ratio median {fr['median']:.3f} "
        f"[{fr['min']:.3f}, {fr['max']:.3f}], CPU {fcr['median']:.3f} [{fcr['min']:.3f}, {fcr['max']:.3f}]"
    )
    if fig["ccache_build_ratio"]:
        ccr = fig["ccache_build_ratio"]
        print(
            f"  for scale, ccache gcc (empty ccache) / gcc: median {ccr['median']:.3f} [{ccr['min']:.3f}, {ccr['max']:.3f}]"
        )
    if fig["other_dir_build_ratio"]:
        o, oc = fig["other_dir_build_ratio"], fig["other_dir_build_cpu_ratio"]
        print(
            f"  second checkout, cache filled by the first: ratio median {o['median']:.3f} [{o['min']:.3f}, "
            f"{o['max']:.3f}], CPU {oc['median']:.3f} [{oc['min']:.3f}, {oc['max']:.3f}]"
        )
    print(
        f"start-up (--version, median of {a.starts}): gcc {fig['startup_gcc_ms']:.1f} ms, "
        f"llmcc {fig['startup_llmcc_ms']:.1f} ms"
    )
    if a.json == "-":
        print(json.dumps(fig))
    elif a.json:
        Path(a.json).write_text(json.dumps(fig, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
