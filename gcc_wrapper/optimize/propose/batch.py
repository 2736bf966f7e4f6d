"""Offline batch mode: answer the first-round prompts of the whole queue with vllm.LLM in-process,
for a user with a GPU and the `vllm` extra but no server.

    python -m gcc_wrapper.optimize.propose.batch [--model M] [--max-model-len N] [--tensor-parallel-size N]
                                        [--n N] [--limit K]
    LLMCC_LLM_REPLAY=only llmcc optimize --proposer llm

The first command builds, for every queued function, exactly the prompt the model proposer would
send (same templates, same fitting to the model's context), generates all of them in one vLLM
batch, and writes the replies into the request/reply log (CACHE/llm/<prompt-hash>.json) as if a
server had answered. The second verifies and measures them: the proposer replays the log instead
of asking a server. This covers best-of-N (round one); refinement rounds need a model to answer
each new prompt, that is a server (`llmcc serve`).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from gcc_wrapper.optimize.candidate import Context
from gcc_wrapper.optimize.propose import model_client as clientmod

OFFLINE = "offline"  # the "server" the log names for replies made here


@dataclass(frozen=True)
class Job:
    ctx: Context
    messages: tuple[dict[str, str], ...]
    sampling: clientmod.Sampling

    @property
    def prompt_hash(self) -> str:
        return clientmod.prompt_hash(self.messages, self.sampling)


def contexts(cfg: Any, cache_root: Path, limit: int | None = None) -> tuple[list[Context], list[str]]:
    """Contexts of the queued functions whose source still compiles to the queued baseline, and a
    line for each one skipped."""
    from gcc_wrapper.compile import asm
    from gcc_wrapper.optimize import worklist as queue, source

    out: list[Context] = []
    skipped: list[str] = []
    for item in queue.items(cache_root)[:limit]:
        try:
            p = subprocess.run(
                [item.cc, *item.compile_flags, "-w", "-S", "-o", "-", item.source],
                cwd=item.cwd,
                capture_output=True,
                timeout=120,
            )
            if p.returncode != 0:
                skipped.append(f"{item.name}: the source no longer compiles")
                continue
            unit = asm.parse(p.stdout.decode("utf-8", "surrogateescape"))
        except (OSError, subprocess.TimeoutExpired, asm.AsmError) as e:
            skipped.append(f"{item.name}: {e}")
            continue
        fn = unit.functions.get(item.name)
        if fn is None:
            skipped.append(f"{item.name}: no longer defined in {item.source}")
            continue
        try:
            proto = source.prototype(item.source, item.name, list(item.compile_flags), cwd=item.cwd).text
        except Exception:  # the prompt can go without; the search decides what it can measure
            proto = ""
        from cache.key import split_dispatch_isa

        isa, dispatch = split_dispatch_isa(item.isa)
        out.append(
            Context(
                name=item.name,
                source_path=item.source,
                cflags=tuple(item.compile_flags),
                baseline_asm=fn.text(),
                unit_asm=unit.render(),
                key=item.key,
                isa=isa,
                dispatch=dispatch,
                prototype=proto,
                compiler=item.cc,
                cwd=item.cwd,
            )
        )
    return out, skipped


def prepare(
    cfg: Any, cache_root: Path, ctxs: Sequence[Context], *, n: int, max_model_len: int | None
) -> tuple[list[Job], int]:
    """The first-round request of each context, as the model proposer builds it; and how many did
    not fit the model's context."""
    from gcc_wrapper.optimize.propose.llm import LLMProposer

    offline = clientmod.Client("", log_dir=Path(cache_root) / "llm", replay="only")
    proposer = LLMProposer(cfg, cache_root, client=offline)
    jobs: list[Job] = []
    too_long = 0
    for ctx in ctxs:
        req = proposer.request_for(ctx, [], n, max_model_len)
        if req is None:
            too_long += 1
            continue
        messages, sampling = req
        jobs.append(Job(ctx, tuple(messages), sampling))
    return jobs, too_long


