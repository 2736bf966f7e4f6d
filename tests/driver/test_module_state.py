"""A compile leaves no state at module level: whatever it learns lives in its driver.Context (and
the compiler.Lookups, the UnitState in it) and ends with it. A compile server's worker serves
compile after compile in one process, so state left in a module would carry one compile's
answers (a cache opened for another directory, a realpath since changed, a unit's keys) into the
next.

What counts: every global of every gcc_wrapper and cache module the server imports (its
preload), compared before and after each compile: rebinding a name, any change inside a
container (dict, list, set, deque, bytearray, nested ones included), a memo's size
(functools.lru_cache), and the attributes of instances of our own classes and the mutable class
attributes of our classes. Not counted: a submodule bound on its package by a lazy import (the
worker ends after a compile that imports a module the server had not: test_compile_server)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

PROBE = r"""
import atexit, collections, json, os, sys, types
from gcc_wrapper.compile import server

server.preload()
from gcc_wrapper import cli


def ours(name):
    return name.startswith("gcc_wrapper") or name == "cache" or name.startswith("cache.")


def fp(v, depth=0):
    if depth > 8:
        return ["deep", id(v)]
    if isinstance(v, types.ModuleType):
        return None  # a submodule's binding (see the test's docstring)
    if isinstance(v, (str, bytes, int, float, complex, bool, type(None))):
        return ["value", repr(v)]
    if isinstance(v, dict):
        return ["dict", id(v), [[repr(k), fp(x, depth + 1)] for k, x in v.items()]]
    if isinstance(v, (list, tuple, collections.deque)):
        return [type(v).__name__, id(v) if not isinstance(v, tuple) else 0, [fp(x, depth + 1) for x in v]]
    if isinstance(v, (set, frozenset)):
        return [type(v).__name__, id(v), sorted(repr(x) for x in v)]
    if isinstance(v, bytearray):
        return ["bytearray", id(v), bytes(v).hex()]
    if hasattr(v, "cache_info"):
        return ["memo", id(v), v.cache_info().currsize]
    if isinstance(v, type):
        if not ours(v.__module__):
            return ["type", id(v)]
        return ["class", id(v), {k: fp(x, depth + 1) for k, x in vars(v).items()
                                 if isinstance(x, (dict, list, set, bytearray, collections.deque))}]
    if ours(type(v).__module__) and not callable(v):
        slots = [n for c in type(v).__mro__ for n in getattr(c, "__slots__", ())]
        attrs = dict(getattr(v, "__dict__", {}))
        attrs.update({n: getattr(v, n) for n in slots if hasattr(v, n)})
        return ["instance", id(v), {k: fp(x, depth + 1) for k, x in attrs.items()}]
    return ["object", id(v)]


def snapshot():
    out = {}
    for name, mod in list(sys.modules.items()):
        if ours(name) and mod is not None:
            out[name] = {k: fp(v) for k, v in vars(mod).items() if fp(v) is not None}
    return out


def changes(before, after):
    out = []
    for mod, names in before.items():
        now = after.get(mod, {})
        for k in names.keys() | now.keys():
            if names.get(k) != now.get(k):
                out.append(f"{mod}.{k}")
    return sorted(out)


scenarios = json.loads(sys.argv[1])
work = sys.argv[2]
base_env = dict(os.environ)
before = snapshot()
report = []
for name, argv, extra_env in scenarios:
    os.environ.clear()
    os.environ.update(base_env)
    os.environ.update(extra_env)
    os.chdir(work)
    sys.argv = ["llmcc", *argv]
    try:
        status = cli.main(["llmcc", *argv], in_place=False)
    except SystemExit as e:
        status = e.code
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()  # as the worker does: the cache's statistics
    os.chdir("/")
    report.append({"scenario": name, "status": status, "changed": changes(before, snapshot())})
os.environ.clear()
os.environ.update(base_env)
print(json.dumps(report))
"""


def _store_rewrite(cache_dir: Path, baseline_key) -> None:
    """An accepted rewrite of u.c's `scale` (gcc's own code with a nop in front)."""
    from cache import Cache, TUEntry
    from cache.entry import Entry
    from gcc_wrapper.compile import asm

    for p in cache_dir.glob("??/*.tu"):
        tu = TUEntry.from_bytes(p.read_bytes())
        if "scale" in (tu.functions or {}):
            break
    else:
        raise AssertionError("no cached unit defines scale")
    key = baseline_key(tu.asm, "scale", ["-O2", "-Iinc", "-c", "u.c"])
    base = asm.parse(tu.asm).functions["scale"].text()
    rewrite = base.replace("scale:\n", "scale:\n\tnop\n", 1)
    assert rewrite != base
    Cache(cache_dir).put_function(
        Entry(
            key=key,
            function="scale",
            source="/elsewhere/u.c",
            asm=rewrite,
            baseline_asm=base,
            proposer="test:nop",
            verification={"verdict": "accept", "reason": "test", "checks": []},
            measurement={"method": "test", "speedup": 1.5, "spread": [1.5, 1.5], "rounds": 1},
            created=time.time(),
            llmcc_version="test",
        )
    )


def test_a_compile_leaves_no_module_state(llmcc_bin, env, work, cache_dir, baseline_key):
    # u.c's unit is cached by a compile of its own, then a rewrite of its function is stored
    r = subprocess.run([str(llmcc_bin), "-O2", "-Iinc", "-c", "u.c"], cwd=work, env=env, capture_output=True)
    assert r.returncode == 0, r.stderr
    plain_u = (work / "u.o").read_bytes()
    (work / "u.o").unlink()
    _store_rewrite(cache_dir, baseline_key)
    (work / "bad.c").write_text("int f(void) { return }\n")
    scenarios = [
        ("cold", ["-O2", "-c", "k.c"], {}),
        ("warm (object reused)", ["-O2", "-c", "k.c"], {}),
        ("a cached rewrite applied", ["-O2", "-Iinc", "-c", "u.c"], {}),
        ("assembly", ["-O2", "-S", "w.c"], {}),
        ("gcc rejects the source", ["-c", "bad.c"], {}),
        ("pass-through", ["-E", "k.c", "-o", "k.i"], {}),
        ("fallback", ["-O2", "-c", "w.c", "-o", "w2.o"], {"LLMCC_FAULT": "parse"}),
        ("compile and link", ["-O2", "main.c", "k.c", "-o", "prog"], {}),
        ("queue mode", ["-O2", "-c", "k.c", "-o", "kq.o"], {"LLMCC_MODE": "queue"}),
        (
            "preprocessor mode, no TU cache",
            ["-O2", "-c", "w.c", "-o", "w3.o"],
            {"LLMCC_DEPEND_MODE": "0", "LLMCC_TU_CACHE": "0"},
        ),
    ]
    r = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(scenarios), str(work)], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.strip().splitlines()[-1])
    by_name = {s["scenario"]: s for s in report}
    # the compiles did what they say (else the test would prove nothing)
    assert by_name["gcc rejects the source"]["status"] != 0
    assert all(s["status"] == 0 for n, s in by_name.items() if n != "gcc rejects the source"), report
    assert (work / "u.o").read_bytes() != plain_u  # the rewrite went in
    assert (work / "prog").exists() and (work / "k.i").exists() and (work / "w.s").exists()
    from cache import Cache

    totals = Cache(cache_dir).stats.totals()
    assert totals.get("object.hit", 0) >= 1 and totals.get("fallback.parse", 0) == 1
    left = {s["scenario"]: s["changed"] for s in report if s["changed"]}
    assert not left, left
