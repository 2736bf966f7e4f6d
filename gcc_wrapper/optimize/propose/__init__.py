"""Proposers: given one function in its Context (and what earlier tries taught), produce
candidate assembly. The search does not care where candidates come from.

    embedded -- gcc variants chosen per function (no server, no GPU)
    llm      -- a model behind an OpenAI-compatible server (vLLM)
    file     -- assembly from a file (tests, `llmcc verify`)
"""

from __future__ import annotations

from typing import Protocol, Sequence

from gcc_wrapper.optimize.candidate import Candidate, Context, Feedback


class Proposer(Protocol):
    name: str

    def propose(self, ctx: Context, feedback: Sequence[Feedback], n: int) -> list[Candidate]:
        """Up to n candidates for ctx.name. Never raises for a bad reply: a candidate that is not
        usable is returned with meta["error"] set, so the search records why it was rejected.
        Returns [] when it has nothing (more) to offer."""
        ...
