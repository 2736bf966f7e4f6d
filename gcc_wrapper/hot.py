"""Which functions of a file are worth optimizing.

With a profile (recorded by `llmcc profile -- CMD ARGS...`): the functions with the largest share
of samples, at least cfg.hot_min_share each. Without one: a static estimate from gcc's assembly —
loops are backward branches, a loop inside another one counts ten times more, straight-line code
counts little, `main` and tiny functions (under MIN_INSNS instructions) are deprioritised (main
usually runs once; a tiny function's call overhead dwarfs anything a rewrite could save).
cfg.hot names are always chosen (if the file defines them); cfg.hot_top bounds the count.

Profiles live in CACHE/profiles/*.json: {"tool", "command", "cwd", "created", "functions":
{name: share}}. A compile uses the newest profile recorded in its directory or one above or below
it. Samples are keyed by symbol name (the profile is recorded on the built program, where the
functions' cache keys are not known); a name that several programs of the project define gets
the largest share seen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.files import write_atomic

MIN_INSNS = 8

_LABEL = re.compile(r"^([\w.$]+):")
_JUMP = re.compile(r"^\s*(j[a-z]+|loop[a-z]*)\s+([\w.$]+)\s*$")
_CALL = re.compile(r"^\s*call\s")


@dataclass(frozen=True)
class Estimate:
    name: str
    score: float
    insns: int
    loops: int
    depth: int  # deepest loop nesting
    calls: int


def estimate(name: str, text: str) -> Estimate:
    """Static hotness of one function's assembly (asm.Function.text())."""
    labels: dict[str, int] = {}
    jumps: list[tuple[int, str]] = []
    insns = calls = 0
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        s = line.strip()
        if not s:
            continue
        m = _LABEL.match(s)
        if m:
            labels[m.group(1)] = insns
            continue
        if s.startswith("."):
            continue
        insns += 1
        j = _JUMP.match(s)
        if j:
            jumps.append((insns, j.group(2)))
        if _CALL.match(s):
            calls += 1
    loops = [(labels[t], at) for at, t in jumps if t in labels and labels[t] < at]
    score = 0.0
    deepest = 0
    for lo, hi in loops:
        depth = 1 + sum(1 for a, b in loops if (a, b) != (lo, hi) and a <= lo and hi <= b)
        deepest = max(deepest, depth)
        score += (10.0 ** depth) * min(hi - lo, 64) / 16
    score += insns / 100
    if insns < MIN_INSNS:
        score = 0.0
    elif name == "main":
        score /= 20
    return Estimate(name, score, insns, len(loops), deepest, calls)


def select(unit, cfg, profile: dict[str, float] | None = None) -> list[str]:
    """Names of the hot functions of `unit` (an asm.Unit), hottest first."""
    names = list(unit.functions)
    forced = [n for n in cfg.hot if n in unit.functions]
    top = max(0, int(cfg.hot_top))
    ranked: list[str]
    if profile:
        shares = [(profile.get(n, 0.0), n) for n in names]
        ranked = [n for s, n in sorted(shares, reverse=True) if s >= float(cfg.hot_min_share)]
    else:
        ests = [estimate(n, unit.functions[n].text()) for n in names]
        ranked = [e.name for e in sorted(ests, key=lambda e: -e.score) if e.loops > 0 and e.score > 0]
    out = forced + [n for n in ranked if n not in forced]
    return out[: max(top, len(forced))]


# ---------------------------------------------------------------------------------------------
# Profiles


def profiles_dir(cache_root: Path) -> Path:
    return Path(cache_root) / "profiles"


def load_profile(cache_root: Path, cwd: str | None = None) -> dict[str, float] | None:
    """The newest profile recorded in `cwd`, an ancestor of it or a descendant (name -> share)."""
    d = profiles_dir(cache_root)
    if not d.is_dir():
        return None
    here = os.path.realpath(cwd or os.getcwd())
    best: tuple[float, dict[str, float]] | None = None
    for f in d.glob("*.json"):
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        where = os.path.realpath(str(data.get("cwd", "")))
        related = here == where or here.startswith(where + os.sep) or where.startswith(here + os.sep)
        if not related:
            continue
        created = float(data.get("created", 0))
        if best is None or created > best[0]:
            funcs = data.get("functions", {})
            if isinstance(funcs, dict):
                best = (created, {str(k): float(v) for k, v in funcs.items()})
    return best[1] if best else None


