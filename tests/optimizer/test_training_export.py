"""`llmcc cache export --format training`: after real searches (a wrong candidate rejected by
verification, a faster one accepted), the export holds both as examples with the C source,
gcc's assembly, the candidate, the speedup or the reason, and the verification evidence."""

from __future__ import annotations

import json
import subprocess

import pytest
from test_loop import FAST, SLOW, WRONG, candidate_dir

from cache import Cache
from gcc_wrapper.compile import asm
from gcc_wrapper.optimize import search
from gcc_wrapper.optimize.candidate import Context
from gcc_wrapper.optimize.propose.file import FileProposer

pytestmark = pytest.mark.slow


class Cfg:
    threshold = 0.03


def test_training_export_has_the_accepted_rewrite_and_the_rejected_attempt(tmp_path, llmcc_env, llmcc_bin, cache_dir):
    src = tmp_path / "k.c"
    src.write_text(SLOW)
    unit = subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    ctx = Context(
        name="bits",
        source_path=str(src),
        cflags=("-O3",),
        baseline_asm=asm.parse(unit).functions["bits"].text(),
        unit_asm=unit,
        key="ab" * 20,
        prototype="int bits(const unsigned *a, int n)",
        cwd=str(tmp_path),
    )
    wrong = candidate_dir(tmp_path, "wrong", WRONG)
    fast = candidate_dir(tmp_path, "fast", FAST)
    cache = Cache(cache_dir)
    out = search.optimize_function(ctx, [FileProposer(wrong), FileProposer(fast)], budget_s=60, cache=cache, cfg=Cfg())
    cache.close()
    assert out.status == "accepted", out
    dest = tmp_path / "train.jsonl"
    r = subprocess.run(
        [str(llmcc_bin), "cache", "export", "--format", "training", str(dest)],
        env=llmcc_env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "exported 1 accepted rewrites and 1 rejected attempts" in r.stdout
    rows = [json.loads(line) for line in dest.read_text().splitlines()]
    by_kind = {row["kind"]: row for row in rows}
    assert sorted(by_kind) == ["accepted", "rejected"]
    good, bad = by_kind["accepted"], by_kind["rejected"]
    for row in (good, bad):
        assert row["function"] == "bits" and row["source_file"] == str(src) and row["key"] == "ab" * 20
        assert row["format"] == "llmcc-training/1"
        assert "int bits(const unsigned *a, int n)" in row["c_source"]  # the C text, lifted by pycparser
        assert row["gcc_asm"] == ctx.baseline_asm != row["candidate_asm"]
        assert row["cflags"] == ["-O3"]
    assert good["candidate_asm"] == (fast / "bits.s").read_text()
    assert good["speedup"] > 1.5 and good["reason"] == ""
    assert good["verification"]["verdict"] == "accept" and good["verification"]["checks"]
    assert good["measurement"]["rounds"] >= 1
    assert bad["candidate_asm"] == (wrong / "bits.s").read_text()
    assert bad["reason"].startswith("difftest") and bad["speedup"] is None
    assert bad["verification"]["verdict"] == "reject" and bad["verification"]["counterexample"]


def test_training_export_refuses_an_unknown_format_and_an_unwritable_file(llmcc_bin, llmcc_env, tmp_path):
    r = subprocess.run(
        [str(llmcc_bin), "cache", "export", "--format", "csv", str(tmp_path / "x")],
        env=llmcc_env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "unknown format 'csv'" in r.stderr
    r = subprocess.run(
        [str(llmcc_bin), "cache", "export", "--format", "training", str(tmp_path / "no" / "x.jsonl")],
        env=llmcc_env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "cannot write" in r.stderr
    assert not (tmp_path / "no").exists()
