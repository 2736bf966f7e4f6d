"""Program-level measurement: a function the harness cannot drive (a struct parameter) is timed
through the project's benchmark command, in two private copies of the project."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from gcc_wrapper.compile import asm
from optimizer_kernels import BITS_FAST, BITS_SLOW, bits_main

HEADER = "struct buf { const unsigned *a; int n; };\nint bits(const struct buf *b);\n"
SLOW = (
    HEADER.replace("int bits(const struct buf *b);\n", "")
    + """int bits(const struct buf *b)
{
    int c = 0;
    for (int i = 0; i < b->n; i++) {
        unsigned x = b->a[i];
        while (x) { c += x & 1; x >>= 1; }
    }
    return c;
}
"""
)
FAST = (
    HEADER.replace("int bits(const struct buf *b);\n", "")
    + """int bits(const struct buf *b)
{
    int c = 0;
    for (int i = 0; i < b->n; i++) {
        unsigned x = b->a[i];
        x = x - ((x >> 1) & 0x55555555u);
        x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
        x = (x + (x >> 4)) & 0x0f0f0f0fu;
        c += (int)((x * 0x01010101u) >> 24);
    }
    return c;
}
"""
)
MAIN = """#include <stdio.h>
#include "k.h"
int main(void)
{
    static unsigned a[4096];
    unsigned s = 7;
    for (int i = 0; i < 4096; i++) { s = s * 1103515245u + 12345u; a[i] = s; }
    struct buf b = { a, 4096 };
    long t = 0;
    for (int r = 0; r < 300; r++) { a[r] ^= r; t += bits(&b); }
    printf("%ld\\n", t);
    return 0;
}
"""
MAKEFILE = """CC ?= cc
CFLAGS ?= -O3
prog: main.o k.o
\t$(CC) $(CFLAGS) -o $@ main.o k.o
%.o: %.c k.h
\t$(CC) $(CFLAGS) -c $< -o $@
run: prog
\t./prog > /dev/null
check: prog
\t./prog > out.txt && diff -q out.txt expected.txt
"""


def _project(tmp_path: Path, header: str, kernel: str, main: str) -> Path:
    """proj/ with k.h, k.c, main.c, the Makefile and the expected output of a plain gcc build."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "k.h").write_text(header)
    (proj / "k.c").write_text(kernel)
    (proj / "main.c").write_text(main)
    (proj / "Makefile").write_text(MAKEFILE)
    plain = tmp_path / "plain"
    subprocess.run(
        ["gcc", "-O3", "-I", str(proj), "-o", str(plain), str(proj / "main.c"), str(proj / "k.c")], check=True
    )
    (proj / "expected.txt").write_text(subprocess.run([str(plain)], capture_output=True, text=True, check=True).stdout)
    return proj


def _candidate(tmp_path: Path, src: str) -> Path:
    """A file proposer's directory holding bits() compiled from `src`."""
    cand = tmp_path / "cand"
    cand.mkdir()
    (cand / "src.c").write_text(src)
    out = subprocess.run(
        ["gcc", "-O3", "-fno-tree-vectorize", "-S", "-o", "-", str(cand / "src.c")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (cand / "bits.s").write_text(asm.parse(out).functions["bits"].text())
    return cand


def test_struct_parameter_is_timed_through_the_bench_command(tmp_path, llmcc_env, llmcc_bin, cache_dir):
    proj = _project(tmp_path, HEADER, SLOW, MAIN)

    env = dict(llmcc_env, LLMCC_MODE="queue", LLMCC_HOT="bits")
    subprocess.run(["make", "-s", f"CC={llmcc_bin}"], cwd=proj, env=env, check=True, capture_output=True)
    assert "bits" in [json.loads(q.read_text())["name"] for q in (cache_dir / "queue").glob("*.json")]
    env["LLMCC_BENCH"] = "make -s run"
    r = subprocess.run(
        [str(llmcc_bin), "optimize", "--tests", "make -s check", "--proposer", "embedded", "--budget", "60"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "bits: " in r.stdout and "bits: unmeasurable" not in r.stdout, r.stdout
    tried = [
        json.loads(line)
        for f in (cache_dir / "attempts").rglob("*")
        if f.is_file()
        for line in f.read_text().splitlines()
    ]
    timed = [a for a in tried if a.get("method")]
    assert timed and all(a["method"].startswith("command cpu-time: make -s run") for a in timed), tried
    assert {a["outcome"] for a in timed} <= {"accepted", "slower"}


def test_a_hand_written_rewrite_is_not_accepted_on_the_project_tests_alone(tmp_path, llmcc_env, llmcc_bin, cache_dir):
    """The project's tests pass with the faster rewrite in place, but nothing shows which of its
    blocks they ran (no generated inputs model a struct with a pointer member, no recorded calls):
    a rewrite gcc did not write is not accepted on that alone (coverage)."""
    proj = _project(tmp_path, HEADER, SLOW, MAIN)
    cand = _candidate(tmp_path, FAST)
    env = dict(llmcc_env, LLMCC_MODE="queue", LLMCC_HOT="bits")
    subprocess.run(["make", "-s", f"CC={llmcc_bin}"], cwd=proj, env=env, check=True, capture_output=True)
    env["LLMCC_BENCH"] = "make -s run"
    r = subprocess.run(
        [str(llmcc_bin), "optimize", "--tests", "make -s check", "--proposer", f"file:{cand}", "--budget", "60"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "bits: unverifiable" in r.stdout and "no compared input ran any of the candidate's" in r.stdout, r.stdout
    assert not list(cache_dir.glob("??/*.fn"))


def test_a_harness_winner_is_confirmed_by_the_bench_command(tmp_path, llmcc_env, llmcc_bin, cache_dir):
    """bits(const unsigned *, int) is timed by the function harness; with `bench` configured, the
    winner is also timed running the project's benchmark before it is stored."""
    proj = _project(
        tmp_path,
        "int bits(const unsigned *a, int n);\n",
        BITS_SLOW,
        '#include "k.h"\n' + bits_main(300, "bits(a, 4096)"),
    )
    cand = _candidate(tmp_path, BITS_FAST)

    env = dict(llmcc_env, LLMCC_MODE="queue", LLMCC_HOT="bits")
    subprocess.run(["make", "-s", f"CC={llmcc_bin}"], cwd=proj, env=env, check=True, capture_output=True)
    env["LLMCC_BENCH"] = "make -s run"
    r = subprocess.run(
        [str(llmcc_bin), "optimize", "--proposer", f"file:{cand}", "--budget", "60"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "bits: accepted x" in r.stdout, r.stdout
    tried = [
        json.loads(line)
        for f in (cache_dir / "attempts").rglob("*")
        if f.is_file()
        for line in f.read_text().splitlines()
    ]
    accepted = [a for a in tried if a["outcome"] == "accepted"]
    assert len(accepted) == 1 and "program level x" in accepted[0]["reason"], accepted
    assert accepted[0]["method"].startswith("function-harness")
    from cache.entry import Entry

    (entry,) = [Entry.from_bytes(f.read_bytes()) for f in cache_dir.glob("??/*.fn")]
    assert entry.measurement["method"].startswith("function-harness")
    assert entry.measurement["program"]["method"].startswith("command cpu-time: make -s run")
    assert entry.measurement["program"]["speedup"] > 1.0  # popcount by bit tricks: the program is faster too
