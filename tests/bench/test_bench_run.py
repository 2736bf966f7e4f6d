"""`llmcc bench` end to end on a tiny problem set written here: real gcc, real llmcc builds, bad
rows of every kind reported with their reason, figures checked against hand-computed values."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gcc_wrapper.tools import bench, dataset

ADD = '#include <stdio.h>\nint main(void) { int a, b; if (scanf("%d %d", &a, &b) != 2) return 1; printf("%d\\n", a + b); return 0; }\n'
# A dependency chain gcc cannot fold: tens of milliseconds of CPU, so the problem is compute-bound.
BUSY = """#include <stdio.h>
int main(void) {
    unsigned n, x = 1;
    if (scanf("%u", &n) != 1) return 1;
    for (unsigned i = 0; i < n; i++) x = x * 1103515245u + 12345u + (x >> 7);
    printf("%u\\n", x % 1000);
    return 0;
}
"""
CRASH = '#include <stdio.h>\nint main(void) { volatile int *p = 0; printf("%d\\n", *p); return 0; }\n'
SLEEPY = '#include <unistd.h>\n#include <stdio.h>\nint main(void) { sleep(4); puts("late"); return 0; }\n'


def busy_answer(n: int) -> str:
    x = 1
    for _ in range(n):
        x = (x * 1103515245 + 12345 + (x >> 7)) & 0xFFFFFFFF
    return f"{x % 1000}\n"


def write_set(path: Path, rows: list[tuple[str, str, list[tuple[str, str]]]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["problem_id", "answer", "test_cases", "num_test_cases"])
        for pid, prog, tests in rows:
            w.writerow([pid, prog, json.dumps([{"input": i, "output": o} for i, o in tests]), len(tests)])


def bench_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    return env


@pytest.fixture(scope="session")
def run(tmp_path_factory, llmcc_bin, worker_id):
    """One bench run over six rows, shared by the tests below (it is the slow part): done once per
    test session, by whichever pytest-xdist worker gets here first, under a lock."""
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    tmp = shared / "bench-e2e"
    out = tmp / "out"
    with FileLock(str(shared / "bench-e2e.lock")):
        if not (tmp / "stderr.txt").exists():
            tmp.mkdir(exist_ok=True)
            n = 30_000_000
            data = tmp / "tiny.csv"
            write_set(
                data,
                [
                    ("add", ADD, [("1 2\n", "3\n\n"), ("40 2\n", "42\n"), ("-5 5\n", "0\n\n")]),
                    ("notests", ADD, []),
                    ("broken", "int main(void) { return syntax error; }\n", [("", "")]),
                    ("wrong", ADD, [("1 2\n", "4\n")]),
                    ("crash", CRASH, [("", "0\n")]),
                    ("busy", BUSY, [(f"{n}\n", busy_answer(n) + "\n")]),
                ],
            )
            p = subprocess.run(
                [
                    str(llmcc_bin),
                    "bench",
                    "--dataset",
                    str(data),
                    "--out",
                    str(out),
                    "--mode",
                    "off",
                    "--compare",
                    "o3-native,pgo",
                    "--rounds",
                    "3",
                    "--compute-bound-ms",
                    "15",
                    "--jobs",
                    "2",
                ],
                env=bench_env(tmp),
                capture_output=True,
                text=True,
                timeout=240,
            )
            assert p.returncode == 0, p.stderr
            (tmp / "stderr.txt").write_text(p.stderr)
    text = (out / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text  # strict JSON
    return (tmp / "stderr.txt").read_text(), json.loads(text), out


def test_bad_rows_are_reported_with_their_reason(run):
    stderr, res, out = run
    assert res["bad_rows"] == [{"row": 2, "id": "notests", "excluded": "no test cases"}]
    excluded = {r["id"]: r["excluded"] for r in res["problems"] if r["excluded"]}
    assert excluded["broken"].startswith("baseline does not compile: ")
    assert excluded["wrong"] == "baseline fails its own tests: test 1: output differs from the expected output"
    assert excluded["crash"] == "baseline fails its own tests: test 1: killed by SIGSEGV"
    assert "excluded row 2 (notests): no test cases" in stderr
    md = (out / "report.md").read_text()
    for pid in ("notests", "broken", "wrong", "crash"):
        assert f"| {pid} |" in md


def test_counted_problems_and_the_compute_bound_subset(run):
    _, res, _ = run
    counted = {r["id"]: r for r in res["problems"] if not r["excluded"]}
    assert set(counted) == {"add", "busy"}
    assert counted["busy"]["compute_bound"] is True
    assert counted["add"]["compute_bound"] is False
    for r in counted.values():
        for name in ("llmcc", "o3-native", "pgo"):
            v = r["variants"][name]
            assert v["compiled"] and v["passed"], (r["id"], name, v["reason"])
            m = v["measurement"]
            assert m["rounds"] == 3 and len(m["baseline"]) == len(m["candidate"]) == 3
            assert v["speedup"] == max(1.0, v["speedup_raw"]) or v["identical_code"]


def test_llmcc_with_nothing_rewritten_builds_gcc_s_code_and_scores_exactly_one(run):
    _, res, out = run
    counted = [r for r in res["problems"] if not r["excluded"]]
    for r in counted:
        v = r["variants"]["llmcc"]
        assert v["identical_code"] is True  # mode off: llmcc's program is gcc -O3's, byte for byte
        assert v["speedup"] == 1.0
        assert r["llmcc"]["mode"] == "off" and r["llmcc"]["rewrites"] == []
        assert r["llmcc"]["fallbacks"] == []  # built through llmcc, not by its fallback to gcc
    # hand-computed: 2 counted problems, both built and correct, every speedup 1.0
    s = res["summary"]["llmcc"]["all"]
    assert s == {
        "problems": 2,
        "compile_rate": 1.0,
        "pass_rate": 1.0,
        "geomean": 1.0,
        "p25": 1.0,
        "p50": 1.0,
        "p75": 1.0,
        "improved_share": 0.0,
        "improved": 0,
    }
    assert res["summary"]["llmcc"]["compute_bound"]["problems"] == 1
    assert res["meta"]["llmcc_mode"] == "off"
    assert "no optimizer ran" in (out / "report.md").read_text()


def test_outputs_and_plots(run):
    _, res, out = run
    md = (out / "report.md").read_text()
    assert "| llmcc | all | 2 | 100.0% | 100.0% | 1.000 | 1.000 | 1.000 | 1.000 | 0.0% (0) |" in md
    assert "## Where the time went" in md
    for png in ("speedups.png", "per-problem.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    for r in res["problems"]:
        assert r["seconds"]["total"] > 0 and "compile" in r["seconds"]


def test_judge_compares_with_the_expected_and_the_baselines_output(tmp_path):
    src = tmp_path / "prog.c"
    src.write_text(ADD)
    b = bench.build_gcc(src, tmp_path / "exe", ["-O3"])
    assert b.ok
    tests = [dataset.TestCase("1 2\n", "3\n\n\n"), dataset.TestCase("2 2\n", "4")]
    inputs = []
    for i, t in enumerate(tests):
        inputs.append(tmp_path / f"{i}.in")
        inputs[-1].write_text(t.input)
    ok, why, outs = bench.judge(b.exe, tests, inputs, tmp_path)
    assert ok and outs == ["3", "4"], why
    ok, why, _ = bench.judge(b.exe, tests, inputs, tmp_path, reference=["3", "5"])
    assert not ok and why == "test 2: output differs from the baseline's"


def test_checker_is_the_projects_test_command(tmp_path, llmcc_bin):
    pdir = tmp_path / "p"
    (pdir / "tests").mkdir(parents=True)
    (pdir / "prog.c").write_text(ADD)
    tests = [dataset.TestCase("1 2\n", "3\n\n")]
    (pdir / "tests" / "001.in").write_text("1 2\n")
    bench.write_checker(pdir, tests, ["3"])
    env = {**bench_env(tmp_path), "LLMCC_MODE": "off", "LLMCC_CACHE_DIR": str(tmp_path / "c")}
    env["PATH"] = f"{llmcc_bin.parent}{os.pathsep}{env['PATH']}"
    ok = subprocess.run(bench.test_command(), shell=True, cwd=pdir, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert (pdir / "check-exe").exists()  # it rebuilt the program through llmcc
    (pdir / "prog.c").write_text(ADD.replace("a + b", "a - b"))  # a wrong program fails the tests
    bad = subprocess.run(
        bench.test_command(), shell=True, cwd=pdir, env=env, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode != 0 and "differs from the expected output" in bad.stderr


def test_ctrl_c_keeps_finished_problems(tmp_path, llmcc_bin):
    data = tmp_path / "set.csv"
    write_set(data, [("add", ADD, [("1 2\n", "3\n")]), ("sleepy", SLEEPY, [("", "late\n")])])
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            str(llmcc_bin),
            "bench",
            "--dataset",
            str(data),
            "--out",
            str(out),
            "--mode",
            "off",
            "--rounds",
            "1",
            "--no-plots",
        ],
        env=bench_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        res = out / "results.json"
        if res.exists() and len(json.loads(res.read_text())["problems"]) == 1:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the first problem never finished")
    time.sleep(0.3)  # into the sleepy problem's baseline run
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["interrupted"] is True
    assert [r["id"] for r in res["problems"]] == ["add"]
    assert "interrupted" in (out / "report.md").read_text()


def test_usage_errors(tmp_path, llmcc_bin):
    env = bench_env(tmp_path)
    p = subprocess.run(
        [str(llmcc_bin), "bench", "--dataset", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2 and "no such file" in p.stderr
    p = subprocess.run(
        [str(llmcc_bin), "bench", "--dataset", "x.csv", "--out", "o", "--compare", "o2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2 and "unknown build o2" in p.stderr


def test_noise_floor_scores_identical_builds_by_the_papers_rule(run):
    _, res, out = run
    raw = [
        v["speedup_raw"]
        for r in res["problems"]
        if not r["excluded"]
        for v in r["variants"].values()
        if v["identical_code"]
    ]
    nf = res["noise_floor"]
    assert nf["problems"] == len(raw) >= 2  # at least llmcc's two builds
    assert nf["geomean"] == pytest.approx(__import__("math").prod(max(1.0, x) for x in raw) ** (1 / len(raw)))
    assert nf["improved"] == sum(x >= 1.05 for x in raw)
    assert "Noise floor (A/A)" in (out / "report.md").read_text()


def test_a_fallback_to_plain_gcc_is_reported_not_hidden(tmp_path, llmcc_bin):
    """A broken user configuration makes llmcc fall back to gcc (never breaking the build); the
    bench says so instead of presenting gcc's program as llmcc's."""
    data = tmp_path / "set.csv"
    write_set(data, [("add", ADD, [("1 2\n", "3\n")])])
    env = bench_env(tmp_path)
    (tmp_path / "xdg" / "llmcc").mkdir(parents=True)
    (tmp_path / "xdg" / "llmcc" / "config.toml").write_text('max_size = "junk"\n')
    out = tmp_path / "out"
    p = subprocess.run(
        [
            str(llmcc_bin),
            "bench",
            "--dataset",
            str(data),
            "--out",
            str(out),
            "--mode",
            "off",
            "--rounds",
            "1",
            "--no-plots",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    rec = json.loads((out / "results.json").read_text())["problems"][0]
    assert rec["llmcc"]["fallbacks"] and "config" in rec["llmcc"]["fallbacks"][0]
    assert "llmcc fell back to plain gcc" in p.stderr
    assert "**llmcc fell back to plain gcc in 1 of 1 counted problems** (add)" in (out / "report.md").read_text()
