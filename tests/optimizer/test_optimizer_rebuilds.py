"""The optimizer inside real builds: a warm sync build costs what an off build costs, the project's
tests reach the verifier, attempts name their source, statistics count each candidate once, and
proposer "auto" falls back to gcc variants when the model's server is down."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "llm"))
from fake_vllm import free_port  # noqa: E402

KERNEL = """int bits(const unsigned *a, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++) {
        unsigned x = a[i];
        while (x) { c += x & 1; x >>= 1; }
    }
    return c;
}
"""
SQUARES = """long squares(const long *a, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 4; j++)
            s += a[i] * a[i] + j;
    return s;
}
"""
MAIN = """#include <stdio.h>
int bits(const unsigned *a, int n);
long squares(const long *a, int n);
int main(void)
{
    static unsigned a[512];
    static long b[512];
    for (int i = 0; i < 512; i++) { a[i] = i * 2654435761u; b[i] = i; }
    printf("%d %ld\\n", bits(a, 512), squares(b, 512));
    return 0;
}
"""
MAKEFILE = """CC ?= cc
CFLAGS ?= -O3
prog: main.o k.o
\t$(CC) $(CFLAGS) -o $@ main.o k.o
%.o: %.c
\t$(CC) $(CFLAGS) -c $< -o $@
"""
WRONG = "int bits(const unsigned *a, int n) { return n; }\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    (p / "k.c").write_text(KERNEL + SQUARES)
    (p / "main.c").write_text(MAIN)
    (p / "Makefile").write_text(MAKEFILE)
    return p


def wrong_candidates(tmp: Path) -> Path:
    """A directory with bits.s: a wrong version of bits, for the file proposer."""
    from gcc_wrapper.compile import asm

    d = tmp / "wrong"
    d.mkdir()
    (d / "src.c").write_text(WRONG)
    out = subprocess.run(
        ["gcc", "-O3", "-S", "-o", "-", str(d / "src.c")], capture_output=True, text=True, check=True
    ).stdout
    (d / "bits.s").write_text(asm.parse(out).functions["bits"].text())
    return d


def make(cwd: Path, env: dict, llmcc_bin: Path, *targets: str) -> None:
    subprocess.run(["make", "-s", "-B", f"CC={llmcc_bin}", *targets], cwd=cwd, env=env, check=True, capture_output=True)


def counters(env: dict, llmcc_bin: Path) -> dict[str, int]:
    r = subprocess.run([str(llmcc_bin), "stats", "--json"], env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["counters"]


def attempts(cache_dir: Path) -> list[dict]:
    out = []
    for f in sorted((cache_dir / "attempts").rglob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return out


def queued(cache_dir: Path) -> dict[str, float]:
    return {q.name: q.stat().st_mtime for q in (cache_dir / "queue").glob("*.json")}


def test_warm_sync_build_of_the_example_reuses_every_object(example_copy, llmcc_env, llmcc_bin, cache_dir):
    # a budget too small to search: every hot function is queued, so the optimizer is done with each unit
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="1", LLMCC_PROPOSER="embedded")
    make(example_copy, env, llmcc_bin)
    before = counters(env, llmcc_bin)
    q = queued(cache_dir)
    assert q and before.get("object.hit", 0) == 0
    make(example_copy, env, llmcc_bin, "all", "check")
    after = counters(env, llmcc_bin)
    assert after["compiles"] - before["compiles"] == 6
    assert after["object.hit"] == 6  # each of main crc sort matrix text hist
    assert queued(cache_dir) == q and attempts(cache_dir) == []


def test_warm_sync_build_after_a_search_tries_nothing_and_counts_once(
    project, tmp_path, llmcc_env, llmcc_bin, cache_dir
):
    env = dict(
        llmcc_env,
        LLMCC_MODE="sync",
        LLMCC_BUDGET="30",
        LLMCC_HOT="bits",
        LLMCC_HOT_TOP="1",
        LLMCC_PROPOSER=f"file:{wrong_candidates(tmp_path)}",
    )
    make(project, env, llmcc_bin)
    tried = attempts(cache_dir)
    bits = [a for a in tried if a["function"] == "bits"]
    assert [a["outcome"] for a in bits] == ["rejected"]
    assert all(a["source"] == str(project / a["source"].rsplit("/", 1)[1]) for a in tried)
    assert bits[0]["source"] == str(project / "k.c")
    first = counters(env, llmcc_bin)
    assert sum(v for k, v in first.items() if k.startswith("rewrite.rejected.")) == 1
    assert first.get("rewrite.accepted", 0) == 0

    make(project, env, llmcc_bin)
    second = counters(env, llmcc_bin)
    assert second["object.hit"] == 2
    assert attempts(cache_dir) == tried  # no search ran
    assert {k: v for k, v in second.items() if k.startswith("rewrite.")} == {
        k: v for k, v in first.items() if k.startswith("rewrite.")
    }


def test_a_unit_the_optimizer_has_finished_with_compiles_without_loading_it(
    project, tmp_path, llmcc_env, llmcc_bin, cache_dir
):
    """Once the optimizer is done with a unit, a sync compile that cannot reuse the unit's object
    (here: objects evicted) assembles the cached result without importing the optimizer."""
    env = dict(
        llmcc_env,
        LLMCC_MODE="sync",
        LLMCC_BUDGET="30",
        LLMCC_HOT="bits",
        LLMCC_HOT_TOP="1",
        LLMCC_PROPOSER=f"file:{wrong_candidates(tmp_path)}",
    )
    make(project, env, llmcc_bin)
    tried = attempts(cache_dir)
    assert [a["outcome"] for a in tried if a["function"] == "bits"] == ["rejected"]
    first = (project / "k.o").read_bytes()
    objects = list(cache_dir.rglob("*.obj"))
    assert objects
    for o in objects:
        o.unlink()
    r = subprocess.run(
        [sys.executable, "-X", "importtime", str(llmcc_bin.with_name("llmcc-py")), "-O3", "-c", "k.c", "-o", "k.o"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")]
    assert "gcc_wrapper.compile.driver" in imported and "gcc_wrapper.optimize.run" not in imported
    assert (project / "k.o").read_bytes() == first
    assert attempts(cache_dir) == tried and any(cache_dir.rglob("*.obj"))


def test_sync_mode_verifies_through_the_projects_tests(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    # LLMCC_TEST reaches the verifier: a test command that builds k.c (so the candidate is in)
    # and then fails rejects a candidate that differential testing alone would pass
    from gcc_wrapper.compile import asm

    d = tmp_path / "same"
    d.mkdir()
    (d / "src.c").write_text(KERNEL.replace("c += x & 1;", "c += (int)(x & 1u);"))
    out = subprocess.run(
        ["gcc", "-O2", "-fno-tree-vectorize", "-S", "-o", "-", str(d / "src.c")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (d / "bits.s").write_text(asm.parse(out).functions["bits"].text())
    env = dict(
        llmcc_env,
        LLMCC_MODE="sync",
        LLMCC_BUDGET="40",
        LLMCC_HOT="bits",
        LLMCC_HOT_TOP="1",
        LLMCC_PROPOSER=f"file:{d}",
        LLMCC_TEST="cc -O3 -c k.c -o k.o && false",
    )
    make(project, env, llmcc_bin)
    bits = [a for a in attempts(cache_dir) if a["function"] == "bits"]
    assert [a["outcome"] for a in bits] == ["rejected"], bits
    assert bits[0]["reason"].startswith("tests: "), bits


def test_auto_proposer_falls_back_to_gcc_variants_when_the_server_is_down(project, llmcc_env, llmcc_bin, cache_dir):
    env = dict(
        llmcc_env,
        LLMCC_MODE="sync",
        LLMCC_BUDGET="8",
        LLMCC_HOT="bits",
        LLMCC_HOT_TOP="1",
        LLMCC_PROPOSER="auto",
        LLMCC_SERVER=f"http://127.0.0.1:{free_port()}/v1",
    )
    make(project, env, llmcc_bin)
    tried = attempts(cache_dir)
    bits = [a for a in tried if a["function"] == "bits"]
    assert bits and all(a["proposer"].startswith("embedded:") for a in bits), bits
    # each candidate is counted once, under its outcome
    c = counters(env, llmcc_bin)
    outcomes = [a["outcome"] for a in tried]
    assert c.get("rewrite.slower", 0) == outcomes.count("slower")
    assert c.get("rewrite.accepted", 0) == outcomes.count("accepted")
    assert sum(v for k, v in c.items() if k.startswith("rewrite.rejected.")) == outcomes.count("rejected")


def test_sync_build_sends_the_hot_functions_requests_together(project, llmcc_env, llmcc_bin, cache_dir):
    from fake_vllm import Answer, FakeVLLM

    with FakeVLLM() as fake:
        # held until two requests are in flight at once: only a prefetch of both functions gets answers
        fake.add(".", Answer(["no assembly here"], gate=2))
        env = dict(
            llmcc_env,
            LLMCC_MODE="sync",
            LLMCC_BUDGET="40",
            LLMCC_HOT="bits,squares",
            LLMCC_HOT_TOP="2",
            LLMCC_PROPOSER="llm",
            LLMCC_SERVER=fake.url,
            LLMCC_N="1",
            LLMCC_LLM_SAMPLES="1",
        )
        subprocess.run(
            [str(llmcc_bin), "-O3", "-c", "k.c", "-o", "k.o"], cwd=project, env=env, check=True, capture_output=True
        )
        assert fake.max_in_flight >= 2
    by_fn = {a["function"]: a for a in attempts(cache_dir)}
    assert by_fn["bits"]["outcome"] == by_fn["squares"]["outcome"] == "rejected"
    assert "not assembly" in by_fn["bits"]["reason"]


def test_llmcc_optimize_sends_the_queues_requests_together(project, llmcc_env, llmcc_bin, cache_dir):
    from fake_vllm import Answer, FakeVLLM

    env = dict(llmcc_env, LLMCC_MODE="queue", LLMCC_HOT="bits,squares", LLMCC_HOT_TOP="2")
    subprocess.run([str(llmcc_bin), "-O3", "-c", "k.c", "-o", "k.o"], cwd=project, env=env, check=True)
    assert len(queued(cache_dir)) == 2
    with FakeVLLM() as fake:
        fake.add(".", Answer(["no assembly here"], gate=2))
        env.update(LLMCC_SERVER=fake.url, LLMCC_N="1", LLMCC_LLM_SAMPLES="1")
        r = subprocess.run(
            [str(llmcc_bin), "optimize", "--proposer", "llm", "--budget", "20"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        assert fake.max_in_flight >= 2
    assert "bits: rejected" in r.stdout and "squares: rejected" in r.stdout
    assert queued(cache_dir) == {}