def record(cmd: list[str], cwd: str, tool: str | None = None) -> tuple[str, dict[str, float]]:
    """Run the workload under perf (software cpu-clock event) or, where perf cannot record,
    valgrind's callgrind; returns (tool used, name -> share of samples)."""
    with tempfile.TemporaryDirectory(prefix="llmcc-profile-") as tmp:
        if tool in (None, "perf") and shutil.which("perf"):
            shares = _perf(cmd, cwd, Path(tmp))
            if shares is not None:
                return "perf cpu-clock", shares
            if tool == "perf":
                raise RuntimeError("perf could not record this workload")
        if shutil.which("valgrind"):
            return "valgrind callgrind", _callgrind(cmd, cwd, Path(tmp))
    raise RuntimeError("neither perf nor valgrind can profile here")


def _perf(cmd: list[str], cwd: str, tmp: Path) -> dict[str, float] | None:
    data = tmp / "perf.data"
    p = subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "2000", "-q", "-o", str(data), "--", *cmd], cwd=cwd)
    if p.returncode != 0 or not data.exists():
        return None
    rep = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", "sym", "-q", "--no-children"],
                         capture_output=True, text=True)
    if rep.returncode != 0:
        return None
    shares: dict[str, float] = {}
    for line in rep.stdout.splitlines():
        m = re.match(r"^\s*([\d.]+)%\s+\[\.\]\s+(\S+)", line)  # [.] = user space
        if m:
            shares[m.group(2)] = shares.get(m.group(2), 0.0) + float(m.group(1)) / 100
    return shares


def _callgrind(cmd: list[str], cwd: str, tmp: Path) -> dict[str, float]:
    out = tmp / "callgrind.out"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd], cwd=cwd,
                   stderr=subprocess.DEVNULL)
    rep = subprocess.run(["callgrind_annotate", "--inclusive=no", str(out)], capture_output=True, text=True)
    rows: list[tuple[int, str]] = []
    total = 0
    for line in rep.stdout.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S+?):(\S+)", line)
        if m:
            n = int(m.group(1).replace(",", ""))
            rows.append((n, m.group(3).split("'")[0]))
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
    total = total or sum(n for n, _ in rows) or 1
    shares: dict[str, float] = {}
    for n, name in rows:
        shares[name] = shares.get(name, 0.0) + n / total
    return shares


def profile_main(argv: list[str]) -> int:
    """`llmcc profile [--tool perf|callgrind] -- CMD ARGS...`"""
    from gcc_wrapper import config

    tool = None
    if argv[:1] == ["--tool"] and len(argv) >= 2:
        tool, argv = argv[1], argv[2:]
        tool = {"callgrind": "valgrind"}.get(tool, tool)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: llmcc profile [--tool perf|callgrind] -- CMD ARGS...\n\n"
              "Run a workload and record which functions take its time; later builds optimize those.")
        return 0 if argv else 2
    try:
        cfg = config.load()
        used, shares = record(argv, os.getcwd(), tool)
    except (RuntimeError, OSError, config.ConfigError) as e:
        print(f"llmcc profile: {e}", file=sys.stderr)
        return 1
    if not shares:
        print("llmcc profile: no samples in the program's own code (too short a run?)", file=sys.stderr)
        return 1
    d = profiles_dir(cfg.cache_path)
    d.mkdir(parents=True, exist_ok=True)
    data = {"tool": used, "command": argv, "cwd": os.getcwd(), "created": time.time(), "functions": shares}
    dest = d / f"{int(time.time() * 1000)}-{os.getpid()}.json"
    write_atomic(dest, json.dumps(data, indent=1, sort_keys=True))
    print(f"llmcc profile: recorded with {used}; {dest}")
    for name, share in sorted(shares.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {share * 100:6.2f}%  {name}")
    return 0
