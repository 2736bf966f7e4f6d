"""Offline batch mode. vLLM and a GPU are not here: the tests cover the clear error without them, and
that the prompts the batch mode answers are exactly the ones `llmcc optimize` replays (replies
written through the same log writer the batch mode uses, then verified and measured for real)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from test_llm_e2e import FAST_MIX, PROJECT, WRONG_MIX, fenced

from gcc_wrapper.compile import config
from gcc_wrapper.optimize.propose import batch
from gcc_wrapper.optimize.propose import model_client as client


def test_without_vllm_a_clear_error(llmcc_env, tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "gcc_wrapper.optimize.propose.batch"],
        env=llmcc_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "vLLM is not installed" in r.stderr and "Traceback" not in r.stderr


def test_batch_prompts_are_the_ones_optimize_replays(tmp_path, llmcc_env):
    proj = tmp_path / "proj"
    shutil.copytree(PROJECT, proj)
    env = dict(llmcc_env, LLMCC_MODE="queue", LLMCC_HOT="mix checksum", LLMCC_HOT_TOP="2")
    subprocess.run(["make", "-j2", "CC=llmcc"], cwd=proj, env=env, check=True, capture_output=True)
    cache = Path(env["LLMCC_CACHE_DIR"])
    cfg = config.load(cwd=proj, environ=env)

    ctxs, skipped = batch.contexts(cfg, cache)
    assert skipped == [] and {c.name for c in ctxs} >= {"mix", "checksum"}  # main may be queued too
    jobs, too_long = batch.prepare(cfg, cache, ctxs, n=2, max_model_len=16384)
    assert too_long == 0 and len(jobs) == len(ctxs)
    mix_job = next(j for j in jobs if j.ctx.name == "mix")
    assert "function `mix`" in mix_job.messages[1]["content"] and mix_job.sampling.n == 2

    # what generate() writes for each job, with the texts a model might have produced
    log = cache / "llm"
    client.record_server(log, batch.OFFLINE, client.ServerInfo("org/model", 16384))
    for j in (j for j in jobs if j.ctx.name in ("mix", "checksum")):
        texts = [fenced(WRONG_MIX), fenced(FAST_MIX)] if j.ctx.name == "mix" else ["no idea", "none"]
        payload = {
            "id": "chatcmpl-offline-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "org/model",
            "choices": [
                {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
                for i, t in enumerate(texts)
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        client.append_reply(
            log,
            j.prompt_hash,
            {"model": "org/model", "messages": list(j.messages), **j.sampling.body()},
            payload,
            1.0,
            batch.OFFLINE,
        )

    env = dict(env, LLMCC_LLM_REPLAY="only", LLMCC_BUDGET="60")
    r = subprocess.run(
        ["llmcc", "optimize", "--proposer", "llm"], cwd=proj, env=env, capture_output=True, text=True, timeout=240
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "mix: accepted" in r.stdout
    assert "checksum: rejected" in r.stdout
    records = [json.loads(f.read_text()) for f in log.glob("*.json") if f.name != "servers.json"]
    assert all(len(rec["replies"]) == 1 for rec in records)  # nothing new was asked of anyone
