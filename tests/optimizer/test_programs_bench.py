"""bench/programs.py as `make bench` runs it: a subset, and the figures as one JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_programs_bench_prints_its_figures_as_the_last_json_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
    # the first program only, an optimization budget too small to search: what is checked is the report
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "programs.py"),
            "--quick",
            "--limit",
            "1",
            "--budget",
            "1",
            "--rounds",
            "1",
            "--json",
            "--out",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["programs"] == 1 and figures["rounds"] == 1 and figures["budget_s"] == 1
    assert set(figures) >= {"control", "llmcc", "native", "pgo"}
    assert figures["llmcc"]["changed_outputs"] == 0 and figures["llmcc"]["geomean"] > 0
    assert any(line.startswith("| geometric mean |") for line in lines)  # the table is still printed
    saved = json.loads((tmp_path / "programs.json").read_text())
    assert [row["program"] for row in saved["rows"]] == ["bits"]
