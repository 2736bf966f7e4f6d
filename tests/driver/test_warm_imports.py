"""A warm compile (direct-mode TU hit, object reused) imports neither pathlib nor re; nor does
a cold one (a miss, optimizer off) in a cache with no rewrite for any of its functions: it runs
gcc and the assembler through gcc_wrapper.compile.spawn and never parses the assembly.

Together with what they pull in (fnmatch, urllib.parse, ipaddress, enum, functools,
collections), they were more than half of a warm compile's import time; `json` imports re,
so the compile path reads JSON through cache.json_light instead. Nor does it import the other
modules the compile path takes care to import only when needed (collections, typing,
dataclasses, hashlib, subprocess: an object reuse runs no process).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cache import Cache

# Runs the console script's main in-process and lists sys.modules after everything, atexit
# handlers included (ours is registered first, so it runs last).
PROBE = """\
import atexit, sys
def dump():
    with open(sys.argv[1], "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
atexit.register(dump)
from gcc_wrapper.cli import main
sys.exit(main(["llmcc", *sys.argv[2:]]))
"""


HEAVY = {"pathlib", "re", "json", "enum", "fnmatch", "collections", "typing", "dataclasses", "hashlib", "subprocess"}


def _compile(work: Path, env: dict[str, str], modules: Path, src: str = "k.c") -> None:
    cmd = [sys.executable, "-c", PROBE, str(modules), "-O2", "-c", src, "-o", src[:-2] + ".o"]
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_warm_object_reuse_imports_no_pathlib_or_re(work: Path, env: dict[str, str], cache_dir: Path, gcc: str) -> None:
    modules = work.parent / "modules.txt"
    _compile(work, env, modules, "main.c")  # the first compile in a cache asks gcc about itself
    first = set(modules.read_text().split())
    assert "hashlib" in first  # the probe sees imports: the compiler's identity is a digest
    assert not {"json", "re", "pathlib", "subprocess"} & first  # its answers are stored without json
    _compile(work, env, modules)  # cold: gcc, assembler, the TU entry and the object are stored
    cold_object = (work / "k.o").read_bytes()
    cold_modules = set(modules.read_text().split())
    assert "gcc_wrapper.compile.spawn" in cold_modules and "gcc_wrapper.compile.asm" not in cold_modules
    assert not HEAVY & cold_modules, sorted(HEAVY & cold_modules)

    (work / "k.o").unlink()
    _compile(work, env, modules)
    warm = set(modules.read_text().split())
    counters = Cache(cache_dir).stats.totals()
    assert counters["direct.hit"] == 1 and counters["object.hit"] == 1
    assert (work / "k.o").read_bytes() == cold_object
    assert {"gcc_wrapper.compile.driver", "cache.store"} <= warm
    assert not HEAVY & warm, sorted(HEAVY & warm)
