"""What the build benchmarks share: timing one clean `make` build, and summarising ratios.
(Not a benchmark itself: run_all.py skips bench/_*.py.)"""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from pathlib import Path


def clean_build(project: Path, cc: str, env: dict[str, str], jobs: int, extra: list[str] = ()) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process of the build) of `make CC=cc` after `make clean`."""
    subprocess.run(["make", "-s", "clean"], cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(["make", "-s", f"-j{jobs}", f"CC={cc}", *extra], cwd=project, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def summary(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}
