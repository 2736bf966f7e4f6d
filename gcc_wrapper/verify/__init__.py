"""Verification: no wrong rewrite reaches a build.

    verify(ctx, cand, *, tests=None, budget=None) -> Verdict

A candidate is accepted only when every applicable check passes and at least one semantic check
actually ran: differential testing against the original (difftest), or the project's own tests
(tests). Checks run cheapest first and stop at the first failure:

    static.*   (static.py)    assembles within the allowed ISA, symbols, sections, instructions,
                              stack, size
    difftest   (difftest.py)  same results, memory, globals and ABI behaviour as the original on
                              1,200 inputs; skipped (not failed) when the prototype is not modelled
    tests      (tests.py)     the project's test command passes with the candidate built in

Verdict "error" means could not verify: bad input, or no semantic check could run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from gcc_wrapper.candidate import Candidate, Check, Context, Verdict


def verify(ctx: Context, cand: Candidate, *, tests: str | None = None, budget: float | None = None) -> Verdict:
    from gcc_wrapper.verify import difftest, static

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
        d = difftest.run(ctx, workdir / "cand.o", binding=binding, budget=budget)
        checks.append(d.check)
        if d.ran and not d.check.passed:
            return Verdict("reject", f"difftest: {d.check.detail}", tuple(checks), d.counterexample, d.inputs_tried)
        tests_ran = False
        if tests:
            from gcc_wrapper.verify import tests as project_tests

            left = None if budget is None else max(10.0, budget - (time.monotonic() - start))
            try:
                t = project_tests.run(ctx, cand, tests, timeout=left)
            except project_tests.TestsUnavailable as e:
                checks.append(Check("tests.skipped", True, f"not run: {e}"))
            else:
                checks.append(t)
                tests_ran = True
                if not t.passed:
                    return Verdict("reject", f"tests: {t.detail}", tuple(checks), "", d.inputs_tried)
        if not d.ran and not tests_ran:
            why = d.check.detail.removeprefix("not testable this way: ")
            return Verdict("error", f"could not verify: not testable by differential testing ({why}) and "
                           f"{'the project tests could not run' if tests else 'no project tests were given'}", tuple(checks))
        what = " and ".join(n for n, ran in (("differential testing", d.ran), ("the project's tests", tests_ran)) if ran)
        return Verdict("accept", f"passed the static checks and {what}", tuple(checks), "", d.inputs_tried)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
