"""Verification rate: candidates verified per minute on this machine, and inputs per candidate.

Runs every case of tests/verify/corpus through verify() in one process, ROUNDS times:
  cold  the first round, with a private, empty work directory: each function's prototype, harness
        build, inputs and self-test are paid by its first candidate;
  warm  later rounds: the optimizer's situation, where a function sees many candidates.
Reports candidates per minute (wall), the median and spread of seconds per candidate, the inputs
tried per accepted candidate, and how many wrong candidates were caught / correct ones accepted.
The corpus's recorded-state cases run on 100 recorded calls of their function (their program is
built and recorded first, not timed); their rate is also reported on its own ("states").

    .venv/bin/python bench/verify_rate.py [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "verify"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    # a private work directory: the first round is really cold
    os.environ["TMPDIR"] = tempfile.mkdtemp(prefix="llmcc-bench-verify-")
    tempfile.tempdir = None

    from verify_helpers import CORPUS, case_context, record_case

    from gcc_wrapper.optimize.candidate import Candidate
    from gcc_wrapper.optimize.verify import verify

    import dataclasses

    from gcc_wrapper.optimize.states import record

    recordings: dict[tuple, str] = {}

    def recorded(d: Path, meta: dict) -> str:
        key = ((d / "src.c").read_text(), (d / "main.c").read_text(), tuple(meta["workload"]["args"]), meta["function"])
        if key not in recordings:
            # 100 calls in one burst: how many windows a short workload lasts must not decide it
            limits = record.Limits(states=100, burst=100)
            recordings[key] = record_case(d, meta, Path(tempfile.mkdtemp(prefix="llmcc-bench-states-")), limits)
        return recordings[key]

    cases = []
    for d in sorted(p for p in CORPUS.iterdir() if (p / "case.json").exists()):
        meta = json.loads((d / "case.json").read_text())
        ctx = case_context(d, meta)
        if "workload" in meta:
            ctx = dataclasses.replace(ctx, states=recorded(d, meta))
        cases.append((d.name, meta, ctx, Candidate((d / "cand.s").read_text(), "bench")))

    rounds = []
    for r in range(a.rounds):
        times, inputs, right, states_times, states_tried = [], [], 0, [], []
        start = time.monotonic()
        for name, meta, ctx, cand in cases:
            t = time.monotonic()
            v = verify(ctx, cand)
            times.append(time.monotonic() - t)
            if ctx.states:
                states_times.append(times[-1])
                states_tried.append(v.states_tried)
            right += v.verdict == meta["verdict"]
            if v.verdict != meta["verdict"]:
                print(f"unexpected: {name}: {v.verdict} ({v.reason[:160]})", file=sys.stderr)
            if v.verdict == "accept":
                inputs.append(v.inputs_tried)
        wall = time.monotonic() - start
        rounds.append(
            {
                "round": "cold" if r == 0 else "warm",
                "candidates": len(cases),
                "per_minute": round(60 * len(cases) / wall, 1),
                "seconds_median": round(statistics.median(times), 3),
                "seconds_min": round(min(times), 3),
                "seconds_max": round(max(times), 3),
                "inputs_per_accepted_median": statistics.median(inputs) if inputs else 0,
                "verdicts_as_expected": right,
                "states_candidates": len(states_times),
                "states_per_minute": round(60 * len(states_times) / sum(states_times), 1) if states_times else 0,
                "states_per_accepted": max(states_tried, default=0),
            }
        )
    warm = [x for x in rounds if x["round"] == "warm"] or rounds
    wrong = sum(m["verdict"] == "reject" for _, m, _, _ in cases)
    summary = {
        "benchmark": "verify_rate",
        "cases": len(cases),
        "wrong": wrong,
        "correct": len(cases) - wrong,
        "cold_per_minute": rounds[0]["per_minute"],
        "warm_per_minute_median": statistics.median(x["per_minute"] for x in warm),
        "warm_per_minute_spread": [min(x["per_minute"] for x in warm), max(x["per_minute"] for x in warm)],
        "inputs_per_accepted_candidate": rounds[-1]["inputs_per_accepted_median"],
        "verdicts_as_expected": rounds[-1]["verdicts_as_expected"],
        "states_per_minute_warm": statistics.median(x["states_per_minute"] for x in warm),
        "recorded_calls_per_candidate": rounds[-1]["states_per_accepted"],
        "rounds": rounds,
    }
    if a.json:
        print(json.dumps(summary))
    else:
        for x in rounds:
            print(
                f"{x['round']:5} {x['candidates']} candidates: {x['per_minute']}/min, median {x['seconds_median']} s "
                f"[{x['seconds_min']}..{x['seconds_max']}], {x['inputs_per_accepted_median']} inputs per accepted, "
                f"{x['verdicts_as_expected']}/{x['candidates']} verdicts as expected; recorded states: "
                f"{x['states_candidates']} candidates at {x['states_per_minute']}/min on up to {x['states_per_accepted']} calls"
            )
    return 0 if summary["verdicts_as_expected"] == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
