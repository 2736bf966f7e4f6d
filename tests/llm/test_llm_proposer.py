"""LLMProposer against the scripted server: what the model is asked, and how each kind of reply
becomes a candidate (usable, or rejected with its reason)."""

from __future__ import annotations

from fake_vllm import Answer, Fail, free_port
from llm_helpers import SUM_C, compile_function

from gcc_wrapper.compile import config
from gcc_wrapper.optimize.candidate import Candidate, Feedback, Verdict
from gcc_wrapper.optimize.propose.model_client import Client
from gcc_wrapper.optimize.propose.llm import LLMProposer, defined_symbols

GOOD = """\
\t.text
\t.p2align 4
\t.globl\tsum_array
\t.type\tsum_array, @function
sum_array:
\txorl\t%eax, %eax
\ttestq\t%rsi, %rsi
\tjle\t.L1
\txorl\t%edx, %edx
.L3:
\tmovslq\t(%rdi,%rdx,4), %rcx
\taddq\t%rcx, %rax
\taddq\t$1, %rdx
\tcmpq\t%rdx, %rsi
\tjne\t.L3
.L1:
\tret
\t.size\tsum_array, .-sum_array
"""


def fenced(asm: str) -> str:
    return f"```assembly\n{asm}```\n"


def proposer(cfg, tmp_path, fake=None, url=None, **kw) -> LLMProposer:
    c = Client(url or fake.url, log_dir=tmp_path / "cache" / "llm", backoff=0.01, concurrency=4, **kw)
    return LLMProposer(cfg, tmp_path / "cache", client=c)


