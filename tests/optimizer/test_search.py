"""The search tree and its policies, without gcc: a scripted proposer and evaluator."""

from __future__ import annotations

import itertools
import time

import pytest

from gcc_wrapper.optimize import search
from gcc_wrapper.optimize.candidate import Candidate, Context, Measurement, Verdict


class Scripted:
    """Children of a node get the parent's speed plus a step; at most `width` per node."""

    name = "scripted"

    def __init__(self, width=3):
        self.width = width
        self.asked: list[str] = []
        self.n = itertools.count()

    def propose(self, ctx, feedback, n):
        parent = feedback[-1].candidate.asm if feedback else "root"
        self.asked.append(parent)
        if self.asked.count(parent) > 1 or parent.count("/") >= 3:
            return []
        return [Candidate(f"{parent}/{next(self.n)}", self.name) for _ in range(min(n, self.width))]


def speed_of(asm: str) -> float:
    # deeper is faster along the first child; everything else is no faster
    parts = asm.split("/")[1:]
    return 1.0 + 0.05 * sum(1 for p in parts if int(p) % 3 == 0)


def evaluator(ctx, cand, deadline):
    s = speed_of(cand.asm)
    m = Measurement("scripted", (s,) * 4, (1.0,) * 4, s, (s, s), 4)
    v = Verdict("accept", "scripted")
    return search.Tried(cand, "faster" if s > 1.03 else "slower", f"x{s}", v, m)


class NoCache:
    root = None


class Cfg:
    threshold = 0.03


CTX = Context(name="f", source_path="/x.c", cflags=("-O3",), baseline_asm="", key="")


@pytest.mark.parametrize("policy", ["uct", "refine", "best-of-n"])
def test_policies_terminate_and_record_every_candidate(policy, monkeypatch):
    monkeypatch.setattr(search, "_remeasure", lambda *a, **k: Measurement("again", (2,), (1,), 2.0, (2.0, 2.0), 1))
    monkeypatch.setattr(search, "_store", lambda *a: "entry")
    p = Scripted()
    out = search.optimize_function(CTX, [p], budget_s=30, cache=NoCache(), cfg=Cfg(), policy=policy, evaluate=evaluator)
    assert out.status == "accepted"
    assert len(out.tried) == len({t.candidate.asm for t in out.tried})
    if policy == "best-of-n":
        assert all(t.candidate.asm.count("/") == 1 for t in out.tried)
    else:
        assert max(t.candidate.asm.count("/") for t in out.tried) >= 2  # it refined something


def test_refinement_goes_where_the_gain_is(monkeypatch):
    monkeypatch.setattr(
        search,
        "_remeasure",
        lambda ctx, cand, *a, **k: Measurement("again", (speed_of(cand.asm),), (1,), speed_of(cand.asm), (1.2, 1.2), 1),
    )
    monkeypatch.setattr(search, "_store", lambda *a: "entry")
    out = search.optimize_function(
        CTX, [Scripted()], budget_s=30, cache=NoCache(), cfg=Cfg(), policy="uct", evaluate=evaluator
    )
    best = max(out.tried, key=lambda t: t.measurement.speedup)
    assert best.measurement.speedup > 1.05  # found a node two levels down the fast branch
    assert out.speedup == pytest.approx(speed_of(best.candidate.asm))


def test_no_faster_candidate_is_not_accepted():
    def slow(ctx, cand, deadline):
        m = Measurement("scripted", (1.0,) * 4, (1.0,) * 4, 1.0, (0.98, 1.02), 4)
        return search.Tried(cand, "slower", "x1.0", Verdict("accept", "ok"), m)

    out = search.optimize_function(CTX, [Scripted()], budget_s=30, cache=NoCache(), cfg=Cfg(), evaluate=slow)
    assert out.status == "no-faster" and out.entry is None


def test_lucky_winner_is_remeasured_and_dropped(monkeypatch):
    monkeypatch.setattr(search, "_remeasure", lambda *a, **k: Measurement("again", (1,), (1,), 1.0, (0.97, 1.03), 12))
    stored = []
    monkeypatch.setattr(search, "_store", lambda *a: stored.append(a))
    out = search.optimize_function(CTX, [Scripted()], budget_s=30, cache=NoCache(), cfg=Cfg(), evaluate=evaluator)
    assert out.status == "no-faster" and not stored


