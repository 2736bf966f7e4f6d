"""Never break a build: an internal failure falls back to the real gcc with the original
arguments, silently (unless LLMCC_DEBUG=1), logged and counted."""

from __future__ import annotations

import pytest
from driver_helpers import log_events, run

from cache import Cache


@pytest.mark.parametrize("fault", ["parse", "assemble", "exception"])
def test_fault_falls_back_to_gcc(llmcc_bin, gcc, env, work, cache_dir, fault):
    env = dict(env, LLMCC_FAULT=fault)
    mine = run([llmcc_bin, "-Wall", "-O1", "-c", "w.c", "-o", "mine.o"], env, work)
    theirs = run(["gcc", "-Wall", "-O1", "-c", "w.c", "-o", "ref.o"], env, work)
    assert mine.returncode == 0
    # gcc's warning once, nothing of llmcc's own
    assert mine.stderr == theirs.stderr and mine.stderr.count(b"warning:") == 1
    # the fallback is gcc with the original words: -O1, not the forced -O3
    assert (work / "mine.o").read_bytes() == (work / "ref.o").read_bytes()
    events = log_events(env)
    assert [(e["event"], e["reason"]) for e in events] == [("fallback", fault)]
    assert events[0]["argv"] == ["-Wall", "-O1", "-c", "w.c", "-o", "mine.o"]
    assert Cache(cache_dir).stats.totals().get(f"fallback.{fault}") == 1
    assert not [p for p in work.iterdir() if p.name.startswith(".")]


def test_fault_in_compile_and_link(llmcc_bin, gcc, env, work):
    env = dict(env, LLMCC_FAULT="assemble")
    r = run([llmcc_bin, "-o", "prog", "main.c", "k.c"], env, work)
    assert r.returncode == 0 and r.stderr == b""
    assert run([work / "prog"], env, work).stdout == b"510 47\n"
    assert [e["reason"] for e in log_events(env)] == ["assemble"]


def test_debug_says_why(llmcc_bin, gcc, env, work):
    env = dict(env, LLMCC_FAULT="parse", LLMCC_DEBUG="1")
    r = run([llmcc_bin, "-c", "k.c"], env, work)
    assert r.returncode == 0
    assert b"llmcc: fallback (parse)" in r.stderr


def test_broken_config_falls_back(llmcc_bin, gcc, env, work):
    (work / "llmcc.toml").write_text("this is = = not toml\n")
    r = run([llmcc_bin, "-c", "k.c"], env, work)
    assert r.returncode == 0 and r.stderr == b""
    assert (work / "k.o").exists()
    assert [e["reason"] for e in log_events(env)] == ["config"]


def test_unwritable_log_and_cache_do_not_matter(llmcc_bin, gcc, env, work, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = dict(env, LLMCC_FAULT="exception", LLMCC_LOG=str(blocker / "log"), LLMCC_CACHE_DIR=str(blocker / "c"))
    r = run([llmcc_bin, "-c", "k.c"], env, work)
    assert r.returncode == 0 and r.stderr == b""
    assert (work / "k.o").exists()


def test_gcc_error_after_fault_hook_is_still_gccs(llmcc_bin, gcc, env, work):
    """The hook fires after gcc's -S step; a source gcc rejects never gets there."""
    (work / "bad.c").write_text("int f( {\n")
    env = dict(env, LLMCC_FAULT="parse")
    mine = run([llmcc_bin, "-c", "bad.c"], env, work)
    theirs = run(["gcc", "-c", "bad.c"], env, work)
    assert mine.returncode == theirs.returncode == 1
    assert mine.stderr == theirs.stderr
    assert log_events(env) == []


def test_cache_directory_that_is_a_file(llmcc_bin, gcc, env, work, tmp_path):
    """An unusable cache costs the cache, never the compile."""
    blocker = tmp_path / "cache-file"
    blocker.write_text("not a directory")
    r = run([llmcc_bin, "-Wall", "-c", "w.c", "-o", "mine.o"], dict(env, LLMCC_CACHE_DIR=str(blocker)), work)
    theirs = run(["gcc", "-Wall", "-c", "w.c", "-o", "ref.o"], env, work)
    assert r.returncode == 0
    assert r.stderr == theirs.stderr
    assert (work / "mine.o").read_bytes()[:4] == b"\x7fELF"
