"""Recording states (states/record.py, recorder.c): complete entry states of real calls of the hot
functions, taken from a run of the real program without changing what it does."""

from __future__ import annotations

import subprocess

import pytest
from states_helpers import build

from gcc_wrapper.optimize.states import record, store


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    d = tmp_path_factory.mktemp("rec")
    build(d)
    rec, note = record.record(["./prog", "2000", "20000000"], str(d), ["lookup", "fold", "logit"], d / "cache")
    assert rec is not None, note
    return d, rec, note


def test_recording_leaves_the_programs_output_and_status_alone(tmp_path):
    build(tmp_path)
    plain = subprocess.run(["./prog", "500", "20000"], cwd=tmp_path, capture_output=True, text=True)
    spec = tmp_path / "spec"
    where, _ = record.locate(str(tmp_path / "prog"), str(tmp_path), ["lookup", "fold"])
    spec.write_text(
        "states 16\nburst 4\nwindow_ms 1\n"
        + "".join(f"fn {i} {where[n][0]} {where[n][1]:x}\n" for i, n in enumerate(("lookup", "fold")))
    )
    (tmp_path / "out").mkdir()
    traced = subprocess.run(
        [str(record.recorder()), str(spec), str(tmp_path / "out"), "--", "./prog", "500", "20000"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert traced.returncode == plain.returncode == 0
    assert traced.stdout == plain.stdout and traced.stderr == plain.stderr
    assert (tmp_path / "out" / "fn0.bin").stat().st_size > 0  # and it did record


def test_each_state_has_the_registers_and_every_page_the_call_touched(recorded):
    d, rec, _ = recorded
    states = rec.states("lookup")
    assert 8 <= len(states) <= record.Limits().states
    f = rec.functions["lookup"]
    for s in states:
        assert s.reg("rip") == f.addr
        pages = {p.addr for p in s.pages}
        table = s.reg("rdi")
        assert table & ~4095 in pages  # the table lives in main's frame: read (buckets, n) and written (hits)
        assert s.reg("rsp") & ~4095 in pages  # the page the frame starts on, always
        # the pages written are exactly the pages whose content after the call was kept
        assert {p.addr for p in s.pages if p.written} == {a for a, _ in s.exit_pages}
        assert all(len(p.data) == store.PAGE for p in s.pages)
    # the global counter's page is written by every call, and its value grows call after call
    written = [set(a for a, _ in s.exit_pages) for s in states]
    assert set.intersection(*written) - {s.reg("rsp") & ~4095 for s in states}


def test_calls_spread_over_the_run_not_only_the_first(recorded):
    _, rec, _ = recorded
    hits = [s.regs[store.REG["rsi"]] & 0xFFFFFFFF for s in rec.states("lookup")]
    # keys are (r * 13) % 14005: the first burst's calls are r = 0..7; later bursts come later
    firsts = {(r * 13) % 14005 for r in range(8)}
    assert not set(hits) <= firsts


def test_a_call_that_makes_a_system_call_is_not_recorded(recorded):
    _, rec, note = recorded
    assert rec.functions["logit"].states == 0 and rec.functions["logit"].abandoned >= 1
    assert "made a system call" in note
    assert rec.functions["fold"].states >= 1  # its callbacks are the program's own code: recorded


def test_recording_is_bounded(tmp_path):
    build(tmp_path)
    rec, note = record.record(
        ["./prog"], str(tmp_path), ["lookup"], tmp_path / "cache", limits=record.Limits(states=5, burst=2, window_ms=1)
    )
    assert rec is not None and 1 <= rec.functions["lookup"].states <= 5, note
    rec, note = record.record(
        ["./prog"], str(tmp_path), ["lookup"], tmp_path / "cache2", limits=record.Limits(states=5, page_limit=1)
    )
    assert rec is not None and rec.functions["lookup"].states == 0
    assert "touched too many pages" in note


THREADED = r"""
#include <pthread.h>
#include <stdio.h>
__attribute__((noinline)) long work(long x) { long s = 0; for (long i = 0; i < x; i++) s += i ^ x; return s; }
static void *run(void *p) { return (void *)work((long)p); }
int main(void)
{
    long s = 0;
    for (int i = 0; i < 200; i++) s += work(1000 + i);
    pthread_t t;
    pthread_create(&t, 0, run, (void *)5000L);
    void *r;
    pthread_join(t, &r);
    for (int i = 0; i < 200; i++) s += work(2000 + i);
    printf("%ld %ld\n", s, (long)r);
    return 0;
}
"""


def test_a_program_that_starts_a_thread_stops_the_recording_and_runs_on(tmp_path):
    (tmp_path / "t.c").write_text(THREADED)
    subprocess.run(["gcc", "-O2", "-pthread", "-o", "t", "t.c"], cwd=tmp_path, check=True)
    plain = subprocess.run(["./t"], cwd=tmp_path, capture_output=True, text=True).stdout
    rec, note = record.record(["./t"], str(tmp_path), ["work"], tmp_path / "cache")
    assert rec is not None and rec.functions["work"].states >= 1, note
    assert "the program started a thread" in note
    out = tmp_path / "o"
    out.mkdir()
    spec = tmp_path / "spec"
    where, _ = record.locate(str(tmp_path / "t"), str(tmp_path), ["work"])
    spec.write_text(f"fn 0 {where['work'][0]} {where['work'][1]:x}\n")
    traced = subprocess.run(
        [str(record.recorder()), str(spec), str(out), "--", "./t"], cwd=tmp_path, capture_output=True, text=True
    )
    assert traced.returncode == 0 and traced.stdout == plain


def test_not_an_elf_program_is_said_plainly(tmp_path):
    (tmp_path / "run.sh").write_text("#!/bin/sh\ntrue\n")
    (tmp_path / "run.sh").chmod(0o755)
    rec, note = record.record(["./run.sh"], str(tmp_path), ["f"], tmp_path / "cache")
    assert rec is None and "is not an ELF executable" in note


def test_recordings_are_found_from_related_directories_and_pruned(tmp_path):
    build(tmp_path)
    sub = tmp_path / "src"
    sub.mkdir()
    recs = []
    for _ in range(store.KEEP + 1):
        rec, note = record.record(
            ["./prog", "100", "2000"],
            str(tmp_path),
            ["lookup"],
            tmp_path / "cache",
            limits=record.Limits(states=2, burst=2),
        )
        assert rec is not None, note
        recs.append(rec)
    assert len([d for d in store.states_dir(tmp_path / "cache").iterdir() if d.is_dir()]) == store.KEEP
    found = store.find(tmp_path / "cache", str(sub), "lookup")  # a directory below the workload's
    assert found is not None and found.id == recs[-1].id
    assert store.find(tmp_path / "cache", "/usr", "lookup") is None
    assert store.find(tmp_path / "cache", str(tmp_path), "fold") is None  # not recorded
