"""Running gcc and the assembler from the compile path, without the subprocess module.

`import subprocess` costs a compile about 10 ms (it brings in threading, selectors, signal,
locale and, through them, re and enum): as much as starting Python itself, on every file of every
build. The compile path needs two simple cases, and os.posix_spawn covers both with nothing but
the built-in os, select and _signal modules:

  run(...)   stdout and stderr captured, stdin fed from bytes or /dev/null  (gcc -S, as, probes)
  call(...)  stdin, stdout and stderr inherited                             (the final link)

Like subprocess, the child gets the default disposition of SIGPIPE and SIGXFSZ back (Python
ignores SIGPIPE, and an ignored signal stays ignored across exec), and a child left behind by an
exception (Ctrl-C) is killed and reaped. The subprocess module stays the tool everywhere else.
"""

from __future__ import annotations

import os
import select

import _signal  # type: ignore[import-not-found]  # signal without its enum module

_RESET = (_signal.SIGPIPE, _signal.SIGXFSZ)
_CHUNK = 1 << 16


def run(argv: list[str], executable: str, env: dict[str, str], stdin: bytes | None = None) -> tuple[bytes, bytes, int]:
    """Run `executable` with `argv`; (stdout, stderr, exit status as subprocess gives it: -N when
    killed by signal N)."""
    fds: list[int] = []
    try:
        out_r, out_w = _pipe(fds)
        err_r, err_w = _pipe(fds)
        if stdin is None:
            in_r = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            fds.append(in_r)
            in_w = -1
        else:
            in_r, in_w = _pipe(fds)
        if min(fds) <= 2:  # our own standard streams are closed: dup2 onto them would misfire
            raise OSError("standard file descriptors are closed")
        pid = _spawn(
            executable,
            argv,
            env,
            [
                (os.POSIX_SPAWN_DUP2, in_r, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1),
                (os.POSIX_SPAWN_DUP2, err_w, 2),
            ],
        )
        for fd in (in_r, out_w, err_w):
            os.close(fd)
            fds.remove(fd)
        try:
            out, err = _communicate(out_r, err_r, in_w, stdin or b"", fds)
        except BaseException:
            _kill(pid)
            raise
        return out, err, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    finally:
        for fd in fds:
            os.close(fd)


def call(argv: list[str], executable: str, env: dict[str, str]) -> int:
    """Run `executable` with our standard streams; its exit status."""
    pid = _spawn(executable, argv, env, [])
    try:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except BaseException:
        _kill(pid)
        raise


def _pipe(fds: list[int]) -> tuple[int, int]:
    r, w = os.pipe()  # close-on-exec: only the dup2 copies reach the child
    fds += (r, w)
    return r, w


def _spawn(executable: str, argv: list[str], env: dict[str, str], actions: list) -> int:
    spawn = os.posix_spawn if "/" in executable else os.posix_spawnp
    return spawn(executable, argv, env, file_actions=actions, setsigdef=_RESET)


def _communicate(out_r: int, err_r: int, in_w: int, data: bytes, fds: list[int]) -> tuple[bytes, bytes]:
    """Read both pipes to their end while writing `data` to in_w (gcc may fill stderr before it
    has read all of its input, so nothing may block on one stream)."""
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    poller = select.poll()
    poller.register(out_r, select.POLLIN)
    poller.register(err_r, select.POLLIN)
    view = memoryview(data)
    if in_w >= 0:
        if view:
            os.set_blocking(in_w, False)
            poller.register(in_w, select.POLLOUT)
        else:
            _close(in_w, fds)
    open_fds = len(chunks) + (1 if in_w >= 0 and view else 0)
    while open_fds:
        for fd, ev in poller.poll():
            if fd == in_w:
                try:
                    view = view[os.write(in_w, view[:_CHUNK]) :]
                except BlockingIOError:
                    continue
                except BrokenPipeError:  # it stopped reading: what it printed says why
                    view = view[:0]
                if not view:
                    poller.unregister(in_w)
                    _close(in_w, fds)
                    open_fds -= 1
            elif ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                block = os.read(fd, _CHUNK)
                if block:
                    chunks[fd].append(block)
                else:
                    poller.unregister(fd)
                    open_fds -= 1
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])


def _close(fd: int, fds: list[int]) -> None:
    os.close(fd)
    fds.remove(fd)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, _signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
