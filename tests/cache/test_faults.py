"""Faults under a real build: damaged entries, a killed writer, an unwritable cache, a Redis that
is down or answers junk. Every build must succeed with correct objects, and the counters must
say what happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cache import TUEntry
from cache.entry import unframe
from cache.tu import Manifest


def assert_like_gcc(builds, project: Path, reference: dict[str, str]) -> None:
    assert builds.run(project) == builds.shared_expected()
    for name, dis in reference.items():
        assert builds.disassembly(project / name) == dis, name


def blobs_of(cache_dir: Path, unit: str) -> dict[str, Path]:
    """The tu, mf and obj files that belong to translation unit `unit` (e.g. "unit3")."""
    out: dict[str, Path] = {}
    tu_keys = {}
    for p in cache_dir.glob("??/*.tu"):
        if unit in TUEntry.from_bytes(p.read_bytes()).functions:
            out["tu"] = p
            tu_keys[p.parent.name + p.name.split(".")[0]] = p
    for p in cache_dir.glob("??/*.mf"):
        if Manifest.from_bytes(p.read_bytes()).records[-1].tu_key in tu_keys:
            out["mf"] = p
    for p in cache_dir.glob("??/*.obj"):
        if unit.encode() + b"\0" in unframe("obj", p.read_bytes()):
            out["obj"] = p
    assert set(out) == {"tu", "mf", "obj"}, out
    return out


def flip(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) * 2 // 3] ^= 0x01
    p.write_bytes(bytes(data))


def test_damaged_entries_are_rebuilt(builds, shared_project: Path, cache_dir: Path, reference) -> None:
    builds.make(shared_project)  # now every unit has a manifest, a TU entry and an object
    blobs = {u: blobs_of(cache_dir, u) for u in ("unit1", "unit2", "unit3", "unit4")}
    flip(blobs["unit1"]["obj"])
    mf = blobs["unit2"]["mf"]
    mf.write_bytes(mf.read_bytes()[:-3])
    tu = blobs["unit3"]["tu"]
    tu.write_bytes(tu.read_bytes()[: len(tu.read_bytes()) // 2])
    tu = blobs["unit4"]["tu"]
    tu.write_bytes(tu.read_bytes().replace(b"llmcc tu 1 ", b"llmcc tu 9 ", 1))
    (mf.parent / f".{mf.name}.999.tmp").write_bytes(b"half an ent")  # a killed writer's leftover
    before = builds.counters()

    builds.make(shared_project)
    assert_like_gcc(builds, shared_project, reference)
    c = builds.counters()
    assert c["entry.corrupt"] - before.get("entry.corrupt", 0) == 4  # each damaged blob is one unit's
    assert c["tu.miss"] - before["tu.miss"] == 3  # unit2 (its manifest: depend mode), unit3 and unit4 compiled again
    assert c["object.hit"] - before.get("object.hit", 0) == builds.UNITS + 1 - 4  # not unit1, 2, 3, 4
    v = subprocess.run([str(builds.llmcc), "cache", "verify"], env=builds.env, capture_output=True, text=True)
    assert v.returncode == 0, v.stdout

    # a damaged rewrite is not used: the objects are gcc's again
    entry = builds.accept_rewrite(cache_dir, "mix")
    fn = cache_dir / entry.key[:2] / f"{entry.key[2:]}.fn"
    flip(fn)
    before = builds.counters()
    builds.make(shared_project)
    assert_like_gcc(builds, shared_project, reference)
    c = builds.counters()
    # every unit has mix: the first to read the damaged entry removes it, a parallel one may too
    assert 1 <= c["entry.corrupt"] - before["entry.corrupt"] <= builds.UNITS and not fn.exists()


REWRITER = """
import sys
from pathlib import Path
from cache import Cache
c = Cache(Path(sys.argv[1]))
blobs = [(p.name.split(".")[1], p.parent.name + p.name.split(".")[0], p.read_bytes()) for p in Path(sys.argv[1]).glob("??/*.*")]
print(len(blobs), flush=True)
while True:
    for kind, key, data in blobs:
        c._write(kind, key, data + b"")  # the same entries, written again and again
"""


def test_writer_killed_mid_write(builds, shared_project: Path, cache_dir: Path, reference) -> None:
    builds.make(shared_project)
    p = subprocess.Popen([sys.executable, "-c", REWRITER, str(cache_dir)], stdout=subprocess.PIPE)
    assert int(p.stdout.readline()) > 20
    time.sleep(0.3)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    before = builds.counters()
    builds.make(shared_project)
    assert_like_gcc(builds, shared_project, reference)
    c = builds.counters()
    assert c.get("entry.corrupt", 0) == 0
    assert c["tu.hit"] - before.get("tu.hit", 0) == builds.UNITS + 1


def test_unwritable_cache_directory(builds, shared_project: Path, tmp_path: Path, llmcc_env: dict, reference) -> None:
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a directory")
    env = {**llmcc_env, "LLMCC_CACHE_DIR": str(blocker)}
    builds.make(shared_project, env=env)
    assert_like_gcc(builds, shared_project, reference)
    assert blocker.read_text() == "not a directory"

    # entries cannot be written, statistics can: the failures are counted
    partly = tmp_path / "blocked-shards"
    partly.mkdir()
    for i in range(256):
        (partly / format(i, "02x")).write_text("blocks this shard directory")
    env = {**llmcc_env, "LLMCC_CACHE_DIR": str(partly)}
    builds.make(shared_project, env=env)
    assert_like_gcc(builds, shared_project, reference)
    c = builds.counters(env)
    assert c["compiles"] == builds.UNITS + 1 and c["tu.miss"] == builds.UNITS + 1
    assert c["cache.write_error"] >= builds.UNITS + 1
    assert not any(k.startswith("fallback.") for k in c)


@pytest.mark.parametrize("server", ["dead_url", "junk_url"])
def test_remote_down_or_answering_junk(
    builds, shared_project: Path, llmcc_env: dict, reference, server: str, request
) -> None:
    env = {**llmcc_env, "LLMCC_REMOTE": request.getfixturevalue(server)}
    builds.make(shared_project, env=env)
    assert_like_gcc(builds, shared_project, reference)
    c = builds.counters(env)
    compiles = builds.UNITS + 1
    assert c["compiles"] == compiles
    assert c["remote.error"] >= 1
    assert c["remote.error"] + c.get("remote.skipped", 0) == compiles  # one try per compile at most
    assert not any(k.startswith("fallback.") for k in c)


def test_tiny_size_limit_evicts_during_a_parallel_build(
    builds, shared_project: Path, cache_dir: Path, llmcc_env: dict, reference
) -> None:
    env = {**llmcc_env, "LLMCC_MAX_SIZE": "24K"}
    builds.make(shared_project, env=env, jobs=8)
    builds.make(shared_project, env=env, jobs=8)
    assert_like_gcc(builds, shared_project, reference)
    c = builds.counters(env)
    assert c["evicted"] > 0 and c.get("entry.corrupt", 0) == 0
    assert not any(k.startswith("fallback.") for k in c)
    # compiles that finished while another one evicted did not wait for it: prune catches up
    subprocess.run([str(builds.llmcc), "cache", "prune"], env=env, check=True, capture_output=True)
    size = sum(p.stat().st_size for p in cache_dir.glob("??/*") if not p.name.startswith("."))
    assert 0 < size <= 24 * 1024 * 0.9
