"""`llmcc cache export --format training FILE`: what the cache learned, as JSON Lines a team can
fine-tune or RL-train its model on.

One line per example, in the shape of SuperCoder's data (arXiv 2505.11480): the C source of the
function, gcc -O3's assembly of it, a candidate assembly and what became of it. An accepted
rewrite (from the cache's entries) carries its measured speedup and the verification evidence; a
rejected, slower or failed attempt (from the attempt logs, which keep each candidate's text) is a
negative with its reason. docs/llm.md describes every field.

Not on the compile path: imported only by `llmcc cache export`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT = "llmcc-training/1"


@dataclass(frozen=True)
class Example:
    """One training example (a line of the export)."""

    kind: str  # "accepted" (a cached rewrite) | "rejected" | "slower" | "error" (an attempt)
    key: str  # the function's cache key
    function: str
    source_file: str  # the C file it was compiled from, where it was first seen
    c_source: str  # the function's C text with the declarations it uses ("" when pycparser could not lift it)
    prototype: str
    gcc_asm: str  # gcc -O3's assembly of the function (the baseline)
    candidate_asm: str  # the proposed assembly
    proposer: str
    speedup: float | None  # measured baseline/candidate CPU time (accepted and slower ones)
    reason: str  # why it was not accepted ("" for accepted ones)
    verification: dict[str, Any] = field(default_factory=dict)  # verdict, checks, counterexample, inputs tried
    measurement: dict[str, Any] = field(default_factory=dict)  # per-round times, method (accepted ones)
    cflags: list[str] = field(default_factory=list)
    isa: str = ""
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def examples(cache: Any) -> Iterator[Example]:
    """The accepted rewrites in the local cache, then every attempt with a candidate, by key.
    An accepted attempt is not repeated: its cache entry is the example (it has the evidence)."""
    accepted: set[str] = set()
    for e, _path in cache.local_functions():
        accepted.add(e.key)
        ctx = cache.context(e.key)
        yield Example(
            kind="accepted",
            key=e.key,
            function=e.function,
            source_file=e.source,
            c_source=str(ctx.get("c_source", "")),
            prototype=str(ctx.get("prototype", "")),
            gcc_asm=e.baseline_asm,
            candidate_asm=e.asm,
            proposer=e.proposer,
            speedup=e.speedup,
            reason="",
            verification=dict(e.verification),
            measurement=dict(e.measurement),
            cflags=list(ctx.get("cflags", [])),
            isa=str(ctx.get("isa", "")),
        )
    for key in cache.attempted_keys():
        ctx = cache.context(key)
        for a in cache.attempts(key):
            outcome = a.get("outcome")
            if not a.get("asm") or outcome not in ("rejected", "slower", "error"):
                continue  # no candidate text (older logs, "nothing proposed"), or the accepted one
            speedup = a.get("speedup")
            yield Example(
                kind=str(outcome),
                key=key,
                function=str(a.get("function") or ctx.get("function", "")),
                source_file=str(a.get("source") or ctx.get("source", "")),
                c_source=str(ctx.get("c_source", "")),
                prototype=str(ctx.get("prototype", "")),
                gcc_asm=str(ctx.get("baseline_asm", "")),
                candidate_asm=str(a["asm"]),
                proposer=str(a.get("proposer", "")),
                speedup=float(speedup) if isinstance(speedup, (int, float)) else None,
                reason=str(a.get("reason", "")),
                verification=a.get("verification") or {},
                measurement={"method": a["method"]} if a.get("method") else {},
                cflags=list(ctx.get("cflags", [])),
                isa=str(ctx.get("isa", "")),
            )


def write(cache: Any, dest: str) -> tuple[int, int]:
    """Write the examples to dest (atomically: the old file or the whole new one);
    (accepted, negatives) counted. Raises OSError when it cannot."""
    import os

    d, name = os.path.split(dest)
    tmp = os.path.join(d, f".{name}.{os.getpid()}.tmp")
    counts = [0, 0]
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            for ex in examples(cache):
                f.write(ex.to_json() + "\n")
                counts[ex.kind != "accepted"] += 1
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return counts[0], counts[1]
