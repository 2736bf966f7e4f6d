"""The project's own tests, and program-level differential tests.

    run(ctx, cand, command, *, timeout=None) -> Check
        Rebuild the project with the candidate in place and run `command` (e.g. "make check");
        pass = exit status 0 within the time limit.
    run_programs(ctx, cand, Programs(build, exe, inputs)) -> Check
        Build the program with the original and with the candidate, run both on the same stdin
        files (compare_programs): stdout and exit status must agree.
    compare_programs(baseline, candidate, inputs, *, cwd=None, timeout=10) -> Check
        Run two executables on the same stdin files; stdout and exit status must agree.

How the candidate gets into the build without touching the user's tree: the project directory
(ctx.cwd) is copied to a private directory, the copy of the source file is made newer than
everything so the build recompiles it, and `gcc`, `cc` and `llmcc` on PATH are replaced by a
shim. The shim compiles that one source file with `-S`, swaps the function for the candidate
(asm.Unit.replace) and assembles the result; every other command goes to the real gcc unchanged.
So a project whose build runs the C compiler by name (CC=gcc, cc, llmcc, or the default) works;
builds that hard-code absolute paths to the tree or to a compiler do not see the candidate.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.optimize.candidate import Candidate, Check, Context
from gcc_wrapper.optimize.verify import sandbox

SHIM_ENV = "LLMCC_VERIFY_SHIM"
DEFAULT_TIMEOUT = 600.0


class TestsUnavailable(Exception):
    """The project tests cannot be run for this function (not the candidate's fault)."""


@dataclass(frozen=True)
class Programs:
    """A program-level differential test: build the project with `build`, then run `exe` (a path
    in the project) on each input file, once built with the original and once with the candidate."""

    build: str
    exe: str
    inputs: tuple[str, ...]  # absolute paths of the stdin files
    timeout: float = 10.0  # per run of the original


@contextmanager
def built(ctx: Context, asm_text: str, command: str, timeout: float):
    """A private copy of the project in which `command` ran with asm_text in place of ctx.name;
    yields (result, copy directory). Raises TestsUnavailable when that cannot be arranged."""
    project = Path(ctx.cwd or os.getcwd()).resolve()
    source = Path(ctx.source_path if os.path.isabs(ctx.source_path) else project / ctx.source_path).resolve()
    try:
        rel = source.relative_to(project)
    except ValueError:
        raise TestsUnavailable(f"{source} is outside the project directory {project}") from None
    with tempfile.TemporaryDirectory(prefix="llmcc-tests-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        target = copy / rel
        later = time.time() + 2
        os.utime(target, (later, later))
        bindir = Path(tmp) / "bin"
        bindir.mkdir()
        real_cc = shutil.which(ctx.compiler or "gcc") or "gcc"
        spec = {
            "source": str(target),
            "name": ctx.name,
            "asm": asm_text,
            "cc": real_cc,
            "opt": next((f for f in reversed(ctx.cflags) if f.startswith("-O")), "-O3"),
            "used": str(Path(tmp) / "used"),
        }
        (Path(tmp) / "shim.json").write_text(json.dumps(spec))
        script = f"#!{sys.executable}\nimport sys\nfrom gcc_wrapper.optimize.verify.project_tests import shim_main\nsys.exit(shim_main(sys.argv))\n"
        for name in ("gcc", "cc", "llmcc", os.path.basename(real_cc)):
            p = bindir / name
            p.write_text(script)
            p.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
        env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
        env[SHIM_ENV] = str(Path(tmp) / "shim.json")
        env["LLMCC_MODE"] = "off"
        # writable: the copy, and beside it the shim's note that it compiled the candidate
        r = sandbox.run(
            ["/bin/sh", "-c", command],
            cwd=copy,
            timeout=timeout,
            cpu_seconds=timeout * 2,
            memory_bytes=4 << 30,
            env=env,
            fsize_bytes=1 << 30,
            writes=(tmp,),
        )
        if not (Path(tmp) / "used").exists():
            raise TestsUnavailable(
                f"`{command}` never compiled {rel} through gcc/cc/llmcc on PATH, so it cannot test the candidate"
            )
        yield r, copy


def _tail(r: sandbox.SandboxResult) -> str:
    return " | ".join((r.stdout + r.stderr).decode(errors="replace").strip().splitlines()[-5:])


def run(ctx: Context, cand: Candidate, command: str, *, timeout: float | None = None) -> Check:
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    with built(ctx, cand.asm, command, limit) as (r, _):
        if r.returncode == 0 and not r.timed_out:
            return Check("tests", True, f"`{command}` passed with the candidate built in ({r.wall:.1f} s)")
        return Check("tests", False, f"`{command}` failed with the candidate built in: {r.describe()}; {_tail(r)}")


def run_programs(ctx: Context, cand: Candidate, programs: Programs, *, timeout: float | None = None) -> Check:
    """Build the program with the original function and with the candidate (the same shim, so
    that nothing else differs), then compare the two on every input."""
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    with built(ctx, ctx.baseline_asm, programs.build, limit) as (rb, base_dir):
        if rb.returncode != 0 or rb.timed_out:
            raise TestsUnavailable(f"`{programs.build}` does not build the original: {rb.describe()}; {_tail(rb)}")
        with built(ctx, cand.asm, programs.build, limit) as (rc, cand_dir):
            if rc.returncode != 0 or rc.timed_out:
                return Check(
                    "programs",
                    False,
                    f"`{programs.build}` fails with the candidate built in: {rc.describe()}; {_tail(rc)}",
                )
            base_exe, cand_exe = base_dir / programs.exe, cand_dir / programs.exe
            if not base_exe.exists():
                raise TestsUnavailable(f"`{programs.build}` made no {programs.exe}")
            return compare_programs([str(base_exe)], [str(cand_exe)], programs.inputs, timeout=programs.timeout)


def shim_main(argv: list[str]) -> int:
    """The compiler on PATH while project tests run: the target source gets the candidate."""
    spec = json.loads(Path(os.environ[SHIM_ENV]).read_text())
    args = argv[1:]
    target = spec["source"]
    srcs = [
        i
        for i, a in enumerate(args)
        if a.endswith(".c") and os.path.exists(a) and os.path.realpath(a) == os.path.realpath(target)
    ]
    if not srcs or "-c" not in args:
        os.execv(spec["cc"], [spec["cc"], *args])
    import subprocess

    from gcc_wrapper.compile import asm

    out = None
    rest: list[str] = []
    skip = False
    for i, a in enumerate(args):
        if skip:
            skip = False
        elif a == "-o":
            out = args[i + 1]
            skip = True
        elif a.startswith("-o") and len(a) > 2:
            out = a[2:]
        elif a != "-c" and i != srcs[0]:
            rest.append(a)
    out = out or Path(target).with_suffix(".o").name
    with tempfile.TemporaryDirectory(prefix="llmcc-shim-") as tmp:
        s_file = os.path.join(tmp, "unit.s")
        r = subprocess.run([spec["cc"], *rest, spec["opt"], "-S", "-o", s_file, args[srcs[0]]])
        if r.returncode != 0:
            return r.returncode
        try:
            unit = asm.parse(Path(s_file).read_text()).replace(spec["name"], spec["asm"])
        except asm.AsmError as e:
            print(f"llmcc verify shim: cannot put the candidate in place: {e}", file=sys.stderr)
            return 1
        Path(s_file).write_text(unit.render())
        Path(spec["used"]).touch()
        # assembling: preprocessor, dependency and language options no longer apply
        flags, skip_next = [], False
        for a in rest:
            if skip_next:
                skip_next = False
            elif a in ("-x", "-MF", "-MT", "-MQ", "-include", "-isystem", "-iquote", "-idirafter"):
                skip_next = True
            elif not a.startswith(("-M", "-D", "-U", "-I", "-std", "-x", "-include")):
                flags.append(a)
        return subprocess.run([spec["cc"], *flags, "-c", s_file, "-o", out]).returncode


def compare_programs(
    baseline: Sequence[str],
    candidate: Sequence[str],
    inputs: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | None = None,
    timeout: float = 10.0,
) -> Check:
    """Program-level differential test: each input file is fed to both programs on stdin."""
    for path in inputs:
        data = Path(path).read_bytes()
        b = sandbox.run(list(baseline), cwd=cwd, timeout=timeout, cpu_seconds=timeout, stdin=data)
        if b.timed_out:
            continue  # the original itself does not finish on this input: it says nothing
        c = sandbox.run(list(candidate), cwd=cwd, timeout=max(timeout, 4 * b.wall), cpu_seconds=timeout, stdin=data)
        if c.timed_out or c.returncode != b.returncode:
            return Check(
                "programs", False, f"on {path}: the candidate program {c.describe()}, the original {b.describe()}"
            )
        if c.stdout != b.stdout:
            at = next(
                (i for i, (x, y) in enumerate(zip(b.stdout, c.stdout)) if x != y), min(len(b.stdout), len(c.stdout))
            )
            return Check(
                "programs",
                False,
                f"on {path}: output differs at byte {at}: "
                f"original {b.stdout[at : at + 40]!r}, candidate {c.stdout[at : at + 40]!r}",
            )
    return Check("programs", True, f"same output and exit status on {len(inputs)} inputs")
