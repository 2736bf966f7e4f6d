"""The figures `llmcc bench` reports, as pure functions over per-problem results.

They follow the SuperCoder paper (arXiv 2505.11480) so that the numbers are comparable:

- compile rate: share of problems whose build produced an executable;
- pass rate: share of problems whose build passes every test it was run on;
- per-problem speedup: baseline CPU time / candidate CPU time (median over interleaved rounds),
  counted as 1.0 when the candidate is incorrect, did not build, or is slower;
- average speedup: the geometric mean of those per-problem speedups;
- the 25th, 50th and 75th percentiles of the same (linear interpolation between order statistics,
  numpy.percentile's default);
- and, beyond the paper, the share of problems improved by at least 5%.

Denominators are the problems that are benchmarked: rows excluded for a reason (no tests, the
baseline does not compile or fails its own tests) are reported, not counted.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

IMPROVED_BY = 0.05  # "improved" means faster by at least this fraction


@dataclass(frozen=True)
class Result:
    """One candidate build of one problem, as the metrics see it."""

    compiled: bool
    passed: bool  # every test printed the expected output (and the baseline's) and exited 0
    speedup: float | None = None  # raw median ratio baseline/candidate; None when not measured


@dataclass(frozen=True)
class Summary:
    problems: int
    compile_rate: float
    pass_rate: float
    geomean: float
    p25: float
    p50: float
    p75: float
    improved_share: float  # effective speedup >= 1 + IMPROVED_BY
    improved: int

    def to_json(self) -> dict[str, Any]:
        """Strict JSON: the figures of an empty set (not a number) become null."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def effective_speedup(r: Result) -> float:
    """The paper's rule: a problem's speedup is the measured ratio when the candidate is correct
    and faster, else 1.0."""
    if not (r.compiled and r.passed) or r.speedup is None or not math.isfinite(r.speedup):
        return 1.0
    return max(1.0, r.speedup)


def geomean(values: Sequence[float]) -> float:
    if not values:
        return float("nan")
    if any(v <= 0 for v in values):
        raise ValueError("geometric mean of non-positive values")
    return math.exp(math.fsum(math.log(v) for v in values) / len(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between order statistics."""
    if not values:
        return float("nan")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def summarize(results: Sequence[Result]) -> Summary:
    n = len(results)
    if n == 0:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan, nan, nan, 0)
    eff = [effective_speedup(r) for r in results]
    improved = sum(1 for v in eff if v >= 1 + IMPROVED_BY)
    return Summary(
        problems=n,
        compile_rate=sum(r.compiled for r in results) / n,
        pass_rate=sum(r.compiled and r.passed for r in results) / n,
        geomean=geomean(eff),
        p25=percentile(eff, 25),
        p50=percentile(eff, 50),
        p75=percentile(eff, 75),
        improved_share=improved / n,
        improved=improved,
    )
