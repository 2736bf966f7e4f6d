"""The compile server: a warm Python process that the native `llmcc` client (client.c)
hands compiles to (their conversation: protocol.py), so a build does not pay Python's start-up and imports once per file.

    python -m gcc_wrapper.compile.server SOCKET

It is started in the background by the first compile that found none (the client, which then
waits for it; or cli.main when the client sets LLMCC_START_SERVER, if the client could not
start it), imports the compile path once, and forks workers that wait in
accept() for connections (one is always waiting: the fork is done before the compile arrives;
when the last waiting one takes a connection, the server forks another). A worker takes over the
client's standard streams (received over the socket), working directory, umask and environment,
runs cli.main exactly as the Python `llmcc` would (where that would exec gcc, it runs gcc and
waits: cli.main(in_place=False)), runs the exit handlers (cache statistics), reports the status,
hands the streams back and waits for the next connection. It serves another compile only if
this one left nothing behind: the worker then is the process the server forked (what a compile
learns lives in its driver.Context and ends with it; see _worker). A worker's second compile costs about 4 ms
less than a fresh fork's first: its pages are its own already (no copy-on-write faults) and
there is no fork or exit to pay.

The server steps aside rather than guess:
  - management commands (`llmcc stats`, `optimize`, `--help`...) are answered PYTH: the client
    runs the Python `llmcc`, which owns the terminal as it always has;
  - when a module it imported has changed on disk (an upgrade, a developer's edit) it answers
    PYTH, removes its socket and exits; the Python run starts a new server;
  - after LLMCC_SERVER_IDLE seconds (default 300) without a compile it exits;
  - when its socket has been removed or taken by another server it exits (within CHECK_SOCKET
    seconds): its lock would otherwise keep clients from starting one they can reach.
Only the user who owns /tmp/llmcc-UID (mode 0700) can connect.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

from gcc_wrapper.compile import protocol

IDLE_ENV = "LLMCC_SERVER_IDLE"
MAX_SERVED = 100  # compiles per worker: whatever a compile leaks, it leaks for a bounded time
CHECK_SOCKET = 5.0  # seconds between looks at whether our socket is still ours
_PR_SET_PDEATHSIG = 1
_prctl = None


def start(sock_path: str) -> None:
    """Start a server for `sock_path` in the background (its own session, standard streams on
    /dev/null), unless the path is not in a private directory of ours. Never raises."""
    try:
        if not _private_dir(os.path.dirname(sock_path)):
            return
        devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
            env = {k: v for k, v in os.environ.items() if k not in (protocol.START_ENV, protocol.ARGV0_ENV)}
            os.posix_spawn(
                sys.executable,
                [sys.executable, "-m", "gcc_wrapper.compile.server", sock_path],
                env,
                file_actions=actions,
                setsid=True,
            )
        finally:
            os.close(devnull)
    except OSError:
        pass


def _private_dir(d: str) -> bool:
    try:
        st = os.lstat(d)
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gcc_wrapper.compile.server SOCKET", file=sys.stderr)
        return 2
    sock_path = argv[0]
    os.closerange(3, 1 << 16)  # nothing of whoever started us (make's jobserver, pipes) is kept
    os.chdir("/")
    if not _private_dir(os.path.dirname(sock_path)):
        return 1
    if not _take_lock(sock_path):
        return 0  # another server is starting or running
    preload()
    _settle()
    try:
        idle = float(os.environ.get(IDLE_ENV, "300"))
    except ValueError:
        idle = 300.0
    stamps = _stamps()
    listener = _listen(sock_path)
    inode = os.stat(sock_path).st_ino
    pool = _Pool(listener, stamps)
    try:
        while not pool.stale:
            pool.keep_one_waiting()
            pool.wait(idle)
            if not pool.serving and pool.idle_for() >= idle:
                break
            try:
                if os.stat(sock_path).st_ino != inode:
                    break  # another server took the name (and the lock is ours: it is not running)
            except OSError:
                break  # removed (a /tmp cleaner): no client can reach us, and our lock keeps others from starting
    except SystemExit:
        pass
    finally:
        pool.end_waiting()
        try:
            if os.stat(sock_path).st_ino == inode:
                os.unlink(sock_path)
        except OSError:
            pass
        listener.close()
    return 0


def _take_lock(sock_path: str) -> bool:
    """Hold the server's lock (for as long as this process lives) and write our pid into it, for
    `llmcc compile-server status|stop`; False when another server is starting or running."""
    lock = os.open(sock_path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return False
    os.ftruncate(lock, 0)
    os.write(lock, str(os.getpid()).encode())
    return True


def preload() -> None:
    """Import the compile path, once for every compile this server will fork."""
    from gcc_wrapper.compile import args, compiler, config, config_files, driver, files, log, options  # noqa: F401
    from gcc_wrapper import cli  # noqa: F401
    from gcc_wrapper.compile import spawn  # noqa: F401
    from gcc_wrapper.compile import asm  # noqa: F401
    import cache  # noqa: F401
    import cache.tu  # noqa: F401
    import hashlib  # noqa: F401 - the first compile into a new cache digests the compiler (~5 ms to import)


def _settle() -> None:
    """The server process's own ways: prctl for its workers, frozen objects, its signals."""
    global _prctl
    try:
        import ctypes

        _prctl = ctypes.CDLL(None, use_errno=True).prctl  # for the workers' PR_SET_PDEATHSIG
    except (ImportError, OSError, AttributeError):
        _prctl = None

    import gc

    gc.freeze()  # the children's collections then leave the shared pages alone (no copy-on-write)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)


