"""Run untrusted code in a child process: confined, and limited.

Every execution of code llmcc did not write and gcc did not compile from the user's source -- the
differential-test harness with a candidate linked in, the timing harness, pgo's training run,
candidate programs and the project's tests with a candidate built in, bench runs -- goes through
`run`, or, where the caller times the child by its own CPU time (measure.cpu_time_of), `timed`.
The layers, each probed once per process (`probe`) and listed by `llmcc config` and `llmcc stats`:

1. A private view of the file system, in new user, mount, pid, network, ipc and uts namespaces
   (bubblewrap): everything read-only, and writable only the run's own directory (and the
   directories the caller names) and a private /tmp; /run, /dev and /proc are the sandbox's own; no
   capabilities; no network but a loopback of its own; no other process visible, so none to
   signal. The program and the files its command line names by absolute path are visible
   (read-only) even where the view would hide them (under /tmp). Harness runs (`reads` given) see even less: the system's libraries and the files they
   name, nothing of $HOME, and an empty environment.
2. A system-call filter (seccomp, syscall_filter.denylist) on the command, installed by bubblewrap
   (`--seccomp`) after its own setup: no ptrace, mount, new namespaces, kernel modules, BPF, perf,
   keyrings, io_uring, Unix-domain sockets (see there why).
3. Inside the harnesses, a strict allowlist (seccomp.c) installed after their setup, before the
   first call of the code under test: output, signals, the CPU timer, memory, exit; nothing else.
4. Limits, always: its own session and process group, killed as a whole (and every descendant)
   at the time limit; RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, no core dumps; stdin from /dev/null
   unless input is given.

Where the kernel refuses a layer the others still apply, and `probe().describe()` says which is
missing and why; without bubblewrap, a network namespace alone is tried (unshare in the child),
and the filter of layer 2 is installed by the child itself before exec. The optimizer refuses model
and file candidates when neither the namespaces nor the filter are available
(`require_isolation`), unless the user opts in with `allow_unsandboxed = true`.

bubblewrap rather than unshare and mount calls of our own: it is the reviewed tool for exactly
this (Flatpak's sandbox), handles the recursive read-only remount, /proc, /dev, the uid map, the
pid-namespace init and dying with its parent, for a few milliseconds per run (docs/verification.md).
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNET = 0x40000000
_SIGNALS = {int(s) for s in signal.Signals}
MAX_OUTPUT = 4 << 20  # bytes of stdout/stderr kept; the rest is cut (a runaway printer)
NO_SECCOMP_ENV = "LLMCC_SANDBOX_NO_SECCOMP"  # read by seccomp.c: set only when the kernel refuses filters
LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
SECCOMP_C = Path(__file__).resolve().parent / "seccomp.c"  # the harnesses' allowlist (#included by them)
PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the directory gcc_wrapper is imported from
NAMESPACES = ("user", "mount", "pid", "network", "ipc", "uts")
# the system's programs and libraries: what a harness (a C program linked with libc) needs to start
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
PATH_ENV = "/usr/local/bin:/usr/bin:/bin"
HIDDEN = ("/tmp", "/run", "/dev", "/proc")  # replaced by the sandbox's own in the full view


class SandboxUnavailable(ValueError):
    """No isolation layer is available and the user has not accepted running untrusted code
    without one (the message says what the kernel refused and how to opt in)."""


@dataclass(frozen=True)
class Layers:
    """What the sandbox can do on this machine, as probed."""

    bwrap: str  # the bubblewrap that sets up the namespaces; "" when there is none or it failed
    seccomp: bool  # the kernel installs seccomp filters
    network: bool  # a network namespace (through bwrap, or unshare in the child without it)
    namespaces_refused: str = ""  # why there is no private view of the file system
    seccomp_refused: str = ""
    version: str = ""  # bubblewrap's

    @property
    def namespaces(self) -> tuple[str, ...]:
        return NAMESPACES if self.bwrap else (("network",) if self.network else ())

    @property
    def isolated(self) -> bool:
        """Some layer stops a candidate from changing the machine: the private file-system view or
        the system-call filter. (Limits and a network namespace alone do not.)"""
        return bool(self.bwrap) or self.seccomp

    def describe(self, allow_unsandboxed: bool = False) -> list[tuple[str, str]]:
        """(layer, state) for `llmcc config` and `llmcc stats`."""
        rows = []
        if self.bwrap:
            rows.append(
                (
                    "file-system view",
                    f"private, read-only but for the run's directory and /tmp ({self.version or 'bubblewrap'}, {self.bwrap})",
                )
            )
            rows.append(("namespaces", ", ".join(NAMESPACES)))
        else:
            rows.append(
                ("file-system view", f"NONE: candidates' runs can write wherever you can ({self.namespaces_refused})")
            )
            rows.append(("namespaces", "network only (no network)" if self.network else "NONE: network reachable"))
        if self.seccomp:
            rows.append(
                ("system-call filter", "active: a denylist for programs and tests, an allowlist inside the harnesses")
            )
        else:
            rows.append(("system-call filter", f"NONE: the kernel refused seccomp ({self.seccomp_refused})"))
        rows.append(("limits", "CPU time, memory, file size, no core dumps, own session killed as a whole"))
        if not self.isolated:
            rows.append(
                (
                    "model and file candidates",
                    "RUN WITH YOUR FULL RIGHTS (allow_unsandboxed = true)"
                    if allow_unsandboxed
                    else "refused unless allow_unsandboxed = true",
                )
            )
        return rows

    def to_json(self) -> dict:
        return {
            "isolated": self.isolated,
            "bwrap": self.bwrap,
            "bwrap_version": self.version,
            "namespaces": list(self.namespaces),
            "seccomp": self.seccomp,
            "namespaces_refused": self.namespaces_refused,
            "seccomp_refused": self.seccomp_refused,
        }


@functools.cache
def _program() -> bytes:
    from gcc_wrapper.optimize.verify import syscall_filter

    return syscall_filter.denylist()


@functools.cache
def probe() -> Layers:
    """Which layers the kernel allows, found by trying them (once per process: about 10 ms)."""
    bwrap = shutil.which("bwrap") or ""
    refused = "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
    if bwrap:
        r = _try_bwrap(bwrap, with_filter=True)
        if r.returncode == 0:
            return Layers(bwrap, True, True, version=_bwrap_version(bwrap))
        first = _why(r.stderr)
        r2 = _try_bwrap(bwrap, with_filter=False)
        if r2.returncode == 0:  # the namespaces work: the filter is what failed
            return Layers(bwrap, False, True, "", first, _bwrap_version(bwrap))
        refused = f"bubblewrap: {_why(r2.stderr)}"
    # no namespaces: try the child's own unshare and filter
    seccomp_err = _try_direct(net=False, with_filter=True)
    net_err = _try_direct(net=True, with_filter=False)
    return Layers("", not seccomp_err, not net_err, refused, seccomp_err)


def _why(stderr: bytes) -> str:
    return " ".join(stderr.decode(errors="replace").split())[:300] or "failed"


def _bwrap_version(bwrap: str) -> str:
    try:
        return subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _try_bwrap(bwrap: str, *, with_filter: bool) -> subprocess.CompletedProcess:
    rfd = _filter_fd() if with_filter else None
    args = [bwrap, *_bwrap_common(), *_full_view(), "--chdir", "/"]
    if rfd is not None:
        args += ["--seccomp", str(rfd)]
    try:
        return subprocess.run(
            [*args, "--", "/bin/true"], capture_output=True, timeout=30, pass_fds=(rfd,) if rfd is not None else ()
        )
    except (OSError, subprocess.SubprocessError) as e:
        return subprocess.CompletedProcess(args, 1, b"", str(e).encode())
    finally:
        if rfd is not None:
            os.close(rfd)


def _try_direct(*, net: bool, with_filter: bool) -> str:
    """'' when a child can, by itself, unshare a network namespace (net) or install the filter;
    else why not."""
    rfd = _filter_fd() if with_filter else None
    try:
        r = subprocess.run(
            [*_launcher_cmd(report=1, filter_fd=rfd, net=net, limits={}), "/bin/true"],
            capture_output=True,
            timeout=30,
            pass_fds=(rfd,) if rfd is not None else (),
        )
    except (OSError, subprocess.SubprocessError) as e:
        return str(e)
    finally:
        if rfd is not None:
            os.close(rfd)
    out = r.stdout.decode(errors="replace").strip()
    return "" if out.startswith("ok ") else (out.removeprefix("error ") or _why(r.stderr))


def require_isolation(allow_unsandboxed: bool) -> Layers:
    """For the optimizer before it runs model or file candidates: the layers, or SandboxUnavailable
    when there is no isolation at all and the user has not opted in."""
    layers = probe()
    if not layers.isolated and not allow_unsandboxed:
        raise SandboxUnavailable(
            "refusing to run model or file candidates: this machine gives the sandbox no isolation "
            f"(file-system namespaces: {layers.namespaces_refused}; seccomp: {layers.seccomp_refused}), so "
            "their code would run with all your rights. Install bubblewrap or allow user namespaces, "
            "or set allow_unsandboxed = true (LLMCC_ALLOW_UNSANDBOXED=1) to accept that risk"
        )
    return layers


# ---------------------------------------------------------------------------------------------
# Building the command line


def _bwrap_common() -> list[str]:
    return [
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--cap-drop",
        "ALL",
    ]


def _full_view() -> list[str]:
    """Everything read-only; /dev, /proc, /tmp and /run the sandbox's own (/run holds the sockets
    of the machine's daemons)."""
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    if os.path.isdir("/run") and not os.path.islink("/run"):
        args += ["--tmpfs", "/run"]
    return args


