"""Speed on compute-bound programs, side by side: the project's own (bench/programs/*.c, the set
the optimizer was tuned on) and the held-out set (bench/heldout/, written and frozen on 2026-12-05
before the optimizer changed, never tuned on: `--set heldout`).

A program of bench/programs is built as two translation units, its kernels and its main (the way
a library and its user are built; see the comment at the top of the programs); a held-out program
is built as its one file, `cc -O3 -c prog.c` then linked, with the arguments its manifest gives.
Each program gets its own directory (its own profile and build budget). For each program, in one run:
gcc -O3 (the baseline), an identical second gcc -O3 binary (the
control: it shows the noise floor), llmcc's build (sync mode, embedded proposer, baseline
instruction set, a private cache), gcc -O3 -march=native, and gcc's profile-guided build
(-fprofile-generate, one run, -fprofile-use). Every binary must print the baseline's checksum;
a changed output is reported and counts as no speedup. Times are the CPU time (user+sys) of each
run, the variants interleaved with the baseline round by round (measure.measure_programs); a
figure is the median per-round ratio baseline/variant, with its min-max spread. As in `llmcc
bench` (SuperCoder's rule), a build whose code is byte-identical to the baseline's
(bench.code_bytes: .text, .rodata, .data) counts 1.0, its raw ratio shown beside it: that is
timing noise, which the control column shows on its own.

    python bench/programs.py [--set programs|heldout] [--budget S] [--rounds N] [--only a,b] [--limit N]
                             [--quick] [--profile] [--out DIR] [--json] [--keep]

Writes DIR/programs.json and DIR/programs.md (default bench/out/). --limit N runs the first N
programs (by name); --quick is --limit 4 --budget 8 --rounds 3 (each unless given). --json also
prints the summary figures as one JSON object on the last line of stdout (bench/run_all.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from gcc_wrapper.optimize import measure  # noqa: E402
from gcc_wrapper.tools.bench import code_bytes  # noqa: E402

PROGRAMS = HERE / "programs"
HELDOUT = HERE / "heldout"
VARIANTS = ("control", "llmcc", "native", "pgo")


@dataclass(frozen=True)
class Program:
    name: str
    src: Path
    args: tuple[str, ...] = ()
    units: int = 2  # 2: kernels and main as two units (bench/programs); 1: the file as it is


def programs(which: str = "programs") -> list[Program]:
    if which == "heldout":
        manifest = json.loads((HELDOUT / "manifest.json").read_text())
        return [Program(m["name"], HELDOUT / m["source"], tuple(m.get("args", ())), 1) for m in manifest]
    return [Program(p.stem, p) for p in sorted(PROGRAMS.glob("*.c"))]


# the two translation units of a program (see the comment at the top of each program)
KERNELS_TU = ("-DBENCH_NO_MAIN",)
MAIN_TU = ("-DKERNEL=__attribute__((weak))",)


def build(prog: Program, cc: str, flags: list[str], exe: Path, env: dict | None = None) -> tuple[bool, str]:
    if prog.units == 2:
        return build_two_units(cc, flags, prog.src, exe, env)
    obj = exe.with_name(f"{exe.name}.o")
    p = subprocess.run(
        [cc, *flags, "-c", str(prog.src), "-o", str(obj)], cwd=exe.parent, env=env, capture_output=True, text=True
    )
    if p.returncode != 0:
        return False, p.stderr[-300:]
    p = subprocess.run(["gcc", *flags, "-o", str(exe), str(obj), "-lm"], capture_output=True, text=True)
    return p.returncode == 0, p.stderr[-300:]


def build_two_units(cc: str, flags: list[str], src: Path, exe: Path, env: dict | None = None) -> tuple[bool, str]:
    """Compile the kernels' unit and main's unit of `src` with `cc flags`, then link."""
    objs = []
    for tag, defs in (("k", KERNELS_TU), ("m", MAIN_TU)):
        obj = exe.with_name(f"{exe.name}.{tag}.o")
        p = subprocess.run(
            [cc, *flags, *defs, "-c", str(src), "-o", str(obj)], cwd=exe.parent, env=env, capture_output=True, text=True
        )
        if p.returncode != 0:
            return False, p.stderr[-300:]
        objs.append(str(obj))
    p = subprocess.run(["gcc", *flags, "-o", str(exe), *objs, "-lm"], capture_output=True, text=True)
    return p.returncode == 0, p.stderr[-300:]


def build_all(
    prog: Program, work: Path, env: dict, llmcc: str, profile: bool = False
) -> dict[str, tuple[Path | None, str]]:
    """name -> (executable or None, note). With `profile`, llmcc's build follows the documented
    workflow: build with the optimizer off, `llmcc profile -- ./prog` (hot shares and the hot
    functions' recorded arguments), then the optimizing build."""
    out: dict[str, tuple[Path | None, str]] = {}
    stem = prog.name

    def gcc(name: str, *flags: str) -> None:
        exe = work / f"{stem}.{name}"
        ok, err = build(prog, "gcc", ["-O3", *flags], exe)
        out[name] = (exe if ok else None, err)

    gcc("base")
    gcc("control")
    gcc("native", "-march=native")
    prof = work / f"{stem}.prof"
    prof.mkdir(exist_ok=True)
    gen = work / f"{stem}.gen"
    ok, err = build(prog, "gcc", ["-O3", f"-fprofile-generate={prof}"], gen)
    if ok:
        subprocess.run([str(gen), *prog.args], cwd=work, stdout=subprocess.DEVNULL, check=True)
        gcc("pgo", f"-fprofile-use={prof}", "-fprofile-partial-training", "-Wno-missing-profile")
    else:
        out["pgo"] = (None, err)
    exe = work / f"{stem}.llmcc"
    t0 = time.monotonic()
    if profile:
        plain = work / f"{stem}.llmcc-plain"
        ok, err = build(prog, llmcc, ["-O3"], plain, dict(env, LLMCC_MODE="off"))
        if ok:
            subprocess.run(
                [llmcc, "profile", "--", str(plain), *prog.args],
                cwd=work,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=900,
            )
    ok, err = build(prog, llmcc, ["-O3"], exe, env)
    out["llmcc"] = (exe if ok else None, f"built in {time.monotonic() - t0:.1f} s {err}")
    return out


def run_output(exe: Path, args: tuple[str, ...] = ()) -> str:
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300).stdout


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--set",
        default="programs",
        choices=("programs", "heldout"),
        help="bench/programs (tuned on) or bench/heldout (frozen, never tuned on)",
    )
    ap.add_argument("--budget", type=float, default=None, help="llmcc's optimization seconds per program (40)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved timing rounds per variant (7)")
    ap.add_argument("--only", default="", help="comma-separated program names")
    ap.add_argument("--limit", type=int, default=None, help="run only the first N programs")
    ap.add_argument("--quick", action="store_true", help="a subset for `make bench`: --limit 4 --budget 8 --rounds 3")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="llmcc profile each program (built with the optimizer off) before llmcc's optimizing build",
    )
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the work directory (builds, llmcc's cache with its attempt log) and say where",
    )
    args = ap.parse_args(argv)
    quick = {"limit": 4, "budget": 8.0, "rounds": 3} if args.quick else {}
    defaults = {"limit": None, "budget": 40.0, "rounds": 7}
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, quick.get(k, v))
    only = {s for s in args.only.split(",") if s}
    progs = [p for p in programs(args.set) if not only or p.name in only]
    if args.limit is not None:
        progs = progs[: max(0, args.limit)]
    if not progs:
        print("bench/programs.py: no program selected", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="llmcc-bench-programs-"))
    cache = work / "cache"
    # no user settings leak in, except the switch for llmcc's compile server (A/B runs of another
    # checkout need the Python llmcc of that checkout) and LLMCC_DISPATCH (A/B runs with and
    # without ISA dispatch)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LLMCC_") or k in ("LLMCC_COMPILE_SERVER", "LLMCC_DISPATCH")
    }
    # each program in its own directory: its own profile, and a build budget of its own (with a
    # profile, the hot file gets all of it: run.budget_for)
    env.update(
        LLMCC_CACHE_DIR=str(cache),
        LLMCC_MODE="sync",
        LLMCC_PROPOSER="embedded",
        LLMCC_BUDGET=str(args.budget),
        LLMCC_BUILD_BUDGET=str(args.budget),
    )
    llmcc = str(Path(sys.executable).parent / "llmcc")
    rows = []
    for prog in progs:
        pwork = work / prog.name
        pwork.mkdir()
        builds = build_all(prog, pwork, env, llmcc, args.profile)
        base = builds["base"][0]
        expected = run_output(base, prog.args)
        base_code = code_bytes(base)
        row = {"program": prog.name, "checksum": expected.strip()[-80:], "variants": {}}
        for v in VARIANTS:
            exe, note = builds[v]
            if exe is None:
                row["variants"][v] = {"error": f"build failed: {note}"}
                continue
            if run_output(exe, prog.args) != expected:
                row["variants"][v] = {"error": "OUTPUT CHANGED", "speedup": 1.0}
                continue
            m = measure.measure_programs(base, exe, [b""], args.rounds, args=prog.args, lock_dir=cache)
            identical = v != "control" and base_code is not None and code_bytes(exe) == base_code
            row["variants"][v] = {
                "speedup": 1.0 if identical else m.speedup,
                "raw": m.speedup,
                "identical_code": identical,
                "spread": list(m.spread),
                "base_s": sorted(m.baseline)[len(m.baseline) // 2],
                "note": note if v == "llmcc" else "",
            }
        rows.append(row)
        print(
            f"{prog.name:<10} "
            + "  ".join(
                f"{v} "
                + (
                    f"x{row['variants'][v]['speedup']:.3f}"
                    if "speedup" in row["variants"][v]
                    else row["variants"][v]["error"][:20]
                )
                for v in VARIANTS
            ),
            flush=True,
        )
    accepted = _accepted(cache)
    summary = {}
    for v in VARIANTS:
        xs = [
            r["variants"][v].get("speedup", 1.0)
            for r in rows
            if "speedup" in r["variants"][v] or "error" in r["variants"][v]
        ]
        changed = sum(1 for r in rows if r["variants"][v].get("error") == "OUTPUT CHANGED")
        summary[v] = {
            "geomean": geomean([max(x, 1e-9) for x in xs]),
            "improved_5pct": sum(1 for x in xs if x >= 1.05),
            "changed_outputs": changed,
            "programs": len(xs),
        }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "set": args.set,
        "rounds": args.rounds,
        "budget": args.budget,
        "profiled": args.profile,
        "rows": rows,
        "summary": summary,
        "accepted": accepted,
        "method": "CPU time (user+sys) per run, interleaved with the baseline; median per-round ratio",
    }
    (out / f"{args.set}.json").write_text(json.dumps(result, indent=1))
    (out / f"{args.set}.md").write_text(_markdown(result))
    print(_markdown(result))
    if args.keep:
        print(f"work directory kept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(figures(result)))
    return 0


def figures(r: dict) -> dict:
    """The summary for bench/run_all.py: per variant the geometric mean of the speedups over gcc -O3,
    how many programs improved by at least 5%, and changed outputs; the per-program rows stay in
    programs.json."""
    s = r["summary"]
    out: dict = {
        "programs": len(r["rows"]),
        "rounds": r["rounds"],
        "budget_s": r["budget"],
        "accepted_rewrites": len(r["accepted"] or []),
    }
    for v in VARIANTS:
        out[v] = {
            "geomean": round(s[v]["geomean"], 4),
            "improved_5pct": s[v]["improved_5pct"],
            "changed_outputs": s[v]["changed_outputs"],
        }
    return out


def _accepted(cache: Path) -> list[dict]:
    from cache.entry import Entry, EntryError

    out = []
    for f in sorted(cache.glob("??/*.fn")):
        try:
            e = Entry.from_bytes(f.read_bytes())
        except (OSError, EntryError):
            continue
        method = str(e.measurement.get("method", ""))
        inputs = (
            "the workload"
            if method.startswith("workload")
            else "recorded states"
            if "recorded states" in method
            else "recorded arguments"
            if "recorded inputs" in method
            else "generated"
        )
        whole = e.measurement.get("program") or {}
        out.append(
            {
                "function": e.function,
                "source": Path(e.source).name,
                "proposer": e.proposer,
                "speedup": e.measurement.get("speedup"),
                "inputs": inputs,
                "program": whole.get("speedup") if isinstance(whole, dict) else None,
            }
        )
    return out


def _markdown(r: dict) -> str:
    lines = [
        f"# Compute-bound programs ({r.get('set', 'programs')}): speedup over gcc -O3 (CPU time, median of interleaved rounds)",
        "",
        f"{r['rounds']} rounds per variant; llmcc: sync mode, embedded proposer, {r['budget']:g} s per file, "
        + ("after `llmcc profile` of each program, " if r.get("profiled") else "")
        + "baseline instruction set. `control` is a second, identical gcc -O3 binary: the noise floor. "
        "A build with code byte-identical to gcc -O3's counts 1.0 (`=`), as in `llmcc bench`.",
        "",
        "| program | " + " | ".join(VARIANTS) + " |",
        "|---|" + "---|" * len(VARIANTS),
    ]
    for row in r["rows"]:
        cells = []
        for v in VARIANTS:
            d = row["variants"][v]
            if "error" in d:
                cells.append(d["error"][:30])
            else:
                cells.append(
                    f"= x1.000 (identical code; raw x{d['raw']:.3f})"
                    if d.get("identical_code")
                    else f"x{d['speedup']:.3f} ({d['spread'][0]:.2f}-{d['spread'][1]:.2f})"
                )
        lines.append(f"| {row['program']} | " + " | ".join(cells) + " |")
    lines += ["", "| | " + " | ".join(VARIANTS) + " |", "|---|" + "---|" * len(VARIANTS)]
    s = r["summary"]
    lines.append("| geometric mean | " + " | ".join(f"x{s[v]['geomean']:.3f}" for v in VARIANTS) + " |")
    lines.append(
        "| improved >= 5% | " + " | ".join(f"{s[v]['improved_5pct']}/{s[v]['programs']}" for v in VARIANTS) + " |"
    )
    lines.append("| changed outputs | " + " | ".join(str(s[v]["changed_outputs"]) for v in VARIANTS) + " |")
    lines += ["", "Rewrites llmcc accepted:", ""]
    for a in r["accepted"] or []:
        lines.append(
            f"- {a['source']}: {a['function']} x{a['speedup']:.3f} ({a['proposer']}; timed on "
            f"{a.get('inputs', 'generated')}" + (f"; program x{a['program']:.3f}" if a.get("program") else "") + ")"
        )
    if not r["accepted"]:
        lines.append("- none")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