def _listen(sock_path: str) -> socket.socket:
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o600)
    listener.listen(64)
    return listener


# What a worker tells the server through the pipe, with its pid (5 bytes, one atomic write):
_TOOK = b"T"  # it has taken a connection
_TOOK_STALE = b"S"  # it has taken one, and our code changed on disk: the server ends
_IDLE = b"I"  # it waits in accept() again


class _Pool:
    """The server's workers. They wait in accept() with the fork, their start and the staleness
    check behind them (about 1 ms a compile would otherwise wait for), and serve compiles one
    after another (_worker), telling the server through a pipe what they do. At least one is
    kept waiting: when the last one takes a connection, the server forks another."""

    def __init__(self, listener: socket.socket, stamps: dict[str, int]) -> None:
        self.listener = listener
        self.stamps = stamps
        self.news, self.tell = os.pipe()
        self.poller = select.poll()
        self.poller.register(self.news, select.POLLIN)
        self.waiting: set[int] = set()
        self.serving: set[int] = set()
        self.dead: set[int] = set()  # reaped: news of theirs still in the pipe is stale
        # worker -> its pidfd, readable when it ends: one killed while waiting is replaced at once
        self.watches: dict[int, int] = {}
        self.can_watch = hasattr(os, "pidfd_open")
        self.refusing = False  # cannot fork: the server takes the connections itself and refuses them
        self.last = time.monotonic()  # the last compile a worker took
        self.stale = False

    def idle_for(self) -> float:
        return time.monotonic() - self.last

    def keep_one_waiting(self) -> None:
        if self.waiting:
            return
        # `llmcc compile-server stop` between the fork and this assignment would leave a worker behind
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            pid = _fork_worker(self.listener, self.tell, self.stamps)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        if pid is not None:
            self.waiting.add(pid)
            self._watch(pid)
        if pid is None and not self.refusing:
            self.poller.register(self.listener, select.POLLIN)
        elif pid is not None and self.refusing:
            self.poller.unregister(self.listener)
        self.refusing = pid is None

    def _watch(self, pid: int) -> None:
        if self.can_watch:
            try:
                self.watches[pid] = os.pidfd_open(pid)
                self.poller.register(self.watches[pid], select.POLLIN)
            except OSError:
                self.can_watch = False

    def wait(self, idle: float) -> None:
        """Until something happens: news from a worker, a worker's end (its pidfd; without pidfds,
        a look every second), a connection to refuse, or time to look at the socket again."""
        left = max(0.0, idle - self.idle_for())
        events = self.poller.poll(50 if self.refusing else min(left, CHECK_SOCKET if self.can_watch else 1.0) * 1000)
        for fd, _ in events:
            if fd == self.news:
                self._read_news()
            elif fd == self.listener.fileno():
                try:
                    self.listener.accept()[0].close()  # the client sees no status: Python compiles
                except OSError:
                    pass
        for pid in _reap():
            self.dead.add(pid)
            self.waiting.discard(pid)
            self.serving.discard(pid)
            if pid in self.watches:
                self.poller.unregister(self.watches[pid])
                os.close(self.watches.pop(pid))

    def _read_news(self) -> None:
        data = os.read(self.news, 4095)  # (whole 5-byte messages: the writes are atomic)
        for at in range(0, len(data), 5):
            what = data[at : at + 1]
            (pid,) = struct.unpack("=i", data[at + 1 : at + 5])
            if pid in self.dead:
                continue
            if what == _IDLE:
                self.serving.discard(pid)
                self.waiting.add(pid)
            else:
                self.stale |= what == _TOOK_STALE
                self.last = time.monotonic()
                self.waiting.discard(pid)
                self.serving.add(pid)

    def end_waiting(self) -> None:
        """Kill the waiting workers (those serving finish their compile, then find us gone and end)."""
        for pid in self.waiting:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _fork_worker(listener: socket.socket, tell: int, stamps: dict[str, int]) -> int | None:
    """Fork a worker that waits for the next connection; its pid, None when fork fails."""
    server = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid:
        return pid
    try:
        for fd in _other_fds({listener.fileno(), tell}):  # the server's lock, pipe end and the other workers' pidfds
            os.close(fd)
        _quiet()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # (blocked by the fork; gcc inherits the mask)
        # when the server dies, however it dies, its workers hear of it: a waiting one ends (it
        # would wait forever on a socket nobody can reach), a serving one finishes its compile
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGUSR1, 0, 0, 0)
        if os.getppid() != server:
            return None
        _worker(listener, tell, stamps)
    finally:
        os._exit(0)


