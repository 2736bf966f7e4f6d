"""What the workload tests share: a program profiled with `llmcc profile` (its workload found as
the optimizer finds it), and gcc's assembly of its files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize import workload


def profile_workload(d: Path, llmcc_bin, llmcc_env, *command: str) -> workload.Workload:
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", *command], cwd=d, env=llmcc_env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    w = workload.find(Path(llmcc_env["LLMCC_CACHE_DIR"]), str(d))
    assert w is not None and list(w.command) == list(command)
    return w


def unit(d: Path, source: str, *flags: str) -> str:
    """gcc -O3's assembly of `source` (in d) with `flags` after -O3."""
    return subprocess.run(
        ["gcc", "-O3", *flags, "-S", "-o", "-", source], cwd=d, capture_output=True, text=True, check=True
    ).stdout


def function(d: Path, source: str, name: str, *flags: str) -> str:
    """gcc's standalone text of `name` (asm.Function.text()) from unit(d, source, *flags)."""
    return asm.parse(unit(d, source, *flags)).functions[name].text()
