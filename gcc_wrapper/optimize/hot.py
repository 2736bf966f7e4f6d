"""Which functions of a file are worth optimizing.

With a profile (recorded by `llmcc profile -- CMD ARGS...`): the functions with the largest share
of samples, at least cfg.hot_min_share each. Without one: a static estimate from gcc's assembly —
loops are backward branches, a loop inside another one counts ten times more, straight-line code
counts little, `main` and tiny functions (under MIN_INSNS instructions) are deprioritised (main
usually runs once; a tiny function's call overhead dwarfs anything a rewrite could save).
cfg.hot names are always chosen (if the file defines them); cfg.hot_top bounds the count of the
static estimate's choices (a profile's are all taken: its budget follows the samples, run.budget_for).

Profiles live in CACHE/profiles/*.json: {"tool", "command", "cwd", "created", "functions":
{name: share}, "arguments": {"registers", "calls": {name: [[value per register], ...]}, "note"}}.
A compile uses the newest profile recorded in its directory or one above or below it. Samples are
keyed by symbol name (the profile is recorded on the built program, where the functions' cache
keys are not known); a name that several programs of the project define gets the largest share
seen.

States: after the profiled run, the workload runs once more under llmcc's recorder (states/record.py,
its output discarded), which records complete entry states of some calls of each of the hottest
functions the program itself defines (RECORD_FUNCTIONS of them, up to RECORD_CALLS calls each,
spread over the run): the registers and every page each call touches, and what the call left.
Candidates are verified and timed on them (states/replay.py). The profile names the recording
("states") and keeps each call's argument registers ("arguments": rdi, rsi, rdx, rcx, r8, r9 and
the low 64 bits of xmm0-xmm7), which the function harness and pgo training use as scalar inputs.
With a program that is not an ELF executable (a script, `make run`), or one without symbols, the
profile has shares only, and its note says why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.compile.files import write_atomic

MIN_INSNS = 8
RECORD_FUNCTIONS = 8  # the hottest this many functions get their states recorded
RECORD_CALLS = 64  # calls recorded of each, spread over the run (states/record.py Limits.states)
ARG_REGISTERS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9", *(f"xmm{i}" for i in range(8)))

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
        score += (10.0**depth) * min(hi - lo, 64) / 16
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
    if profile:
        return out  # measured, not guessed: every function with hot_min_share of the samples
    return out[: max(top, len(forced))]


# ---------------------------------------------------------------------------------------------
# Profiles


def profiles_dir(cache_root: Path) -> Path:
    return Path(cache_root) / "profiles"


def related_profile_files(cache_root: Path, cwd: str | None) -> list[tuple[Path, dict]]:
    """(file, contents) of the profiles recorded in `cwd`, an ancestor of it or a descendant,
    newest first."""
    d = profiles_dir(cache_root)
    if not d.is_dir():
        return []
    here = os.path.realpath(cwd or os.getcwd())
    found: list[tuple[float, Path, dict]] = []
    for f in d.glob("*.json"):
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        where = os.path.realpath(str(data.get("cwd", "")))
        if here == where or here.startswith(where + os.sep) or where.startswith(here + os.sep):
            found.append((float(data.get("created", 0)), f, data))
    return [(f, data) for _, f, data in sorted(found, key=lambda t: -t[0])]


def _related_profiles(cache_root: Path, cwd: str | None) -> list[dict]:
    """The profiles recorded in `cwd`, an ancestor of it or a descendant, newest first."""
    return [data for _, data in related_profile_files(cache_root, cwd)]


def load_profile(cache_root: Path, cwd: str | None = None) -> dict[str, float] | None:
    """The newest profile recorded in `cwd`, an ancestor of it or a descendant (name -> share)."""
    for data in _related_profiles(cache_root, cwd):
        funcs = data.get("functions", {})
        if isinstance(funcs, dict):
            return {str(k): float(v) for k, v in funcs.items()}
    return None


@dataclass(frozen=True)
class RecordedCalls:
    """Argument registers at the entry of some calls of one function, in the order they were
    made: per call, one unsigned value per register of `registers` (ARG_REGISTERS)."""

    name: str
    registers: tuple[str, ...]
    calls: tuple[tuple[int, ...], ...]


def recorded_calls(cache_root: Path, cwd: str | None, name: str) -> RecordedCalls | None:
    """The calls of `name` recorded by the newest related profile that has any."""
    for data in _related_profiles(cache_root, cwd):
        args = data.get("arguments")
        if not isinstance(args, dict) or not isinstance(args.get("calls"), dict):
            continue
        calls = args["calls"].get(name)
        regs = tuple(str(r) for r in args.get("registers", ()))
        if not calls or not regs:
            continue
        try:
            rows = tuple(tuple(int(v) for v in c) for c in calls if len(c) == len(regs))
        except (TypeError, ValueError):
            continue
        if rows:
            return RecordedCalls(name, regs, rows)
    return None


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
    rep = subprocess.run(
        ["perf", "report", "-i", str(data), "--stdio", "--sort", "sym", "-q", "--no-children"],
        capture_output=True,
        text=True,
    )
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
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd], cwd=cwd, stderr=subprocess.DEVNULL
    )
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


def stdin_offset() -> int | None:
    """Where our stdin stands when it is a regular file (a workload's input to replay), else None."""
    try:
        return os.lseek(0, 0, os.SEEK_CUR) if stat.S_ISREG(os.fstat(0).st_mode) else None
    except OSError:
        return None


def stdin_file() -> str:
    """The regular file our stdin is, "" when it is a pipe, a terminal or nothing: the workload's
    input, for the runs that judge rewrites at program level (workload.py)."""
    try:
        if stat.S_ISREG(os.fstat(0).st_mode):
            return os.path.realpath("/proc/self/fd/0")
    except OSError:
        pass
    return ""


# Libraries the system provides: their functions are not the project's to optimize
_SYSTEM = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/libexec/")


def arguments_of(rec) -> dict[str, list[list[int]]]:
    """The argument registers (ARG_REGISTERS) of each recorded call, from a recording's states:
    what the function harness cycles through for scalar parameters (measure.recorded_inputs) and
    what a pgo training runs on."""
    out: dict[str, list[list[int]]] = {}
    for name in rec.functions:
        rows = []
        for s in rec.states(name, RECORD_CALLS):
            rows.append([s.reg(r) for r in ARG_REGISTERS[:6]] + [s.xmm(i) for i in range(8)])
        if rows:
            out[name] = rows
    return out


def profile_main(argv: list[str]) -> int:
    """`llmcc profile [--tool perf|callgrind] [--no-arguments] -- CMD ARGS...`"""
    from gcc_wrapper.compile import config

    tool = None
    arguments = True
    while argv[:1] in (["--tool"], ["--no-arguments"], ["--no-states"]):
        if argv[0] in ("--no-arguments", "--no-states"):
            arguments, argv = False, argv[1:]
        elif len(argv) >= 2:
            tool, argv = {"callgrind": "valgrind"}.get(argv[1], argv[1]), argv[2:]
        else:
            break
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(
            "usage: llmcc profile [--tool perf|callgrind] [--no-states] -- CMD ARGS...\n\n"
            "Run a workload and record which functions take its time; later builds optimize those.\n"
            "Then run it once more under llmcc's recorder (ptrace), its output discarded, to record\n"
            f"the complete state of up to {RECORD_CALLS} calls, spread over the run, of each of the {RECORD_FUNCTIONS} hottest\n"
            "functions: registers and every page each call touches. Candidates are verified and timed\n"
            "on those calls. --no-states skips that (--no-arguments is the old spelling)."
        )
        return 0 if argv else 2
    try:
        cfg = config.load()
        at = stdin_offset()
        t0 = time.monotonic()
        used, shares = record(argv, os.getcwd(), tool)
        took = time.monotonic() - t0
    except (RuntimeError, OSError, config.ConfigError) as e:
        print(f"llmcc profile: {e}", file=sys.stderr)
        return 1
    if not shares:
        print("llmcc profile: no samples in the program's own code (too short a run?)", file=sys.stderr)
        return 1
    data = {
        "tool": used,
        "command": argv,
        "cwd": os.getcwd(),
        "created": time.time(),
        "functions": shares,
        "seconds": took,
        "stdin": stdin_file(),
    }
    hottest = [n for n, _ in sorted(shares.items(), key=lambda kv: -kv[1])][:RECORD_FUNCTIONS]
    calls: dict[str, list[list[int]]] = {}
    if arguments:
        from gcc_wrapper.optimize.states import record as states_record

        # the recorder stops the program only at the chosen functions' entries, a few hundred
        # times in all; the margin is for those calls' recording
        try:
            rec, note = states_record.record(
                argv, os.getcwd(), hottest, cfg.cache_path, stdin_at=at, timeout=60 + 5 * took, system=_SYSTEM
            )
        except KeyboardInterrupt:
            rec, note = None, "states not recorded: interrupted"
        if rec is not None:
            data["states"] = rec.id
            calls = arguments_of(rec)
    else:
        note = "states not recorded: --no-states"
    data["arguments"] = {"registers": list(ARG_REGISTERS), "calls": calls, "note": note}
    d = profiles_dir(cfg.cache_path)
    d.mkdir(parents=True, exist_ok=True)
    dest = d / f"{int(time.time() * 1000)}-{os.getpid()}.json"
    write_atomic(dest, json.dumps(data, separators=(",", ":"), sort_keys=True))
    print(f"llmcc profile: recorded with {used}; {note}; {dest}")
    for name, share in sorted(shares.items(), key=lambda kv: -kv[1])[:10]:
        n = len(calls.get(name, ()))
        print(f"  {share * 100:6.2f}%  {name}" + (f"  ({n} calls' states recorded)" if n else ""))
    return 0