def _worker(listener: socket.socket, tell: int, stamps: dict[str, int]) -> None:
    """Serve compiles, one connection at a time, for as long as that leaves nothing behind.

    A compile sets the process's streams, directory, umask, environment and signal handlers
    (_serve); between compiles the worker puts back what the server had (_reset). It serves
    again only if the compile ended normally and left the process as the server made it: no
    module imported that the server had not (the optimizer, the shared tier, a one-shot link:
    their state is not reset here, so their worker ends), no thread, no open file, no process
    of its own left, nothing unwritten, not interrupted. After MAX_SERVED compiles it ends
    anyway; the server forks another."""
    preloaded = frozenset(sys.modules)
    server = os.getppid()
    me = struct.pack("=i", os.getpid())
    for served in range(MAX_SERVED):
        _quiet()
        if served:
            os.write(tell, _IDLE + me)
        conn, _ = listener.accept()
        stale = _stamps(stamps) != stamps
        os.write(tell, (_TOOK_STALE if stale else _TOOK) + me)
        if not _serve(conn, stale) or not _clean(preloaded, {listener.fileno(), tell}) or os.getppid() != server:
            return
        _reset()


def _quiet() -> None:
    """The handlers of a worker between compiles: a signal the client passes on after its
    compile ended is not for the next one; `llmcc compile-server stop` ends a waiting worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)  # the server died (PR_SET_PDEATHSIG)


def _clean(preloaded: frozenset[str], fds: set[int]) -> bool:
    """Whether the compile just served left the process as the server made it (see _worker)."""
    if sys.modules.keys() - preloaded:
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    try:
        os.waitpid(-1, os.WNOHANG)
        return False  # a process it started is still there (running, or not collected)
    except ChildProcessError:
        pass
    return not _other_fds(fds)


def _other_fds(keep: set[int]) -> list[int]:
    """The open file descriptors besides the standard streams and `keep`."""
    out = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue  # the directory listdir read, closed since
            out.append(fd)
    return out


def _reset() -> None:
    """Put back what the last compile changed, as a fresh fork of the server would have it. (What
    a compile learns lives in its driver.Context, which ends with it: nothing to forget here.)"""
    os.chdir("/")


def _stamps(paths: list[str] | dict[str, int] | None = None) -> dict[str, int]:
    """Modification times of `paths` (or of the paths of a previous answer), by default of the
    modules of llmcc this process has imported. (A worker checks the server's answer from start:
    what a child imports later comes from disk fresh, and walking sys.modules costs a compile
    more than the stats do.)"""
    if paths is None:
        # (this module runs as __main__: an edit of it makes the server stale too)
        paths = [
            path
            for name, mod in list(sys.modules.items())
            if (path := getattr(mod, "__file__", None))
            and (name.startswith(("gcc_wrapper", "cache.")) or name in ("cache", "__main__"))
        ]
    out = {}
    for path in paths:
        try:
            out[path] = os.stat(path).st_mtime_ns
        except OSError:
            out[path] = -1
    return out


def _reap() -> list[int]:
    """Collect the children that have ended; their pids."""
    out = []
    try:
        while (pid := os.waitpid(-1, os.WNOHANG)[0]) > 0:
            out.append(pid)
    except ChildProcessError:
        pass
    return out


def _stop(signum, frame) -> None:
    raise SystemExit(0)


# ---- `llmcc compile-server`: finding and stopping this installation's server ----------------------------


def socket_path(install_dir: str | os.PathLike | None = None) -> str:
    """The socket the native client in `install_dir` (default: this installation's bin) connects
    to (protocol.socket_path)."""
    return protocol.socket_path(os.fspath(install_dir) if install_dir is not None else os.path.dirname(sys.executable))


def server_pid(sock: str | None = None) -> int | None:
    """The pid of the running server, if one holds the socket's lock."""
    lock = (sock or socket_path()) + ".lock"
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None  # nobody holds it
        except OSError:
            pass
        data = os.read(fd, 32)
        return int(data) if data.strip().isdigit() else None
    finally:
        os.close(fd)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, /proc) of the server, of its workers and of their compilers: the
    workers that have ended (collected by the server) and those still waiting or serving."""
    ticks = 0
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        workers = f.read().split()
    for p in [str(pid), *workers]:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue  # ended since: the server's own figures will have it once collected
        ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def cli_main(argv: list[str]) -> int:
    """llmcc compile-server [status|stop]"""
    import argparse

    ap = argparse.ArgumentParser(
        prog="llmcc compile-server",
        description="The compile server behind the native llmcc "
        "client: it saves each compile Python's start-up. It starts by itself on the first "
        "compile and exits after LLMCC_SERVER_IDLE seconds (default 300) without one; "
        "LLMCC_COMPILE_SERVER=0 makes llmcc run without it.",
    )
    ap.add_argument("action", nargs="?", choices=("status", "stop"), default="status")
    a = ap.parse_args(argv)
    # the server of the installation that ran this command (the client passes its own path as
    # argv[0]), not necessarily the one this Python belongs to
    here = sys.argv[0] if sys.argv and os.path.basename(sys.argv[0]).startswith("llmcc") else ""
    sock = socket_path(os.path.dirname(os.path.abspath(here)) if here else None)
    pid = server_pid(sock)
    if a.action == "status":
        if pid is None:
            print(f"no compile server running (socket {sock})")
            return 1
        print(f"compile server running: pid {pid}, socket {sock}, CPU {cpu_seconds(pid):.2f} s")
        return 0
    if pid is None:
        print("no compile server running")
        return 0
    import time

    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if server_pid(sock) is None:
            print(f"stopped the compile server (pid {pid})")
            return 0
        time.sleep(0.05)
    print(f"llmcc compile-server: pid {pid} did not stop", file=sys.stderr)
    return 1


def _serve(conn: socket.socket, stale: bool) -> bool:
    """Run the compile the client on `conn` asks for and report its status. Whether the worker
    may serve another: the compile was not interrupted, all it printed reached the client, and
    the client has gone (so a signal it passes on cannot reach the next compile)."""
    status = None
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the server's "stop": a compile just ends
        signal.signal(signal.SIGUSR1, _noted)  # the server died: finish (_worker then sees it has gone)
        os.setpgid(0, 0)  # the client forwards its signals to this group: us and our gcc
        argv = _receive(conn)
        conn.sendall(protocol.reply(protocol.PGID, os.getpid()))
        from gcc_wrapper import cli

        if stale or cli.own_command(argv[0], argv[1:]):  # management commands: the Python llmcc
            conn.sendall(protocol.reply(protocol.PYTH))
            return False
        sys.argv = list(argv)
        unfit = False  # for another compile
        try:
            status = cli.main(argv, in_place=False)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except KeyboardInterrupt:
            status, unfit = 130, True
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                unfit = True  # what it could not write stays in the buffer: not for the next client
        atexit._run_exitfuncs()  # the cache's statistics are written at exit
        _quiet()
        _release_streams()  # the client's pipes see their end when the client does
        conn.sendall(protocol.reply(protocol.EXIT, int(status)))
        if unfit:
            return False
        conn.settimeout(5)
        return conn.recv(1) == b""  # the client has ended
    except BaseException:  # noqa: BLE001 - the client redoes the compile in Python
        if status is None:
            try:
                conn.sendall(protocol.reply(protocol.PYTH))
            except OSError:
                pass
        return False
    finally:
        conn.close()


def _noted(signum, frame) -> None:
    pass


def _release_streams() -> None:
    fd = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(fd, target)
    os.close(fd)


def _receive(conn: socket.socket) -> list[str]:
    """Read one request (protocol); install its streams, directory, umask and environment; its argv."""
    conn.settimeout(30)  # a client that connects and says nothing does not hold a child forever
    head, anc, _, _ = conn.recvmsg(protocol.HEAD_SIZE, socket.CMSG_SPACE(protocol.STREAMS * 4))
    fds: list[int] = []
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += struct.unpack(f"={len(data) // 4}i", data[: len(data) - len(data) % 4])
    if len(fds) != protocol.STREAMS:
        raise protocol.ProtocolError("not an llmcc request")
    size = protocol.payload_size(head)
    payload = bytearray()
    while len(payload) < size:
        chunk = conn.recv(min(size - len(payload), 1 << 20))
        if not chunk:
            raise protocol.ProtocolError("short request")
        payload += chunk
    req = protocol.decode_payload(bytes(payload))
    conn.settimeout(None)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.umask(req.umask)
    os.chdir(req.cwd)
    os.environ.clear()
    for item in req.env:
        k, sep, v = item.partition("=")
        if sep:
            os.environ[k] = v
    return [req.argv0, *req.args]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
