"""The whole loop on a small project: real gcc, make, verification and measurement.

The file proposer gives known candidates (a wrong one, a correct much faster one) so that the
outcome is certain; one test runs the embedded proposer with a short budget."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from optimizer_kernels import BITS_FAST, BITS_SLOW, bits_main

SLOW = "#include <stddef.h>\n" + BITS_SLOW
FAST = BITS_FAST
WRONG = "int bits(const unsigned *a, int n) { return n; }\n"
MAIN = bits_main(50, "bits(a, 4096)")
MAKEFILE = """CC ?= cc
CFLAGS ?= -O3
prog: main.o k.o
\t$(CC) $(CFLAGS) -o $@ main.o k.o
%.o: %.c
\t$(CC) $(CFLAGS) -c $< -o $@
"""


def candidate_dir(tmp: Path, name: str, c_text: str) -> Path:
    """A directory holding bits.s: gcc -O3's assembly of c_text, lifted as one function.
    (Scalar code: the vectorized version has `.set .LC3,.LC0` constant aliases, which asm's
    Function.text() does not carry yet.)"""
    from gcc_wrapper.compile import asm

    d = tmp / name
    d.mkdir()
    (d / "src.c").write_text(c_text)
    out = subprocess.run(
        ["gcc", "-O3", "-fno-tree-vectorize", "-S", "-o", "-", str(d / "src.c")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (d / "bits.s").write_text(asm.parse(out).functions["bits"].text())
    return d


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    (p / "k.c").write_text(SLOW)
    (p / "main.c").write_text(MAIN)
    (p / "Makefile").write_text(MAKEFILE)
    return p


def expected_output(project: Path, tmp: Path) -> str:
    exe = tmp / "plain"
    subprocess.run(["gcc", "-O3", "-o", str(exe), str(project / "main.c"), str(project / "k.c")], check=True)
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout


def build(project: Path, env: dict, llmcc_bin: Path) -> str:
    subprocess.run(["make", "-s", "-B", f"CC={llmcc_bin}"], cwd=project, env=env, check=True, capture_output=True)
    return subprocess.run(["./prog"], cwd=project, capture_output=True, text=True, check=True).stdout


def attempts(cache_dir: Path, function: str | None = "bits") -> list[dict]:
    """The attempt records (of one function; None: all). A function the proposer had nothing for
    (main, here, for the file proposer) gets one record, "no candidate was proposed"."""
    out = []
    for f in sorted((cache_dir / "attempts").rglob("*")):
        if f.is_file():
            out += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return [a for a in out if function is None or a["function"] == function]


def entries(env: dict, llmcc_bin: Path) -> str:
    return subprocess.run([str(llmcc_bin), "cache", "list"], env=env, capture_output=True, text=True).stdout


def function_asm(project: Path, env: dict, llmcc_bin: Path) -> str:
    e = dict(env, LLMCC_MODE="off")
    subprocess.run([str(llmcc_bin), "-O3", "-S", "-o", "k.s", "k.c"], cwd=project, env=e, check=True)
    return (project / "k.s").read_text()


def test_wrong_candidate_is_rejected_and_the_build_stays_correct(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    env = dict(
        llmcc_env,
        LLMCC_MODE="sync",
        LLMCC_BUDGET="30",
        LLMCC_PROPOSER=f"file:{candidate_dir(tmp_path, 'wrong', WRONG)}",
    )
    assert build(project, env, llmcc_bin) == expected_output(project, tmp_path)
    tried = attempts(cache_dir)
    assert [a["outcome"] for a in tried] == ["rejected"]
    assert [(a["outcome"], a["reason"]) for a in attempts(cache_dir, "main")] == [
        ("error", "no candidate was proposed")
    ]
    assert "bits" not in entries(env, llmcc_bin)


def test_faster_candidate_is_accepted_then_served_from_the_cache(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    env = dict(
        llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="40", LLMCC_PROPOSER=f"file:{candidate_dir(tmp_path, 'fast', FAST)}"
    )
    assert build(project, env, llmcc_bin) == expected_output(project, tmp_path)
    tried = attempts(cache_dir)
    assert [a["outcome"] for a in tried] == ["accepted"], tried
    assert tried[0]["speedup"] > 1.5
    assert "bits" in entries(env, llmcc_bin)
    # a warm build tries nothing new and still uses the rewrite
    assert build(project, env, llmcc_bin) == expected_output(project, tmp_path)
    assert len(attempts(cache_dir)) == len(tried)
    assert "16843009" in function_asm(project, env, llmcc_bin)  # 0x01010101: the fast version


def test_queue_mode_then_llmcc_optimize_gives_what_sync_gives(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    fast = candidate_dir(tmp_path, "fast", FAST)
    env = dict(llmcc_env, LLMCC_MODE="queue")
    assert build(project, env, llmcc_bin) == expected_output(project, tmp_path)
    queued = list((cache_dir / "queue").glob("*.json"))
    assert "bits" in [json.loads(q.read_text())["name"] for q in queued]
    assert attempts(cache_dir, None) == []
    r = subprocess.run(
        [str(llmcc_bin), "optimize", "--proposer", f"file:{fast}", "--budget", "40"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "bits: accepted x" in r.stdout
    assert "bits" not in [json.loads(q.read_text())["name"] for q in (cache_dir / "queue").glob("*.json")]
    assert "16843009" in function_asm(project, env, llmcc_bin)
    assert build(project, dict(env, LLMCC_MODE="off"), llmcc_bin) == expected_output(project, tmp_path)


def test_embedded_proposer_end_to_end(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="8", LLMCC_PROPOSER="embedded")
    assert build(project, env, llmcc_bin) == expected_output(project, tmp_path)
    tried = [a for a in attempts(cache_dir, None) if a["id"]]  # candidates (not "nothing to propose")
    assert tried and all(a["proposer"].startswith("embedded:") for a in tried)
    assert {a["outcome"] for a in tried} <= {"accepted", "slower", "rejected", "error"}
    # every flag set it tried stays inside the allowlist
    from gcc_wrapper.optimize.propose.embedded import allowed

    assert all(allowed(a["proposer"].split(":", 1)[1].split()) for a in tried)


def test_file_budget_bounds_the_search(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="5", LLMCC_PROPOSER="embedded", LLMCC_HOT="bits")
    subprocess.run([str(llmcc_bin), "-O3", "-c", "k.c", "-o", "k.o"], cwd=project, env=env, check=True)
    tried = attempts(cache_dir, None)
    assert tried
    spent = json.loads(next((cache_dir / "budget").glob("*.json")).read_text())["spent"]
    assert spent <= 5 + 1.5  # the search's own account: the deadline plus the winner's re-measurement


def test_build_budget_spent_means_queue_not_search(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUILD_BUDGET="0", LLMCC_PROPOSER="embedded")
    assert build(project, env, llmcc_bin) == expected_output(project, tmp_path)
    assert attempts(cache_dir, None) == []
    reasons = {
        json.loads(q.read_text())["name"]: json.loads(q.read_text())["reason"]
        for q in (cache_dir / "queue").glob("*.json")
    }
    assert reasons.get("bits") == "no sync budget left"
