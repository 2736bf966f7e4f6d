"""The compile server: a warm Python process that the native `llmcc` client (data/client.c)
hands compiles to, so a build does not pay Python's start-up and imports once per file.

    python -m gcc_wrapper.compile_server SOCKET

It is started in the background by the first compile that found none (cli.main, when the
client sets LLMCC_START_SERVER), imports the compile path once, and forks one child per
connection. The child takes over the client's standard streams (received over the socket),
working directory, umask and environment, runs cli.main exactly as the Python `llmcc` would
(where that would exec gcc, it runs gcc and waits: compiler.EXEC_IN_PLACE), runs the exit
handlers (cache statistics) and reports the status. Each compile is a fresh fork of a process
that has never compiled anything, so no state passes from one compile to the next.

The server steps aside rather than guess:
  - management commands (`llmcc stats`, `optimize`, `--help`...) are answered PYTH: the client
    runs the Python `llmcc`, which owns the terminal as it always has;
  - when a module it imported has changed on disk (an upgrade, a developer's edit) it answers
    PYTH, removes its socket and exits; the Python run starts a new server;
  - after LLMCC_SERVER_IDLE seconds (default 300) without a compile it exits.
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

IDLE_ENV = "LLMCC_SERVER_IDLE"
START_ENV = "LLMCC_START_SERVER"
ARGV0_ENV = "LLMCC_ARGV0"
_HEAD = b"LLMCC1\0\0"


def start(sock_path: str) -> None:
    """Start a server for `sock_path` in the background (its own session, standard streams on
    /dev/null), unless the path is not in a private directory of ours. Never raises."""
    try:
        if not _private_dir(os.path.dirname(sock_path)):
            return
        devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
            env = {k: v for k, v in os.environ.items() if k not in (START_ENV, ARGV0_ENV)}
            os.posix_spawn(sys.executable, [sys.executable, "-m", "gcc_wrapper.compile_server", sock_path],
                           env, file_actions=actions, setsid=True)
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
        print("usage: python -m gcc_wrapper.compile_server SOCKET", file=sys.stderr)
        return 2
    sock_path = argv[0]
    os.closerange(3, 1 << 16)  # nothing of whoever started us (make's jobserver, pipes) is kept
    os.chdir("/")
    if not _private_dir(os.path.dirname(sock_path)):
        return 1
    lock = os.open(sock_path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another server is starting or running
    os.ftruncate(lock, 0)
    os.write(lock, str(os.getpid()).encode())  # for `llmcc server status|stop`
    # the compile path, imported once for every compile this server will fork
    from gcc_wrapper import args, cli, compiler, config, driver, files, log, spawn  # noqa: F401
    from gcc_wrapper import asm  # noqa: F401
    import cache  # noqa: F401
    import cache.tu  # noqa: F401
    import hashlib  # noqa: F401 - the first compile into a new cache digests the compiler (~5 ms to import)

    import gc

    gc.freeze()  # the children's collections then leave the shared pages alone (no copy-on-write)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    try:
        idle = float(os.environ.get(IDLE_ENV, "300"))
    except ValueError:
        idle = 300.0
    stamps = _stamps()
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o600)
    listener.listen(64)
    inode = os.stat(sock_path).st_ino
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    running = 0
    try:
        while True:
            # while compiles run, wake often to reap them: their CPU time then shows in ours
            # (`llmcc server status`, the build benchmark) as soon as they end
            if not poller.poll(50 if running else idle * 1000):
                if not running:
                    break
                running -= _reap()
                continue
            try:
                conn, _ = listener.accept()
            except OSError:  # out of descriptors, or the client gave up: it falls back to Python
                running -= _reap()
                continue
            stale = _stamps() != stamps
            try:
                pid = os.fork()
            except OSError:
                conn.close()  # the client sees the connection end without a status: Python does the compile
                continue
            if pid == 0:
                listener.close()
                os.close(lock)
                _child(conn, stale)  # never returns
            conn.close()
            running += 1 - _reap()
            if stale:
                break
    except SystemExit:
        pass
    finally:
        try:
            if os.stat(sock_path).st_ino == inode:
                os.unlink(sock_path)
        except OSError:
            pass
        listener.close()
    return 0


def _stamps() -> dict[str, int]:
    """Modification times of the modules of llmcc this process has imported."""
    out = {}
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        # (this module runs as __main__: an edit of it makes the server stale too)
        if path and (name.startswith("gcc_wrapper") or name in ("cache", "__main__") or name.startswith("cache.")):
            try:
                out[path] = os.stat(path).st_mtime_ns
            except OSError:
                out[path] = -1
    return out


def _reap() -> int:
    """Collect the compiles that have ended; how many."""
    n = 0
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            n += 1
    except ChildProcessError:
        pass
    return n


def _stop(signum, frame) -> None:
    raise SystemExit(0)


# ---- `llmcc server`: finding and stopping this installation's server ----------------------------


def socket_path(install_dir: str | os.PathLike | None = None) -> str:
    """The socket the native client in `install_dir` (default: this installation's bin) connects
    to (data/client.c: FNV-1a of the directory of the client's real path, under /tmp/llmcc-UID)."""
    if install_dir is None:
        install_dir = os.path.dirname(sys.executable)
    exe_dir = os.path.dirname(os.path.realpath(os.path.join(install_dir, "llmcc")))
    h = 1469598103934665603
    for b in exe_dir.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"/tmp/llmcc-{os.getuid()}/{h:016x}.sock"


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
    """CPU time of the server and of the compiles it has collected (user + system, /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def cli_main(argv: list[str]) -> int:
    """llmcc server [status|stop]"""
    import argparse

    ap = argparse.ArgumentParser(prog="llmcc server", description="The compile server behind the native llmcc "
                                 "client: it saves each compile Python's start-up. It starts by itself on the first "
                                 "compile and exits after LLMCC_SERVER_IDLE seconds (default 300) without one; "
                                 "LLMCC_COMPILE_SERVER=0 makes llmcc run without it.")
    ap.add_argument("action", nargs="?", choices=("status", "stop"), default="status")
    a = ap.parse_args(argv)
    sock = socket_path()
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
    print(f"llmcc server: pid {pid} did not stop", file=sys.stderr)
    return 1


def _child(conn: socket.socket, stale: bool) -> None:
    status = None
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the server's "stop": a compile just ends
        os.setpgid(0, 0)  # the client forwards its signals to this group: us and our gcc
        argv = _receive(conn)
        conn.sendall(b"PGID" + struct.pack("=i", os.getpid()))
        from gcc_wrapper import cli, compiler

        if stale or cli.own_command(argv[0], argv[1:]):  # management commands: the Python llmcc
            conn.sendall(b"PYTH" + struct.pack("=i", 0))
            os._exit(0)
        compiler.EXEC_IN_PLACE = False
        compiler.forget_paths()  # path lookups are remembered for one compile, not for the server's life
        sys.argv = list(argv)
        try:
            status = cli.main(argv)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except KeyboardInterrupt:
            status = 130
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        atexit._run_exitfuncs()  # the cache's statistics are written at exit
        conn.sendall(b"EXIT" + struct.pack("=i", int(status)))
    except BaseException:  # noqa: BLE001 - the client redoes the compile in Python
        if status is None:
            try:
                conn.sendall(b"PYTH" + struct.pack("=i", 0))
            except OSError:
                pass
    os._exit(0)


def _receive(conn: socket.socket) -> list[str]:
    """Read one request; install its streams, directory, umask and environment; its argv."""
    conn.settimeout(30)  # a client that connects and says nothing does not hold a child forever
    head, anc, _, _ = conn.recvmsg(12, socket.CMSG_SPACE(3 * 4))
    fds: list[int] = []
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += struct.unpack(f"={len(data) // 4}i", data[: len(data) - len(data) % 4])
    if len(head) != 12 or head[:8] != _HEAD or len(fds) != 3:
        raise ValueError("not an llmcc request")
    (size,) = struct.unpack("=I", head[8:])
    payload = bytearray()
    while len(payload) < size:
        chunk = conn.recv(min(size - len(payload), 1 << 20))
        if not chunk:
            raise ValueError("short request")
        payload += chunk
    fields = [os.fsdecode(f) for f in bytes(payload).split(b"\0")[:-1]]
    cwd, mask, argv0 = fields[0], int(fields[1]), fields[2]
    argc = int(fields[3])
    args = fields[4 : 4 + argc]
    envc = int(fields[4 + argc])
    env = fields[5 + argc : 5 + argc + envc]
    conn.settimeout(None)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.umask(mask)
    os.chdir(cwd)
    os.environ.clear()
    for item in env:
        k, sep, v = item.partition("=")
        if sep:
            os.environ[k] = v
    return [argv0, *args]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
