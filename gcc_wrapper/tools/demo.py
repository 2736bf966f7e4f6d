"""`make demo`: the whole loop on examples/, end to end, with nothing faked.

1. build examples/ with CC=llmcc (sync mode, embedded proposer, a private cache), so hot functions
   are optimized while compiling;
2. a table of the rewrites that were accepted, with their measured speedups, and what else was
   tried;
3. `make check`: the program's output is still the expected one;
4. the program timed against a plain gcc -O3 build, side by side (CPU time, interleaved rounds),
   next to an identical-binary control that shows the noise floor;
5. a clean rebuild served from the cache, timed against plain gcc's build.

If nothing was accepted the demo says so; it never reports a speedup it did not measure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the source tree (the demo runs from a checkout)
EXAMPLES = ROOT / "examples"
BUDGET = os.environ.get("LLMCC_DEMO_BUDGET", "25")  # seconds per file


def _llmcc() -> str:
    exe = Path(sys.executable).parent / "llmcc"
    return str(exe) if exe.exists() else "llmcc"


def _make(d: Path, env: dict, *targets: str, cc: str) -> tuple[int, float, str]:
    t0 = time.monotonic()
    p = subprocess.run(["make", "-s", "-j2", f"CC={cc}", *targets], cwd=d, env=env, capture_output=True, text=True)
    return p.returncode, time.monotonic() - t0, p.stdout + p.stderr


def _entries(cache_dir: Path) -> list:
    from cache.entry import Entry, EntryError

    out = []
    for sub in sorted(cache_dir.glob("??")):
        for f in sorted(sub.glob("*.fn")):
            try:
                out.append(Entry.from_bytes(f.read_bytes()))
            except (OSError, EntryError):
                continue
    return out


def _attempts(cache_dir: Path) -> list[dict]:
    out = []
    for f in sorted((cache_dir / "attempts").rglob("*")):
        if f.is_file():
            for line in f.read_text().splitlines():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
    return out


def main(argv: list[str] | None = None) -> int:
    from gcc_wrapper.optimize import measure

    work = Path(tempfile.mkdtemp(prefix="llmcc-demo-"))
    cache_dir = work / "cache"
    ours, plain = work / "llmcc", work / "gcc"
    ignore = shutil.ignore_patterns("*.o", "demo", "output.txt", "build")
    shutil.copytree(EXAMPLES, ours, ignore=ignore)
    shutil.copytree(EXAMPLES, plain, ignore=ignore)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
    env.update(LLMCC_CACHE_DIR=str(cache_dir), LLMCC_MODE="sync", LLMCC_PROPOSER="embedded", LLMCC_BUDGET=BUDGET)
    llmcc = _llmcc()
    print(f"llmcc demo: examples/ copied to {work}; private cache {cache_dir}")

    print(f"\n== 1. CC=llmcc make -j2 (sync mode, embedded proposer, {BUDGET} s per file)")
    status, t_first, out = _make(ours, env, cc=llmcc)
    if status != 0:
        print(out)
        print("llmcc demo: the build failed")
        return 1
    print(f"built in {t_first:.1f} s")

    print("\n== 2. what the optimizer did")
    entries = _entries(cache_dir)
    tried = _attempts(cache_dir)
    if entries:
        print(f"{'function':<18} {'file':<10} {'proposer':<48} {'speedup':>8}  rounds spread")
        for e in sorted(entries, key=lambda e: e.function):
            m = e.measurement
            spread = m.get("spread", [0, 0])
            speed = f"x{m.get('speedup', 0):.3f}"
            print(
                f"{e.function:<18} {Path(e.source).name:<10} {e.proposer[:48]:<48} {speed:>8}"
                f"  {m.get('rounds', 0):>6} {spread[0]:.3f}-{spread[1]:.3f}"
            )
    else:
        print("nothing was optimized: no candidate was both verified correct and faster by the threshold")
    by_fn: dict[str, dict[str, int]] = {}
    for a in tried:
        by_fn.setdefault(a.get("function", "?"), {}).setdefault(a["outcome"], 0)
        by_fn[a.get("function", "?")][a["outcome"]] += 1
    for fn, counts in sorted(by_fn.items()):
        print(f"  tried {fn}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    queued = list((cache_dir / "queue").glob("*.json"))
    if queued:
        names = sorted(json.loads(q.read_text())["name"] for q in queued)
        print(
            f"  queued for `llmcc optimize --tests 'make check'` (not verifiable by differential testing "
            f"or not timeable by the harness): {', '.join(names)}"
        )

    print("\n== 3. make check")
    status, _, out = _make(ours, env, "check", cc=llmcc)
    print(out.strip().splitlines()[-1] if out.strip() else "")
    if status != 0:
        print("llmcc demo: make check FAILED")
        return 1

    print("\n== 4. the program: llmcc's build against plain gcc -O3 (CPU time, interleaved)")
    status, t_gcc, out = _make(plain, env, cc="gcc")
    if status != 0:
        print(out)
        return 1
    control = measure.measure_programs(plain / "demo", plain / "demo", [b""], 9, lock_dir=cache_dir)
    m = measure.measure_programs(plain / "demo", ours / "demo", [b""], 9, lock_dir=cache_dir)
    print(
        f"identical binaries (noise floor): x{control.speedup:.3f}  spread {control.spread[0]:.3f}-{control.spread[1]:.3f}"
    )
    print(
        f"llmcc vs gcc -O3:                 x{m.speedup:.3f}  spread {m.spread[0]:.3f}-{m.spread[1]:.3f}"
        f"  (median CPU s: gcc {sorted(m.baseline)[4]:.3f}, llmcc {sorted(m.candidate)[4]:.3f})"
    )
    if not entries:
        print("(no rewrite is in this build, so any difference above is noise)")

    print("\n== 5. a clean rebuild, served from the cache")
    _make(ours, env, "clean", cc=llmcc)
    status, t_warm, _ = _make(ours, env, cc=llmcc)
    _make(plain, env, "clean", cc="gcc")
    _, t_plain, _ = _make(plain, env, cc="gcc")
    again = _attempts(cache_dir)
    print(
        f"first llmcc build {t_first:.1f} s; cached rebuild {t_warm:.2f} s; plain gcc build {t_plain:.2f} s; "
        f"new candidates tried on rebuild: {len(again) - len(tried)}"
    )
    status2, _, out = _make(ours, env, "check", cc=llmcc)
    print("rebuilt program:", out.strip().splitlines()[-1] if out.strip() else "")
    print(f"\nllmcc demo: done (work directory {work}; `LLMCC_CACHE_DIR={cache_dir} llmcc report` for details)")
    return 0 if status == 0 and status2 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