def test_wrong_candidates_are_rejected_with_reasons():
    def wrong(ctx, cand, deadline):
        return search.Tried(cand, "rejected", "difftest: f(1) returned 2, expected 3", Verdict("reject", "difftest"))

    out = search.optimize_function(CTX, [Scripted()], budget_s=30, cache=NoCache(), cfg=Cfg(), evaluate=wrong)
    assert out.status == "rejected" and "difftest" in out.reason


def test_budget_is_hard():
    import time

    def sleepy(ctx, cand, deadline):
        time.sleep(0.3)
        return search.Tried(
            cand, "slower", "x1.0", Verdict("accept", "ok"), Measurement("s", (1,), (1,), 1.0, (1, 1), 1)
        )

    t0 = time.monotonic()
    search.optimize_function(
        CTX, [Scripted(width=50)], budget_s=3, cache=NoCache(), cfg=Cfg(), evaluate=sleepy, batch=50
    )
    assert time.monotonic() - t0 < 3.5


def test_tree_uct_prefers_unvisited_then_mean():
    t = search.Tree("uct")
    a = t.add(t.root, Candidate("a", "p"), 0)
    b = t.add(t.root, Candidate("b", "p"), 0)
    t.backup(a, 0.2)
    assert t.uct(b, t.root) == float("inf")
    t.backup(b, 0.0)
    assert t.uct(a, t.root) > t.uct(b, t.root)


@pytest.mark.parametrize(
    "program, status",
    [
        (0.91, "no-faster"),  # x2 in the harness, 9% slower running the project's benchmark: not stored
        (1.01, "accepted"),  # a small gain in a whole program confirms it
        (None, "no-faster"),  # the benchmark could not time it (out of time, a failed build): not stored
    ],
)
def test_a_harness_winner_is_confirmed_with_the_bench_command(monkeypatch, program, status):
    from gcc_wrapper.optimize import measure

    monkeypatch.setattr(search, "_remeasure", lambda *a, **k: Measurement("again", (2,), (1,), 2.0, (2.0, 2.0), 1))
    stored = []
    monkeypatch.setattr(search, "_store", lambda ctx, best, m, cache, whole=None: stored.append(whole) or "entry")
    asked = []

    def measure_project(ctx, cand, bench, *, rounds, lock_dir, deadline):
        asked.append((bench, deadline))
        if program is None:
            raise measure.MeasureError("out of time")
        return Measurement(
            f"command cpu-time: {bench}", (1.0,) * 5, (1 / program,) * 5, program, (program - 0.01, program + 0.01), 5
        )

    monkeypatch.setattr(measure, "measure_project", measure_project)
    start = time.monotonic()
    out = search.optimize_function(
        CTX, [Scripted()], budget_s=30, cache=NoCache(), cfg=Cfg(), bench="make run", evaluate=evaluator
    )
    assert out.status == status, out
    assert [b for b, _ in asked] == ["make run"] and asked[0][1] == pytest.approx(start + 30, abs=1)
    if status == "accepted":
        assert stored[0].speedup == 1.01  # the program-level figure is stored with the entry
    else:
        assert not stored and "program level" in out.reason


def test_without_a_bench_command_nothing_is_confirmed(monkeypatch):
    from gcc_wrapper.optimize import measure

    monkeypatch.setattr(search, "_remeasure", lambda *a, **k: Measurement("again", (2,), (1,), 2.0, (2.0, 2.0), 1))
    monkeypatch.setattr(search, "_store", lambda *a: "entry")
    monkeypatch.setattr(measure, "measure_project", lambda *a, **k: pytest.fail("measure_project was called"))
    out = search.optimize_function(CTX, [Scripted()], budget_s=30, cache=NoCache(), cfg=Cfg(), evaluate=evaluator)
    assert out.status == "accepted"


