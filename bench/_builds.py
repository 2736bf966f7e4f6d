"""What the build benchmarks share: timing one clean `make` build, and summarising ratios.
(Not a benchmark itself: run_all.py skips bench/_*.py.)"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from pathlib import Path


def clean_build(project: Path, cc: str, env: dict[str, str], jobs: int, extra: list[str] = (),
                server: str = "up") -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process of the build) of `make CC=cc` after `make clean`.

    With llmcc, the compile server's CPU time during the build, its compiles' included, is added
    (those processes are not make's children). server="up" times a build with the server already
    running (started by an untimed compile if need be: any build within its idle time of another
    one); "none" stops it first, so the build's first compile starts it and the first compiles wait for it."""
    from gcc_wrapper.compile import server as compile_server

    llmcc = Path(cc).name == "llmcc"
    subprocess.run(["make", "-s", "clean"], cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    pid = None
    if llmcc and server == "none":
        subprocess.run([cc, "compile-server", "stop"], env=env, check=True, stdout=subprocess.DEVNULL)
    elif llmcc:
        pid = _running_server(cc, env)
    before = compile_server.cpu_seconds(pid) if pid else 0.0
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(["make", "-s", f"-j{jobs}", f"CC={cc}", *extra], cwd=project, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if llmcc:
        time.sleep(0.3)  # the last workers write their statistics and wait again
        after = compile_server.server_pid()
        if after is not None:
            cpu += compile_server.cpu_seconds(after) - (before if after == pid else 0.0)
    return wall, cpu


def _running_server(cc: str, env: dict[str, str]) -> int | None:
    from gcc_wrapper.compile import server as compile_server

    for _ in range(50):
        pid = compile_server.server_pid()
        if pid is not None:
            return pid
        # (not --version: the client passes that straight to gcc, and only Python starts a server)
        subprocess.run([cc, "-E", "-x", "c", os.devnull], env=env, check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.1)
    return None


def summary(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}
