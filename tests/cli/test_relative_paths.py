"""Every subcommand that takes files works from any directory with relative arguments: each runs
here from a directory that is neither the project's nor the files', naming them relatively."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))
from test_bench_run import ADD, bench_env, write_set  # noqa: E402

POP = ROOT / "tests" / "verify" / "corpus" / "pop_swar"
PROG = r"""
#include <stdio.h>
__attribute__((noipa)) long spin(int n) { long s = 0; for (int i = 0; i < n; i++) s += (long)i * i % 7; return s; }
int main(void) { long t = 0; for (int r = 0; r < 200; r++) t += spin(20000 + r); printf("%ld\n", t); return 0; }
"""


def llmcc(llmcc_bin: Path, env: dict[str, str], cwd: Path, *args: str, timeout: float = 300):
    return subprocess.run([str(llmcc_bin), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """Where the commands run: a sibling of the files they name."""
    d = tmp_path / "elsewhere" / "deeper"
    d.mkdir(parents=True)
    return d


@pytest.mark.slow
def test_bench_relative_dataset_and_out(llmcc_bin, tmp_path, here):
    (tmp_path / "sets").mkdir()
    write_set(tmp_path / "sets" / "set.csv", [("add", ADD, [("1 2\n", "3\n"), ("40 2\n", "42\n")])])
    r = llmcc(
        llmcc_bin,
        bench_env(tmp_path),
        here,
        "bench",
        "--dataset",
        "../../sets/set.csv",
        "--out",
        "out",
        "--mode",
        "off",
        "--rounds",
        "1",
        "--no-plots",
    )
    assert r.returncode == 0, r.stderr
    res = json.loads((here / "out" / "results.json").read_text())
    assert [p["id"] for p in res["problems"]] == ["add"] and not res["problems"][0]["excluded"]
    assert (here / "out" / "report.md").is_file()


def test_verify_relative_files(llmcc_bin, llmcc_env, tmp_path, here):
    shutil.copytree(POP, tmp_path / "case")
    r = llmcc(llmcc_bin, llmcc_env, here, "verify", "--json", "../../case/src.c", "pop", "../../case/cand.s")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["verdict"] == "accept"


def test_report_html_relative(llmcc_bin, llmcc_env, tmp_path, here):
    r = llmcc(llmcc_bin, llmcc_env, here, "report", "--all", "--html", "reports/r.html")
    assert r.returncode != 0 and "reports" in r.stderr  # no such directory: said, nothing written
    (here / "reports").mkdir()
    r = llmcc(llmcc_bin, llmcc_env, here, "report", "--all", "--html", "reports/r.html")
    assert r.returncode == 0, r.stderr
    assert (here / "reports" / "r.html").read_text().lstrip().lower().startswith("<!doctype html")


@pytest.mark.slow
def test_profile_a_relative_program(llmcc_bin, llmcc_env, tmp_path, here):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "prog.c").write_text(PROG)
    subprocess.run(["gcc", "-O2", "-g", "prog.c", "-o", "prog"], cwd=tmp_path / "proj", check=True)
    r = llmcc(llmcc_bin, llmcc_env, here, "profile", "--no-arguments", "--", "../../proj/prog")
    assert r.returncode == 0, r.stderr
    assert "spin" in r.stdout + r.stderr


@pytest.mark.slow
def test_optimize_with_a_relative_proposer_directory_and_tests(llmcc_bin, llmcc_env, tmp_path, here):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "prog.c").write_text(PROG)
    (proj / "check.sh").write_text("#!/bin/sh\n./prog > /dev/null\n")
    (proj / "check.sh").chmod(0o755)
    env = dict(llmcc_env, LLMCC_MODE="queue", LLMCC_HOT="spin")
    r = subprocess.run(
        [str(llmcc_bin), "-O2", "prog.c", "-o", "prog"], cwd=proj, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert list((Path(env["LLMCC_CACHE_DIR"]) / "queue").glob("*.json"))
    cands = tmp_path / "cands"
    cands.mkdir()  # an empty directory: the file proposer has nothing, which the report says
    r = llmcc(
        llmcc_bin, env, here, "optimize", "--proposer", "file:../../cands", "--tests", "./check.sh", "--budget", "10"
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "spin" in r.stdout and "no such" not in (r.stdout + r.stderr).lower()


def test_config_file_paths_are_relative_to_the_file(llmcc_bin, llmcc_env, tmp_path):
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "llmcc.toml").write_text('cache_dir = "build-cache"\nlog = "logs/llmcc.log"\nbase_dir = ".."\n')
    env = {k: v for k, v in llmcc_env.items() if k not in ("LLMCC_CACHE_DIR", "LLMCC_LOG")}
    for cwd in (proj, proj / "sub"):
        r = llmcc(llmcc_bin, env, cwd, "config", "--json")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert got["cache_dir"]["effective"] == str(proj / "build-cache")
        assert got["log"]["value"] == str(proj / "logs" / "llmcc.log")
        assert got["base_dir"]["value"] == os.path.normpath(str(proj / ".."))
    (proj / "sub" / "a.c").write_text("int f(int x) { return x + 1; }\n")
    r = subprocess.run([str(llmcc_bin), "-c", "a.c"], cwd=proj / "sub", env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (proj / "build-cache").is_dir() and not (proj / "sub" / "build-cache").exists()
