"""Replaying recorded states (states/replay.py, replayer.c): gcc's version and a candidate run on
every recorded call, mapped back at its addresses; correct rewrites pass, wrong ones are caught by
what they do on the workload's own calls, with no prototype needed."""

from __future__ import annotations

import subprocess

import pytest
from states_helpers import build, context, replayed, variant

from gcc_wrapper.optimize import measure
from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.states import record, replay
from gcc_wrapper.optimize.verify import verify


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    d = tmp_path_factory.mktemp("replay")
    build(d)
    rec, note = record.record(["./prog", "2000", "20000000"], str(d), ["lookup", "fold"], d / "cache")
    assert rec is not None and rec.functions["lookup"].states >= 16 and rec.functions["fold"].states >= 4, note
    return d, rec


@pytest.mark.parametrize("flags", [("-O1",), ("-O2",), ("-O3", "-funroll-loops"), ("-Os",)])
def test_gccs_own_variants_are_the_same_on_every_recorded_call(recorded, flags):
    d, rec = recorded
    for name in ("lookup", "fold"):
        ctx = context(d, name, rec)
        out = replayed(ctx, variant(d, name, flags), rec)
        assert out.ran and out.check.passed, out.check.detail
        assert out.states == rec.functions[name].states and out.unfaithful == 0


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_a_wrong_write_to_the_callers_frame_is_caught(recorded):
    d, rec = recorded
    ctx = context(d, "lookup", rec)
    cand = _edit(ctx.baseline_asm, "addq\t$1, 16(%rdi)", "addq\t$2, 16(%rdi)")  # hits counted twice
    out = replayed(ctx, cand, rec)
    assert out.ran and not out.check.passed
    assert "memory at" in out.check.detail and "differs after the call" in out.check.detail
    assert out.counterexample.startswith("recorded call")


def test_a_wrong_answer_only_for_missing_keys_is_caught(recorded):
    d, rec = recorded
    ctx = context(d, "lookup", rec)
    cand = _edit(ctx.baseline_asm, "movq\t$-1, %rax", "movq\t$-2, %rax")
    out = replayed(ctx, cand, rec)
    assert not out.check.passed and "returned rax=" in out.check.detail


def test_writing_memory_the_call_only_reads_is_caught_even_when_undone(recorded):
    d, rec = recorded
    ctx = context(d, "lookup", rec)
    # bump the node's key and put it back before anyone could see: the node's page was only read
    cand = _edit(
        ctx.baseline_asm, "\tcmpl\t%esi, (%rdx)\n", "\taddl\t$1, (%rdx)\n\tsubl\t$1, (%rdx)\n\tcmpl\t%esi, (%rdx)\n"
    )
    out = replayed(ctx, cand, rec)
    assert not out.check.passed and "that the recorded call only read" in out.check.detail


def test_touching_memory_the_call_never_touches_is_caught(recorded):
    d, rec = recorded
    ctx = context(d, "lookup", rec)
    cand = _edit(ctx.baseline_asm, "\tmovq\t(%rdi), %rax\n", "\tmovq\t(%rdi), %rax\n\tmovq\t4096(%rax), %r8\n")
    out = replayed(ctx, cand, rec)
    assert not out.check.passed and "never touches" in out.check.detail


def test_a_callback_called_with_the_wrong_element_is_caught(recorded):
    d, rec = recorded
    ctx = context(d, "fold", rec)
    cand = _edit(ctx.baseline_asm, "movl\t(%r14,%rbx,4), %edi", "movl\t4(%r14,%rbx,4), %edi")
    out = replayed(ctx, cand, rec)
    assert not out.check.passed and "returned" in out.check.detail


def test_a_clobbered_callee_saved_register_is_caught(recorded):
    d, rec = recorded
    ctx = context(d, "lookup", rec)
    cand = _edit(ctx.baseline_asm, "\tmovq\t$-1, %rax\n", "\tmovq\t$-1, %rax\n\txorl\t%ebx, %ebx\n")
    out = replayed(ctx, cand, rec)
    assert not out.check.passed and "rbx not preserved" in out.check.detail


