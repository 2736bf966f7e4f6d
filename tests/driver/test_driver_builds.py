"""Real builds of examples/ through llmcc: make, CMake (toolchain file and launcher), and the
probes autoconf's configure runs against a compiler."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from driver_helpers import log_events, run

EXPECTED = (Path(__file__).resolve().parents[2] / "examples" / "expected_output.txt").read_bytes()
OBJS = ["main.o", "crc.o", "sort.o", "matrix.o", "text.o", "hist.o"]


def test_expected_output_is_gccs(gcc, env, example_copy):
    """The committed expected output is what a plain gcc -O0 build prints (the llmcc builds
    below are -O3: the two agree because every result of the workload is exact)."""
    r = run(["make", "-s", "-j2", "CC=gcc", "CFLAGS=-O0", "demo"], env, example_copy)
    assert r.returncode == 0, r.stderr
    assert run([example_copy / "demo"], env, example_copy).stdout == EXPECTED


def test_make_j4_with_cc_llmcc(llmcc_bin, gcc, env, example_copy):
    r = run(["make", "-j4", "CC=llmcc", "CFLAGS=-O0 -Wall", "check"], env, example_copy)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"check: OK" in r.stdout
    assert r.stderr == b""
    # the objects are gcc -O3's (forced level), not the -O0 asked for: llmcc compiled them
    for obj in ("crc.o", "sort.o"):
        src = obj.replace(".o", ".c")
        run(["gcc", "-O0", "-Wall", "-c", src, "-O3", "-o", "ref.o"], env, example_copy)
        assert (example_copy / obj).read_bytes() == (example_copy / "ref.o").read_bytes()
    assert log_events(env) == []
    # rebuilding after touching the header goes through llmcc again and still passes
    (example_copy / "kernels.h").touch()
    r = run(["make", "-j4", "CC=llmcc", "check"], env, example_copy)
    assert r.returncode == 0, r.stderr


def _cmake(args, env, cwd):
    r = run(["cmake", *args], env, cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def _cache_value(build: Path, name: str) -> str:
    text = (build / "CMakeCache.txt").read_text()
    m = re.search(rf"^{name}:\w+=(.*)$", text, re.M)
    return m.group(1) if m else ""


def _compiler_id(build: Path) -> str:
    for f in build.glob("CMakeFiles/*/CMakeCCompiler.cmake"):
        m = re.search(r'set\(CMAKE_C_COMPILER_ID "(\w*)"\)', f.read_text())
        if m:
            return m.group(1)
    return ""


@pytest.mark.parametrize("how", ["toolchain", "launcher"])
def test_cmake(llmcc_bin, gcc, env, example_copy, how):
    build = example_copy / "build"
    if how == "toolchain":
        toolchain = run([llmcc_bin, "--print-toolchain-file"], env, example_copy).stdout.decode().strip()
        args = [f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"]
    else:
        args = ["-DCMAKE_C_COMPILER_LAUNCHER=llmcc", "-DCMAKE_C_COMPILER=gcc"]
    _cmake([*args, "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Debug"], env, example_copy)
    assert _compiler_id(build) == "GNU"
    if how == "toolchain":
        assert os.path.samefile(_cache_value(build, "CMAKE_C_COMPILER"), llmcc_bin)
    _cmake(["--build", "build", "-j2"], env, example_copy)
    r = run(["ctest", "--output-on-failure"], env, build)
    assert r.returncode == 0, r.stdout
    # Debug asks for -O0 -g; the objects are gcc -O3 -g's: llmcc compiled them
    objs = list(build.rglob("crc.c.o"))
    assert len(objs) == 1
    run(["gcc", "-g", "-c", "crc.c", "-O3", "-o", "ref.o"], env, example_copy)
    ref = run(["objdump", "-d", "--no-show-raw-insn", "ref.o"], env, example_copy).stdout
    mine = run(["objdump", "-d", "--no-show-raw-insn", objs[0]], env, example_copy).stdout
    assert mine.split(b"\n", 2)[2] == ref.split(b"\n", 2)[2]
    # CMake's dependency scanning uses the compiler's -MD files: they exist and name the header
    deps = list(build.rglob("crc.c.o.d"))
    assert deps and b"kernels.h" in deps[0].read_bytes()
    assert log_events(env) == []


def test_autoconf_style_probes(llmcc_bin, gcc, env, tmp_path):
    d = tmp_path / "conf"
    d.mkdir()
    (d / "conftest.c").write_text("int main(void) { return 0; }\n")
    (d / "gnu.c").write_text("int main(void) {\n#ifndef __GNUC__\n  choke me\n#endif\n  return 0;\n}\n")
    for probe in (["--version"], ["-v"], ["-V"], ["-qversion"], ["-E", "gnu.c"]):
        mine, theirs = run([llmcc_bin, *probe], env, d), run(["gcc", *probe], env, d)
        assert (mine.returncode, mine.stdout, mine.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    # compile and link, then run
    r = run([llmcc_bin, "-g", "-O2", "-o", "conftest", "conftest.c"], env, d)
    assert r.returncode == 0, r.stderr
    assert run([d / "conftest"], env, d).returncode == 0
    assert sorted(p.name for p in d.iterdir()) == ["conftest", "conftest.c", "gnu.c"]
    # suffix of object files
    assert run([llmcc_bin, "-c", "conftest.c"], env, d).returncode == 0
    assert (d / "conftest.o").exists()
    # -c and -o together, twice
    for _ in range(2):
        assert run([llmcc_bin, "-c", "conftest.c", "-o", "conftest2.o"], env, d).returncode == 0
    assert (d / "conftest2.o").exists()
    # a program that must not compile
    (d / "bad.c").write_text("int main(void) { return nope; }\n")
    assert run([llmcc_bin, "-o", "bad", "bad.c"], env, d).returncode != 0
    assert not (d / "bad").exists()
    assert log_events(env) == []
