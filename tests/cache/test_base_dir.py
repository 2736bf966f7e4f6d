"""base_dir: a second checkout of a project, built with the cache the first one filled, reuses
gcc's cached output where gcc's output would be the same there, and its objects and dependency
files are byte for byte what gcc writes in that second directory, with and without -g, with
absolute and relative paths. Where the output names the directory (-g without a prefix map,
__FILE__ of an absolute path) the second checkout compiles anew: the reference is always a
plain gcc build in the second directory."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cache.tu import local_deps, portable_deps, relative_words

HEADER = "#define SCALE 3\nstatic inline int twice(int x) { return 2 * x; }\n"
KERNEL = """\
#include "k.h"
int dot(const int *a, const int *b, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += twice(a[i]) * b[i] * SCALE;
    return s;
}
"""
WHERE = '#include "k.h"\nconst char *where(void) { return __FILE__; }\nint line(void) { return __LINE__ * SCALE; }\n'
# __FILE__ whose text never reaches the output: only its length does
LENGTH = '#include "k.h"\nint length(void) { return (int)sizeof(__FILE__); }\n'


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "inc").mkdir()
    (root / "build").mkdir()
    (root / "inc" / "k.h").write_text(HEADER)
    (root / "src" / "k.c").write_text(KERNEL)
    (root / "src" / "where.c").write_text(WHERE)
    (root / "src" / "length.c").write_text(LENGTH)
    return root


def _words(root: Path, src: str, paths: str, flags: list[str]) -> list[str]:
    """A compile of src/<src> from root/build, with absolute or relative paths."""
    if paths == "absolute":
        inc, source = f"-I{root / 'inc'}", str(root / "src" / src)
    else:
        inc, source = "-I../inc", f"../src/{src}"
    flags = [f.replace("{root}", str(root)) for f in flags]
    return [*flags, inc, "-MD", "-MF", "out.d", "-c", source, "-o", "out.o"]


def _compile(cc: list[str], root: Path, words: list[str], env: dict[str, str]) -> tuple[bytes, bytes]:
    build = root / "build"
    r = subprocess.run([*cc, *words], cwd=build, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return (build / "out.o").read_bytes(), (build / "out.d").read_bytes()


@pytest.fixture
def checkouts(tmp_path: Path) -> tuple[Path, Path]:
    # the second path is longer: anything that keeps the first one's paths changes sizes too
    return _project(tmp_path / "base" / "one"), _project(tmp_path / "base" / "second-checkout")


FLAGS = {
    "plain": ["-O2"],
    "g": ["-O2", "-g"],
    "g-file-prefix-map": ["-O2", "-g", "-ffile-prefix-map={root}=/src"],
    "g-debug-prefix-map": ["-g", "-fdebug-prefix-map={root}=."],
}
# whether the second checkout reuses the first one's compile: -g names the directory unless a
# prefix map hides it (the -fdebug-prefix-map case maps the sources, but -I paths outside
# build/ still reach the debug info through their relative spelling: nothing names the root)
SHARED = {"plain": True, "g": False, "g-file-prefix-map": True, "g-debug-prefix-map": True}


@pytest.mark.parametrize("paths", ["absolute", "relative"])
@pytest.mark.parametrize("flags", list(FLAGS))
def test_second_checkout_reuses_the_cache_and_matches_gcc_there(builds, checkouts, paths, flags, tmp_path):
    one, two = checkouts
    env = dict(builds.env, LLMCC_BASE_DIR=str(tmp_path / "base"))
    llmcc = [str(builds.llmcc)]
    _compile(llmcc, one, _words(one, "k.c", paths, FLAGS[flags]), env)
    before = builds.counters()
    mine = _compile(llmcc, two, _words(two, "k.c", paths, FLAGS[flags]), env)
    after = builds.counters()
    ref = _compile(["gcc"], two, [*_words(two, "k.c", paths, FLAGS[flags]), "-O3"], env)
    assert mine[1] == ref[1], "dependency file"
    assert mine[0] == ref[0], "object"
    hit = after.get("tu.hit", 0) - before.get("tu.hit", 0)
    assert hit == (1 if SHARED[flags] else 0)
    if paths == "absolute" and flags != "plain":
        assert str(two).encode() in ref[1]  # the reference really names the second checkout


def test_without_base_dir_absolute_paths_are_not_shared(builds, checkouts):
    one, two = checkouts
    llmcc = [str(builds.llmcc)]
    _compile(llmcc, one, _words(one, "k.c", "absolute", ["-O2"]), builds.env)
    before = builds.counters()
    mine = _compile(llmcc, two, _words(two, "k.c", "absolute", ["-O2"]), builds.env)
    assert builds.counters()["tu.miss"] - before["tu.miss"] == 1
    ref = _compile(["gcc"], two, [*_words(two, "k.c", "absolute", ["-O2"]), "-O3"], builds.env)
    assert mine == ref


@pytest.mark.parametrize("src", ["where.c", "length.c"])
def test_file_macro_of_an_absolute_path_is_compiled_in_each_checkout(builds, checkouts, src, tmp_path):
    """__FILE__ names the first checkout in its output (where.c), or only its length shows
    (length.c): either way the second checkout must get its own."""
    one, two = checkouts
    env = dict(builds.env, LLMCC_BASE_DIR=str(tmp_path / "base"))
    llmcc = [str(builds.llmcc)]
    _compile(llmcc, one, _words(one, src, "absolute", ["-O2"]), env)
    before = builds.counters()
    mine = _compile(llmcc, two, _words(two, src, "absolute", ["-O2"]), env)
    assert builds.counters()["tu.miss"] - before["tu.miss"] == 1
    ref = _compile(["gcc"], two, [*_words(two, src, "absolute", ["-O2"]), "-O3"], env)
    assert mine == ref
    # and the first checkout still gets its own from the cache
    again = _compile(llmcc, one, _words(one, src, "absolute", ["-O2"]), env)
    assert again == _compile(["gcc"], one, [*_words(one, src, "absolute", ["-O2"]), "-O3"], env)


def test_examples_in_a_second_checkout_are_all_hits_and_gcc_identical(builds, example_copy, tmp_path):
    env = dict(builds.env, LLMCC_BASE_DIR=str(tmp_path))
    builds.env.update(env)
    builds.make(example_copy)
    c = builds.counters()
    other = tmp_path / "another" / "checkout"
    shutil.copytree(example_copy, other)
    subprocess.run(["make", "-s", "clean"], cwd=other, check=True)
    builds.make(other)
    c2 = builds.counters()
    assert c2["tu.miss"] == c["tu.miss"] and c2["tu.hit"] - c.get("tu.hit", 0) == c["tu.miss"]
    objs = sorted(p.name for p in other.glob("*.o"))
    assert objs
    ref = tmp_path / "reference"
    shutil.copytree(other, ref)
    subprocess.run(["make", "-s", "clean"], cwd=ref, check=True)
    subprocess.run(["make", "-s", "CC=gcc", "CFLAGS=-O2 -Wall -O3"], cwd=ref, check=True, capture_output=True)
    for name in objs:
        assert (other / name).read_bytes() == (ref / name).read_bytes(), name


def test_relative_words_mark_what_base_dir_changed():
    base, cwd = "/b", "/b/one/build"
    words = [
        "-I/b/one/inc",
        "-I",
        "/b/one/inc",
        "-Iinc",
        "/b/one/src/k.c",
        "-DDIR=/b/one",
        "-isystem/b/x",
        "-ffile-prefix-map=/b/one=.",
        "-I/c/inc",
        "-I/b/one/../inc",
    ]
    got = relative_words(words, base, cwd)
    assert got == [
        "-I\0../inc",
        "-I",
        "\0../inc",
        "-Iinc",
        "\0../src/k.c",
        "-DDIR=/b/one",
        "-isystem\0../../x",
        "-ffile-prefix-map=\0..=.",
        "-I/c/inc",
        "-I/b/one/../inc",
    ]
    # the second checkout hashes the same words
    assert relative_words([w.replace("/b/one", "/b/two") for w in words], base, "/b/two/build") == [
        w.replace("/b/one", "/b/two") if "/b/one" in w else w for w in got
    ]


def test_dependency_lists_round_trip_between_checkouts():
    text = "out.o: /b/one/src/k.c /usr/include/stdio.h /b/one/inc/k.h \\\n ../inc/k.h\n/b/one/inc/k.h:\n"
    stored = portable_deps(text, "/b", "/b/one/build")
    assert "/b/one" not in stored
    assert local_deps(stored, "/b/one/build") == text
    assert local_deps(stored, "/b/two/build") == text.replace("/b/one", "/b/two")
    assert portable_deps(text, "", "/b/one/build") == text
