"""The metrics of `llmcc bench` against hand-computed values, and their invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from gcc_wrapper.tools import metrics
from gcc_wrapper.tools.metrics import Result


def test_effective_speedup_follows_the_papers_rule():
    assert metrics.effective_speedup(Result(True, True, 1.8)) == 1.8
    assert metrics.effective_speedup(Result(True, True, 0.7)) == 1.0  # slower counts as 1.0
    assert metrics.effective_speedup(Result(True, False, 3.0)) == 1.0  # incorrect counts as 1.0
    assert metrics.effective_speedup(Result(False, False, None)) == 1.0  # did not build
    assert metrics.effective_speedup(Result(True, True, None)) == 1.0  # not measured
    assert metrics.effective_speedup(Result(True, True, math.inf)) == 1.0


def test_summary_of_five_problems_by_hand():
    results = [
        Result(True, True, 2.0),  # 2.0
        Result(True, True, 0.8),  # slower: 1.0
        Result(True, False, 3.0),  # incorrect: 1.0
        Result(False, False, None),  # did not compile: 1.0
        Result(True, True, 1.25),  # 1.25
    ]
    s = metrics.summarize(results)
    assert s.problems == 5
    assert s.compile_rate == pytest.approx(4 / 5)
    assert s.pass_rate == pytest.approx(3 / 5)
    # effective, sorted: 1, 1, 1, 1.25, 2 -> geomean (2 * 1.25) ** (1/5)
    assert s.geomean == pytest.approx(2.5**0.2)
    assert s.geomean == pytest.approx(1.2011244)
    assert (s.p25, s.p50, s.p75) == pytest.approx((1.0, 1.0, 1.25))
    assert s.improved == 2 and s.improved_share == pytest.approx(0.4)


def test_percentiles_interpolate_between_order_statistics():
    v = [2.0, 1.0, 1.5, 1.1]  # sorted 1, 1.1, 1.5, 2
    assert metrics.percentile(v, 25) == pytest.approx(1.075)  # position 0.75
    assert metrics.percentile(v, 50) == pytest.approx(1.3)  # position 1.5
    assert metrics.percentile(v, 75) == pytest.approx(1.625)  # position 2.25
    assert metrics.percentile(v, 0) == 1.0 and metrics.percentile(v, 100) == 2.0
    with pytest.raises(ValueError):
        metrics.percentile(v, 101)


def test_improved_means_at_least_five_percent():
    s = metrics.summarize([Result(True, True, 1.05), Result(True, True, 1.049), Result(True, True, 1.2)])
    assert s.improved == 2


def test_empty_summary_is_not_a_number_not_an_error():
    s = metrics.summarize([])
    assert s.problems == 0 and math.isnan(s.geomean) and math.isnan(s.pass_rate)
    assert s.to_json()["geomean"] is None and s.to_json()["problems"] == 0  # strict JSON


speedups = st.floats(min_value=0.01, max_value=100, allow_nan=False)
results = st.builds(Result, st.booleans(), st.booleans(), st.none() | speedups)


@given(st.lists(speedups, min_size=1, max_size=50), st.floats(min_value=0, max_value=100))
def test_percentile_agrees_with_numpy(values, q):
    assert metrics.percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-12)


@given(st.lists(speedups, min_size=1, max_size=50))
def test_geomean_lies_between_min_and_max(values):
    g = metrics.geomean(values)
    assert min(values) * (1 - 1e-9) <= g <= max(values) * (1 + 1e-9)


@given(st.lists(results, min_size=1, max_size=40))
def test_summary_invariants(rs):
    s = metrics.summarize(rs)
    assert 0 <= s.pass_rate <= s.compile_rate <= 1
    assert 1.0 <= s.p25 <= s.p50 <= s.p75
    assert s.geomean >= 1.0 - 1e-12  # effective speedups are never below 1
    assert s.improved == sum(metrics.effective_speedup(r) >= 1.05 for r in rs)
    # incorrect candidates never count as faster, however fast they were
    assert all(metrics.effective_speedup(r) == 1.0 for r in rs if not r.passed)
