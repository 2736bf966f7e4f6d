"""The embedded proposer on real gcc output: distinct, allowed, self-contained variants."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize.candidate import Context, Feedback
from gcc_wrapper.optimize.propose import embedded

SRC = """
static int helper(int x) { return x * 3 + 1; }
int sum(const int *a, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += helper(a[i]) ^ (a[i] >> 2);
    return s;
}
"""


def context(tmp: Path, src: str = SRC, name: str = "sum") -> Context:
    f = tmp / "s.c"
    f.write_text(src)
    unit_text = subprocess.run(
        ["gcc", "-O3", "-S", "-o", "-", str(f)], capture_output=True, text=True, check=True
    ).stdout
    fn = asm.parse(unit_text).functions[name]
    return Context(
        name=name,
        source_path=str(f),
        cflags=("-O3",),
        baseline_asm=fn.text(),
        unit_asm=unit_text,
        key="k-" + name,
        cwd=str(tmp),
    )


def test_variants_are_distinct_allowed_and_not_the_baseline(tmp_path):
    ctx = context(tmp_path)
    p = embedded.EmbeddedProposer()
    cands = p.propose(ctx, [], 4)
    assert cands, "no variant differs from gcc -O3"
    norms = {asm.parse_function(c.asm, "sum").normalized() for c in cands}
    assert len(norms) == len(cands)
    assert asm.parse_function(ctx.baseline_asm, "sum").normalized() not in norms
    for c in cands:
        assert c.proposer.startswith("embedded:")
        assert embedded.allowed(c.meta["flags"])
        assert not any(f.startswith(("-march", "-ffast-math", "-Ofast")) for f in c.meta["flags"])
    # refinement: children add one dimension to the parent's flags
    kids = p.propose(ctx, [Feedback(cands[0])], 2)
    for k in kids:
        assert set(cands[0].meta["flags"]) <= set(k.meta["flags"])
        assert len(k.meta["variant"].choices) == 2


def test_denylist_catches_semantics_and_isa_changes():
    for bad in (
        ["-ffast-math"],
        ["-Ofast"],
        ["-O2", "-funsafe-math-optimizations"],
        ["-mavx2"],
        ["-march=native"],
        ["-fwrapv"],
        ["-ffinite-math-only"],
    ):
        assert not embedded.allowed(bad), bad
    for good in (["-O2"], ["-funroll-loops"], ["-mtune=native"], ["-fvect-cost-model=cheap"]):
        assert embedded.allowed(good), good
    # every flag set the table can produce passes
    assert all(embedded.allowed(c.split()) for _, choices in embedded.DIMENSIONS for c in choices)


def test_candidate_may_not_call_what_the_baseline_lacks():
    unit = "\t.text\nf:\n\tcall\thelper\n\tret\n"
    assert embedded.refs_within("f:\n\tcall\thelper\n\tret\n", unit)
    assert not embedded.refs_within("f:\n\tcall\thelper.part.0\n\tret\n", unit)
    assert not embedded.refs_within("f:\n\tcall\tmemset@PLT\n\tret\n", unit)
    assert embedded.refs_within("f:\n\tcall\tf.cold\n\tret\nf.cold:\n\tret\n", unit)
    assert not embedded.refs_within("f:\n\tmovq\t.LC3(%rip), %xmm0\n\tret\n", unit)


def test_a_function_that_disappears_yields_nothing(tmp_path):
    # at -O2 and above gcc keeps `sq` (it is global) but a static one is inlined away
    src = "static int sq(int x) { return x * x; }\nint user(int n) { int s = 0; for (int i = 0; i < n; i++) s += sq(i); return s; }\n"
    ctx = context(tmp_path, src, "user")
    gone = Context(**{**ctx.__dict__, "name": "sq"})
    assert embedded.EmbeddedProposer().propose(gone, [], 3) == []


def test_the_root_tries_one_choice_of_each_kind_before_a_second_dispatch_choice():
    p = embedded.EmbeddedProposer()
    levels = ("x86-64-v2", "x86-64-v3", "x86-64-v4")
    for ident in ("a.c:f", "b.c:g", "c.c:main"):
        kids = p._children(embedded.Variant(()), ident, levels)
        heads = [k.choices[0] for k in kids[:3]]
        assert heads == [
            ("dispatch", "x86-64-v3"),
            ("pgo", "-fprofile-use"),
            ("dispatch", "x86-64-v2 x86-64-v3 x86-64-v4"),
        ]
        assert {k.choices[0][0] for k in kids[3:8]} <= {"unroll", "vectorize"}
    # without levels to dispatch to, profile feedback comes first
    assert p._children(embedded.Variant(()), "a.c:f", ())[0].choices[0][0] == "pgo"