def _system_view() -> list[str]:
    """Only the system's programs and libraries (a harness needs libc and the dynamic loader)."""
    args = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    return args + ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--dev", "/dev", "--tmpfs", "/tmp"]


def _filter_fd() -> int:
    """A descriptor to read the filter program from (a pipe; the program fits its buffer)."""
    r, w = os.pipe()
    try:
        os.write(w, _program())
    finally:
        os.close(w)
    return r


def _launcher_cmd(*, report: int, filter_fd: int | None, net: bool, limits: Mapping[str, int]) -> list[str]:
    cmd = [sys.executable, "-E", "-s", "-S", str(LAUNCHER), "--report", str(report)]
    if filter_fd is not None:
        cmd += ["--filter", str(filter_fd)]
    if net:
        cmd.append("--net")
    for k, v in limits.items():
        cmd += [f"--{k}", str(v)]
    return cmd + ["--"]


@dataclass(frozen=True)
class _Spawn:
    argv: list[str]
    env: dict[str, str] | None
    pass_fds: tuple[int, ...]
    cwd: str
    bwrap: bool = False  # the command runs under bubblewrap


def _confined(
    layers: Layers,
    cmd: Sequence[str],
    cwd: str | None,
    env: Mapping[str, str] | None,
    reads: Sequence[str | os.PathLike[str]] | None,
    writes: Sequence[str | os.PathLike[str]],
    filter_fd: int | None,
    launcher: Sequence[str] = (),
) -> _Spawn:
    """The command line and environment that run cmd (behind the launcher's command line, when
    given) inside the namespaces, when there are any."""
    harness_view = reads is not None
    if harness_view and env is None:
        env = {"PATH": PATH_ENV}  # a harness needs no environment, and gets none of the user's secrets
    envd = dict(os.environ if env is None else env)
    if not layers.seccomp:
        envd[NO_SECCOMP_ENV] = "1"
    where = os.path.realpath(cwd) if cwd is not None else os.getcwd()
    program = _executable(cmd[0], where, envd)
    if not layers.bwrap:
        return _Spawn([*launcher, *cmd], envd, (), where)
    envd["TMPDIR"] = "/tmp"  # the user's TMPDIR is not in the private view
    args = [layers.bwrap, *_bwrap_common(), *(_system_view() if harness_view else _full_view())]
    shown = [os.path.realpath(d) for d in ([cwd] if cwd is not None else []) + list(writes)]
    for real in shown:
        args += ["--bind", real, real]
    for p in reads or ():
        real = os.path.realpath(p)
        args += ["--ro-bind", real, real]
        shown.append(real)
    # where the view would hide them (a build under /tmp), read-only: the program's directory (and
    # the launcher's), the working directory the caller left as it is, and the files the command
    # line names by absolute path
    needed = [os.path.dirname(p) for p in program] + ([where] if cwd is None else [])
    if launcher or not harness_view:  # Python and llmcc itself: the launcher, the tests' compiler shim
        needed += [str(PACKAGE_ROOT), sys.base_prefix, sys.prefix]
    needed += [a for a in cmd[1:] if a.startswith("/") and os.path.exists(a)]
    roots = SYSTEM_DIRS if harness_view else ("/",)
    for d in dict.fromkeys(os.path.realpath(n) for n in needed):
        if (not _under(d, roots) or _under(d, HIDDEN)) and not _under(d, shown):
            args += ["--ro-bind", d, d]
            shown.append(d)
    args += ["--chdir", where]
    if filter_fd is not None:
        args += ["--seccomp", str(filter_fd)]
    return _Spawn([*args, "--", *launcher, *cmd], envd, (filter_fd,) if filter_fd is not None else (), where, True)


