"""Dependency files: llmcc writes the .d file gcc -c (or -S) would write, byte for byte."""

from __future__ import annotations

import pytest
from driver_helpers import run

CASES = [
    ["-c", "u.c", "-MD"],
    ["-c", "u.c", "-MMD"],
    ["-c", "u.c", "-MMD", "-MP"],
    ["-c", "u.c", "-MD", "-MF", "deps/custom.dep"],
    ["-c", "u.c", "-MD", "-MT", "foo"],
    ["-c", "u.c", "-MD", "-MQ", "b$r", "-MT", "t2"],
    ["-c", "u.c", "-MMD", "-o", "obj/u.o"],
    ["-c", "u.c", "-MD", "-o", "obj/o$ut.obj.o", "-MP"],
    ["-c", "u.c", "-MD", "-o", "obj/noext"],
    ["-c", "u.c", "-MMD", "-MFdeps/glued.d", "-MTglued"],
    ["-S", "u.c", "-MD"],
    ["-S", "u.c", "-MMD", "-o", "obj/u.s"],
    ["-c", "u.c", "k.c", "-MD"],
    ["-c", "u.c", "-o", "obj/u.o", "-Wp,-MMD,deps/kernel-style.d"],
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a))
def test_depfile_equals_gccs(llmcc_bin, gcc, env, work, args):
    (work / "obj").mkdir()
    (work / "deps").mkdir()
    before = set(work.rglob("*"))
    g = run(["gcc", "-Iinc", *args], env, work)
    assert g.returncode == 0, g.stderr
    theirs = {p: p.read_bytes() for p in set(work.rglob("*")) - before if p.is_file()}
    deps = {p: d for p, d in theirs.items() if p.suffix in (".d", ".dep") or p.name == "noext.d"}
    assert deps, "gcc wrote no dependency file"
    for p in theirs:
        p.unlink()
    r = run([llmcc_bin, "-Iinc", *args], env, work)
    assert r.returncode == 0, r.stderr
    mine = {p: p.read_bytes() for p in set(work.rglob("*")) - before if p.is_file()}
    assert sorted(mine) == sorted(theirs)  # the same files, in the same places
    for p, d in deps.items():
        assert mine[p] == d, p.name


def test_MG_without_M_is_gccs_error(llmcc_bin, gcc, env, work):
    mine = run([llmcc_bin, "-Iinc", "-c", "u.c", "-MD", "-MG"], env, work)
    theirs = run(["gcc", "-Iinc", "-c", "u.c", "-MD", "-MG"], env, work)
    assert mine.returncode == theirs.returncode == 1
    assert mine.stderr == theirs.stderr


def test_dependencies_output_variable(llmcc_bin, gcc, env, work):
    """DEPENDENCIES_OUTPUT makes cc1 write a dependency file on its own: gcc's business."""
    for tool, name in ((str(llmcc_bin), "mine.d"), ("gcc", "theirs.d")):
        r = run([tool, "-Iinc", "-c", "u.c", "-o", "obj.o"], dict(env, DEPENDENCIES_OUTPUT=name), work)
        assert r.returncode == 0, r.stderr
    assert (work / "mine.d").read_bytes() == (work / "theirs.d").read_bytes()
