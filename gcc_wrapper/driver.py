"""The drop-in gcc: compile C sources through gcc's assembly, with accepted rewrites.

For each C source of a -c, -S or one-shot compile-and-link command line:

    gcc <user's words> -O3 -S -o - src      (gcc's diagnostics captured, shown once at the end)
      -> asm.parse -> _apply_rewrites -> _optimize -> render
      -> gcc <assembler words> -c -x assembler - -o <temp next to the output>  -> rename

Everything else goes to the real gcc through exec, untouched (see args.py for the rule).
A failure inside llmcc never fails a build: it is logged (log.py), counted in the cache
statistics as fallback.<reason>, and the real gcc is exec'd with the original words, so the
user sees exactly what gcc would have printed. Only gcc's own errors fail a compile.

Test hook: LLMCC_FAULT=parse|assemble|exception makes that step fail on purpose, so tests
can check the fallback. (assemble feeds the real assembler a bad line, so the assembler's
error path is the one exercised.)

The module imports only the standard library and llmcc's compile-path modules, lazily.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace

from gcc_wrapper import args, compiler
from gcc_wrapper import log as llmcc_log

FAULT_ENV = "LLMCC_FAULT"


class GccFailed(Exception):
    """gcc itself rejected the source: its status and stderr are the compile's result."""

    def __init__(self, status: int, stderr: bytes):
        super().__init__(f"gcc exited with status {status}")
        self.status = status
        self.stderr = stderr


class AssembleError(Exception):
    """The assembler rejected assembly that llmcc produced."""


class InjectedFault(Exception):
    """Raised by the LLMCC_FAULT test hook."""


@dataclass(frozen=True)
class Baseline:
    """gcc's own assembly for one source, and what gcc printed while making it."""

    asm_text: str
    stderr: bytes = b""


def main(prog: str, argv: list[str]) -> int:
    """Compile as gcc would (`argv` excludes the program name). Returns the exit status, or
    does not return at all when it execs the real gcc."""
    cfg, problem = _load_config()
    try:
        cc, rest = compiler.find_real_compiler(prog, list(argv), cfg)
    except compiler.CompilerNotFound as e:
        print(f"llmcc: error: {e}", file=sys.stderr)
        return 1
    if problem is not None:
        return _fallback(cfg, cc, rest, "config", problem)
    if cfg.disable:
        return _exec(cc, rest)
    try:
        inv = _plan(cc, rest, cfg)
        if inv is None:
            return _exec(cc, rest)
        return _compile(inv, cfg)
    except GccFailed as e:
        return e.status
    except Exception as e:  # noqa: BLE001 - any internal failure means "let gcc do it"
        return _fallback(cfg, cc, rest, _reason(e), _describe(e))


def _load_config():
    from gcc_wrapper import config

    try:
        return config.load(), None
    except Exception as e:  # noqa: BLE001 - a broken config must not break the build
        return None, str(e)


def _plan(cc: str, rest: list[str], cfg) -> args.Invocation | None:
    """The Invocation to compile, or None for pass-through."""
    if not compiler.is_gcc(cc):
        return None
    inv = args.parse(rest, opt=str(cfg.opt))
    if inv.kind != "compile":
        return None
    if inv.stage != "link":
        for src in inv.sources:
            dest = inv.output_for(src)
            # /dev/null and friends: never rename over something that is not a regular file
            if os.path.lexists(dest) and not os.path.isfile(dest):
                return None
    return replace(inv, cc=cc, cc_name=compiler.run_name(cc))


def _compile(inv: args.Invocation, cfg) -> int:
    fault = os.environ.get(FAULT_ENV, "")
    if fault == "exception":
        raise InjectedFault("exception")
    tmpdir = None
    if inv.stage == "link":
        import tempfile

        tmpdir = tempfile.mkdtemp(prefix="llmcc-")
    try:
        stderr: list[bytes] = []
        status = 0
        objects: dict[int, str] = {}
        for i, src in enumerate(inv.sources):
            try:
                base = _baseline(inv, src, cfg)
            except GccFailed as e:
                stderr.append(e.stderr)
                status = max(status, e.status)
                continue
            if fault == "parse":
                raise InjectedFault("parse")
            unit = _parse(base.asm_text)
            unit = _apply_rewrites(unit, inv, cfg)
            unit = _optimize(unit, inv, src, cfg)
            text = unit.render()
            if inv.stage == "S":
                _write_atomic(inv.output_for(src), text.encode("utf-8", "surrogateescape"))
                stderr.append(base.stderr)
                continue
            if tmpdir is not None:
                stem = os.path.splitext(os.path.basename(src))[0]
                dest = os.path.join(tmpdir, f"{i}-{stem}.o")
                objects[inv.source_positions[i]] = dest
            else:
                dest = inv.output_for(src)
            stderr.append(base.stderr + _assemble(inv, text, dest, fault == "assemble"))
        _write_stderr(b"".join(stderr))
        if status or tmpdir is None:
            return status
        return _link(inv, objects)
    finally:
        if tmpdir is not None:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)