def test_budget_follows_the_profile_share():
    from types import SimpleNamespace

    from gcc_wrapper.optimize.run import budget_for

    cfg = SimpleNamespace(budget=60.0, build_budget=600.0)
    todo = [("hot", "k1"), ("warm", "k2")]
    assert budget_for(todo, None, cfg) == 60.0  # no profile: the file's budget
    assert budget_for(todo, {"hot": 0.6, "warm": 0.27, "cold": 0.1}, cfg) == pytest.approx(522.0)
    assert budget_for(todo, {"hot": 0.05, "warm": 0.01}, cfg) == 60.0  # never less than budget
    assert budget_for(todo, {"hot": 0.9, "warm": 0.9}, cfg) == 600.0  # never more than the build's


def test_a_winner_on_recorded_calls_keeps_time_for_its_re_measurement(monkeypatch):
    """Timing on recorded calls does not start with less than measure.STATES_LEAST seconds left:
    the search stops proposing early enough that its winner's re-measurement can start."""
    from dataclasses import replace

    from gcc_wrapper.optimize import measure

    def remeasure(ctx, cand, cache, rounds, deadline, workdir, program=None):
        left = deadline + 1.0 - time.monotonic()  # what _remeasure gives measure.measure
        if left <= measure.STATES_LEAST:
            return "re-measurement failed: out of time"
        return Measurement("again", (2,), (1,), 2.0, (2.0, 2.0), 1)

    def busy(ctx, cand, deadline):
        time.sleep(0.05)
        return evaluator(ctx, cand, deadline)

    monkeypatch.setattr(search, "_remeasure", remeasure)
    monkeypatch.setattr(search, "_store", lambda *a: "entry")
    ctx = replace(CTX, states="/recorded")
    out = search.optimize_function(
        ctx, [Scripted(width=50)], budget_s=8, cache=NoCache(), cfg=Cfg(), evaluate=busy, batch=50
    )
    assert out.status == "accepted", out.reason


class Recording:
    """A cache that keeps what the search records."""

    root = None

    def __init__(self):
        self.attempts: list[dict] = []

    def record_attempt(self, key, attempt):
        self.attempts.append(attempt)

    def context(self, key):
        return True


def test_a_budget_too_short_to_time_a_candidate_is_no_verdict():
    """Candidates proposed with no time left to verify and time them: the outcome is a timeout
    (run.py queues it), not "no candidate was proposed", which would be recorded and keep every
    later compile from trying the function; and the proposer is not asked again for nothing."""
    from dataclasses import replace

    class Slow(Scripted):
        def propose(self, ctx, feedback, n):
            time.sleep(1.0)  # compiling the variants
            return super().propose(ctx, feedback, n)

    cache = Recording()
    ctx = replace(CTX, states="/recorded", key="k")
    p = Slow(width=3)
    out = search.optimize_function(ctx, [p], budget_s=5.5, cache=cache, cfg=Cfg(), evaluate=evaluator)
    assert out.status == search.Status.TIMEOUT, out
    assert "budget spent" in out.reason
    assert cache.attempts == []
    assert len(p.asked) == 1


def test_a_verified_candidate_the_budget_could_not_time_is_no_verdict(monkeypatch):
    """A correct candidate whose timing ran out of time says nothing about the function: timeout."""

    def late(ctx, cand, deadline):
        v = Verdict("accept", "scripted")
        return search.Tried(cand, search.Result.ERROR, "not measured: out of time", v, out_of_time=True)

    out = search.optimize_function(CTX, [Scripted(width=1)], budget_s=4, cache=NoCache(), cfg=Cfg(), evaluate=late)
    assert out.status == search.Status.TIMEOUT, out
    assert len(out.tried) >= 1


def test_least_budget_covers_one_candidate_and_its_confirmation():
    """What the search keeps back plus what one candidate needs, and a half more when a winner is
    confirmed at program level (optimize_function keeps a third of the budget for that)."""
    from dataclasses import replace

    from gcc_wrapper.optimize import measure

    plain = search.least_budget(replace(CTX, prototype="int f(int);"))
    recorded = search.least_budget(replace(CTX, states="/recorded"))
    judged = search.least_budget(replace(CTX, states="/recorded", workload="/profile.json"))
    assert plain < recorded < judged
    assert recorded >= 2 * measure.STATES_LEAST + 1.5
    assert judged == pytest.approx(recorded * 1.5)
