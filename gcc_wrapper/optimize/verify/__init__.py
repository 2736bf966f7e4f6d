"""Verification: no wrong rewrite reaches a build.

    verify(ctx, cand, *, tests=None, budget=None) -> Verdict

A candidate is accepted only when every applicable check passes and at least one semantic check
actually ran: differential testing against the original (difftest), or the project's own tests
(tests). Checks run cheapest first and stop at the first failure:

    static.*   (static.py)    assembles within the allowed ISA, symbols, sections, instructions,
                              control flow and stack (flow.py), size
    difftest   (difftest.py)  same results, memory, globals and ABI behaviour as the original on
                              1,200 inputs; skipped (not failed) when the prototype is not modelled
    coverage   (coverage.py)  a candidate gcc did not write: every basic block ran on a compared
                              input (no untested code)
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


def verify(ctx: Context, cand: Candidate, *, tests: str | None = None, budget: float | None = None,
           programs: Programs | None = None) -> Verdict:
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
        if arming is not None and d.ran:
            c = coverage.check(arming.sites, d.covered, cand.asm, info.flow.blocks, workdir)
            checks.append(c)
            if not c.passed:
                return Verdict("reject", f"coverage: {c.detail}", tuple(checks), "", d.inputs_tried)
        semantic = ["differential testing"] if d.ran else []
        from gcc_wrapper.optimize.verify import project_tests

        extra = []
        if tests:
            extra.append(("tests", "the project's tests", lambda left: project_tests.run(ctx, cand, tests, timeout=left)))
        if programs is not None:
            extra.append(("programs", "the program comparison", lambda left: project_tests.run_programs(ctx, cand, programs, timeout=left)))
        for name, what, run in extra:
            left = None if budget is None else max(10.0, budget - (time.monotonic() - start))
            try:
                t = run(left)
            except project_tests.TestsUnavailable as e:
                checks.append(Check(f"{name}.skipped", True, f"not run: {e}"))
                continue
            checks.append(t)
            if not t.passed:
                return Verdict("reject", f"{name}: {t.detail}", tuple(checks), "", d.inputs_tried)
            semantic.append(what)
        if not semantic:
            why = d.check.detail.removeprefix("not testable this way: ")
            others = "the project tests could not run" if extra else "no project tests were given"
            return Verdict("error", f"could not verify: not testable by differential testing ({why}) and {others}", tuple(checks))
        if arming is not None and not d.ran:
            # the project's tests or programs passed, but nothing shows which of the candidate's
            # code they ran: a rewrite gcc did not write is not accepted on that alone
            why = d.check.detail.removeprefix("not testable this way: ")
            c = coverage.check(arming.sites, frozenset(), cand.asm, info.flow.blocks, workdir, f"differential testing could not run ({why})")
            checks.append(c)
            return Verdict("error", f"could not verify: {' and '.join(semantic)} passed, but {c.detail}", tuple(checks))
        return Verdict("accept", f"passed the static checks and {' and '.join(semantic)}", tuple(checks), "", d.inputs_tried)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