def _baseline(inv: args.Invocation, src: str, cfg) -> Baseline:
    """gcc -S of `src` with the user's words and the forced level. Raises GccFailed when gcc
    rejects the source. (Seam: the translation-unit cache answers here.)"""
    cmd = [inv.cc_name, *inv.compile_flags, *_color_flags(inv), *inv.dep_args_for(src), "-S", "-o", "-"]
    if src in inv.forced_c:
        cmd += ["-x", "c"]
    cmd.append(src)
    out, err, status = _run(inv.cc, cmd)
    if status != 0:
        raise GccFailed(status, err)
    return Baseline(asm_text=out.decode("utf-8", "surrogateescape"), stderr=err)


def _apply_rewrites(unit, inv: args.Invocation, cfg):
    """Replace the functions that have accepted rewrites in the cache. (Seam: cache lookups.)"""
    return unit


def _optimize(unit, inv: args.Invocation, src: str, cfg):
    """Optimize or queue the hot functions of `unit` (seam for the optimizer's sync and queue
    modes); returns the unit to render."""
    return unit


def _parse(text: str):
    from gcc_wrapper import asm

    return asm.parse(text)


def _assemble(inv: args.Invocation, text: str, dest: str, inject_fault: bool = False) -> bytes:
    """Assemble `text` into `dest` (atomically) as gcc -c would; returns the assembler's stderr."""
    data = text.encode("utf-8", "surrogateescape")
    if inject_fault:
        data += b"\t.llmcc_injected_fault\n"
    tmp = _temp_beside(dest)
    cmd = [inv.cc_name, *inv.asm_flags, "-c", "-x", "assembler", "-o", tmp, "-"]
    try:
        _, err, status = _run(inv.cc, cmd, stdin=data)
        if status != 0:
            raise AssembleError(err.decode("utf-8", "replace").strip()[-2000:])
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return err


def _link(inv: args.Invocation, objects: dict[int, str]) -> int:
    import subprocess

    words = [objects.get(i, w) for i, w in enumerate(inv.link_args)]
    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.run([inv.cc_name, *words], executable=inv.cc, env=compiler.child_env(inv.cc)).returncode


def _run(cc: str, cmd: list[str], stdin: bytes | None = None) -> tuple[bytes, bytes, int]:
    import subprocess

    p = subprocess.run(
        cmd,
        executable=cc,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        env=compiler.child_env(cc),
    )
    return p.stdout, p.stderr, p.returncode


def _color_flags(inv: args.Invocation) -> list[str]:
    """gcc colours diagnostics only on a terminal; its stderr is a pipe here, so ask for colour
    when ours is a terminal and gcc would have chosen it."""
    if any(w.startswith(("-fdiagnostics-color", "-fno-diagnostics-color")) for w in inv.compile_flags):
        return []
    if os.environ.get("TERM", "dumb") == "dumb" or os.environ.get("GCC_COLORS") == "":
        return []
    try:
        return ["-fdiagnostics-color=always"] if os.isatty(2) else []
    except OSError:
        return []


def _temp_beside(dest: str) -> str:
    d, base = os.path.split(dest)
    return os.path.join(d, f".{base}.llmcc-{os.getpid()}.tmp")


def _write_atomic(dest: str, data: bytes) -> None:
    tmp = _temp_beside(dest)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _write_stderr(data: bytes) -> None:
    if data:
        sys.stderr.flush()
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()


def _exec(cc: str, rest: list[str]) -> int:
    """Become the real gcc: same argv, stdin, stdout, stderr and exit status."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(cc, [compiler.run_name(cc), *rest], compiler.child_env(cc))
    except OSError as e:
        print(f"llmcc: error: cannot run {cc}: {e.strerror}", file=sys.stderr)
        return 127


def _reason(e: BaseException) -> str:
    if isinstance(e, InjectedFault):
        return str(e)
    if isinstance(e, AssembleError):
        return "assemble"
    if type(e).__name__ == "AsmError":
        return "parse"
    if isinstance(e, OSError):
        return "os"
    return "exception"


def _describe(e: BaseException) -> str:
    import traceback

    where = ""
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        last = tb[-1]
        where = f" at {os.path.basename(last.filename)}:{last.lineno}"
    return f"{type(e).__name__}: {e}{where}"


def _fallback(cfg, cc: str, rest: list[str], reason: str, detail: str) -> int:
    """Log and count an internal failure, then let the real gcc do the whole job."""
    llmcc_log.write(cfg, "fallback", reason, detail, rest)
    if cfg is not None:
        try:
            from cache import open_cache

            open_cache(cfg).bump(f"fallback.{reason}")
        except Exception:  # noqa: BLE001 - statistics are best effort
            pass
    return _exec(cc, rest)
