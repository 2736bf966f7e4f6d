"""The search: which proposals to verify and measure, within a hard time budget.

The tree's root is gcc's baseline; a node is a verified-or-not candidate; expanding a node asks a
proposer for children of it (the proposer sees the path from the root as feedback: the last item
is the node being refined, with its verdict or measured speed). Three policies:

  best-of-n -- only the root is expanded: N independent proposals
  refine    -- always expand the best node so far (iterative refinement on measured speed)
  uct       -- Monte-Carlo tree search: descend from the root by UCT (mean reward + C*sqrt(ln N/n)),
               expand where measured gains are, back the reward up the path (as in LLM-guided MCTS
               for compilers). The default.

A node's reward is its measured speedup over the baseline minus one, when that is at least half
the threshold (noise-level gains are not worth refining), else zero; a rejected or unmeasurable
candidate scores zero. Every candidate tried is recorded in the cache
(cache.record_attempt) with its outcome and reason. Because the best of many noisy measurements
is biased upward, the winner is measured again, with more rounds, before it is accepted; only a
candidate faster by cfg.threshold in that second measurement is stored as a rewrite.

Tree and policies are plain data structures (no gcc, no I/O), tested on their own.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Callable, Sequence

from gcc_wrapper.optimize.candidate import Candidate, Context, Feedback, Measurement, Verdict

UCT_C = 0.5  # exploration constant; rewards are speedup-1, typically 0..0.5
# The program-level timer that is not a command: the workload `llmcc profile` ran (workload.py)
WORKLOAD = "@workload"


@dataclass
class Node:
    candidate: Candidate | None  # None at the root (gcc's baseline)
    parent: "Node | None" = None
    proposer: int = 0  # index of the proposer that made it (children are asked of the same one)
    children: list["Node"] = field(default_factory=list)
    visits: int = 0
    total: float = 0.0
    reward: float = 0.0  # its own
    exhausted: bool = False  # the proposer has nothing more below it
    feedback: Feedback | None = None

    @property
    def mean(self) -> float:
        return self.total / self.visits if self.visits else 0.0

    def path(self) -> list["Node"]:
        out, n = [], self
        while n is not None:
            out.append(n)
            n = n.parent
        return out[::-1]


class Tree:
    def __init__(self, policy: str = "uct", *, c: float = UCT_C, max_children: int = 6):
        if policy not in ("uct", "best-of-n", "refine"):
            raise ValueError(f"unknown search policy {policy!r}")
        self.policy = policy
        self.c = c
        self.max_children = max_children
        self.root = Node(None)
        self.nodes: list[Node] = [self.root]

    def expandable(self, n: Node) -> bool:
        if n.exhausted:
            return False
        if n is self.root:
            return True
        return n.reward > 0 and len(n.children) < self.max_children

    def select(self) -> Node | None:
        """The node to expand next, or None when nothing is left to expand."""
        if self.policy == "best-of-n":
            return self.root if self.expandable(self.root) else None
        if self.policy == "refine":
            live = [n for n in self.nodes if self.expandable(n)]
            if not live:
                return None
            return max(live, key=lambda n: (n.reward, -len(n.children), n is self.root))
        node = self.root
        while True:
            kids = [k for k in node.children if self._alive(k)]
            if self.expandable(node) and (len(node.children) < self.max_children or not kids):
                # progressive widening: keep expanding a node while it has few children
                if not kids or len(node.children) < 1 + int(math.sqrt(node.visits)):
                    return node
            if not kids:
                return node if self.expandable(node) else None
            node = max(kids, key=lambda k: self.uct(k, node))

    def _alive(self, n: Node) -> bool:
        return self.expandable(n) or any(self._alive(k) for k in n.children)

    def uct(self, n: Node, parent: Node) -> float:
        if n.visits == 0:
            return math.inf
        return n.mean + self.c * math.sqrt(math.log(max(parent.visits, 1)) / n.visits)

    def add(self, parent: Node, cand: Candidate, proposer: int) -> Node:
        n = Node(cand, parent=parent, proposer=proposer)
        parent.children.append(n)
        self.nodes.append(n)
        return n

    def backup(self, n: Node, reward: float) -> None:
        n.reward = reward
        m: Node | None = n
        while m is not None:
            m.visits += 1
            m.total += reward
            m = m.parent

    def feedback_path(self, n: Node) -> list[Feedback]:
        return [m.feedback for m in n.path() if m.feedback is not None]


class Result(StrEnum):
    """What became of one candidate (the attempt records keep the value)."""

    ACCEPTED = "accepted"  # stored
    FASTER = "faster"  # correct and faster: a contender until the winner is known
    SLOWER = "slower"  # correct, not faster (or lost to another, or not confirmed)
    REJECTED = "rejected"  # wrong
    ERROR = "error"  # could not be verified or measured (the reason says why)
    UNMEASURABLE = "unmeasurable"  # correct, but nothing can time this function


class Status(StrEnum):
    """What the search did for one function."""

    ACCEPTED = "accepted"
    NO_FASTER = "no-faster"
    REJECTED = "rejected"  # every candidate was wrong
    UNVERIFIABLE = "unverifiable"  # the verifier cannot check this function: queue it for the project's tests
    UNMEASURABLE = "unmeasurable"  # nothing can time it
    NOTHING = "nothing"  # no candidates
    TIMEOUT = "timeout"  # budget gone before any result


@dataclass(frozen=True)
class Tried:
    """One candidate and what became of it."""

    candidate: Candidate
    outcome: Result
    reason: str
    verdict: Verdict | None = None
    measurement: Measurement | None = None
    out_of_time: bool = False  # verified, but the budget ended before it could be timed


@dataclass(frozen=True)
class Outcome:
    """What the search did for one function (status: see Status)."""

    name: str
    status: Status
    reason: str = ""
    speedup: float | None = None
    proposer: str = ""
    tried: tuple[Tried, ...] = ()
    seconds: float = 0.0
    entry: Any = None  # cache.entry.Entry when accepted

    def line(self) -> str:
        if self.status is Status.ACCEPTED:
            return f"{self.name}: accepted x{self.speedup:.2f} ({self.proposer}, {len(self.tried)} tried)"
        if self.status is Status.NO_FASTER:
            return f"{self.name}: no faster candidate ({len(self.tried)} tried)"
        return f"{self.name}: {self.status}: {self.reason}" if self.reason else f"{self.name}: {self.status}"


Evaluator = Callable[[Context, Candidate, float], Tried]


def optimize_function(
    ctx: Context,
    proposers: Sequence[Any],
    *,
    budget_s: float,
    cache: Any,
    cfg: Any,
    tests: str | None = None,
    bench: str | None = None,
    policy: str = "uct",
    batch: int = 3,
    rounds: int = 8,
    remeasure_rounds: int = 10,
    evaluate: Evaluator | None = None,
) -> Outcome:
    """Search for a faster correct version of ctx.name; store it in the cache if one is found.
    budget_s is hard: no step starts after the deadline (but the winner's re-measurement, which has
    the time the slowest measurement took), and child processes get the time left."""
    start = time.monotonic()
    deadline = start + budget_s
    threshold = float(getattr(cfg, "threshold", 0.03))
    # the prototype check is cheap and saves compiling variants for nothing; without a harness,
    # the program level is the only way to time candidates
    whole = _program_level(ctx, bench)
    harness = True
    if not ctx.states and not ctx.prototype and ctx.workload:
        harness = False  # a context made for the workload alone (no prototype, no recorded calls)
    elif ctx.prototype and not ctx.states:  # recorded calls are timed by replaying them, whatever the prototype
        from gcc_wrapper.optimize import measure

        try:
            measure.parse_prototype(ctx.prototype, ctx.name)
        except measure.MeasureError as e:
            if not whole:
                # recorded, so a compile does not try it again (it is queued for a program-level run)
                _record(cache, ctx, Tried(Candidate("", _names(proposers)), Result.UNMEASURABLE, str(e)))
                return Outcome(ctx.name, Status.UNMEASURABLE, str(e), seconds=time.monotonic() - start)
            harness = False
    import shutil
    import tempfile

    # A winner timed by the function harness is confirmed with the project's benchmark command when
    # there is one: a gain in the harness must not be a loss in the program (code placement, the
    # cache the rest of the program uses). The search keeps a third of the budget for that.
    # With no benchmark command, the workload is the judge: no rewrite is stored that makes it
    # slower beyond its measured noise.
    confirm = None
    if harness and whole:
        confirm = (whole, deadline)
        deadline = start + budget_s * 2 / 3
    workdir = Path(tempfile.mkdtemp(prefix="llmcc-search-"))  # harnesses, kept for the re-measurement
    try:
        program = None if harness else whole
        run = _Run(ctx, cache, threshold, start, deadline, remeasure_rounds, workdir, program, confirm)
        return _search(
            run, proposers, policy, batch, evaluate or _evaluator(cache, tests, rounds, threshold, workdir, program)
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass(frozen=True)
class _Run:
    """What one search of one function is given and keeps to its end."""

    ctx: Context
    cache: Any
    threshold: float
    start: float  # time.monotonic() at the start
    deadline: float  # no step starts after it (but the winner's re-measurement)
    remeasure_rounds: int
    workdir: Path  # the harnesses, kept for the re-measurement
    program: str | None  # the program-level command candidates are timed with, when no harness can
    confirm: tuple[str, float] | None  # (command, deadline) a harness winner is confirmed with

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def _search(run: _Run, proposers: Sequence[Any], policy: str, batch: int, evaluate: Evaluator) -> Outcome:
    ctx, cache, deadline = run.ctx, run.cache, run.deadline
    for p in proposers:
        if hasattr(p, "deadline"):
            # no compile for a candidate that could not be verified and timed any more
            p.deadline = deadline - _reserve(ctx) - _least_left(ctx)
    tree = Tree(policy)
    tried: list[Tried] = []
    # seconds reserved for re-measuring the winner: what timing it took, at the least _reserve
    slowest_measure = _reserve(ctx)
    starved = False  # candidates were proposed that there was no time left to verify and time
    unverifiable = ""
    done_at_root: set[int] = set()  # proposers with nothing more to offer at the root
    turn = 0
    while time.monotonic() < deadline - slowest_measure:
        node = tree.select()
        if node is None:
            break
        if node.candidate is None:
            live = [i for i in range(len(proposers)) if i not in done_at_root]
            pidx = live[turn % len(live)]
            turn += 1
        else:
            pidx = node.proposer
        try:
            cands = proposers[pidx].propose(ctx, tree.feedback_path(node), batch)
        except Exception as e:  # noqa: BLE001 - a broken proposer is one proposer's problem
            cands = []
            _record(cache, ctx, Tried(Candidate("", proposers[pidx].name), Result.ERROR, f"proposer failed: {e}"))
        if not cands:
            if node.candidate is None:
                done_at_root.add(pidx)
                node.exhausted = len(done_at_root) == len(proposers)
            else:
                node.exhausted = True
            continue
        for cand in cands:
            # the time reserved for re-measuring the winner is not a candidate's to take
            left = deadline - slowest_measure - time.monotonic()
            if left <= _least_left(ctx):
                starved = True  # too late to verify and then time it
                break
            t0 = time.monotonic()
            t = evaluate(ctx, cand, deadline - slowest_measure)
            if t.measurement is not None:
                slowest_measure = max(slowest_measure, (time.monotonic() - t0) * 1.2)
            tried.append(t)
            if t.outcome is not Result.FASTER:  # the faster ones are recorded when the winner is known
                _record(cache, ctx, t)
            child = tree.add(node, cand, pidx)
            child.feedback = Feedback(cand, t.verdict, t.measurement, note=f"{t.outcome}: {t.reason}")
            # noise-level gains earn nothing: only a node at least half the threshold faster is refined
            gain = t.measurement.speedup - 1.0 if t.measurement is not None else 0.0
            reward = gain if gain >= run.threshold / 2 else 0.0
            if t.verdict is not None and t.verdict.verdict == "error":
                unverifiable = t.verdict.reason
            tree.backup(child, reward)
            if t.outcome is Result.UNMEASURABLE:
                return Outcome(ctx.name, Status.UNMEASURABLE, t.reason, tried=tuple(tried), seconds=run.elapsed())
        if starved:
            break  # proposing more that cannot be timed is time spent for nothing
        if unverifiable and not any(t.verdict is not None and t.verdict.accepted for t in tried):
            return Outcome(ctx.name, Status.UNVERIFIABLE, unverifiable, tried=tuple(tried), seconds=run.elapsed())
    # a proposer that could not be asked (the model's server down) is not an answer of "nothing"
    present = all(getattr(p, "available", True) for p in proposers)
    return _conclude(run, tried, _names(proposers) if present else "", slowest_measure, starved)


def _program_level(ctx: Context, bench: str | None) -> str | None:
    """The program-level command: the project's benchmark command when there is one, else the
    workload the profile recorded (its program patched with the candidate: no rebuild needed)."""
    return bench or (WORKLOAD if ctx.workload else None)


def _reserve(ctx: Context) -> float:
    """Seconds kept back for re-measuring a winner: never less than a timing run on recorded calls
    needs to start (without it a winner found late is lost)."""
    from gcc_wrapper.optimize.measure import STATES_LEAST

    return STATES_LEAST + 1.0 if ctx.states else 2.0


def _least_left(ctx: Context) -> float:
    """Seconds a candidate must have left (after the reserve) to be verified and timed."""
    from gcc_wrapper.optimize.measure import STATES_LEAST

    return STATES_LEAST + 0.5 if ctx.states else 0.5


# what proposing and verifying a first candidate takes at the least (a few compiles, the checks)
FIRST_CANDIDATE_S = 2.0


def least_budget(ctx: Context, bench: str | None = None) -> float:
    """The least budget in which a search of ctx can propose, verify and time one candidate and
    re-measure it (and keep optimize_function's third for the program-level confirmation): a
    smaller budget is spent without a single candidate timed, so the caller should give the
    function this much or none."""
    one = _reserve(ctx) + _least_left(ctx) + FIRST_CANDIDATE_S
    # as optimize_function decides: a winner timed by a harness is confirmed at program level
    confirmed = bool(_program_level(ctx, bench)) and bool(ctx.states or ctx.prototype)
    return one * 1.5 if confirmed else one


def _names(proposers: Sequence[Any]) -> str:
    return ",".join(str(getattr(p, "name", "?")) for p in proposers)


def _conclude(run: _Run, tried: list[Tried], proposers_name: str, reserve: float, starved: bool) -> Outcome:
    """The search's outcome from what it tried: the winner re-measured (and confirmed) and stored,
    or why there is none."""
    ctx, cache, threshold, deadline = run.ctx, run.cache, run.threshold, run.deadline
    elapsed = run.elapsed
    if not tried:
        if starved or time.monotonic() >= deadline - 0.5:
            # not "nothing to propose": recorded as that, a compile would never try it again
            why = "budget spent before a candidate could be verified and timed"
            return Outcome(ctx.name, Status.TIMEOUT, f"{why} ({deadline - run.start:.1f} s)", seconds=elapsed())
        if proposers_name:  # every proposer was there and had nothing: recorded, not asked again by a compile
            _record(cache, ctx, Tried(Candidate("", proposers_name), Result.ERROR, "no candidate was proposed"))
        return Outcome(ctx.name, Status.NOTHING, "no candidate was proposed", seconds=elapsed())
    faster = [t for t in tried if t.measurement is not None and t.measurement.faster_by(threshold)]
    if all(t.measurement is None for t in tried) and any(t.out_of_time for t in tried):
        # correct as far as it was checked, and never timed: the budget was too short, which is
        # no verdict on the function (run.py queues it for `llmcc optimize`)
        why = "budget spent before a verified candidate could be timed"
        return Outcome(
            ctx.name, Status.TIMEOUT, f"{why} ({deadline - run.start:.1f} s)", tried=tuple(tried), seconds=elapsed()
        )
    if not faster:
        if not any(t.verdict is not None and t.verdict.accepted for t in tried):
            reasons = sorted({t.reason for t in tried})
            return Outcome(ctx.name, Status.REJECTED, "; ".join(reasons)[:300], tried=tuple(tried), seconds=elapsed())
        return Outcome(ctx.name, Status.NO_FASTER, tried=tuple(tried), seconds=elapsed())
    best = max(faster, key=lambda t: t.measurement.speedup)
    for t in faster:
        if t is not best:
            _record(
                cache,
                ctx,
                Tried(
                    t.candidate,
                    Result.SLOWER,
                    f"{t.reason}, but another candidate was faster",
                    t.verdict,
                    t.measurement,
                ),
            )
    # the winner of several noisy races is biased upward: race it again before believing it. That
    # race is owed whatever the last candidate's verification took: it has at least the time
    # the slowest measurement took (the one step allowed past the deadline)
    again = _remeasure(
        ctx,
        best.candidate,
        cache,
        run.remeasure_rounds,
        max(deadline, time.monotonic() + reserve),
        run.workdir,
        run.program,
    )
    if isinstance(again, str) or not again.faster_by(threshold):
        reason = (
            again
            if isinstance(again, str)
            else f"re-measured x{again.speedup:.3f} (spread {again.spread[0]:.3f}-{again.spread[1]:.3f})"
        )
        t = Tried(
            best.candidate,
            Result.SLOWER,
            f"not faster on re-measurement: {reason}",
            best.verdict,
            again if not isinstance(again, str) else None,
        )
        _record(cache, ctx, t)
        return Outcome(ctx.name, Status.NO_FASTER, reason, tried=tuple(tried), seconds=elapsed())
    note, whole = "", None
    if run.confirm:
        whole = _confirm(ctx, best.candidate, cache, run.confirm, run.remeasure_rounds, threshold)
        if isinstance(whole, str):
            reason = f"x{again.speedup:.3f} in the function harness, not confirmed at program level: {whole}"
            _record(cache, ctx, Tried(best.candidate, Result.SLOWER, reason, best.verdict, again))
            return Outcome(ctx.name, Status.NO_FASTER, reason, tried=tuple(tried), seconds=elapsed())
        note = f"; program level x{whole.speedup:.3f} (spread {whole.spread[0]:.3f}-{whole.spread[1]:.3f})"
    entry = _store(ctx, best, again, cache, whole)
    _record(cache, ctx, Tried(best.candidate, Result.ACCEPTED, f"x{again.speedup:.3f}{note}", best.verdict, again))
    return Outcome(
        ctx.name,
        Status.ACCEPTED,
        speedup=again.speedup,
        proposer=best.candidate.proposer,
        tried=tuple(tried),
        seconds=elapsed(),
        entry=entry,
    )


def _confirm(ctx, cand, cache, confirm: tuple[str, float], rounds: int, threshold: float) -> Measurement | str:
    """The winner timed with the project's benchmark command (measure.measure_project) by the
    deadline; the Measurement when the program is not slower by the threshold, else why not."""
    from gcc_wrapper.optimize import measure

    bench, deadline = confirm
    try:
        m = program_level(ctx, cand, bench, rounds=max(5, rounds // 2), lock_dir=cache.root, deadline=deadline)
    except (measure.MeasureError, _judge_error()) as e:
        return f"{_what(ctx, bench)} could not time it: {e}"
    floor = threshold
    if bench == WORKLOAD:
        from gcc_wrapper.optimize import workload

        floor = max(0.005, workload.noise_of(m))  # the workload's own noise, measured in the same runs
    if m.speedup < 1 - floor:
        return f"x{m.speedup:.3f} (spread {m.spread[0]:.3f}-{m.spread[1]:.3f}) running {_what(ctx, bench)}"
    return m


def _judge_error():
    from gcc_wrapper.optimize.workload import JudgeError

    return JudgeError


def _what(ctx: Context, bench: str) -> str:
    if bench != WORKLOAD:
        return f"`{bench}`"
    from gcc_wrapper.optimize import workload

    w = workload.load(ctx.workload)
    return f"the workload `{' '.join(w.command)}`" if w else "the workload"


def program_level(
    ctx: Context, cand: Candidate, bench: str, *, rounds: int, lock_dir: Path, deadline: float | None
) -> Measurement:
    """The whole program timed with the candidate against gcc's version: the project's benchmark
    command in two builds (measure.measure_project), or the profiled workload's program patched
    (workload.Judge)."""
    from gcc_wrapper.optimize import measure

    if bench == WORKLOAD:
        from gcc_wrapper.optimize import workload

        return workload.judge(ctx).time(cand.asm, rounds, Path(lock_dir), deadline)
    return measure.measure_project(ctx, cand, bench, rounds=rounds, lock_dir=lock_dir, deadline=deadline)


def _remeasure(ctx, cand, cache, rounds, deadline, workdir, program=None) -> Measurement | str:
    from gcc_wrapper.optimize import measure

    try:
        if program:
            return program_level(
                ctx, cand, program, rounds=max(5, rounds // 2), lock_dir=cache.root, deadline=deadline + 1.0
            )
        return measure.measure(ctx, cand, rounds=rounds, lock_dir=cache.root, deadline=deadline + 1.0, workdir=workdir)
    except (measure.MeasureError, _judge_error()) as e:
        return f"re-measurement failed: {e}"


def _store(ctx: Context, best: Tried, m: Measurement, cache, program: Measurement | None = None) -> Any:
    """Put the winner in the cache with its measurement (and, when it was confirmed with the
    project's benchmark command, that measurement under "program")."""
    from cache.entry import Entry

    from gcc_wrapper import __version__ as version

    verification = best.verdict.to_json() if best.verdict is not None else {}
    entry = Entry(
        key=ctx.key,
        function=ctx.name,
        source=ctx.source_path,
        asm=best.candidate.asm,
        baseline_asm=ctx.baseline_asm,
        proposer=best.candidate.proposer,
        verification=verification,
        measurement=m.to_json() | ({"program": program.to_json()} if program is not None else {}),
        created=time.time(),
        llmcc_version=version,
    )
    cache.put_function(entry)
    _bump(cache, "rewrite.accepted")
    return entry


def _record(cache, ctx: Context, t: Tried) -> None:
    """Log one tried candidate under the function's key and count it, once: rewrite.rejected.<why>
    or rewrite.slower (rewrite.accepted is counted when the entry is stored)."""
    if cache is None or not ctx.key:
        return
    attempt = {
        "proposer": t.candidate.proposer,
        "id": t.candidate.id if t.candidate.asm else "",
        "outcome": str(t.outcome),
        "reason": t.reason,
        "speedup": t.measurement.speedup if t.measurement is not None else None,
        # how it was timed, and on which inputs (recorded from the workload or generated)
        "method": t.measurement.method if t.measurement is not None else None,
        "function": ctx.name,
        "source": ctx.source_path,
        "time": time.time(),
        # for `llmcc cache export --format training`: the candidate and the evidence on it
        "asm": t.candidate.asm,
        "verification": t.verdict.to_json() if t.verdict is not None else None,
    }
    try:
        cache.record_attempt(ctx.key, attempt)
        if t.candidate.asm and not cache.context(ctx.key):
            cache.record_context(ctx.key, _context(ctx))
        if t.outcome is Result.REJECTED:
            from cache.stats import counter_name

            _bump(cache, f"rewrite.rejected.{counter_name(t.reason.split(':')[0])}")
        elif t.outcome is Result.SLOWER:
            _bump(cache, "rewrite.slower")
    except Exception:  # noqa: BLE001 - the record is best effort; the search goes on
        pass


def _context(ctx: Context) -> dict[str, Any]:
    """What the function's attempts were made from, for the training export: its C text (from
    the source, when no proposer needed it yet), gcc's assembly, the flags."""
    c_source = ctx.c_source
    if not c_source and ctx.source_path:
        from gcc_wrapper.optimize import source

        try:
            c_source = source.function_source(ctx.source_path, ctx.name, list(ctx.cflags), cwd=ctx.cwd or None) or ""
        except Exception:  # noqa: BLE001 - C the parser cannot read: the examples go without it
            c_source = ""
    return {
        "function": ctx.name,
        "source": ctx.source_path,
        "c_source": c_source,
        "prototype": ctx.prototype,
        "baseline_asm": ctx.baseline_asm,
        "cflags": list(ctx.cflags),
        "isa": ctx.isa,
        "compiler": ctx.compiler,
    }


_bump_lock = threading.Lock()


def _bump(cache, counter: str) -> None:
    # `llmcc optimize --jobs N` searches from several threads with one Cache, whose counters are
    # plain dictionaries
    with _bump_lock:
        cache.bump(counter)


def _evaluator(
    cache, tests: str | None, rounds: int, threshold: float, workdir: Path, bench: str | None = None
) -> Evaluator:
    """Verify, then measure: with the function harness, or at program level with `bench`."""

    def evaluate(ctx: Context, cand: Candidate, deadline: float) -> Tried:
        from gcc_wrapper.optimize import measure, verify

        if cand.meta.get("error"):
            return Tried(cand, Result.REJECTED, f"unusable proposal: {cand.meta['error']}")
        left = deadline - time.monotonic()
        try:
            verdict = verify.verify(ctx, cand, tests=tests, budget=max(0.5, left))
        except Exception as e:  # noqa: BLE001 - a verifier crash rejects, it never accepts
            return Tried(cand, Result.ERROR, f"verifier failed: {type(e).__name__}: {e}")
        if not verdict.accepted:
            outcome = Result.ERROR if verdict.verdict == "error" else Result.REJECTED
            return Tried(cand, outcome, verdict.reason, verdict)
        try:
            if bench:
                m = program_level(
                    ctx, cand, bench, rounds=3 if bench == WORKLOAD else 5, lock_dir=cache.root, deadline=deadline
                )
            else:
                m = measure.measure(ctx, cand, rounds=rounds, lock_dir=cache.root, deadline=deadline, workdir=workdir)
        except measure.BaselineUnmeasurable as e:
            return Tried(cand, Result.UNMEASURABLE, str(e), verdict)
        except (measure.MeasureError, _judge_error()) as e:
            late = isinstance(e, measure.OutOfTime) or time.monotonic() >= deadline - 0.5
            return Tried(cand, Result.ERROR, f"not measured: {e}", verdict, out_of_time=late)
        outcome = Result.FASTER if m.faster_by(threshold) else Result.SLOWER
        return Tried(cand, outcome, f"x{m.speedup:.3f} (spread {m.spread[0]:.3f}-{m.spread[1]:.3f})", verdict, m)

    return evaluate
