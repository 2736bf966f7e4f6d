"""Run untrusted code in a child process with limits.

Every execution of candidate code (the differential-test harness, a candidate program, the
project's tests with a candidate in place) goes through `run`, or, where the caller needs the
child's exact CPU time from wait4 (measure.cpu_time_of), through `limit_running` and `kill_tree`
(the same limits, own session, group killed; no network namespace). The child gets:

- its own session and process group (setsid), killed as a whole when the wall clock runs out
  (psutil walks the tree too, for grandchildren that changed their group);
- RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE and RLIMIT_CORE=0 (no core dumps);
- a private temporary working directory (removed afterwards) unless a cwd is given;
- stdin from /dev/null unless input bytes are given;
- a network namespace of its own (no network) where the kernel lets us unshare one; where it
  does not (unprivileged without user namespaces) this one protection is silently absent.

This is containment against accidents and crashes of machine code we have reason to distrust,
not a security boundary against a determined attacker: the static checks keep system calls out of
candidates, the sandbox keeps a wrong candidate from hanging or filling the disk.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
MAX_OUTPUT = 4 << 20  # bytes of stdout/stderr kept; the rest is cut (a runaway printer)


@dataclass(frozen=True)
class SandboxResult:
    returncode: int  # negative: killed by that signal (as subprocess reports it)
    stdout: bytes
    stderr: bytes
    timed_out: bool
    wall: float  # seconds
    cpu: float  # user + system CPU seconds of the child and its waited-for descendants

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode < 0 else None

    def describe(self) -> str:
        if self.timed_out:
            return f"timed out after {self.wall:.1f} s"
        if self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = f"signal {-self.returncode}"
            return f"killed by {name}"
        return f"exit status {self.returncode}"


def _limits(cpu_seconds: float, memory_bytes: int, fsize_bytes: int, isolate_net: bool):
    # libc is loaded here, in the parent: the child must not import or allocate once its address
    # space is limited (a parent already over the limit would fail in preexec_fn otherwise), so
    # RLIMIT_AS is the last thing it sets.
    unshare = None
    if isolate_net:
        import ctypes

        unshare = ctypes.CDLL(None, use_errno=True).unshare

    def preexec() -> None:
        os.setsid()
        if unshare is not None:
            unshare(CLONE_NEWNET)  # EPERM where the kernel does not allow it: keep going
        cpu = max(1, int(cpu_seconds + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes > 0:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return preexec


def limit_running(pid: int, *, cpu_seconds: float, memory_bytes: int, fsize_bytes: int) -> None:
    """Put an already started child (started with start_new_session=True) under run's limits.
    For a caller that times the child by its own CPU time: a preexec_fn would make the spawn a full
    fork whose cost is charged to the child. The limits apply from shortly after exec (the parent
    sets them once Popen returns; on a loaded machine that can be milliseconds): enough to stop a
    runaway, not a guarantee for the child's first instructions."""
    cpu = max(1, int(cpu_seconds + 0.999))
    for what, value in ((resource.RLIMIT_CPU, (cpu, cpu + 1)), (resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes)),
                        (resource.RLIMIT_CORE, (0, 0)), (resource.RLIMIT_AS, (memory_bytes, memory_bytes))):
        try:
            resource.prlimit(pid, what, value)
        except ProcessLookupError:
            return  # it has already finished


def kill_tree(pid: int) -> None:
    import psutil

    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        procs = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def run(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float,
    cpu_seconds: float,
    memory_bytes: int = 1 << 30,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    fsize_bytes: int = 64 << 20,
    isolate_net: bool = True,
) -> SandboxResult:
    """Run cmd under limits; never raises for what the child does (only for a cmd that cannot
    be started, as OSError). cwd None: a fresh private temporary directory."""
    private = None
    if cwd is None:
        private = tempfile.TemporaryDirectory(prefix="llmcc-sandbox-")
        cwd = private.name
    try:
        start = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_limits(cpu_seconds, memory_bytes, fsize_bytes, isolate_net),  # noqa: PLW1509 - setrlimit/setsid/unshare need it
            close_fds=True,
        )
        timed_out = False
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_tree(proc.pid)
            out, err = proc.communicate()
        else:
            # The child is gone; anything it left running in its group goes with it.
            kill_tree(proc.pid)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return SandboxResult(proc.returncode, out[:MAX_OUTPUT], err[:MAX_OUTPUT], timed_out, wall, cpu)
    finally:
        if private is not None:
            private.cleanup()
