"""A warm compile (direct-mode TU hit, object reused) imports neither pathlib nor re.

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


def _compile(work: Path, env: dict[str, str], modules: Path) -> None:
    cmd = [sys.executable, "-c", PROBE, str(modules), "-O2", "-c", "k.c", "-o", "k.o"]
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_warm_object_reuse_imports_no_pathlib_or_re(work: Path, env: dict[str, str], cache_dir: Path, gcc: str) -> None:
    modules = work.parent / "modules.txt"
    _compile(work, env, modules)  # cold: gcc, assembler, the TU entry and the object are stored
    cold_object = (work / "k.o").read_bytes()
    cold_modules = set(modules.read_text().split())
    assert "re" in cold_modules  # the probe sees imports: a miss reads the preprocessor's output with re

    (work / "k.o").unlink()
    _compile(work, env, modules)
    warm = set(modules.read_text().split())
    counters = Cache(cache_dir).stats.totals()
    assert counters["direct.hit"] == 1 and counters["object.hit"] == 1
    assert (work / "k.o").read_bytes() == cold_object
    assert {"gcc_wrapper.driver", "cache.store"} <= warm
    heavy = {"pathlib", "re", "json", "enum", "fnmatch", "collections", "typing", "dataclasses", "hashlib", "subprocess"}
    assert not heavy & warm, sorted(heavy & warm)
