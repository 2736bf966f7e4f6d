"""Finding the real gcc: masquerade (llmcc installed as gcc), launcher mode, LLMCC_CC, loop
guards; and the cached facts about a compiler."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from driver_helpers import log_events, run

from gcc_wrapper.compile import compiler


def _path_with(first: Path, env: dict[str, str]) -> dict[str, str]:
    return dict(env, PATH=f"{first}{os.pathsep}{env['PATH']}")


def test_masquerade_symlink_named_gcc(llmcc_bin, gcc, env, work, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "gcc").symlink_to(llmcc_bin)
    env = _path_with(bindir, env)
    # through the symlink every word is gcc's: --version is gcc's, not llmcc's
    assert run(["gcc", "--version"], env, work).stdout == run([gcc, "--version"], env, work).stdout
    # a compile goes through llmcc (the fault hook proves it) and ends in the real gcc
    r = run(["gcc", "-c", "k.c"], dict(env, LLMCC_FAULT="exception"), work)
    assert r.returncode == 0, r.stderr
    assert (work / "k.o").exists()
    assert [e["reason"] for e in log_events(env)] == ["exception"]
    # and without a fault it compiles as gcc -O3
    r = run(["gcc", "-c", "k.c", "-o", "m.o"], env, work)
    run([gcc, "-c", "k.c", "-O3", "-o", "ref.o"], env, work)
    assert (work / "m.o").read_bytes() == (work / "ref.o").read_bytes()


def test_wrapper_script_loop_is_broken(llmcc_bin, gcc, env, work, tmp_path):
    """A `gcc` script that calls llmcc cannot be seen through by realpath; the LLMCC_SEEN
    marker makes the nested llmcc skip it and find the real gcc."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "gcc"
    script.write_text(f'#!/bin/sh\nexec "{llmcc_bin}" "$@"\n')
    script.chmod(0o755)
    env = _path_with(bindir, env)
    r = run(["gcc", "-c", "k.c"], env, work)
    assert r.returncode == 0, r.stderr
    assert (work / "k.o").exists()
    assert run(["gcc", "-dumpmachine"], env, work).stdout == run([gcc, "-dumpmachine"], env, work).stdout


def test_cc_pointing_at_llmcc_is_not_followed(llmcc_bin, gcc, env, work):
    env = dict(env, LLMCC_CC=str(llmcc_bin))
    r = run([llmcc_bin, "-c", "k.c"], env, work)
    assert r.returncode == 0, r.stderr
    assert (work / "k.o").exists()


def test_llmcc_cc_chooses_the_compiler(llmcc_bin, gcc, env, work, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "mygcc"
    fake.write_text(f'#!/bin/sh\necho "via mygcc" >&2\nexec "{gcc}" "$@"\n')
    fake.chmod(0o755)
    r = run([llmcc_bin, "-dumpmachine"], dict(env, LLMCC_CC=str(fake)), work)
    assert r.returncode == 0 and r.stderr == b"via mygcc\n"
    r = run([llmcc_bin, "-c", "k.c"], dict(env, LLMCC_CC="/nonexistent/gcc"), work)
    assert r.returncode != 0 and b"/nonexistent/gcc" in r.stderr


def test_launcher_mode(llmcc_bin, gcc, env, work):
    r = run([llmcc_bin, gcc, "-c", "k.c", "-o", "l.o"], env, work)
    assert r.returncode == 0, r.stderr
    run([gcc, "-c", "k.c", "-O3", "-o", "ref.o"], env, work)
    assert (work / "l.o").read_bytes() == (work / "ref.o").read_bytes()
    assert run([llmcc_bin, "gcc", "-dumpversion"], env, work).stdout == run([gcc, "-dumpversion"], env, work).stdout
    # `llmcc llmcc gcc ...` (launcher and compiler both llmcc) still ends in gcc
    r = run([llmcc_bin, llmcc_bin, "-c", "k.c", "-o", "l2.o"], env, work)
    assert r.returncode == 0 and (work / "l2.o").read_bytes() == (work / "ref.o").read_bytes()


def test_find_real_compiler_words(llmcc_bin, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(llmcc_bin)])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv(compiler.SEEN_ENV, raising=False)
    cc, rest = compiler.find_real_compiler(str(llmcc_bin), ["/usr/bin/cc", "-c", "x.c"], None)
    assert (cc, rest) == ("/usr/bin/cc", ["-c", "x.c"])
    cc, rest = compiler.find_real_compiler(str(llmcc_bin), ["-c", "gcc.c"], None)
    assert os.path.basename(cc) == "gcc" and rest == ["-c", "gcc.c"]
    assert compiler.is_gcc("/usr/bin/cc") and compiler.is_gcc("/usr/bin/gcc")


