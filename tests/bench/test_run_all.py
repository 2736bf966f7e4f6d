"""`make bench`'s summary (bench/run_all.py) on a tiny problem set: a missing benchmark is listed
as missing, the llmcc bench figures come out as rows of the table."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROG = '#include <stdio.h>\nint main(void) { int a; if (scanf("%d", &a) != 1) return 1; printf("%d\\n", 2 * a); return 0; }\n'


def test_summary_table(tmp_path):
    data = tmp_path / "set.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"problem_id": "double", "answer": PROG, "test_cases": [{"input": "21\n", "output": "42\n\n"}]},
                {"problem_id": "empty", "answer": PROG, "test_cases": []},
            ]
        )
        + "\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
    env.update(
        LLMCC_BENCH_DATASET=str(data),
        LLMCC_BENCH_OUT=str(tmp_path / "out"),
        LLMCC_BENCH_LIMIT="2",
        LLMCC_BENCH_PROGRAMS_LIMIT="0",
        LLMCC_BENCH_ONLY="no_such_benchmark",
        LLMCC_BENCH_BUDGET="3",
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )
    p = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py")], env=env, capture_output=True, text=True, timeout=240
    )
    assert p.returncode == 0, p.stderr
    rows = {re.split(r"\s{2,}", line)[0]: line for line in p.stdout.splitlines() if line.strip()}
    assert re.split(r"\s{2,}", rows["no_such_benchmark"])[1] == "missing"
    assert "1 problems counted, 1 excluded" in rows["codenet"]
    line = rows["codenet llmcc all"]
    assert "n=1 compile=100% pass=100%" in line and "geomean=" in line
    assert (tmp_path / "out" / "codenet" / "results.json").exists()


def test_programs_become_a_problem_set_checked_against_their_gcc_output(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run_all
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from gcc_wrapper.tools import dataset

    ds = dataset.load(run_all.programs_dataset(tmp_path))
    names = sorted(p.stem for p in (ROOT / "bench" / "programs").glob("*.c"))
    assert [p.id for p in ds.problems] == names and not ds.bad
    for p in ds.problems:
        assert len(p.tests) == 1 and p.tests[0].input == "" and p.tests[0].output.strip()
