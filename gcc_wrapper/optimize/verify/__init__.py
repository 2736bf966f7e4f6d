"""Verification: no wrong rewrite reaches a build.

    verify(ctx, cand, *, tests=None, budget=None) -> Verdict

A candidate is accepted only when every applicable check passes and at least one semantic check
actually ran: differential testing against the original (difftest), or the project's own tests
(tests). Checks run cheapest first and stop at the first failure:

    static.*   (static.py)    assembles within the allowed ISA, symbols, sections, instructions,
                              control flow and stack (flow.py), size
    difftest   (difftest.py)  same results, memory, globals and ABI behaviour as the original on
                              1,200 inputs; skipped (not failed) when the prototype is not modelled
    states     (states/replay.py)  the same on every call of the workload `llmcc profile` recorded
                              (ctx.states): registers, every byte written, ABI state; no prototype
                              needed
    coverage   (coverage.py)  a candidate gcc did not write: every basic block ran on a compared
                              input, generated or recorded (no untested code)
    workload   (workload.py)  when nothing above could test it, for gcc's own variants only: the
                              profiled workload's program with the candidate patched in prints,
                              writes and exits as with gcc's version
    tests      (tests.py)     the project's test command passes with the candidate built in
    programs   (tests.py)     the program built with the candidate prints what the original's
                              does and exits the same, on every given stdin file

Verdict "error" means could not verify: bad input, or no semantic check could run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gcc_wrapper.optimize.candidate import Candidate, Check, Context, Verdict

if TYPE_CHECKING:
    from gcc_wrapper.optimize.verify.project_tests import Programs


def verify(
    ctx: Context,
    cand: Candidate,
    *,
    tests: str | None = None,
    budget: float | None = None,
    programs: Programs | None = None,
) -> Verdict:
    from gcc_wrapper.optimize.verify import difftest, static

    start = time.monotonic()
    if not cand.asm.strip():
        return Verdict("error", "the candidate is empty", (Check("static.empty", False, "no text"),))
    workdir = Path(tempfile.mkdtemp(prefix="cand-", dir=static.work_root()))
    try:
        checks, info = static.check_object(ctx, cand, workdir)
        if not checks[-1].passed:
            c = checks[-1]
            return Verdict("reject", f"{c.name}: {c.detail}", tuple(checks))
        assert info is not None
        binding = next(s.bind for s in info.symbols if s.defined and s.name == ctx.name)
        from gcc_wrapper.optimize.verify import coverage

        arming = coverage.Arming(coverage.sites(info.flow), info.flow.entry) if coverage.needed(cand.proposer) else None
        d = difftest.run(ctx, workdir / "cand.o", binding=binding, budget=budget, arming=arming)
        checks.append(d.check)
        if d.ran and not d.check.passed:
            return Verdict("reject", f"difftest: {d.check.detail}", tuple(checks), d.counterexample, d.inputs_tried)
        semantic = ["differential testing"] if d.ran else []
        ran: set = set(d.covered) if d.ran else set()
        replayed = _replay(ctx, workdir / "cand.o", budget, start, arming)
        states_tried = 0
        if replayed is not None:
            checks.append(replayed.check)
            if replayed.ran and not replayed.check.passed:
                return Verdict(
                    "reject",
                    f"states: {replayed.check.detail}",
                    tuple(checks),
                    replayed.counterexample,
                    d.inputs_tried,
                    replayed.states,
                )
            if replayed.ran:
                semantic.append(f"{replayed.states} recorded calls of the workload")
                states_tried = replayed.states
                ran |= replayed.covered
        function_level = d.ran or (replayed is not None and replayed.ran)
        if arming is not None and function_level:
            # every block ran on some compared input: generated inputs and recorded calls together
            c = coverage.check(arming.sites, frozenset(ran), cand.asm, info.flow.blocks, workdir)
            checks.append(c)
            if not c.passed:
                return Verdict("reject", f"coverage: {c.detail}", tuple(checks), "", d.inputs_tried, states_tried)
        if not semantic and ctx.workload and from_gcc(cand):
            # nothing at function level could test it (main, calls with system calls...): the
            # profiled workload, its program patched with gcc's version and with the candidate.
            # Only for what gcc itself produced: one run of one workload says nothing about the code
            # it never reaches, and a model's rewrite must show every block run (coverage), which
            # only the function-level checks measure.
            judged = _workload(ctx, cand)
            checks.append(judged)
            if not judged.passed and not judged.detail.startswith("not run:"):
                return Verdict("reject", f"workload: {judged.detail}", tuple(checks), "", d.inputs_tried)
            if judged.passed and not judged.detail.startswith("not run:"):
                semantic.append("the workload's outputs")
        from gcc_wrapper.optimize.verify import project_tests

        extra = []
        if tests:
            extra.append(
                ("tests", "the project's tests", lambda left: project_tests.run(ctx, cand, tests, timeout=left))
            )
        if programs is not None:
            extra.append(
                (
                    "programs",
                    "the program comparison",
                    lambda left: project_tests.run_programs(ctx, cand, programs, timeout=left),
                )
            )
        for name, what, run in extra:
            left = None if budget is None else max(10.0, budget - (time.monotonic() - start))
            try:
                t = run(left)
            except project_tests.TestsUnavailable as e:
                checks.append(Check(f"{name}.skipped", True, f"not run: {e}"))
                continue
            checks.append(t)
            if not t.passed:
                return Verdict("reject", f"{name}: {t.detail}", tuple(checks), "", d.inputs_tried, states_tried)
            semantic.append(what)
        if not semantic:
            why = d.check.detail.removeprefix("not testable this way: ")
            states = (
                f"; {replayed.check.detail}"
                if replayed is not None
                else "; no recorded states (`llmcc profile -- CMD` records the workload's calls)"
            )
            others = "the project tests could not run" if extra else "no project tests were given"
            unjudged = [c.detail.removeprefix("not run: ") for c in checks if c.name == "workload"]
            if unjudged:  # the workload was there but could not judge it: say why
                others += f"; the workload could not judge it: {unjudged[0]}"
            return Verdict(
                "error",
                f"could not verify: not testable by differential testing ({why}{states}) and {others}",
                tuple(checks),
            )
        if arming is not None and not function_level:
            # the project's tests or programs passed, but nothing shows which of the candidate's
            # code they ran: a rewrite gcc did not write is not accepted on that alone
            why = d.check.detail.removeprefix("not testable this way: ")
            c = coverage.check(
                arming.sites,
                frozenset(),
                cand.asm,
                info.flow.blocks,
                workdir,
                f"differential testing could not run ({why})",
            )
            checks.append(c)
            return Verdict("error", f"could not verify: {' and '.join(semantic)} passed, but {c.detail}", tuple(checks))
        return Verdict(
            "accept",
            f"passed the static checks and {' and '.join(semantic)}",
            tuple(checks),
            "",
            d.inputs_tried,
            states_tried,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def from_gcc(cand: Candidate) -> bool:
    """Whether gcc itself produced the candidate (the embedded proposer's variants): trusted to be
    a compilation of the source, so that what remains to check is only what it does."""
    return cand.proposer.startswith("embedded")


def _workload(ctx: Context, cand: Candidate) -> Check:
    from gcc_wrapper.optimize import workload

    try:
        return workload.judge(ctx).compare(cand.asm)
    except workload.JudgeError as e:
        return Check("workload", True, f"not run: {e}")


def _replay(ctx: Context, cand_obj: Path, budget: float | None, start: float, arming=None):
    """The candidate on the workload's recorded calls (states/replay.py), when there are any;
    with `arming`, which of its blocks ran (coverage)."""
    if not ctx.states:
        return None
    from gcc_wrapper.optimize.states import replay, store

    try:
        rec = store.load(ctx.states)
    except store.StoreError as e:
        return replay.Outcome(False, Check("states", True, f"not replayable: {e}"))
    left = None if budget is None else max(10.0, budget - (time.monotonic() - start))
    return replay.check(ctx, cand_obj, rec, budget=left, arming=arming)
