"""The corpus: real functions with subtly wrong candidates, each rejected by the check meant to
catch it, and correct but different candidates, each accepted.

tests/verify/corpus/<case>/ holds src.c, cand.s (gcc's -O3 output edited by hand, or another gcc
configuration's output) and case.json: function, expected verdict, the check expected to decide
(the last check in the verdict), and what is wrong or different about it."""

from __future__ import annotations

import dataclasses
import json

import pytest
from verify_helpers import CORPUS, case_context, record_case

from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.verify import verify

CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.json").exists())


def test_corpus_size():
    kinds = [json.loads((CORPUS / c / "case.json").read_text())["verdict"] for c in CASES]
    assert kinds.count("reject") >= 30
    assert kinds.count("accept") >= 12


@pytest.mark.parametrize("case", CASES)
def test_case(case, tmp_path):
    d = CORPUS / case
    meta = json.loads((d / "case.json").read_text())
    ctx = case_context(d, meta)
    if "workload" in meta:
        from gcc_wrapper.optimize.states import record

        ctx = dataclasses.replace(ctx, states=record_case(d, meta, tmp_path, record.Limits(states=32)))
    v = verify(ctx, Candidate((d / "cand.s").read_text(), f"corpus:{case}"))
    assert v.verdict == meta["verdict"], f"{case} ({meta['what']}): {v.reason}"
    assert v.checks[-1].name == meta["check"], f"{case}: decided by {v.checks[-1].name}: {v.reason}"
    if meta["verdict"] == "accept" and "workload" in meta:
        assert v.states_tried >= 8
        assert all(c.passed for c in v.checks)
    elif meta["verdict"] == "accept":
        assert v.inputs_tried >= 1000
        assert all(c.passed for c in v.checks)
    elif meta["check"] == "difftest":
        assert v.counterexample.startswith(meta["function"] + "(")
