"""`llmcc cache export/import` with relative file names from another directory, and the bound on
what attempt records keep."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cache import Cache
from cache.store import TEXT_LIMIT


def test_export_and_import_with_relative_names(llmcc_bin, llmcc_env, tmp_path, make_entry):
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    cache = Cache(llmcc_env["LLMCC_CACHE_DIR"])
    entry = make_entry()
    cache.put_function(entry)
    cache.close()
    for fmt in ([], ["--format", "training"]):
        r = subprocess.run(
            [str(llmcc_bin), "cache", "export", *fmt, "../out.x"],
            cwd=here,
            env=llmcc_env,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "a" / "out.x").is_file()
        if fmt:
            (row,) = [json.loads(line) for line in (tmp_path / "a" / "out.x").read_text().splitlines()]
            assert row["kind"] == "accepted" and row["candidate_asm"] == entry.asm
        else:
            other = dict(llmcc_env, LLMCC_CACHE_DIR=str(tmp_path / "other-cache"))
            r = subprocess.run(
                [str(llmcc_bin), "cache", "import", "../out.x"], cwd=here, env=other, capture_output=True, text=True
            )
            assert r.returncode == 0, r.stderr
            assert Cache(other["LLMCC_CACHE_DIR"]).local_function(entry.key) == entry


def test_attempt_records_leave_out_texts_over_the_limit(tmp_path: Path):
    cache = Cache(tmp_path / "c")
    key = "cd" * 20
    cache.record_attempt(key, {"outcome": "rejected", "asm": "x" * (TEXT_LIMIT + 1), "reason": "r"})
    cache.record_attempt(key, {"outcome": "rejected", "asm": "nop\n", "reason": "r"})
    big, small = cache.attempts(key)
    assert big["asm"] == "" and big["asm_omitted"] == TEXT_LIMIT + 1
    assert small["asm"] == "nop\n" and "asm_omitted" not in small
    cache.record_context(key, {"c_source": "int f(void) { return 1; }", "baseline_asm": "y" * (TEXT_LIMIT + 5)})
    cache.record_context(key, {"c_source": "replaced?"})  # once per key
    ctx = cache.context(key)
    assert ctx["c_source"] == "int f(void) { return 1; }" and ctx["baseline_asm_omitted"] == TEXT_LIMIT + 5
    assert cache.attempted_keys() == [key]