def test_verify_accepts_on_recorded_states_what_generated_inputs_cannot_test(recorded):
    d, rec = recorded
    ctx = context(d, "lookup", rec)  # struct table * with pointer members: no generated inputs for it
    v = verify(ctx, Candidate(variant(d, "lookup", ("-O2",)), "embedded:-O2"))  # gcc's: no coverage needed
    assert v.accepted, v.reason
    assert v.states_tried == rec.functions["lookup"].states and "recorded calls of the workload" in v.reason
    assert any(c.name == "difftest" and "not testable this way" in c.detail for c in v.checks)
    wrong = _edit(ctx.baseline_asm, "addq\t$1, 16(%rdi)", "addq\t$2, 16(%rdi)")
    v = verify(ctx, Candidate(wrong, "test"))
    assert v.verdict == "reject" and v.checks[-1].name == "states", v.reason
    # without the recording, the same function cannot be verified at all
    v = verify(context(d, "lookup"), Candidate(variant(d, "lookup", ("-O2",)), "embedded:-O2"))
    assert v.verdict == "error" and "no recorded states" in v.reason


def test_states_from_a_program_built_from_other_code_are_not_used(recorded, tmp_path):
    d, rec = recorded
    # the source changed since the recording: on calls that find their key gcc's version now
    # returns something else, so those states are left out; the others still test the candidate
    src = (d / "prog.c").read_text()
    (tmp_path / "prog.c").write_text(src.replace("return (long)(p->w * 2);", "return (long)(p->w * 3);"))
    out = replayed(context(tmp_path, "lookup", rec), variant(tmp_path, "lookup", ("-O2",)), rec)
    assert out.ran and out.check.passed and out.unfaithful >= 1
    assert out.states + out.unfaithful == rec.functions["lookup"].states
    assert "not reproduced by gcc's version, left out" in out.check.detail
    # every call now writes something else: no state is usable
    (tmp_path / "prog.c").write_text(src.replace("lookups++;", "lookups += 2;"))
    out = replayed(context(tmp_path, "lookup", rec), variant(tmp_path, "lookup", ("-O2",)), rec)
    assert not out.ran and "reproduced none" in out.check.detail and "rebuilt since" in out.check.detail


GNU = r"""
#include <stdlib.h>
#include <stdio.h>
struct vm { const unsigned char *code; long acc; long steps; };
__attribute__((noinline)) long run(struct vm *m, long x)
{
    __auto_type pc = m->code;  /* GNU C: pycparser cannot read this file */
    m->acc = x;
    for (;;) {
        switch (*pc++) {
        case 0: m->acc += ({ __auto_type t = m->acc & 7; t + 1; }); break;
        case 1: m->acc *= 2; break;
        default: return m->acc;
        }
        m->steps++;
    }
}
int main(int argc, char **argv)
{
    static const unsigned char prog[] = { 0, 1, 0, 0, 1, 0, 1, 2 };
    struct vm m = { prog, 0, 0 };
    long s = 0, n = argc > 1 ? atol(argv[1]) : 3000000;
    for (long i = 0; i < n; i++) s += run(&m, i);
    printf("%ld %ld\n", s, m.steps);
    return 0;
}
"""


def test_gnu_c_that_pycparser_cannot_read_is_verified_on_its_recorded_calls(tmp_path):
    (tmp_path / "vm.c").write_text(GNU)
    subprocess.run(["gcc", "-O3", "-o", "vm", "vm.c"], cwd=tmp_path, check=True)
    rec, note = record.record(["./vm"], str(tmp_path), ["run"], tmp_path / "cache")
    assert rec is not None and rec.functions["run"].states >= 4, note
    ctx = context(tmp_path, "run", rec, src="vm.c")
    assert replay.returns_of(ctx).what == "long int in rax (64 bits)"  # gcc's DWARF gave the prototype
    v = verify(ctx, Candidate(variant(tmp_path, "run", ("-O1",), src="vm.c"), "embedded:-O1"))
    assert v.accepted and v.states_tried >= 4, v.reason
    wrong = _edit(ctx.baseline_asm, "addq\t$1, 16(%rdi)", "addq\t$1, 8(%rdi)")
    assert not verify(ctx, Candidate(wrong, "test")).accepted


def test_timing_on_recorded_states(recorded):
    d, rec = recorded
    ctx = context(d, "lookup", rec)
    m = measure.measure_states(ctx, Candidate(variant(d, "lookup", ("-O1",)), "test"), rounds=4, lock_dir=d / "cache")
    assert m is not None and m.rounds == 4
    assert m.method.startswith("replayed cycles (recorded states:")
    assert all(b > 0 for b in m.baseline) and all(c > 0 for c in m.candidate)
    # measure() takes that route by itself when the function has states
    m2 = measure.measure(ctx, Candidate(ctx.baseline_asm, "test"), rounds=3, lock_dir=d / "cache")
    assert m2.method.startswith("replayed cycles") and m2.rounds == 3