def test_prompt_carries_c_source_assembly_and_rules(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.add("sum_array", Answer([fenced(GOOD)]))
    proposer(llm_cfg, tmp_path, fake_vllm).propose(sum_ctx, [], 2)
    body = fake_vllm.chat_requests()[0].body
    user = body["messages"][1]["content"]
    assert "typedef long count_t;" in user and "weight" in user  # pycparser lifted types and globals
    assert "long sum_array(const int *a, count_t n)" in user
    assert sum_ctx.baseline_asm.strip() in user
    assert "System V" in user and "```assembly" in user
    assert body["n"] == 2 and body["temperature"] == llm_cfg.temperature and "seed" not in body


def test_each_kind_of_reply(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    wrong_name = GOOD.replace("sum_array", "sum_arr")
    extra = GOOD + "\t.globl\thelper\nhelper:\n\tret\n"
    garbage = "sum_array:\n\tfrobnicate %eax\n"
    fake_vllm.add(
        "sum_array",
        Answer([fenced(GOOD), "The loop is already optimal.", fenced(wrong_name), fenced(extra), fenced(garbage)]),
    )
    cands = proposer(llm_cfg, tmp_path, fake_vllm).propose(sum_ctx, [], 5)
    errors = [c.meta.get("error", "") for c in cands]
    assert errors[:4] == ["", "not assembly", "wrong symbol", "wrong symbol"]
    assert "helper" in cands[3].meta["detail"]
    assert errors[4] in ("not assembly", "")  # a bad mnemonic is the assembler's to reject
    ok = cands[0]
    assert "sum_array:" in ok.asm and "movslq" in ok.asm
    assert ok.proposer == f"llm:{fake_vllm.model}" and ok.origin.startswith("prompt:")
    assert ok.meta["finish_reason"] == "stop" and not ok.meta["replayed"]


def test_truncated_reply(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.add("sum_array", Answer([fenced(GOOD * 200)]))
    cfg = config.Config({**llm_cfg.values, "max_tokens": 600})
    cands = proposer(cfg, tmp_path, fake_vllm).propose(sum_ctx, [], 1)
    assert cands[0].meta["error"] == "truncated" and cands[0].meta["finish_reason"] == "length"


def test_refinement_sends_feedback(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.add("sum_array", Answer([fenced(GOOD)]))
    p = proposer(llm_cfg, tmp_path, fake_vllm)
    first = p.propose(sum_ctx, [], 1)[0]
    fb = Feedback(first, Verdict("reject", "differs from gcc", counterexample="a={-1}, n=1"))
    second = p.propose(sum_ctx, [fb], 1)
    user = fake_vllm.chat_requests()[1].body["messages"][1]["content"]
    assert "This rewrite was tried" in user and "counterexample: a={-1}, n=1" in user
    assert second[0].meta["parent"] == first.id


def test_sample_budget(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.add("", Answer([fenced(GOOD)]))
    p = proposer(llm_cfg, tmp_path, fake_vllm)
    p.max_samples = 3
    assert len(p.propose(sum_ctx, [], 2)) == 2
    assert len(p.propose(sum_ctx, [], 2)) == 1  # only one sample left
    assert p.propose(sum_ctx, [], 2) == []
    assert len(fake_vllm.chat_requests()) == 2 and p.stats["budget_exhausted"] == 1


def test_prompt_too_long_is_skipped_without_a_request(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.max_model_len = 200
    p = proposer(llm_cfg, tmp_path, fake_vllm)
    assert p.propose(sum_ctx, [], 2) == []
    assert p.stats["context_too_long"] == 1 and fake_vllm.chat_requests() == []


def test_server_errors_give_no_candidates(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.add("", Fail(503, "overloaded", "ServiceUnavailable"))
    p = proposer(llm_cfg, tmp_path, fake_vllm, retries=2)
    assert p.propose(sum_ctx, [], 2) == []
    assert p.stats["server_error"] == 1 and p.available


def test_dead_server_gives_no_candidates_and_is_remembered(llm_cfg, sum_ctx, tmp_path):
    p = proposer(llm_cfg, tmp_path, url=f"http://127.0.0.1:{free_port()}/v1", replay="off")
    assert p.propose(sum_ctx, [], 2) == []
    assert not p.available and p.stats["server_down"] == 1
    assert p.propose(sum_ctx, [], 2) == []


def test_replay_gives_the_same_candidates(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.add("sum_array", Answer([fenced(GOOD), "no idea"]))
    live = proposer(llm_cfg, tmp_path, fake_vllm).propose(sum_ctx, [], 2)
    fake_vllm.stop()
    again = proposer(llm_cfg, tmp_path, fake_vllm).propose(sum_ctx, [], 2)
    assert [c.asm for c in again] == [c.asm for c in live]
    assert [c.meta.get("error") for c in again] == [None, "not assembly"]
    assert all(c.meta["replayed"] for c in again)


def test_prefetch_sends_many_functions_at_once(fake_vllm, llm_cfg, tmp_path):
    ctxs = []
    for i in range(4):
        src = SUM_C.replace("sum_array", f"sum_{i}")
        ctxs.append(compile_function(tmp_path, src, f"sum_{i}"))
        fake_vllm.add(f"sum_{i}", Answer([fenced(GOOD.replace("sum_array", f"sum_{i}"))], delay=0.3))
    p = proposer(llm_cfg, tmp_path, fake_vllm)
    p.prefetch(ctxs, n=1)
    got = [p.propose(c, [], 1) for c in ctxs]
    assert fake_vllm.max_in_flight == 4
    assert [g[0].meta.get("error") for g in got] == [None] * 4
    assert len(fake_vllm.chat_requests()) == 4


def test_defined_symbols_ignores_local_labels():
    text = "\t.globl\tf\n\t.type\tf, @function\nf:\n.L2:\n1:\n\tjmp 1b\n\t.size\tf, .-f\n.LC0:\n\t.long 1\n"
    assert defined_symbols(text) == {"f"}


def test_candidates_are_plain_candidates(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    fake_vllm.add("", Answer(["nothing useful"]))
    (c,) = proposer(llm_cfg, tmp_path, fake_vllm).propose(sum_ctx, [], 1)
    assert isinstance(c, Candidate) and c.meta["error"] == "not assembly" and c.asm == "nothing useful"


def test_search_deadline_is_kept_and_the_late_reply_still_logged(fake_vllm, llm_cfg, sum_ctx, tmp_path):
    import time

    fake_vllm.add("", Answer([fenced(GOOD)], delay=0.8))
    p = proposer(llm_cfg, tmp_path, fake_vllm)
    p.deadline = time.monotonic() + 0.1
    assert p.propose(sum_ctx, [], 1) == []
    assert p.stats["deadline"] == 1
    p.client.close(wait=True)  # lets the request in flight finish
    logged = [f for f in (tmp_path / "cache" / "llm").glob("*.json") if f.name != "servers.json"]
    assert len(logged) == 1


COLD_C = """\
#include <stdlib.h>

long total(const long *a, long n)
{
    long s = 0;
    for (long i = 0; i < n; i++) {
        if (__builtin_expect(a[i] < 0, 0))
            abort();
        s += a[i];
    }
    return s;
}
"""


def test_gcc_code_echoed_back_is_usable_cold_part_included(fake_vllm, llm_cfg, tmp_path):
    ctx = compile_function(tmp_path, COLD_C, "total")
    assert "total.cold:" in ctx.baseline_asm
    fake_vllm.add(
        "", Answer([fenced(ctx.baseline_asm), fenced(ctx.baseline_asm + "\t.globl\tabort2\nabort2:\n\tret\n")])
    )
    ok, bad = proposer(llm_cfg, tmp_path, fake_vllm).propose(ctx, [], 2)
    assert "error" not in ok.meta and "total.cold:" in ok.asm
    assert bad.meta["error"] == "wrong symbol" and "abort2" in bad.meta["detail"]
