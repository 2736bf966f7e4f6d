#!/usr/bin/env python3
"""Cost of one function lookup in the cache, as the compile path pays it.

    bench/cache_lookup.py [--entries N] [--rounds R] [--redis] [--json [FILE]]

Fills a scratch cache with N accepted rewrites (assembly of a realistic size), then measures, in
R interleaved rounds, the per-call time of: computing a function key, a local hit
(get_function: read, checksum, parse, touch), a local miss, a lookup of a 20-function
translation unit in one call (get_functions), and with --redis (a private redis-server on
loopback) a remote read-through hit and a remote miss. Reports median and [min, max] over the
rounds of the per-call mean, in microseconds. The target is a local hit under 500 us.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cache import Cache, Entry
from cache.key import function_key

BODY = "".join(f"\tmovl\t{4 * i}(%rdi), %eax\n\taddl\t%eax, %edx\n" for i in range(60))


def make_entry(i: int) -> Entry:
    asm = f"\t.text\n\t.globl\tf{i}\n\t.type\tf{i}, @function\nf{i}:\n{BODY}\tret\n\t.size\tf{i}, .-f{i}\n"
    return Entry(
        key=function_key(asm, "gcc 12.2.0 x86_64-linux-gnu 0123456789abcdef", ["-O3"], "x86-64"),
        function=f"f{i}",
        source=f"/src/file{i % 50}.c",
        asm=asm.replace("addl", "leal"),
        baseline_asm=asm,
        proposer="bench",
        verification={
            "verdict": "accept",
            "reason": "difftest",
            "inputs_tried": 1000,
            "checks": [
                {"name": n, "passed": True, "detail": ""} for n in ("static.assemble", "static.symbols", "difftest")
            ],
        },
        measurement={
            "method": "function-harness cpu-time",
            "baseline": [1.0] * 7,
            "candidate": [0.8] * 7,
            "speedup": 1.25,
            "spread": [1.2, 1.3],
            "rounds": 7,
        },
        created=time.time(),
        llmcc_version="bench",
    )


def per_call_us(fn, n: int) -> float:
    t = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t) / n / 1000


def start_redis(d: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(d),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return p, f"redis://127.0.0.1:{port}/0"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=300, help="calls per measurement per round")
    ap.add_argument("--redis", action="store_true")
    ap.add_argument(
        "--json", nargs="?", const="-", help="also write the results as JSON to FILE (default: stdout, one line)"
    )
    a = ap.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="llmcc-lookup-"))
    redis = None
    try:
        cache = Cache(scratch / "cache")
        entries = [make_entry(i) for i in range(a.entries)]
        for e in entries:
            cache.put_function(e)
        keys = [e.key for e in entries]
        absent = [function_key(f"absent {i}", "x", [], "x") for i in range(a.entries)]
        rng = random.Random(1)
        norm = entries[0].baseline_asm

        cases = {
            "function_key (hash of a 120-instruction function)": lambda: function_key(
                norm, "gcc 12", ["-O3"], "x86-64"
            ),
            "local hit (get_function)": lambda: cache.get_function(rng.choice(keys)),
            "local miss (get_function)": lambda: cache.get_function(rng.choice(absent)),
            "translation unit of 20 functions, 2 hits (get_functions), per function": None,
        }
        tu_calls = max(1, a.calls // 20)

        def tu_lookup() -> None:
            cache.get_functions(rng.sample(keys, 2) + rng.sample(absent, 18))

        if a.redis:
            if not shutil.which("redis-server"):
                print("--redis needs redis-server (make sysdeps)", file=sys.stderr)
                return 2
            redis, url = start_redis(scratch)
            shared = Cache(scratch / "ci", remote=url)
            for e in entries:
                shared.put_function(e)

            def remote_hit() -> None:
                c = Cache(scratch / "dev", remote=url)
                key = rng.choice(keys)
                c.get_function(key)
                c.remote.close()
                c.path("fn", key).unlink()  # so that the next call misses locally again

            def remote_miss() -> None:
                c = Cache(scratch / "dev-miss", remote=url)
                c.get_function(rng.choice(absent))
                c.remote.close()

            cases["remote read-through hit (new connection, stored locally, removed)"] = remote_hit
            cases["remote miss (new connection)"] = remote_miss

        results: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(a.rounds):
            for name, fn in cases.items():
                if fn is None:
                    results[name].append(per_call_us(tu_lookup, tu_calls) / 20)
                else:
                    n = a.calls if "remote" not in name else max(10, a.calls // 10)
                    results[name].append(per_call_us(fn, n))
        cache.stats.deltas.clear()
        report = {
            name: {"median_us": statistics.median(v), "min_us": min(v), "max_us": max(v)} for name, v in results.items()
        }
        print(f"cache lookup cost: {a.entries} entries, {a.rounds} rounds (per-call mean per round)")
        for name, r in report.items():
            print(f"  {name:<72} median {r['median_us']:8.1f} us  [{r['min_us']:.1f}, {r['max_us']:.1f}]")
        hit = report["local hit (get_function)"]["median_us"]
        print(f"  target: local hit < 500 us: {'met' if hit < 500 else 'NOT met'}")
        out = {
            "entries": a.entries,
            "rounds": a.rounds,
            "local_hit_us": hit,
            "target_met": hit < 500,
            "results": report,
        }
        if a.json == "-":
            print(json.dumps(out))
        elif a.json:
            Path(a.json).write_text(json.dumps(out, indent=2))
        return 0
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
