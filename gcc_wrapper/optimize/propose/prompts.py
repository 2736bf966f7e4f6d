"""The conversation sent to the model for one function, and reading its answer back.

The templates live in gcc_wrapper/optimize/propose/prompts.toml (one readable file; documented in docs/llm.md).
A prompt carries what the model needs and nothing else: the function's C source with the types and
globals it uses, gcc's -O3 assembly of it, the rules (same symbol and ABI, allowed instruction set,
no system calls or new external calls, one ```assembly block back), and in refinement rounds the
candidate being refined with its result (the failed check and counterexample, or the speedup) and a
line for each earlier try.

`build` fits the prompt into the model's context: when the prompt plus a reply large enough for the
function would not fit, it drops the history, then the C source, and finally gives up (None).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from gcc_wrapper.optimize.candidate import Context, Feedback
from gcc_wrapper.optimize.propose.model_client import estimate_tokens

TEMPLATES = Path(__file__).resolve().parent / "prompts.toml"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
HISTORY_LIMIT = 6


@dataclass(frozen=True)
class Templates:
    system: str
    c_section: str
    rules: str
    first: str
    refine: str
    isa: dict[str, str]


@dataclass(frozen=True)
class Prompt:
    messages: tuple[dict[str, str], ...]
    max_tokens: int  # the reply budget that fits the context
    dropped: tuple[str, ...] = ()  # parts left out to fit: "history", "c_source"


@lru_cache(maxsize=4)
def load(path: Path = TEMPLATES) -> Templates:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return Templates(
        system=data["system"],
        c_section=data["c_section"],
        rules=data["rules"],
        first=data["first"],
        refine=data["refine"],
        isa={str(k): str(v) for k, v in data["isa"].items()},
    )


def render(template: str, values: dict[str, str]) -> str:
    """Fill {{placeholders}} in one pass: inserted values are never scanned again."""

    def sub(m: re.Match[str]) -> str:
        try:
            return values[m.group(1)]
        except KeyError:
            raise KeyError(f"prompt template needs {{{{{m.group(1)}}}}}") from None

    return _PLACEHOLDER.sub(sub, template)


def isa_text(isa: str, t: Templates | None = None) -> str:
    t = t or load()
    return t.isa.get(isa) or render(t.isa["default"], {"march": isa})


def describe(fb: Feedback) -> str:
    """One paragraph for the model: what happened to a candidate."""
    meta = fb.candidate.meta
    parts: list[str] = []
    if meta.get("error"):
        parts.append(f"unusable reply ({meta['error']})")
        if meta.get("detail"):
            parts.append(str(meta["detail"]))
    elif fb.verdict is not None and not fb.verdict.accepted:
        parts.append(f"rejected: {fb.verdict.reason}")
        failed = [c for c in fb.verdict.checks if not c.passed]
        if failed:
            c = failed[0]
            parts.append(f"failed check {c.name}" + (f": {c.detail}" if c.detail else ""))
        if fb.verdict.counterexample:
            parts.append(f"counterexample: {fb.verdict.counterexample}")
    elif fb.measurement is not None:
        m = fb.measurement
        verb = "faster than" if m.speedup > 1 else "not faster than"
        parts.append(
            f"correct; {m.speedup:.2f}x the speed of gcc -O3 ({verb} it; per-round ratios "
            f"{m.spread[0]:.2f}-{m.spread[1]:.2f} over {m.rounds} rounds, {m.method})"
        )
    elif fb.verdict is not None:
        parts.append("correct (verified); not measured yet")
    if fb.note:
        parts.append(fb.note)
    return "; ".join(parts) or "no result recorded"


def _history(feedback: Sequence[Feedback]) -> str:
    earlier = list(feedback[:-1])[-HISTORY_LIMIT:]
    if not earlier:
        return "(none)"
    return "\n".join(f"- {describe(fb)}" for fb in earlier)


def messages(
    ctx: Context,
    feedback: Sequence[Feedback],
    *,
    c_source: str,
    prototype: str,
    history: bool = True,
    t: Templates | None = None,
) -> list[dict[str, str]]:
    t = t or load()
    values = {
        "name": ctx.name,
        "isa": isa_text(ctx.isa, t),
        "prototype": prototype or "(not available)",
        "baseline": ctx.baseline_asm.strip("\n"),
    }
    values["rules"] = render(t.rules, values)
    values["c_section"] = render(t.c_section, {"c_source": c_source.strip("\n")}) if c_source else ""
    if feedback:
        last = feedback[-1]
        values["candidate"] = last.candidate.asm.strip("\n")
        values["result"] = describe(last)
        values["history"] = _history(feedback) if history else "(left out)"
        user = render(t.refine, values)
    else:
        user = render(t.first, values)
    user = re.sub(r"\n{3,}", "\n\n", user)
    return [{"role": "system", "content": t.system}, {"role": "user", "content": user}]


def reply_need(ctx: Context) -> int:
    """Tokens a reply needs at least: room for a rewrite twice gcc's size."""
    return 2 * estimate_tokens(ctx.baseline_asm) + 256


def build(
    ctx: Context,
    feedback: Sequence[Feedback],
    *,
    c_source: str,
    prototype: str,
    max_tokens: int,
    max_model_len: int | None,
) -> Prompt | None:
    """The fullest prompt that fits max_model_len with room for a reply; None when none does."""
    tries = [((), dict(history=True, c_source=c_source))]
    if feedback and len(feedback) > 1:
        tries.append((("history",), dict(history=False, c_source=c_source)))
    if c_source:
        tries.append((("history", "c_source") if feedback else ("c_source",), dict(history=False, c_source="")))
    for dropped, kw in tries:
        msgs = messages(ctx, feedback, prototype=prototype, **kw)
        if max_model_len is None:
            return Prompt(tuple(msgs), max_tokens, dropped)
        used = sum(estimate_tokens(m["content"]) + 8 for m in msgs)
        room = max_model_len - used
        if room >= min(max_tokens, reply_need(ctx)):
            return Prompt(tuple(msgs), min(max_tokens, room), dropped)
    return None


# ---- reading the answer ------------------------------------------------------------------------

_FENCE = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[ \t]*$", re.M)
_ASM_LANGS = {"assembly", "asm", "s", "gas", "x86asm", "x86", "x86-64", "nasm", "armasm", "att", ""}


@dataclass(frozen=True)
class Extracted:
    asm: str | None
    error: str = ""  # "" | "not assembly" | "truncated"
    detail: str = ""


def extract_assembly(text: str, finish_reason: str = "stop") -> Extracted:
    """The first ```assembly block of a reply. A reply cut by max_tokens is "truncated" whatever it
    holds (a cut function may still parse); one with no assembly block is "not assembly"."""
    if finish_reason == "length":
        return Extracted(None, "truncated", "the reply hit max_tokens (finish_reason: length)")
    fences = list(_FENCE.finditer(text))
    i = 0
    while i < len(fences):
        lang = fences[i].group(1).lower()
        if i + 1 >= len(fences):
            if lang in _ASM_LANGS:
                return Extracted(None, "truncated", "the ```assembly block is not closed")
            break
        if lang in _ASM_LANGS:
            body = text[fences[i].end() : fences[i + 1].start()].strip("\n")
            if body.strip():
                return Extracted(body + "\n")
        i += 2
    return Extracted(None, "not assembly", "no ```assembly block in the reply")
