"""What gcc prints, llmcc prints once; gcc's errors are the compile's result."""

from __future__ import annotations

from driver_helpers import log_events, run


def test_warning_printed_once(llmcc_bin, gcc, env, work):
    mine = run([llmcc_bin, "-Wall", "-c", "w.c"], env, work)
    theirs = run(["gcc", "-Wall", "-c", "w.c", "-o", "ref.o"], env, work)
    assert mine.returncode == theirs.returncode == 0
    assert b"unused variable" in mine.stderr
    assert mine.stderr == theirs.stderr
    assert mine.stderr.count(b"warning:") == 1


def test_warnings_of_several_sources_in_order(llmcc_bin, gcc, env, work):
    (work / "w2.c").write_text("int f2(void) { int z; return 0; }\n")
    mine = run([llmcc_bin, "-Wall", "-c", "w.c", "w2.c"], env, work)
    theirs = run(["gcc", "-Wall", "-c", "w.c", "w2.c"], env, work)
    assert mine.returncode == 0
    assert mine.stderr == theirs.stderr
    assert mine.stderr.index(b"w.c") < mine.stderr.index(b"w2.c")


def test_compile_error_is_gccs(llmcc_bin, gcc, env, work):
    (work / "bad.c").write_text("int f(void) { return undeclared_thing; }\n")
    mine = run([llmcc_bin, "-c", "bad.c"], env, work)
    assert not (work / "bad.o").exists()
    theirs = run(["gcc", "-c", "bad.c"], env, work)
    assert mine.returncode == theirs.returncode == 1
    assert mine.stderr == theirs.stderr
    assert mine.stderr.count(b"error:") == 1
    assert log_events(env) == []  # gcc's error is not an llmcc failure


def test_error_in_one_of_several_sources(llmcc_bin, gcc, env, work):
    """gcc compiles the other sources anyway and exits 1; so does llmcc."""
    (work / "bad.c").write_text("int f(void) { return undeclared_thing; }\n")
    mine = run([llmcc_bin, "-c", "bad.c", "k.c"], env, work)
    assert (work / "k.o").exists()
    (work / "k.o").unlink()
    theirs = run(["gcc", "-c", "bad.c", "k.c"], env, work)
    assert mine.returncode == theirs.returncode == 1
    assert mine.stderr == theirs.stderr


def test_werror(llmcc_bin, gcc, env, work):
    mine = run([llmcc_bin, "-Wall", "-Werror", "-c", "w.c"], env, work)
    theirs = run(["gcc", "-Wall", "-Werror", "-c", "w.c"], env, work)
    assert mine.returncode == theirs.returncode == 1
    assert mine.stderr == theirs.stderr


def test_failed_compile_leaves_what_gcc_leaves(llmcc_bin, gcc, env, work):
    """An old output of a failing compile: gcc -S deletes it, gcc -c leaves it."""
    (work / "bad.c").write_text("int f(void) { return undeclared_thing; }\n")
    for stage, out in (("-c", "bad.o"), ("-S", "bad.s")):
        left = []
        for tool in (str(llmcc_bin), "gcc"):
            (work / out).write_text("old")
            assert run([tool, stage, "bad.c"], env, work).returncode == 1
            left.append((work / out).exists())
        assert left[0] == left[1], stage
