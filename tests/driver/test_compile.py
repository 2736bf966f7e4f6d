"""The compile path: with no rewrites, llmcc's objects and assembly are gcc -O3's."""

from __future__ import annotations

from pathlib import Path

import pytest
from driver_helpers import log_events, run, sections_and_symbols


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["-O0"],
        ["-O2", "-g"],
        ["-fPIC", "-g3", "-march=x86-64-v2", "-Wall"],
        ["-Iinc", "-DSCALE_UNUSED=2", "-std=c11", "-ffunction-sections", "-fdata-sections"],
        ["-Os", "-fno-asynchronous-unwind-tables", "-Wa,--noexecstack"],
    ],
    ids=lambda f: " ".join(f) or "plain",
)
def test_object_is_gcc_O3(llmcc_bin, gcc, env, work, flags):
    for src in ("k.c", "u.c"):
        stem = src[:-2]
        r = run([llmcc_bin, *flags, "-Iinc", "-c", src, "-o", f"{stem}-mine.o"], env, work)
        assert r.returncode == 0, r.stderr
        assert r.stderr == b""
        g = run(["gcc", *flags, "-Iinc", "-c", src, "-o", f"{stem}-gcc.o", "-O3"], env, work)
        assert g.returncode == 0
        mine, ref = work / f"{stem}-mine.o", work / f"{stem}-gcc.o"
        assert sections_and_symbols(mine) == sections_and_symbols(ref)
        assert mine.read_bytes() == ref.read_bytes()
    assert log_events(env) == []


def test_default_output_name_and_several_sources(llmcc_bin, gcc, env, work):
    sub = work / "sub"
    sub.mkdir()
    r = run([llmcc_bin, "-c", "../k.c", "../u.c", "-I../inc"], env, sub)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in sub.iterdir()) == ["k.o", "u.o"]
    run(["gcc", "-c", "../k.c", "-O3", "-o", "ref.o"], env, sub)
    assert (sub / "k.o").read_bytes() == (sub / "ref.o").read_bytes()


def test_S_gives_the_assembly(llmcc_bin, gcc, env, work):
    r = run([llmcc_bin, "-S", "k.c", "-O1"], env, work)
    assert r.returncode == 0, r.stderr
    run(["gcc", "-S", "k.c", "-O1", "-O3", "-o", "ref.s"], env, work)
    assert (work / "k.s").read_text() == (work / "ref.s").read_text()
    assert "dot:" in (work / "k.s").read_text()
    r = run([llmcc_bin, "-S", "u.c", "-Iinc", "-o", "out/u.asm"], env, work)
    assert r.returncode != 0  # gcc cannot write into a missing directory either
    (work / "out").mkdir()
    r = run([llmcc_bin, "-S", "u.c", "-Iinc", "-o", "out/u.asm"], env, work)
    assert r.returncode == 0 and "scale:" in (work / "out" / "u.asm").read_text()


def test_opt_keep(llmcc_bin, gcc, env, work):
    env = dict(env, LLMCC_OPT="keep")
    assert run([llmcc_bin, "-O1", "-c", "k.c", "-o", "mine.o"], env, work).returncode == 0
    run(["gcc", "-O1", "-c", "k.c", "-o", "o1.o"], env, work)
    assert (work / "mine.o").read_bytes() == (work / "o1.o").read_bytes()


def test_x_c_and_response_file(llmcc_bin, gcc, env, work):
    (work / "k.txt").write_text((work / "k.c").read_text())
    (work / "args.rsp").write_text("-x c \"k.txt\" -c -o 'with space.o'\n")
    r = run([llmcc_bin, "@args.rsp"], env, work)
    assert r.returncode == 0, r.stderr
    run(["gcc", "-x", "c", "k.txt", "-O3", "-c", "-o", "ref.o"], env, work)
    assert sections_and_symbols(work / "with space.o")[0] == sections_and_symbols(work / "ref.o")[0]
    assert log_events(env) == []


def test_compile_and_link_in_one_go(llmcc_bin, gcc, env, work):
    r = run([llmcc_bin, "-o", "prog", "main.c", "k.c", "-Wall", "-lm"], env, work)
    assert r.returncode == 0, r.stderr
    assert run([work / "prog"], env, work).stdout == b"510 47\n"
    # no temporary object is left next to the sources
    assert not list(work.glob("*.o"))
    r = run([llmcc_bin, "main.c", "k.c"], env, work)
    assert r.returncode == 0 and run([work / "a.out"], env, work).stdout == b"510 47\n"


def test_compile_and_link_errors(llmcc_bin, gcc, env, work):
    mine = run([llmcc_bin, "-o", "prog", "main.c"], env, work)
    theirs = run(["gcc", "-o", "prog", "main.c"], env, work)
    assert mine.returncode == theirs.returncode == 1
    assert b"undefined reference to `dot'" in mine.stderr
    (work / "bad.c").write_text("int broken( {\n")
    mine = run([llmcc_bin, "-o", "prog2", "bad.c", "k.c"], env, work)
    theirs = run(["gcc", "-o", "prog2", "bad.c", "k.c"], env, work)
    assert mine.returncode == theirs.returncode == 1
    assert mine.stderr == theirs.stderr
    assert not (work / "prog2").exists()


def test_output_to_dev_null(llmcc_bin, gcc, env, work):
    r = run([llmcc_bin, "-c", "k.c", "-o", "/dev/null"], env, work)
    assert r.returncode == 0, r.stderr
    assert Path("/dev/null").is_char_device()


def test_outputs_written_atomically(llmcc_bin, gcc, env, work):
    """An old object is replaced and no temporary file is left beside it."""
    (work / "k.o").write_text("old")
    r = run([llmcc_bin, "-c", "k.c"], env, work)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []
    assert (work / "k.o").read_bytes()[:4] == b"\x7fELF"


@pytest.mark.parametrize("stage", ["-c", "-S"])
def test_output_that_is_a_symlink(llmcc_bin, gcc, env, work, stage):
    """gcc -S writes through a symlinked output, while the assembler of gcc -c replaces the
    link: llmcc leaves the same files behind."""
    left = {}
    for tool in (str(llmcc_bin), "gcc"):
        (work / "real.out").write_text("old")
        (work / "link.out").symlink_to("real.out")
        r = run([tool, stage, "k.c", "-o", "link.out"], env, work)
        assert r.returncode == 0, r.stderr
        left[tool] = ((work / "link.out").is_symlink(), (work / "real.out").read_bytes() == b"old")
        (work / "link.out").unlink()
        (work / "real.out").unlink()
    assert left[str(llmcc_bin)] == left["gcc"]


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "k.c", "-o", "k.c"],
        ["-S", "k.c", "-o", "./k.c"],
        ["-o", "k.c", "k.c", "main.c"],
        ["-c", "k.c", "-o", "missing/k.o"],
        ["-S", "k.c", "-o", "missing/k.s"],
    ],
    ids=lambda a: " ".join(a),
)
def test_outputs_gcc_refuses(llmcc_bin, gcc, env, work, args):
    """An output that is an input, or in a missing directory: gcc's error, and the source intact."""
    before = (work / "k.c").read_bytes()
    mine = run([llmcc_bin, *args], env, work)
    theirs = run(["gcc", *args], env, work)
    assert mine.returncode == theirs.returncode != 0
    assert mine.stderr == theirs.stderr
    assert (work / "k.c").read_bytes() == before
    assert log_events(env) == []