def chat_completion(model: str, output: Any, created: int) -> dict:
    """A vllm RequestOutput as the chat.completion object the server would have sent."""
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": o.text},
            "logprobs": None,
            "finish_reason": o.finish_reason or "stop",
            "stop_reason": None,
        }
        for i, o in enumerate(output.outputs)
    ]
    prompt_tokens = len(output.prompt_token_ids or [])
    completion_tokens = sum(len(o.token_ids) for o in output.outputs)
    return {
        "id": f"chatcmpl-{OFFLINE}-{output.request_id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def generate(llm: Any, model: str, jobs: Sequence[Job], log_dir: Path) -> int:
    """One vLLM batch over all jobs; every reply goes into the log. Returns the samples written."""
    from vllm import SamplingParams

    params = [
        SamplingParams(
            n=j.sampling.n,
            temperature=j.sampling.temperature,
            top_p=j.sampling.top_p,
            max_tokens=j.sampling.max_tokens,
            seed=j.sampling.seed,
        )
        for j in jobs
    ]
    t0 = time.monotonic()
    outputs = llm.chat([list(j.messages) for j in jobs], params, use_tqdm=True)
    seconds = (time.monotonic() - t0) / max(1, len(jobs))
    created = int(time.time())
    samples = 0
    for job, out in zip(jobs, outputs):
        body = {"model": model, "messages": list(job.messages), **job.sampling.body()}
        clientmod.append_reply(log_dir, job.prompt_hash, body, chat_completion(model, out, created), seconds, OFFLINE)
        samples += len(out.outputs)
    return samples


def main(argv: list[str]) -> int:
    from gcc_wrapper.compile import config

    ap = argparse.ArgumentParser(
        prog="python -m gcc_wrapper.optimize.propose.batch",
        description="Answer the queue's first-round prompts with vllm.LLM, offline.",
    )
    ap.add_argument(
        "--model",
        default=None,
        help="Hugging Face id or local path (default: the model setting, else Qwen/Qwen2.5-Coder-7B-Instruct)",
    )
    ap.add_argument("--max-model-len", type=int, default=16384)
    ap.add_argument("--tensor-parallel-size", type=int, default=1)
    ap.add_argument("--n", type=int, default=None, help="samples per function (default: the n setting)")
    ap.add_argument("--limit", type=int, default=None, help="at most this many queued functions")
    args = ap.parse_args(argv)
    try:
        cfg = config.load()
    except config.ConfigError as e:
        print(f"llmcc batch: {e}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("vllm") is None:
        print(
            "llmcc batch: vLLM is not installed here (pip install 'llmcc[vllm]' on a machine with a GPU); "
            "or use a server: llmcc serve, then LLMCC_SERVER=... llmcc optimize",
            file=sys.stderr,
        )
        return 2
    from cache import open_cache

    from gcc_wrapper.tools.serve_model import DEFAULT_MODEL

    cache = open_cache(cfg)
    ctxs, skipped = contexts(cfg, cache.root, args.limit)
    for line in skipped:
        print(f"llmcc batch: skipped {line}", file=sys.stderr)
    if not ctxs:
        print("llmcc batch: the queue has nothing to answer (build with LLMCC_MODE=queue first)")
        return 0
    model = args.model or cfg.model or DEFAULT_MODEL
    from vllm import LLM

    llm = LLM(
        model=model,
        max_model_len=args.max_model_len,
        enable_prefix_caching=True,
        tensor_parallel_size=args.tensor_parallel_size,
    )
    max_model_len = int(llm.llm_engine.model_config.max_model_len)
    jobs, too_long = prepare(cfg, cache.root, ctxs, n=args.n or int(cfg.n), max_model_len=max_model_len)
    log_dir = cache.root / "llm"
    clientmod.record_server(log_dir, OFFLINE, clientmod.ServerInfo(model, max_model_len))
    samples = generate(llm, model, jobs, log_dir)
    print(
        f"llmcc batch: {samples} samples for {len(jobs)} functions written to {log_dir}"
        + (f"; {too_long} did not fit the context" if too_long else "")
    )
    print("now verify and measure them:  LLMCC_LLM_REPLAY=only llmcc optimize --proposer llm")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
