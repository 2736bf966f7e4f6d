"""A cached rewrite is substituted only where its callers can take it.

gcc -O3 keeps values in caller-saved registers across direct calls to a function of the same unit
that does not write them (-fipa-ra). A rewrite verified in a unit where nothing calls the function
may write such a register; substituted into another unit whose caller keeps a value there, it
would corrupt the caller. The driver checks the contract for each unit it substitutes into."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

LEAF = "__attribute__((noinline)) int leaf(int x) { return x * 3 + 1; }\n"
CALLER = """
int mid(const int *p, int n, int k) {
    int s = 0, t = 1;
    for (int i = 0; i < n; i++) { s += leaf(p[i]) ^ k; t = t * 7 + s; }
    return s + t + k;
}
"""
MAIN = """
#include <stdio.h>
int mid(const int *p, int n, int k);
int main(void) { int a[5] = {1, 2, 3, 4, 5}; printf("%d\\n", mid(a, 5, 9)); return 0; }
"""
# Correct for leaf itself and ABI-conforming, but it writes %ecx and %r8d, which mid keeps
# values in across `call leaf`.
CLOBBER = "\txorl\t%ecx, %ecx\n\txorl\t%r8d, %r8d\n"


def _llmcc(llmcc_bin: Path, env: dict, cwd: Path, *words: str) -> None:
    subprocess.run([str(llmcc_bin), *words], cwd=cwd, env=env, check=True, capture_output=True)


def _leaf_key(cache_dir: Path, baseline_key) -> str:
    from cache import TUEntry

    for p in cache_dir.glob("??/*.tu"):
        tu = TUEntry.from_bytes(p.read_bytes())
        if "leaf" in (tu.functions or {}):
            return baseline_key(tu.asm, "leaf", ["-c", "a.c"])
    raise AssertionError("no cached unit defines leaf")


def _store_clobbering_rewrite(cache_dir: Path, key: str) -> None:
    from cache import Cache
    from cache.entry import Entry
    from gcc_wrapper.compile import asm

    base = (
        asm.parse(
            subprocess.run(
                ["gcc", "-O3", "-S", "-o", "-", "-x", "c", "-"], input=LEAF, text=True, capture_output=True, check=True
            ).stdout
        )
        .functions["leaf"]
        .text()
    )
    rewrite = base.replace("leaf:\n", "leaf:\n" + CLOBBER, 1)
    assert rewrite != base
    Cache(cache_dir).put_function(
        Entry(
            key=key,
            function="leaf",
            source="/elsewhere/a.c",
            asm=rewrite,
            baseline_asm=base,
            proposer="test:clobbers",
            verification={"verdict": "accept", "reason": "no callers", "checks": []},
            measurement={"method": "test", "speedup": 1.5, "spread": [1.5, 1.5], "rounds": 1},
            created=time.time(),
            llmcc_version="test",
        )
    )


def test_rewrite_refused_where_a_caller_keeps_values_in_its_registers(
    llmcc_bin, llmcc_env, cache_dir, tmp_path, baseline_key
):
    (tmp_path / "a.c").write_text(LEAF)
    (tmp_path / "b.c").write_text(LEAF + CALLER)
    (tmp_path / "main.c").write_text(MAIN)
    _llmcc(llmcc_bin, llmcc_env, tmp_path, "-c", "a.c")
    _store_clobbering_rewrite(cache_dir, _leaf_key(cache_dir, baseline_key))

    # where nothing calls leaf, the rewrite is substituted
    _llmcc(llmcc_bin, llmcc_env, tmp_path, "-c", "a.c")
    dis_a = subprocess.run(["objdump", "-d", "a.o"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "xor    %r8d,%r8d" in dis_a

    # where mid keeps values in %rcx and %r8 across the call, it is refused and the program is right
    _llmcc(llmcc_bin, llmcc_env, tmp_path, "-c", "b.c")
    dis_b = subprocess.run(["objdump", "-d", "b.o"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "xor    %r8d,%r8d" not in dis_b
    stats = json.loads(
        subprocess.run(
            [str(llmcc_bin), "stats", "--json"], env=llmcc_env, capture_output=True, text=True, check=True
        ).stdout
    )
    assert stats["counters"].get("rewrite.ipa_unsafe") == 1, stats["counters"]
    subprocess.run(["gcc", "-O3", "main.c", "b.o", "-o", "prog"], cwd=tmp_path, check=True)
    subprocess.run(["gcc", "-O3", "main.c", "b.c", "-o", "ref"], cwd=tmp_path, check=True)
    run = lambda exe: subprocess.run([f"./{exe}"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert run("prog") == run("ref")
