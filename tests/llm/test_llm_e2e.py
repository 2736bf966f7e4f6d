"""End to end: `CC=llmcc make` on a small C project (tests/llm/project) with the model proposer and
the scripted vLLM stand-in. A correct faster rewrite is accepted and lands in the object; every
wrong one is rejected with its reason; a dead or failing server never breaks the build; requests
from parallel compiles are in flight together; a replay without the server gives the same result."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fake_vllm import Answer, Fail, FakeVLLM, free_port

PROJECT = Path(__file__).resolve().parent / "project"
EXPECTED = "a8cd3c475dca2801 f8d73846"

# x -> x*A + C (mod 2^64) is 1000 steps of mix()'s generator.
A, C = 0xE891EC510D2870A1, 0x0C861315D1E44E08

HEAD = "\t.text\n\t.p2align 4\n\t.globl\t{0}\n\t.type\t{0}, @function\n{0}:\n"
TAIL = "\t.size\t{0}, .-{0}\n"


def fenced(body: str) -> str:
    return f"```assembly\n{body}```"


def mix_asm(c: int) -> str:
    return (
        HEAD.format("mix")
        + (f"\tmovabsq\t${A:#x}, %rax\n\timulq\t%rdi, %rax\n\tmovabsq\t${c:#x}, %rdx\n\taddq\t%rdx, %rax\n\tret\n")
        + TAIL.format("mix")
    )


FAST_MIX = mix_asm(C)
WRONG_MIX = mix_asm(C + 1)  # off by one in the constant: differential testing must catch it
BROKEN_MIX = HEAD.format("mix") + "\tfrobnicate\t%rdi, %rax\n\tret\n" + TAIL.format("mix")
OTHER_SYMBOL = HEAD.format("checksum_fast") + "\tmovl\t$0, %eax\n\tret\n" + TAIL.format("checksum_fast")


def script(fake: FakeVLLM, gate: int = 0) -> None:
    """gate=2: every reply waits until two requests have been at the server at once."""
    fake.add(r"function `mix`", Answer([fenced(WRONG_MIX), fenced(FAST_MIX), fenced(BROKEN_MIX)], gate=gate))
    fake.add(
        r"function `checksum`",
        Answer(
            ["The code gcc produced is already optimal.", fenced(OTHER_SYMBOL), "```assembly\nchecksum:\n\tret\n"],
            gate=gate,
        ),
    )
    fake.add("", Answer(["No."], gate=gate))


def build(tmp_path: Path, llmcc_env: dict, cache: Path, server: str, name: str, jobs: int = 2, **extra: str):
    proj = tmp_path / name
    shutil.copytree(PROJECT, proj)
    env = dict(llmcc_env)
    env.update(
        LLMCC_CACHE_DIR=str(cache),
        LLMCC_MODE="sync",
        LLMCC_PROPOSER="llm",
        LLMCC_SERVER=server,
        LLMCC_HOT="mix checksum",
        LLMCC_HOT_TOP="2",
        LLMCC_BUDGET="60",
        LLMCC_LLM_SAMPLES="3",
        LLMCC_MAX_TOKENS="1024",
        **extra,
    )
    r = subprocess.run(
        ["make", f"-j{jobs}", "CC=llmcc"], cwd=proj, env=env, capture_output=True, text=True, timeout=240
    )
    assert r.returncode == 0, r.stdout + r.stderr
    out = subprocess.run(["./prog"], cwd=proj, capture_output=True, text=True, timeout=30).stdout.strip()
    return proj, out


def disassembly(obj: Path, name: str) -> str:
    return subprocess.run(
        ["objdump", "-d", f"--disassemble={name}", str(obj)], capture_output=True, text=True, check=True
    ).stdout


def attempts(cache: Path) -> list[dict]:
    out = []
    for f in sorted((cache / "attempts").rglob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return out


def is_fast(dis: str) -> bool:
    return f"{A:x}" in dis and f"{C:x}" in dis.replace("0x0", "0x") and "imul" in dis


@pytest.fixture
def scripted(fake_vllm):
    script(fake_vllm, gate=2)
    return fake_vllm


def test_rewrite_accepted_wrong_ones_rejected_and_replayed(scripted, tmp_path, llmcc_env):
    cache = tmp_path / "cache"
    proj, out = build(tmp_path, llmcc_env, cache, scripted.url, "live")
    assert out == EXPECTED

    # the correct rewrite is in the object; checksum is gcc's
    assert is_fast(disassembly(proj / "mix.o", "mix"))
    assert f"{A:x}" not in disassembly(proj / "sum.o", "checksum")

    # every candidate tried, with its outcome and reason
    tried = attempts(cache)
    by_outcome = {}
    for a in tried:
        by_outcome.setdefault(a["outcome"], []).append(a)
    reasons = " | ".join(a["reason"] for a in tried if a["outcome"] != "accepted")
    assert [a["function"] for a in by_outcome["accepted"]] == ["mix"]
    assert "not assembly" in reasons and "wrong symbol" in reasons and "truncated" in reasons
    mix_rejected = [a for a in tried if a["function"] == "mix" and a["outcome"] in ("rejected", "error")]
    assert len(mix_rejected) == 2  # the wrong constant and the unassemblable one
    assert all(a["proposer"] == f"llm:{scripted.model}" for a in tried)

    # parallel compiles asked at the same time (make -j2); without that, the gate would have held
    # the replies for 30 s and this would still fail
    chats = scripted.chat_requests()
    assert scripted.max_in_flight >= 2
    assert {("mix" if "function `mix`" in r.body["messages"][1]["content"] else "checksum") for r in chats} == {
        "mix",
        "checksum",
    }

    # the statistics count the model's replies by kind
    stats = subprocess.run(
        ["llmcc", "stats", "--json"],
        env=dict(llmcc_env, LLMCC_CACHE_DIR=str(cache)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counters = json.loads(stats)
    counters = counters.get("counters", counters)
    for kind in ("usable", "not_assembly", "wrong_symbol", "truncated"):
        assert counters.get(f"llm.reply.{kind}", 0) >= 1, kind

    # replay: a fresh cache holding only the request/reply log, and no server
    replay_cache = tmp_path / "replay-cache"
    shutil.copytree(cache / "llm", replay_cache / "llm")
    dead = f"http://127.0.0.1:{free_port()}/v1"
    proj2, out2 = build(tmp_path, llmcc_env, replay_cache, dead, "replay")
    assert out2 == EXPECTED
    assert disassembly(proj2 / "mix.o", "mix").split("\n", 3)[3] == disassembly(proj / "mix.o", "mix").split("\n", 3)[3]
    assert sorted((a["function"], a["outcome"]) for a in attempts(replay_cache)) == sorted(
        (a["function"], a["outcome"]) for a in tried
    )


def test_dead_server_never_breaks_the_build(tmp_path, llmcc_env):
    cache = tmp_path / "cache"
    proj, out = build(tmp_path, llmcc_env, cache, f"http://127.0.0.1:{free_port()}/v1", "dead", LLMCC_LLM_REPLAY="off")
    assert out == EXPECTED
    assert not is_fast(disassembly(proj / "mix.o", "mix"))
    assert "imul" in disassembly(proj / "mix.o", "mix")  # gcc's loop, as gcc made it


def test_failing_server_never_breaks_the_build(fake_vllm, tmp_path, llmcc_env):
    fake_vllm.add("", Fail(500, "CUDA error: an illegal memory access was encountered", "InternalServerError"))
    cache = tmp_path / "cache"
    proj, out = build(tmp_path, llmcc_env, cache, fake_vllm.url, "failing")
    assert out == EXPECTED
    assert not is_fast(disassembly(proj / "mix.o", "mix"))
    assert len(fake_vllm.chat_requests()) >= 2  # it was asked, and retried
