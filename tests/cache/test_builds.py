"""Acceptance: rewrites reused across build directories and machines, warm rebuilds that still
pick up new rewrites, and parallel builds sharing one cache."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cache import Cache


@pytest.mark.parametrize("depend_mode", ["1", "0"], ids=["depend-mode", "preprocessor-mode"])
def test_rewrite_reused_in_another_directory_and_on_rebuild(
    builds, example_copy: Path, tmp_path: Path, cache_dir: Path, depend_mode: str
) -> None:
    builds.env["LLMCC_DEPEND_MODE"] = depend_mode
    builds.make(example_copy)
    assert builds.run(example_copy, "./demo") == (example_copy / "expected_output.txt").read_text()
    c = builds.counters()
    assert c["tu.miss"] == 6 and c.get("fn.hit", 0) == 0
    assert builds.MARKER_DIS not in builds.disassembly(example_copy / "crc.o")

    entry = builds.accept_rewrite(cache_dir, "crc32_bitwise")

    other = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(example_copy, other)
    builds.make(other)
    assert builds.MARKER_DIS in builds.disassembly(other / "crc.o")
    assert builds.MARKER_DIS not in builds.disassembly(other / "sort.o")
    assert builds.run(other, "./demo") == (other / "expected_output.txt").read_text()
    c2 = builds.counters()
    assert c2["fn.hit"] == 1
    # relative paths and no -g: gcc's output names no directory, so the other checkout's compiles
    # hit (depend mode: through the manifests, whose keys leave the directory out)
    assert c2["tu.hit"] - c.get("tu.hit", 0) == 6 and c2["tu.miss"] == c["tu.miss"]
    if depend_mode == "1":
        assert c2["direct.hit"] - c.get("direct.hit", 0) == 6
    # five objects are reused; crc.o is assembled anew because its set of rewrites changed
    assert c2["object.hit"] - c.get("object.hit", 0) == 5

    # the first directory's rebuild hits its manifests and objects, and still takes the rewrite
    builds.make(example_copy)
    assert builds.MARKER_DIS in builds.disassembly(example_copy / "crc.o")
    c3 = builds.counters()
    assert c3["fn.hit"] == 2 and c3["direct.hit"] - c2.get("direct.hit", 0) == 6
    # crc.o with the rewrite comes from the other build when both have the same TU key
    assert c3["object.hit"] - c2.get("object.hit", 0) == 6
    assert Cache(cache_dir).local_function(entry.key) == entry


def test_rewrite_from_the_shared_tier_with_an_empty_local_cache(
    builds, example_copy: Path, tmp_path: Path, cache_dir: Path, redis_url: str, llmcc_env: dict
) -> None:
    builds.make(example_copy)
    ci = Cache(cache_dir, remote=redis_url, secret="team")
    builds.accept_rewrite(cache_dir, "adler32", cache=ci)  # CI accepted it: local + Redis, signed

    dev_cache = tmp_path / "developer-cache"
    dev = {
        **llmcc_env,
        "LLMCC_CACHE_DIR": str(dev_cache),
        "LLMCC_REMOTE": redis_url,
        "LLMCC_REMOTE_READONLY": "1",
        "LLMCC_CACHE_SECRET": "team",
    }
    other = tmp_path / "dev" / "examples"
    shutil.copytree(example_copy, other)
    builds.make(other, env=dev)
    assert builds.MARKER_DIS in builds.disassembly(other / "crc.o")
    assert builds.run(other, "./demo") == (other / "expected_output.txt").read_text()
    c = builds.counters(dev)
    assert c["remote.hit"] == 1 and c["fn.hit"] == 1 and c.get("remote.error", 0) == 0
    assert c["tu.miss"] == 6  # gcc's output is not shared, only rewrites
    assert list(dev_cache.glob("??/*.fn"))  # now local too


def test_parallel_builds_share_one_cache(builds, shared_project: Path, tmp_path: Path, cache_dir: Path) -> None:
    builds.make(shared_project)
    assert builds.run(shared_project) == builds.shared_expected()
    entry = builds.accept_rewrite(cache_dir, "mix")  # a function every unit has a copy of

    # two checkouts built at once with -j8, with a flag that makes every TU new: both builds
    # miss, write and read the same entries at the same time
    projects = [builds.write_shared_project(tmp_path / f"p{n}") for n in (1, 2)]
    procs = [
        subprocess.Popen(
            ["make", "-s", "-j8", f"CC={builds.llmcc}", "CPPFLAGS=-DVARIANT=1"],
            cwd=p,
            env=builds.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in projects
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all(not err for _, err in results), results  # no diagnostics, no llmcc complaints
    for p in projects:
        assert builds.run(p) == builds.shared_expected()
        for i in range(builds.UNITS):
            assert builds.MARKER_DIS in builds.disassembly(p / f"u{i}.o")
        assert builds.MARKER_DIS not in builds.disassembly(p / "main.o")

    v = subprocess.run([str(builds.llmcc), "cache", "verify"], env=builds.env, capture_output=True, text=True)
    assert v.returncode == 0, v.stdout
    c = builds.counters()
    units = builds.UNITS + 1
    assert c["compiles"] == 3 * units
    assert c.get("tu.hit", 0) + c["tu.miss"] == c["compiles"]
    # the first build compiled every unit; of the two parallel checkouts (same files, relative
    # paths: the same keys), each unit was compiled by at least one, by both when they raced
    assert 2 * units <= c["tu.miss"] <= 3 * units
    # only names with a rewrite somewhere are looked up (the names index): none in the first
    # build, then mix in every unit of the two parallel builds, where it is found
    assert c["fn.hit"] == 2 * builds.UNITS and c.get("fn.miss", 0) == 0
    assert c.get("entry.corrupt", 0) == 0 and c.get("cache.write_error", 0) == 0
    assert not any(k.startswith("fallback.") for k in c)
    assert Cache(cache_dir).local_function(entry.key) == entry


def test_rewrite_in_one_shot_link_and_in_assembly_output(builds, shared_project: Path, cache_dir: Path) -> None:
    sources = [f"u{i}.c" for i in range(builds.UNITS)] + ["main.c"]
    link = [str(builds.llmcc), "-O3", "-o", "prog", *sources]
    subprocess.run(link, cwd=shared_project, env=builds.env, check=True)
    builds.accept_rewrite(cache_dir, "mix")
    subprocess.run(link, cwd=shared_project, env=builds.env, check=True)  # TU hits, objects rebuilt
    assert builds.run(shared_project) == builds.shared_expected()
    dis = subprocess.run(
        ["objdump", "-d", "prog"], cwd=shared_project, capture_output=True, text=True, check=True
    ).stdout
    assert dis.count(builds.MARKER_DIS) == builds.UNITS  # one static copy of mix per unit
    subprocess.run([str(builds.llmcc), "-O3", "-S", "u0.c"], cwd=shared_project, env=builds.env, check=True)
    assert builds.MARKER_ASM.strip() in (shared_project / "u0.s").read_text()
    c = builds.counters()
    assert c["tu.hit"] == builds.UNITS + 1 + 1 and c.get("fallback.exception", 0) == 0
