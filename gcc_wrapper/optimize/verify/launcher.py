"""The sandbox's launcher for timed runs: started inside the sandbox as

    python -E -s -S launcher.py --report FD [--filter FD] [--net] [--cpu S] [--as BYTES] [--fsize BYTES]
                                [--executable FILE] -- CMD...

it puts the limits (and, given --filter, the system-call filter; with --net, a network namespace of
its own) on itself, spawns CMD with posix_spawn, waits for it and writes CMD's own exit status and
CPU time (wait4's rusage: CMD and the descendants it waited for) to descriptor FD as
"ok STATUS USER SYSTEM", or "error WHAT: MESSAGE". So whoever times CMD (measure.cpu_time_of)
counts none of the sandbox's setup -- bubblewrap, this interpreter's start -- and the limits hold
from CMD's first instruction.

Standard library and syscall_filter (beside this file) only: no site, no llmcc package.
"""

from __future__ import annotations

import os
import resource
import sys

CLONE_NEWNET = 0x40000000
PR_SET_DUMPABLE = 4


def _report(fd: int, text: str) -> None:
    os.write(fd, text.encode() + b"\n")


def main(argv: list[str]) -> int:
    opts: dict[str, str] = {}
    net = False
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "--net":
            net = True
            i += 1
        else:
            opts[argv[i].lstrip("-")] = argv[i + 1]
            i += 2
    cmd = argv[i + 1 :]
    fd = int(opts["report"])
    # CMD must not be able to write a report of its own: the descriptor is closed across the spawn,
    # and this process is not dumpable, so CMD (without capabilities) cannot open it through
    # /proc/PID/fd either
    os.set_inheritable(fd, False)
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(
        ctypes.c_int(PR_SET_DUMPABLE), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)
    )
    if net and libc.unshare(CLONE_NEWNET) != 0:
        _report(fd, f"error network namespace: {os.strerror(ctypes.get_errno())}")
        return 125
    for name, what in (("cpu", resource.RLIMIT_CPU), ("fsize", resource.RLIMIT_FSIZE), ("as", resource.RLIMIT_AS)):
        if name in opts:
            v = int(opts[name])
            resource.setrlimit(what, (v, v + 1 if name == "cpu" else v))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if "filter" in opts:
        from syscall_filter import Installer

        with os.fdopen(int(opts["filter"]), "rb") as f:
            program = f.read()
        err = Installer(program).install()
        if err:
            _report(fd, f"error system-call filter: {os.strerror(err)}")
            return 125
    try:
        # --executable: this file runs under CMD's name (a patched copy of the program)
        pid = (
            os.posix_spawn(opts["executable"], cmd, os.environ)
            if "executable" in opts
            else os.posix_spawnp(cmd[0], cmd, os.environ)
        )
    except OSError as e:
        _report(fd, f"error spawn {cmd[0]}: {e.strerror}")
        return 127
    _, status, ru = os.wait4(pid, 0)
    _report(fd, f"ok {os.waitstatus_to_exitcode(status)} {ru.ru_utime!r} {ru.ru_stime!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
