"""Recording states: the workload runs once under recorder.c, and the calls it records of each hot
function are kept as a Recording (store.py).

    record(cmd, cwd, names, cache_root, *, limits, stdin_at, timeout) -> (Recording | None, note)

The functions are found by name in the program's symbol table (its static functions and gcc's
clones, `foo.constprop.0`, included), else in the shared libraries it loads (`ldd`). Each gets at
most `limits.states` recorded calls, spread over the run: `limits.burst` calls, then its breakpoint
rests `limits.window_ms` before the next burst, so that a function called millions of times costs
the run a few hundred stops, not millions. A call that touches more than `limits.page_limit` pages
or runs longer than `limits.call_ms` is not recorded; nor is one that makes a system call. What was
recorded, and why a call or a function was not, is in the recording's note and `llmcc profile`'s
output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.compile.files import write_atomic
from gcc_wrapper.optimize import native
from gcc_wrapper.optimize.states import store

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Limits:
    states: int = 64  # calls recorded per function
    burst: int = 8  # calls recorded per function in one window
    window_ms: int = 40  # how long a function's breakpoint rests after a burst
    page_limit: int = 8192  # pages one call may touch (32 MiB)
    call_ms: int = 2000  # wall-clock time of one recorded call
    total_bytes: int = 256 << 20  # compressed bytes of one recording on disk


def recorder() -> Path:
    return native.build("recorder", [HERE / "recorder.c"], ["-O2", "-Wall"])


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int
    type: str  # FUNC | OBJECT | ...
    bind: str  # GLOBAL | LOCAL | WEAK
    file: str  # the source file (STT_FILE) a local symbol follows, "" for others


_SYM = re.compile(r"^\s*\d+:\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\w+)\s+(\w+)\s+\w+\s+(\S+)\s+(\S+)(?:\s+(.*))?$")


def elf_symbols(path: str) -> list[Symbol]:
    """The symbol table (.symtab, else .dynsym) of an ELF file, with each local symbol's file."""
    try:
        r = subprocess.run(["readelf", "-W", "-s", path], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return []
    tables: dict[str, list[Symbol]] = {}
    table = ""
    file = ""
    for line in r.stdout.splitlines():
        if line.startswith("Symbol table"):
            table = ".symtab" if "'.symtab'" in line else ".dynsym"
            tables[table] = []
            file = ""
            continue
        m = _SYM.match(line)
        if not m or not table:
            continue
        value, size, typ, bind, ndx, name = (m.group(i) for i in range(1, 7))
        name = name.split("@")[0]
        if typ == "FILE":
            file = name
            continue
        if ndx == "UND" or not name:
            continue
        tables[table].append(Symbol(name, int(value, 16), int(size, 0), typ, bind, file if bind == "LOCAL" else ""))
    return tables.get(".symtab") or tables.get(".dynsym") or []


_PLT = re.compile(r"^([0-9a-f]+) <([^@>]+)@plt>:")


def plt_entries(path: str) -> dict[str, int]:
    """name -> address (file value) of the PLT stubs, for calls to shared-library functions."""
    try:
        r = subprocess.run(
            ["objdump", "-d", "-j", ".plt", "-j", ".plt.sec", path], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    out: dict[str, int] = {}
    for line in r.stdout.splitlines():
        m = _PLT.match(line)
        if m:
            out[m.group(2)] = int(m.group(1), 16)  # .plt.sec comes after .plt: the stub to call wins
    return out


def _is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _libraries(exe: str, cwd: str) -> list[str]:
    try:
        r = subprocess.run(["ldd", exe], capture_output=True, text=True, timeout=60, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired):
        return []
    out = []
    for line in r.stdout.splitlines():
        m = re.search(r"=>\s+(/\S+)", line)
        if m:
            out.append(os.path.realpath(m.group(1)))
    return out


def locate(
    exe: str, cwd: str, names: list[str], system: tuple[str, ...] = ()
) -> tuple[dict[str, tuple[str, int]], dict[str, list[Symbol]]]:
    """name -> (module, symbol value) for the names some module of the program defines as a
    function, the program itself first, libraries under the `system` directories never; and the
    symbols of the modules that define any."""
    found: dict[str, tuple[str, int]] = {}
    tables: dict[str, list[Symbol]] = {}
    for module in [exe, *(lib for lib in _libraries(exe, cwd) if not lib.startswith(system or ("\0",)))]:
        if all(n in found for n in names):
            break
        syms = elf_symbols(module)
        funcs = {s.name: s for s in syms if s.type in ("FUNC", "IFUNC") and s.value}
        hit = False
        for n in names:
            if n not in found and n in funcs:
                found[n] = (module, funcs[n].value)
                hit = True
        if hit:
            tables[module] = syms
    return found, tables


def record(
    cmd: list[str],
    cwd: str,
    names: list[str],
    cache_root: str | os.PathLike,
    *,
    limits: Limits = Limits(),
    stdin_at: int | None = None,
    timeout: float = 600.0,
    system: tuple[str, ...] = (),
) -> tuple[store.Recording | None, str]:
    """Run the workload under the recorder; (the Recording, a note on what was done or why not).
    Its output is discarded; its stdin is ours from offset `stdin_at`, or empty when None."""
    exe = cmd[0] if os.sep in cmd[0] else shutil.which(cmd[0])
    if exe is None:
        return None, f"states not recorded: {cmd[0]} not found"
    exe = os.path.realpath(os.path.join(cwd, exe))
    if not _is_elf(exe):
        return None, f"states not recorded: {cmd[0]} is not an ELF executable (a script?); profile the program itself"
    where, tables = locate(exe, cwd, names, system)
    chosen = [n for n in names if n in where]
    if not chosen:
        return None, (
            f"states not recorded: {os.path.basename(exe)} does not define the hot functions (a stripped "
            "binary, or a shell or interpreter running the program?); profile the program itself"
        )
    try:
        tool = recorder()
    except native.BuildError as e:
        return None, f"states not recorded: {e}"
    with tempfile.TemporaryDirectory(prefix="llmcc-record-") as tmp:
        spec = [
            f"states {limits.states}",
            f"burst {limits.burst}",
            f"window_ms {limits.window_ms}",
            f"page_limit {limits.page_limit}",
            f"call_ms {limits.call_ms}",
        ]
        for i, n in enumerate(chosen):
            module, value = where[n]
            spec.append(f"fn {i} {module} {value:x}")
        (Path(tmp) / "spec").write_text("\n".join(spec) + "\n")
        stdin = subprocess.DEVNULL
        if stdin_at is not None:
            try:
                os.lseek(0, stdin_at, os.SEEK_SET)  # the profiled run read it: the same input again
                stdin = None
            except OSError:
                pass
        out = Path(tmp) / "out"
        out.mkdir()
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [str(tool), str(Path(tmp) / "spec"), str(out), "--", exe, *cmd[1:]],
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        stopped = ""
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the program dies with its tracer (PTRACE_O_EXITKILL)
            proc.wait()
            status, stopped = -9, f" (stopped after {timeout:.0f} s)"
        except KeyboardInterrupt:
            os.killpg(proc.pid, 9)
            proc.wait()
            raise
        took = time.monotonic() - t0
        if status == 70 or not (out / "code.bin").exists():
            log = (out / "log.txt").read_text(errors="replace").strip() if (out / "log.txt").exists() else ""
            return None, f"states not recorded: the recorder failed ({log.splitlines()[-1] if log else 'no log'})"
        return _keep(out, cmd, cwd, chosen, where, tables, cache_root, limits, took, stopped)


def _keep(
    out: Path,
    cmd: list[str],
    cwd: str,
    chosen: list[str],
    where: dict[str, tuple[str, int]],
    tables: dict[str, list[Symbol]],
    cache_root: str | os.PathLike,
    limits: Limits,
    took: float,
    stopped: str,
) -> tuple[store.Recording | None, str]:
    log = (out / "log.txt").read_text(errors="replace").splitlines()
    addrs: dict[int, int] = {}
    abandoned: dict[int, int] = {}
    reasons: dict[str, int] = {}
    for line in log:
        m = re.match(r"fn (\d+) at ([0-9a-f]+)$", line)
        if m:
            addrs[int(m.group(1))] = int(m.group(2), 16)
        m = re.match(r"fn (\d+): call not recorded: (.*)$", line)
        if m:
            abandoned[int(m.group(1))] = abandoned.get(int(m.group(1)), 0) + 1
            reasons[m.group(2)] = reasons.get(m.group(2), 0) + 1
    base = store.states_dir(cache_root)
    base.mkdir(parents=True, exist_ok=True)
    _prune(base)
    dest = Path(tempfile.mkdtemp(prefix=f".{int(time.time() * 1000)}-", dir=base))
    functions: dict[str, dict] = {}
    size = 0
    counts = []
    for i, name in enumerate(chosen):
        raw = (out / f"fn{i}.bin").read_bytes() if (out / f"fn{i}.bin").exists() else b""
        n = len(store.parse_states(raw)) if raw else 0
        blob = zlib.compress(raw, 1)
        if size + len(blob) > limits.total_bytes:  # bounded on disk: the hotter functions first
            raw, blob, n = b"", zlib.compress(b""), 0
            reasons["over the recording's size limit"] = reasons.get("over the recording's size limit", 0) + 1
        size += len(blob)
        (dest / f"fn{i}.z").write_bytes(blob)
        module, value = where[name]
        functions[name] = {
            "module": module,
            "offset": value,
            "addr": addrs.get(i, 0),
            "states": n,
            "abandoned": abandoned.get(i, 0),
            "file": f"fn{i}.z",
        }
        counts.append(f"{name} {n}")
    (dest / "code.z").write_bytes(zlib.compress((out / "code.bin").read_bytes(), 1))
    modules = {}
    for j, (module, syms) in enumerate(sorted(tables.items())):
        data = {
            "symbols": [[s.name, s.value, s.size, s.type, s.bind, s.file] for s in syms],
            "plt": plt_entries(module),
        }
        (dest / f"symbols-{j}.json.z").write_bytes(zlib.compress(json.dumps(data).encode(), 6))
        modules[module] = f"symbols-{j}.json.z"
    maps = (out / "maps.txt").read_text(errors="replace")
    stack = [0, 0]
    for line in maps.splitlines():
        if line.rstrip().endswith("[stack]"):
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            stack = [lo, hi]
    why = "; ".join(f"{k} ({v})" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
    stops = [ln.split(": ", 1)[1] for ln in log if ln.startswith("recording stopped: ")]
    note = (
        f"states recorded in {took:.1f} s{stopped}: "
        + ", ".join(counts)
        + (f"; calls not recorded: {why}" if why else "")
        + (f"; {stops[0]}" if stops else "")
    )
    meta = {
        "command": cmd,
        "cwd": cwd,
        "created": time.time(),
        "stack": stack,
        "maps": maps,
        "note": note,
        "functions": functions,
        "modules": modules,
    }
    write_atomic(dest / "meta.json", json.dumps(meta))
    final = base / dest.name.lstrip(".").split("-")[0]
    final = base / f"{final.name}-{os.getpid()}"
    os.replace(dest, final)
    return store.load(final), note


def _prune(base: Path) -> None:
    """Keep the newest store.KEEP - 1 recordings (one more is about to be made)."""
    try:
        dirs = sorted(
            (d for d in base.iterdir() if d.is_dir() and not d.name.startswith(".")), key=lambda d: d.stat().st_mtime
        )
    except OSError:
        return
    for old in dirs[: max(0, len(dirs) - store.KEEP + 1)]:
        shutil.rmtree(old, ignore_errors=True)