def _under(path: str, dirs: Sequence[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def _executable(name: str, cwd: str, env: Mapping[str, str]) -> list[str]:
    """The program cmd[0] names, as the child would find it: its path and, when that is a
    symbolic link, its real path; FileNotFoundError (as Popen raises it) when there is none: inside
    the sandbox a missing program would look like a program that failed."""
    if "/" in name:
        path = os.path.abspath(os.path.join(cwd, name))
        found = path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    else:
        found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(2, "No such file or directory", name)
    return [os.path.abspath(found), os.path.realpath(found)]


# ---------------------------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class SandboxResult:
    returncode: int  # negative: killed by that signal (as subprocess reports it)
    stdout: bytes
    stderr: bytes
    timed_out: bool
    wall: float  # seconds (for CPU time, see `timed`: bubblewrap's pid-namespace init reaps the command)

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


def _limits(cpu_seconds: float, memory_bytes: int, fsize_bytes: int, isolate_net: bool, installer=None):
    # libc is loaded and the filter prepared here, in the parent: the child must not import or
    # allocate once its address space is limited (a parent already over the limit would fail in
    # preexec_fn otherwise), so RLIMIT_AS is the last thing it sets.
    unshare = None
    if isolate_net:
        import ctypes

        unshare = ctypes.CDLL(None, use_errno=True).unshare

    def preexec() -> None:
        os.setsid()
        if unshare is not None and unshare(CLONE_NEWNET) != 0:
            os.write(2, b"llmcc sandbox: cannot unshare a network namespace\n")
            os._exit(126)
        if installer is not None and installer.install() != 0:
            os.write(2, b"llmcc sandbox: cannot install the system-call filter\n")
            os._exit(126)
        cpu = max(1, int(cpu_seconds + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes > 0:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return preexec


def limit_running(pid: int, *, cpu_seconds: float, memory_bytes: int, fsize_bytes: int) -> None:
    """Put an already started child under run's limits, from the parent (prlimit). Only the
    limits: for a caller that starts and times the child itself (`timed` confines it as well, and
    sets the limits before the command's first instruction). The limits apply from shortly after
    exec: enough to stop a runaway, not a guarantee for the child's first instructions."""
    cpu = max(1, int(cpu_seconds + 0.999))
    for what, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_AS, (memory_bytes, memory_bytes)),
    ):
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
    reads: Sequence[str | os.PathLike[str]] | None = None,
    writes: Sequence[str | os.PathLike[str]] = (),
) -> SandboxResult:
    """Run cmd confined and under limits; never raises for what the child does (only for a cmd
    that cannot be started, as OSError). cwd None: a fresh private temporary directory; either way
    cwd and `writes` are the only writable directories (with a private /tmp). reads None: the whole
    file system is readable; a sequence (a harness): only the system's libraries and these paths,
    and env None then means an empty environment. isolate_net False: a trusted tool (the
    assembler) under the limits only, no namespaces or filter."""
    private = None
    if cwd is None:
        private = tempfile.TemporaryDirectory(prefix="llmcc-sandbox-")
        cwd = private.name
    filter_fd = None
    try:
        if isolate_net:
            layers = probe()
            if layers.bwrap and layers.seccomp:
                filter_fd = _filter_fd()
            spawn = _confined(layers, cmd, str(cwd), env, reads, writes, filter_fd)
            installer = None
            if layers.seccomp and not layers.bwrap:
                from gcc_wrapper.optimize.verify.syscall_filter import Installer

                installer = Installer(_program())
            preexec = _limits(cpu_seconds, memory_bytes, fsize_bytes, layers.network and not layers.bwrap, installer)
        else:
            spawn = _Spawn(list(cmd), dict(env) if env is not None else None, (), str(cwd))
            preexec = _limits(cpu_seconds, memory_bytes, fsize_bytes, False)
        start = time.monotonic()
        proc = subprocess.Popen(
            spawn.argv,
            cwd=spawn.cwd,
            env=spawn.env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=preexec,  # noqa: PLW1509 - setrlimit/setsid/unshare need it
            close_fds=True,
            pass_fds=spawn.pass_fds,
        )
        if filter_fd is not None:
            os.close(filter_fd)
            filter_fd = None
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
        rc = proc.returncode
        if spawn.bwrap and rc > 128 and rc - 128 in _SIGNALS:
            rc = 128 - rc  # bubblewrap reports a child killed by signal N as status 128 + N
        return SandboxResult(rc, out[:MAX_OUTPUT], err[:MAX_OUTPUT], timed_out, wall)
    finally:
        if filter_fd is not None:
            os.close(filter_fd)
        if private is not None:
            private.cleanup()


@dataclass(frozen=True)
class Timed:
    returncode: int  # of the command itself; negative: killed by that signal
    cpu: float  # user + system CPU seconds of the command and its waited-for descendants
    timed_out: bool
    error: str = ""  # the sandbox could not start the command (the launcher's report)


def timed(
    cmd: Sequence[str],
    *,
    stdin: bytes = b"",
    timeout: float,
    cwd: str | os.PathLike[str] | None,
    memory_bytes: int,
    fsize_bytes: int,
    stdin_file: str = "",
    stdout=None,
    stderr=None,
    setup=None,
    executable: str = "",
    env: Mapping[str, str] | None = None,
    shown: Sequence[str] = (),
) -> Timed:
    """Run cmd confined like `run` (the whole file system read-only, cwd writable when given, stdout
    and stderr discarded) and return its own CPU time: the launcher inside the sandbox spawns it
    and reports wait4's figures, so bubblewrap's setup and the launcher's start are not counted,
    and the limits and the filter are in place from the command's first instruction (the launcher
    installs the filter with SECCOMP_FILTER_FLAG_SPEC_ALLOW: no speculation mitigation is turned on
    for the timed program). Whatever it leaves running is killed with it.

    stdin_file: a file to read stdin from instead of `stdin`; stdout/stderr: open files to keep the
    output in; setup: a callable run in the child before the sandbox starts (workload.py mounts an
    overlay there, which the sandbox's view then shows at cwd); executable: run this program file
    under cmd[0]'s name (a patched copy of the program); env: variables added to the environment;
    shown: files the view shows read-only besides (a library the run preloads)."""
    layers = probe()
    cpu = max(1, int(timeout + 0.999))
    limits = {"cpu": cpu, "fsize": fsize_bytes, "as": memory_bytes}
    report_r, report_w = os.pipe()
    filter_fd = _filter_fd() if layers.seccomp else None
    fds = (report_w,) + ((filter_fd,) if filter_fd is not None else ())
    inner = _launcher_cmd(report=report_w, filter_fd=filter_fd, net=layers.network and not layers.bwrap, limits=limits)
    if executable:
        inner = [*inner[:-1], "--executable", executable, "--"]
    envd = dict(os.environ, **env) if env else None
    spawn = _confined(layers, cmd, str(cwd) if cwd is not None else None, envd, None, (), None, inner)
    files = ([executable] if executable else []) + list(shown)
    if files and spawn.bwrap:  # the patched program (and what it preloads) must be visible in the view
        at = spawn.argv.index("--chdir")
        binds = [w for f in files for w in ("--ro-bind", f, f)]
        spawn = _Spawn(
            [*spawn.argv[:at], *binds, *spawn.argv[at:]],
            spawn.env,
            spawn.pass_fds,
            spawn.cwd,
            spawn.bwrap,
        )

    def child() -> None:
        os.setsid()
        if setup is not None:
            setup()

    try:
        with open(stdin_file, "rb") if stdin_file else tempfile.TemporaryFile() as fin:
            if not stdin_file:
                fin.write(stdin)
                fin.seek(0)
            proc = subprocess.Popen(
                spawn.argv,
                cwd=spawn.cwd,
                env=spawn.env,
                stdin=fin,
                stdout=stdout if stdout is not None else subprocess.DEVNULL,
                stderr=stderr if stderr is not None else subprocess.DEVNULL,
                preexec_fn=child,
                pass_fds=fds,
            )  # noqa: PLW1509 - the setup must run in the child
            for fd in fds:
                os.close(fd)
            fds = ()
            try:
                proc.wait(timeout=timeout + 1)  # + the sandbox's and the launcher's start
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            kill_tree(proc.pid)
            proc.wait()
        report = os.read(report_r, 4096).decode(errors="replace").strip() if not timed_out else ""
    finally:
        for fd in (*fds, report_r):
            os.close(fd)
    if timed_out:
        return Timed(-signal.SIGKILL, 0.0, True)
    words = report.split()
    if words[:1] == ["ok"] and len(words) == 4:
        return Timed(int(words[1]), float(words[2]) + float(words[3]), False)
    return Timed(
        proc.returncode or 1,
        0.0,
        False,
        report.removeprefix("error ") or f"the sandbox failed (status {proc.returncode})",
    )
