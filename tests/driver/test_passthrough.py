"""Command lines that do not compile C to object code reach gcc untouched: same stdout,
stderr and exit status as gcc itself, and no llmcc work (nothing logged)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from driver_helpers import log_events, run


def _both(llmcc_bin, gcc, args, env, cwd, stdin=None):
    mine = run([llmcc_bin, *args], env, cwd, stdin)
    theirs = run(["gcc", *args], env, cwd, stdin)
    return mine, theirs


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["-dumpversion"],
        ["-dumpfullversion"],
        ["-dumpmachine"],
        ["-print-prog-name=cc1"],
        ["-print-search-dirs"],
        ["-print-multiarch"],
        ["-v"],
        ["--help=warnings"],
        ["-E", "k.c"],
        ["-E", "-dM", "-Iinc", "u.c"],
        ["-M", "u.c", "-Iinc"],
        ["-MM", "u.c", "-Iinc"],
        ["-fsyntax-only", "w.c", "-Wall"],
        ["-c", "no-such-file.c"],
        ["-c", "k.c", "--no-such-option-for-gcc"],
    ],
    ids=lambda a: " ".join(a),
)
def test_same_output_as_gcc(llmcc_bin, gcc, env, work, args):
    mine, theirs = _both(llmcc_bin, gcc, args, env, work)
    assert mine.returncode == theirs.returncode
    assert mine.stdout == theirs.stdout
    assert mine.stderr == theirs.stderr
    assert log_events(env) == []


def test_hash_hash_hash(llmcc_bin, gcc, env, work):
    """-### prints gcc's plan; only its random temporary names differ between two runs."""
    mine, theirs = _both(llmcc_bin, gcc, ["-###", "-O2", "-c", "k.c"], env, work)
    tmp = re.compile(rb"/tmp/cc\w+")
    assert mine.returncode == theirs.returncode == 0
    assert tmp.sub(b"TMP", mine.stderr) == tmp.sub(b"TMP", theirs.stderr)
    assert b"cc1" in mine.stderr


def test_link_only(llmcc_bin, gcc, env, work):
    assert run(["gcc", "-O2", "-c", "k.c", "main.c"], env, work).returncode == 0
    r = run([llmcc_bin, "-o", "prog", "k.o", "main.o"], env, work)
    assert r.returncode == 0, r.stderr
    assert run([work / "prog"], env, work).stdout == b"510 47\n"
    assert log_events(env) == []


def test_link_error_is_gccs(llmcc_bin, gcc, env, work):
    assert run(["gcc", "-c", "main.c"], env, work).returncode == 0
    mine, theirs = _both(llmcc_bin, gcc, ["-o", "prog", "main.o"], env, work)
    assert mine.returncode == theirs.returncode != 0
    assert b"undefined reference to `dot'" in mine.stderr


def test_stdin_source(llmcc_bin, gcc, env, work):
    src = b"int from_stdin(void) { return 42; }\n"
    r = run([llmcc_bin, "-x", "c", "-c", "-", "-o", "s.o"], env, work, stdin=src)
    assert r.returncode == 0, r.stderr
    nm = run(["nm", "s.o"], env, work).stdout
    assert b"T from_stdin" in nm
    assert log_events(env) == []


@pytest.mark.parametrize(
    "name,text",
    [
        ("a.s", "\t.globl f\nf:\n\tret\n"),
        ("a.S", "#define RET ret\n\t.globl f\nf:\n\tRET\n"),
        ("a.i", "int f(void) { return 1; }\n"),
    ],
)
def test_other_languages(llmcc_bin, gcc, env, work, name, text):
    (work / name).write_text(text)
    r = run([llmcc_bin, "-c", name, "-o", "mine.o"], env, work)
    assert r.returncode == 0, r.stderr
    assert run(["gcc", "-c", name, "-o", "theirs.o"], env, work).returncode == 0
    assert (work / "mine.o").read_bytes() == (work / "theirs.o").read_bytes()
    assert log_events(env) == []


def test_disable(llmcc_bin, gcc, env, work):
    """LLMCC_DISABLE=1: gcc with the user's flags, so no forced -O3 (an -O0 object stays -O0)."""
    env = dict(env, LLMCC_DISABLE="1")
    r = run([llmcc_bin, "-O0", "-c", "k.c", "-o", "mine.o"], env, work)
    assert r.returncode == 0, r.stderr
    run(["gcc", "-O0", "-c", "k.c", "-o", "o0.o"], env, work)
    assert (work / "mine.o").read_bytes() == (work / "o0.o").read_bytes()


def test_exec_keeps_argv0(llmcc_bin, gcc, env, work):
    """gcc -v reports the program it was run as (COLLECT_GCC): the same as a user running gcc."""
    mine = run([llmcc_bin, "-v"], env, work).stderr
    assert b"COLLECT_GCC=gcc\n" in mine


def test_response_file_to_passthrough(llmcc_bin, gcc, env, work):
    (work / "opts").write_text("-E\n'k.c'\n")
    mine, theirs = _both(llmcc_bin, gcc, ["@opts"], env, work)
    assert mine.returncode == theirs.returncode == 0
    assert mine.stdout == theirs.stdout and b"pick" in mine.stdout


def test_flto_and_save_temps_pass_through(llmcc_bin, gcc, env, work: Path):
    r = run([llmcc_bin, "-O2", "-save-temps", "-c", "k.c"], env, work)
    assert r.returncode == 0, r.stderr
    assert (work / "k.i").exists() and (work / "k.s").exists()
    # -save-temps keeps gcc's own -O2 (nothing was forced): its k.s equals gcc -O2 -S
    run(["gcc", "-O2", "-S", "k.c", "-o", "ref.s"], env, work)
    assert (work / "k.s").read_bytes() == (work / "ref.s").read_bytes()


@pytest.mark.parametrize("args", [["--version"], ["-E", "k.c"], ["-o", "prog", "k.o"], ["-dumpmachine"]])
def test_pass_through_imports_almost_nothing(llmcc_bin, gcc, env, work, args):
    """A command line llmcc does not compile is decided before the driver, the configuration,
    the cache or dataclasses are imported."""
    r = run([sys.executable, "-X", "importtime", llmcc_bin.with_name("llmcc-py"), *args], env, work)
    imported = {line.split("|")[-1].strip() for line in r.stderr.decode().splitlines() if "|" in line}
    assert "gcc_wrapper.compile.args" in imported
    assert not imported & {
        "gcc_wrapper.compile.driver",
        "gcc_wrapper.compile.config",
        "cache",
        "dataclasses",
        "subprocess",
    }


def test_compile_goes_to_the_driver(llmcc_bin, gcc, env, work):
    r = run([sys.executable, "-X", "importtime", llmcc_bin.with_name("llmcc-py"), "-c", "k.c"], env, work)
    assert r.returncode == 0
    assert b"gcc_wrapper.compile.driver" in r.stderr and (work / "k.o").exists()


def test_config_file_takes_the_long_way(llmcc_bin, gcc, env, work, tmp_path):
    """With a configuration file, `cc` may name another compiler: pass-through reads it."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "mygcc"
    fake.write_text(f'#!/bin/sh\necho "via mygcc" >&2\nexec "{gcc}" "$@"\n')
    fake.chmod(0o755)
    (work / "llmcc.toml").write_text(f'cc = "{fake}"\n')
    r = run([llmcc_bin, "-dumpmachine"], env, work)
    assert r.returncode == 0 and r.stderr == b"via mygcc\n"
