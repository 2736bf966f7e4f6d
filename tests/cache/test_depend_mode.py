"""Depend mode (the default): a translation unit's key comes from its source and the headers in
gcc's own dependency output, so a cold compile runs no `gcc -E`; a changed header is still seen."""

from __future__ import annotations

import subprocess
from pathlib import Path

HEADER = "static inline int twice(int x) { return x * 2; }\n"
SOURCE = '#include "h.h"\nint f(int x) { return twice(x) + 1; }\n'


def _objects_equal(a: Path, b: Path) -> bool:
    def dis(p: Path) -> str:
        out = subprocess.run(["objdump", "-d", str(p)], capture_output=True, text=True, check=True).stdout
        return out.split("\n", 2)[2]  # without the file name line

    return dis(a) == dis(b)


def test_header_change_seen_without_a_dependency_option(builds, tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "h.h").write_text(HEADER)
    (tmp_path / "a.c").write_text(SOURCE)
    cmd = [str(builds.llmcc), "-O2", "-c", "a.c", "-o", "a.o"]
    subprocess.run(cmd, cwd=tmp_path, env=builds.env, check=True)
    subprocess.run(cmd, cwd=tmp_path, env=builds.env, check=True)
    c = builds.counters()
    assert c["tu.miss"] == 1 and c["direct.hit"] == 1
    # the private dependency list leaves nothing behind, in the project or in the cache
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["a.c", "a.o", "h.h"]
    assert not list((cache_dir / "tmp").iterdir())

    (tmp_path / "h.h").write_text(HEADER.replace("x * 2", "x * 3"))
    subprocess.run(cmd, cwd=tmp_path, env=builds.env, check=True)
    assert builds.counters()["tu.miss"] == 2
    subprocess.run(["gcc", "-O3", "-c", "a.c", "-o", "g.o"], cwd=tmp_path, check=True)
    assert _objects_equal(tmp_path / "a.o", tmp_path / "g.o")


def test_temporal_macros_are_never_cached(builds, tmp_path: Path) -> None:
    (tmp_path / "t.c").write_text("const char *built(void) { return __TIME__; }\n")
    cmd = [str(builds.llmcc), "-O2", "-c", "t.c", "-o", "t.o"]
    for _ in range(2):
        subprocess.run(cmd, cwd=tmp_path, env=builds.env, check=True)
    c = builds.counters()
    assert c["tu.miss"] == 2 and c.get("tu.hit", 0) == 0


def test_preprocessor_mode_when_asked_and_for_mmd(builds, tmp_path: Path) -> None:
    (tmp_path / "h.h").write_text(HEADER)
    (tmp_path / "a.c").write_text(SOURCE)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "h.h").write_text(HEADER)
    (tmp_path / "b" / "a.c").write_text(SOURCE)
    # -MMD leaves system headers out of the list, so preprocessor mode keys the unit; the manifest
    # it records (its key leaves the directory out) serves the same files in another directory
    for d in (tmp_path, tmp_path / "b"):
        subprocess.run([str(builds.llmcc), "-O2", "-MMD", "-c", "a.c", "-o", "a.o"], cwd=d, env=builds.env, check=True)
    c = builds.counters()
    assert c["tu.miss"] == 1 and c["tu.hit"] == 1 and c.get("direct.hit", 0) == 1
    assert (tmp_path / "a.d").read_text() == (tmp_path / "b" / "a.d").read_text() == "a.o: a.c h.h\n"
