"""Which functions of a file are worth optimizing.

With a profile (recorded by `llmcc profile -- CMD ARGS...`): the functions with the largest share
of samples, at least cfg.hot_min_share each. Without one: a static estimate from gcc's assembly —
loops are backward branches, a loop inside another one counts ten times more, straight-line code
counts little, `main` and tiny functions (under MIN_INSNS instructions) are deprioritised (main
usually runs once; a tiny function's call overhead dwarfs anything a rewrite could save).
cfg.hot names are always chosen (if the file defines them); cfg.hot_top bounds the count.

Profiles live in CACHE/profiles/*.json: {"tool", "command", "cwd", "created", "functions":
{name: share}, "arguments": {"registers", "calls": {name: [[value per register], ...]}, "note"}}.
A compile uses the newest profile recorded in its directory or one above or below it. Samples are
keyed by symbol name (the profile is recorded on the built program, where the functions' cache
keys are not known); a name that several programs of the project define gets the largest share
seen.

Arguments: after the profiled run, the workload runs once more under gdb (batch mode, its output
discarded), with a breakpoint at the entry of each of the hottest functions that the program
itself defines (RECORD_FUNCTIONS of them). The first RECORD_CALLS calls of each print the argument
registers of the SysV x86-64 ABI (rdi, rsi, rdx, rcx, r8, r9, and the low 64 bits of xmm0-xmm7),
then the breakpoint is disabled and the workload goes on at full speed. Which register is which
parameter, and of what type, is for the reader to say (measure.py, which knows the prototype).
Without gdb, with a program that is not an ELF executable (a script, `make run`), or one without
symbols, the profile has shares only, and its note says why.
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
RECORD_FUNCTIONS = 8  # the hottest this many functions get their arguments recorded
RECORD_CALLS = 256  # the first this many calls of each
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


def _related_profiles(cache_root: Path, cwd: str | None) -> list[dict]:
    """The profiles recorded in `cwd`, an ancestor of it or a descendant, newest first."""
    d = profiles_dir(cache_root)
    if not d.is_dir():
        return []
    here = os.path.realpath(cwd or os.getcwd())
    found: list[tuple[float, dict]] = []
    for f in d.glob("*.json"):
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        where = os.path.realpath(str(data.get("cwd", "")))
        if here == where or here.startswith(where + os.sep) or where.startswith(here + os.sep):
            found.append((float(data.get("created", 0)), data))
    return [data for _, data in sorted(found, key=lambda t: -t[0])]


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


_PLAIN_NAME = re.compile(r"^[A-Za-z_]\w*$")


def stdin_offset() -> int | None:
    """Where our stdin stands when it is a regular file (a workload's input to replay), else None."""
    try:
        return os.lseek(0, 0, os.SEEK_CUR) if stat.S_ISREG(os.fstat(0).st_mode) else None
    except OSError:
        return None


def record_arguments(cmd: list[str], cwd: str, names: list[str], *, calls: int = RECORD_CALLS,
                     timeout: float = 600.0, stdin_at: int | None = None) -> tuple[dict[str, list[list[int]]], str]:
    """Run the workload under gdb and record the argument registers of the first `calls` calls of
    each function in `names` that the program defines: (name -> calls, a note on what was done or
    why nothing was). The workload's output is discarded; its stdin is ours from offset `stdin_at`
    (stdin_offset() before the profiled run), or empty when that is None."""
    gdb = shutil.which("gdb")
    if gdb is None:
        return {}, "arguments not recorded: gdb is not installed"
    exe = cmd[0] if os.sep in cmd[0] else shutil.which(cmd[0])
    if exe is None:
        return {}, f"arguments not recorded: {cmd[0]} not found"
    exe = os.path.join(cwd, exe)  # unchanged when absolute
    try:
        with open(exe, "rb") as f:
            if f.read(4) != b"\x7fELF":
                return {}, f"arguments not recorded: {cmd[0]} is not an ELF executable (a script?); profile the program itself"
    except OSError:
        return {}, f"arguments not recorded: cannot read {cmd[0]}"
    try:
        nm = subprocess.run(["nm", "--defined-only", str(exe)], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {}, f"arguments not recorded: nm cannot read the program's symbols ({e})"
    defined = {parts[2] for parts in (line.split() for line in nm.stdout.splitlines())
               if len(parts) == 3 and parts[1] in "tT"}
    chosen = [n for n in names if _PLAIN_NAME.match(n) and n in defined]
    if not chosen:
        return {}, (f"arguments not recorded: {os.path.basename(exe)} does not define the hot functions (a stripped "
                    "binary, or a shell or interpreter running the program?); profile the program itself")
    regs = ", ".join(f"${r}" if r.startswith("r") else f"${r}.v2_int64[0]" for r in ARG_REGISTERS)
    fmt = " ".join(["%lx"] * len(ARG_REGISTERS))
    with tempfile.TemporaryDirectory(prefix="llmcc-args-") as tmp:
        log = Path(tmp) / "calls.log"
        script = [
            "set pagination off", "set confirm off", "set verbose off", "set breakpoint pending off",
            "set startup-with-shell off", "set print thread-events off", "set print inferior-events off",
            "handle all nostop noprint pass",  # the workload's own signals are its business
            f"set logging file {log}", "set logging overwrite on", "set logging redirect on", "set logging enabled on",
        ]
        for i, name in enumerate(chosen):
            # `*name`: the entry address itself, before the prologue has moved any argument
            script += [f"set $llmcc_n{i} = 0", f"break *{name}", "commands", "silent",
                       f"set $llmcc_n{i} = $llmcc_n{i} + 1",
                       f'printf "@llmcc {i} {fmt}\\n", {regs}',
                       f"if $llmcc_n{i} >= {calls}", f"disable {i + 1}", "end", "continue", "end"]
        script.append("run")
        (Path(tmp) / "record.gdb").write_text("\n".join(script) + "\n")
        stdin = subprocess.DEVNULL
        if stdin_at is not None:
            try:
                os.lseek(0, stdin_at, os.SEEK_SET)  # the profiled run read it: the same input again
                stdin = None
            except OSError:
                pass
        note = ""
        proc = subprocess.Popen([gdb, "-batch", "-nx", "-x", str(Path(tmp) / "record.gdb"), "--args", str(exe), *cmd[1:]],
                                cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # gdb's inferior dies with it (PTRACE_O_EXITKILL)
            proc.wait()
            note = f" (stopped after {timeout:.0f} s)"
        except KeyboardInterrupt:  # its own session does not get the terminal's Ctrl-C
            os.killpg(proc.pid, 9)
            proc.wait()
            raise
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            lines = []
    out: dict[str, list[list[int]]] = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 2 + len(ARG_REGISTERS) or parts[0] != "@llmcc":
            continue
        try:
            i = int(parts[1])
            values = [int(v, 16) & (2**64 - 1) for v in parts[2:]]
        except ValueError:
            continue
        if 0 <= i < len(chosen) and len(out.setdefault(chosen[i], [])) < calls:
            out[chosen[i]].append(values)
    if not out:
        return {}, f"arguments not recorded: gdb saw no call of {', '.join(chosen)} (never called, or no ptrace here){note}"
    return out, f"arguments of {len(out)} function(s) recorded with gdb{note}"


def profile_main(argv: list[str]) -> int:
    """`llmcc profile [--tool perf|callgrind] [--no-arguments] -- CMD ARGS...`"""
    from gcc_wrapper.compile import config

    tool = None
    arguments = True
    while argv[:1] in (["--tool"], ["--no-arguments"]):
        if argv[0] == "--no-arguments":
            arguments, argv = False, argv[1:]
        elif len(argv) >= 2:
            tool, argv = {"callgrind": "valgrind"}.get(argv[1], argv[1]), argv[2:]
        else:
            break
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: llmcc profile [--tool perf|callgrind] [--no-arguments] -- CMD ARGS...\n\n"
              "Run a workload and record which functions take its time; later builds optimize those.\n"
              "Then run it once more under gdb, its output discarded, to record the arguments of the\n"
              f"first {RECORD_CALLS} calls of the {RECORD_FUNCTIONS} hottest functions (timing uses them as inputs);\n"
              "--no-arguments skips that.")
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
    data = {"tool": used, "command": argv, "cwd": os.getcwd(), "created": time.time(), "functions": shares}
    hottest = [n for n, _ in sorted(shares.items(), key=lambda kv: -kv[1])][:RECORD_FUNCTIONS]
    if arguments:
        # under gdb the workload runs at full speed once each breakpoint has had its calls; the
        # margin is for gdb's start and the recorded calls
        try:
            calls, note = record_arguments(argv, os.getcwd(), hottest, timeout=60 + 3 * took, stdin_at=at)
        except KeyboardInterrupt:
            calls, note = {}, "arguments not recorded: interrupted"
    else:
        calls, note = {}, "arguments not recorded: --no-arguments"
    data["arguments"] = {"registers": list(ARG_REGISTERS), "calls": calls, "note": note}
    d = profiles_dir(cfg.cache_path)
    d.mkdir(parents=True, exist_ok=True)
    dest = d / f"{int(time.time() * 1000)}-{os.getpid()}.json"
    write_atomic(dest, json.dumps(data, separators=(",", ":"), sort_keys=True))
    print(f"llmcc profile: recorded with {used}; {note}; {dest}")
    for name, share in sorted(shares.items(), key=lambda kv: -kv[1])[:10]:
        n = len(calls.get(name, ()))
        print(f"  {share * 100:6.2f}%  {name}" + (f"  ({n} calls recorded)" if n else ""))
    return 0
