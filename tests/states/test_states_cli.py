"""As a user runs it: `llmcc profile -- ./prog` records the hot functions' calls, and `llmcc
verify` checks a rewrite on them by itself (a function whose struct-pointer arguments generated
inputs cannot model)."""

from __future__ import annotations

import json
import subprocess

from states_helpers import build, variant


def test_profile_then_verify_on_the_recorded_calls(tmp_path, llmcc_bin, llmcc_env):
    build(tmp_path)
    env = dict(llmcc_env)
    # 60 keys in 97 buckets: the calls find keys, miss them and hit empty buckets, so every block
    # of a hand-written rewrite runs on them (coverage)
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", "./prog", "60", "5000000"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "states recorded" in r.stdout and "lookup" in r.stdout
    profile = json.loads(next((tmp_path / "llmcc-cache" / "profiles").glob("*.json")).read_text())
    assert profile["states"] and profile["arguments"]["calls"]["lookup"]

    (tmp_path / "good.s").write_text(variant(tmp_path, "lookup", ("-O1",)))
    base = variant(tmp_path, "lookup", ("-O3",))
    (tmp_path / "bad.s").write_text(base.replace("addq\t$1, 16(%rdi)", "addq\t$2, 16(%rdi)"))
    sub = tmp_path / "sub"  # from a directory below the workload's: the recording is related
    sub.mkdir()
    good = subprocess.run(
        [str(llmcc_bin), "verify", "--json", "../prog.c", "lookup", "../good.s"],
        cwd=sub,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    verdict = json.loads(good.stdout)
    assert verdict["states_tried"] >= 8 and "recorded calls of the workload" in verdict["reason"]
    bad = subprocess.run(
        [str(llmcc_bin), "verify", "prog.c", "lookup", "bad.s"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1 and "states:" in bad.stdout and "recorded call" in bad.stdout, bad.stdout
    off = subprocess.run(
        [str(llmcc_bin), "verify", "--states", "none", "prog.c", "lookup", "good.s"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert off.returncode == 2 and "no recorded states" in off.stdout, off.stdout
    missing = subprocess.run(
        [str(llmcc_bin), "verify", "--states", "nowhere", "prog.c", "lookup", "good.s"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2 and "--states: not a recording" in missing.stderr


def test_report_gives_every_hot_function_a_verdict(tmp_path, llmcc_bin, llmcc_env):
    build(tmp_path)
    env = dict(llmcc_env)
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", "./prog", "2000", "5000000"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    profile = json.loads(next((tmp_path / "llmcc-cache" / "profiles").glob("*.json")).read_text())
    hot = [n for n, s in profile["functions"].items() if s >= 0.05]
    assert "lookup" in hot

    def report() -> dict:
        out = subprocess.run(
            [str(llmcc_bin), "report", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return {h["name"]: h for h in json.loads(out.stdout)["hot"]}

    rows = report()
    assert set(rows) == set(hot)  # every one, none silently missing
    assert rows["lookup"]["status"] == "not tried" and "LLMCC_MODE=sync" in rows["lookup"]["detail"]
    assert rows["lookup"]["states"] >= 8
    # a queue-mode build puts it in the queue; the report says so and why
    subprocess.run(["gcc", "-O3", "-c", "prog.c", "-o", "/dev/null"], cwd=tmp_path, check=True)
    q = subprocess.run(
        [str(llmcc_bin), "-O3", "-c", "prog.c", "-o", "prog.o"],
        cwd=tmp_path,
        env=dict(env, LLMCC_MODE="queue"),
        capture_output=True,
        text=True,
    )
    assert q.returncode == 0, q.stderr
    rows = report()
    assert rows["lookup"]["status"] == "queued" and "queue mode" in rows["lookup"]["detail"]
    md = subprocess.run([str(llmcc_bin), "report"], cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    assert "## Hot functions" in md and "`lookup`" in md
