"""The things that travel through the optimizer path, as small frozen dataclasses.

    Context  -- one function and everything a proposer or the verifier needs about it
    Candidate -- proposed assembly for that function, and where it came from
    Check / Verdict -- what verification concluded, and on what evidence
    Measurement -- how much faster a verified candidate is, and how that was measured

Nothing here imports anything heavy: the compile path may construct a Context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Context:
    """One function to optimize, in its translation unit."""

    name: str  # the function's symbol
    source_path: str  # the C file it came from (absolute)
    cflags: tuple[str, ...]  # the flags that compile it (user's code-affecting flags, -O3 last)
    baseline_asm: str  # standalone assembly of the function as gcc -O3 made it (asm.Function.text())
    unit_asm: str = ""  # gcc's whole assembly for the translation unit
    key: str = ""  # the function's cache key (cache.key.function_key)
    isa: str = "x86-64"  # the -march value candidates must stay within
    dispatch: tuple[str, ...] = ()  # higher x86-64 levels a candidate may dispatch to (dispatch.py)
    c_source: str = ""  # the C text of the function (source.py), for prompts
    prototype: str = ""  # its C declaration, e.g. "int f(const int *a, int n)"
    profile_share: float | None = None  # share of samples in the recorded profile, if any
    compiler: str = "gcc"  # the real compiler
    cwd: str = ""  # where the compile ran (relative -I paths resolve from here)
    states: str = ""  # the recording (states/store.py directory) with calls of this function, if any
    workload: str = ""  # the profile whose command judges rewrites at program level (workload.py), if any


@dataclass(frozen=True)
class Candidate:
    """Assembly proposed for Context.name: one function in gcc's layout
    (.globl/.type/label/body/.size, its own local labels and .rodata constants)."""

    asm: str
    proposer: str  # "embedded:-O2 -funroll-loops", "llm:Qwen/Qwen2.5-Coder-7B-Instruct", "file:x.s"
    origin: str = ""  # what it was derived from (parent candidate id, prompt hash, flags)
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def id(self) -> str:
        import hashlib

        return hashlib.blake2b(self.asm.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Check:
    name: str  # "static.assemble", "static.symbols", "difftest", "tests", ...
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """accept | reject | error ("could not verify": bad input, or no semantic check could run)."""

    verdict: str
    reason: str
    checks: tuple[Check, ...] = ()
    counterexample: str = ""  # the input that shows a difference, when there is one
    inputs_tried: int = 0  # generated inputs the candidate was compared on
    states_tried: int = 0  # recorded calls of the workload it was compared on

    @property
    def accepted(self) -> bool:
        return self.verdict == "accept"

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "counterexample": self.counterexample,
            "inputs_tried": self.inputs_tried,
            "states_tried": self.states_tried,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
        }


@dataclass(frozen=True)
class Measurement:
    """Baseline and candidate CPU seconds per interleaved round; speedup = baseline / candidate."""

    method: str  # "function-harness cpu-time", "program cpu-time: make bench", ...
    baseline: tuple[float, ...]
    candidate: tuple[float, ...]
    speedup: float  # median of the per-round ratios
    spread: tuple[float, float]  # min and max of the per-round ratios
    rounds: int

    def faster_by(self, threshold: float) -> bool:
        """Faster by the threshold consistently: the median and the slowest round agree."""
        return self.speedup >= 1 + threshold and self.spread[0] >= 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "baseline": list(self.baseline),
            "candidate": list(self.candidate),
            "speedup": self.speedup,
            "spread": list(self.spread),
            "rounds": self.rounds,
        }


@dataclass(frozen=True)
class Feedback:
    """What an earlier try taught: fed back to proposers for refinement."""

    candidate: Candidate
    verdict: Verdict | None = None  # None: not verified (e.g. unparseable reply)
    measurement: Measurement | None = None
    note: str = ""  # free text for the proposer: "rejected by difftest: f(0, -1) returned 3, expected 2"