def test_identity_and_native_are_cached(gcc, tmp_path, monkeypatch):
    ident = compiler.identity(gcc, cache_dir=tmp_path)
    assert ident.startswith("gcc 12.") and "x86_64" in ident
    native = compiler.expand_march_native(gcc, cache_dir=tmp_path)
    assert native[0].startswith("-march=") and any(w.startswith("-mtune=") for w in native)
    assert "-march=native" not in native
    assert (tmp_path / "compilers.json").exists()

    def no_gcc(*a, **k):
        raise AssertionError("gcc was asked again")

    # the cached answers are used: gcc is not run a second time
    monkeypatch.setattr(compiler, "_run", no_gcc)
    assert compiler.identity(gcc, cache_dir=tmp_path) == ident
    assert compiler.expand_march_native(gcc, cache_dir=tmp_path) == native
    monkeypatch.undo()
    # the identity does not depend on where or when the binary was installed
    other = tmp_path / "other"
    assert compiler.identity(gcc, cache_dir=other) == ident


def test_build_id_matches_readelf(gcc):
    import re
    import subprocess

    cc1 = subprocess.run([gcc, "-print-prog-name=cc1"], capture_output=True, text=True).stdout.strip()
    notes = subprocess.run(["readelf", "-n", cc1], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", notes)
    assert m, "cc1 has no build ID"
    assert compiler._elf_build_id(cc1) == m.group(1)
    assert compiler._elf_build_id(__file__) is None


def test_launcher_words_that_are_not_compilers(llmcc_bin, gcc, env, work, tmp_path):
    """An executable first word is a compiler only if it is named like one."""
    lib = tmp_path / "libgcc_s.so.1"
    lib.write_bytes(b"\x7fELF")
    lib.chmod(0o755)
    inv_words = [str(lib), "-c", "k.c"]
    cc, rest = compiler.find_real_compiler(str(llmcc_bin), inv_words, None)
    assert rest == inv_words and os.path.basename(cc) == "gcc"


def test_launcher_with_another_compiler_passes_through(llmcc_bin, gcc, env, work, tmp_path):
    """`llmcc g++ -c x.c` compiles C++ (g++ treats .c as C++): llmcc leaves it to g++."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "clang"
    fake.write_text(f'#!/bin/sh\necho "clang stand-in" >&2\nexec "{gcc}" "$@"\n')
    fake.chmod(0o755)
    r = run([llmcc_bin, fake, "-O0", "-c", "k.c", "-o", "c.o"], env, work)
    assert r.returncode == 0 and r.stderr == b"clang stand-in\n"
    run([gcc, "-O0", "-c", "k.c", "-o", "ref.o"], env, work)
    assert (work / "c.o").read_bytes() == (work / "ref.o").read_bytes()


def test_config_file_rule_is_configs(tmp_path, monkeypatch):
    """compiler._config_files_exist(compiler.Lookups()) (the early pass-through's test) agrees with config.py."""
    from gcc_wrapper.compile import config

    deep = tmp_path / "proj" / "sub" / "dir"
    deep.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(deep)

    def config_says() -> bool:
        return config.user_file().is_file() or config.find_project_file() is not None

    assert compiler._config_files_exist(compiler.Lookups()) is config_says() is False
    (tmp_path / "proj" / "llmcc.toml").write_text("")
    assert compiler._config_files_exist(compiler.Lookups()) is config_says() is True
    (tmp_path / "proj" / "llmcc.toml").unlink()
    (tmp_path / "xdg" / "llmcc").mkdir(parents=True)
    (tmp_path / "xdg" / "llmcc" / "config.toml").write_text("")
    assert compiler._config_files_exist(compiler.Lookups()) is config_says() is True


def test_assembler_run_directly(llmcc_bin, gcc, env, work, tmp_path):
    """llmcc runs the `as` command gcc -### names (one process fewer), and the object is gcc's."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real_as = subprocess.run([gcc, "-print-prog-name=as"], capture_output=True, text=True).stdout.strip()
    real_as = shutil.which(real_as) or real_as
    (bindir / "as").write_text(f'#!/bin/sh\ncat /proc/$PPID/comm >> "{tmp_path}/parents"\nexec "{real_as}" "$@"\n')
    (bindir / "as").chmod(0o755)
    env = dict(env, PATH=f"{bindir}{os.pathsep}{env['PATH']}")
    r = run([llmcc_bin, "-g", "-Wa,--noexecstack", "-c", "k.c", "-o", "mine.o"], env, work)
    assert r.returncode == 0, r.stderr
    parents = (tmp_path / "parents").read_text().split()
    assert len(parents) == 1 and "gcc" not in parents[0] and not parents[0].startswith("x86_64")
    run([gcc, "-g", "-Wa,--noexecstack", "-c", "k.c", "-O3", "-o", "ref.o"], env, work)
    assert (work / "mine.o").read_bytes() == (work / "ref.o").read_bytes()


def test_assembler_command(gcc, tmp_path, monkeypatch):
    cmd = compiler.assembler_command(gcc, ["-g", "-Wa,--noexecstack"], cache_dir=tmp_path)
    assert cmd is not None and os.path.basename(cmd[0]).endswith("as")
    assert "--noexecstack" in cmd and cmd[-1] == "-" and compiler._AS_OUTPUT in cmd
    monkeypatch.setenv("GCC_EXEC_PREFIX", "/nonexistent/")
    assert compiler.assembler_command(gcc, ["-g"], cache_dir=tmp_path) is None


def test_identity_from_one_probe_matches_the_three_questions(gcc, tmp_path):
    # the identity reads version, target and cc1 from one `-###` run: they must be what
    # -dumpfullversion, -dumpmachine and -print-prog-name=cc1 answer
    asked = [
        subprocess.run([gcc, q], capture_output=True, text=True, check=True).stdout.strip()
        for q in ("-dumpfullversion", "-dumpmachine", "-print-prog-name=cc1")
    ]
    assert list(compiler._describe(gcc, compiler.Lookups()))[:3] == asked
    version, machine, _ = asked
    assert compiler.identity(gcc, cache_dir=tmp_path).startswith(f"gcc {version} {machine} ")


def test_identity_probe_answers_the_assembler_command_too(gcc, tmp_path):
    # the `as` the identity's -### run shows (reading stdin in place of cc1's file) is the one a
    # -### run for assembly on stdin shows: the first compile into a new cache asks gcc once
    fresh = tmp_path / "fresh"
    asked = compiler.assembler_command(gcc, (), cache_dir=fresh)
    assert asked is not None and asked[-1] == "-"
    seeded = tmp_path / "seeded"
    compiler.identity(gcc, cache_dir=seeded)
    # (each call without a compile's Lookups reads the answers from the file again)
    assert (
        json.loads((seeded / "compilers.json").read_text())[compiler._assembler_key(gcc, (), compiler.Lookups())]
        == asked
    )
    assert compiler.assembler_command(gcc, (), cache_dir=seeded) == asked


def test_verbose_command_words_are_read_as_gcc_quotes_them(gcc, tmp_path):
    # gcc -### quotes a word with a space, a quote, a backslash or a dollar sign, escaping the
    # last three: the object path must come back exactly
    out = str(tmp_path / 'a b"c\\d$e.o')
    err = subprocess.run(
        [gcc, "-###", "-c", "-x", "assembler", "-", "-o", out], capture_output=True, text=True, check=True
    ).stderr
    line = next(ln for ln in err.splitlines() if ln.startswith(" ") and " -o " in ln)
    words = compiler._split_verbose(line)
    assert words[words.index("-o") + 1] == out
