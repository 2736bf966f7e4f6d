"""The local store: atomic writes, damaged entries, eviction, attempts, statistics under
concurrency, a writer killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cache import Cache, TUEntry
from cache.key import content_hash
from cache.tu import Manifest, make_record, parse_depfile


def totals(root: Path) -> dict[str, int]:
    return Cache(root).stats.totals()


def test_put_get_and_layout(cache_dir: Path, make_entry) -> None:
    c = Cache(cache_dir)
    e = make_entry()
    assert c.get_function(e.key) is None
    c.put_function(e)
    assert c.get_function(e.key) == e
    path = cache_dir / e.key[:2] / f"{e.key[2:]}.fn"
    assert path.is_file()
    assert (cache_dir / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporaries left
    c.close()
    t = totals(cache_dir)
    assert (t["fn.hit"], t["fn.miss"]) == (1, 1)
    assert t["cache.bytes"] == path.stat().st_size


def test_damaged_entries_are_misses_removed_and_counted(cache_dir: Path, make_entry) -> None:
    c = Cache(cache_dir)
    truncated, flipped, foreign = make_entry("a"), make_entry("b"), make_entry("c")
    for e in (truncated, flipped, foreign):
        c.put_function(e)
    p = c.path("fn", truncated.key)
    p.write_bytes(p.read_bytes()[:-10])
    p = c.path("fn", flipped.key)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 1
    p.write_bytes(bytes(data))
    p = c.path("fn", foreign.key)
    p.write_bytes(p.read_bytes().replace(b"llmcc fn 1 ", b"llmcc fn 7 ", 1))
    for e in (truncated, flipped, foreign):
        assert c.get_function(e.key) is None
        assert not c.path("fn", e.key).exists()
    # an entry copied under another key is not used either
    good = make_entry("d")
    c.put_function(good)
    other = make_entry("e")
    c.path("fn", other.key).parent.mkdir(exist_ok=True)
    c.path("fn", other.key).write_bytes(c.path("fn", good.key).read_bytes())
    assert c.get_function(other.key) is None
    assert c.get_function(good.key) == good
    c.close()
    t = totals(cache_dir)
    assert t["entry.corrupt"] == 4
    assert (t["fn.hit"], t["fn.miss"]) == (1, 4)


def test_unwritable_cache_is_not_an_error(tmp_path: Path, make_entry) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    c = Cache(blocker)
    e = make_entry()
    c.put_function(e)  # no exception
    c.put_tu(e.key, TUEntry(asm="x"))
    assert c.get_function(e.key) is None
    assert c.get_tu(e.key) is None
    c.record_attempt(e.key, {"outcome": "error", "reason": "x"})
    assert c.stats.deltas["cache.write_error"] == 3
    c.close()  # flushing statistics fails quietly too
    # a cache whose shard directory is blocked still counts the failure where it can
    good = tmp_path / "c"
    c = Cache(good)
    c.put_function(make_entry("x"))
    (good / e.key[:2]).mkdir(exist_ok=True)
    (good / e.key[:2]).rmdir()
    (good / e.key[:2]).write_text("blocks the shard directory")
    c.put_function(e)
    assert c.get_function(e.key) is None
    c.close()
    assert totals(good)["cache.write_error"] == 1


def test_eviction_is_lru_and_keeps_rewrites_longest(cache_dir: Path, make_entry) -> None:
    c = Cache(cache_dir, max_size=10_000)
    rewrite = make_entry("precious")
    c.put_function(rewrite)
    keys = []
    for i in range(8):
        k = f"{i:02x}" + "0" * 38
        c.put_tu(k, TUEntry(asm="x" * 1500))
        os.utime(c.path("tu", k), (1000 + i, 1000 + i))
        keys.append(k)
    assert c.get_tu(keys[0]) is not None  # a hit makes it the most recent
    stray = cache_dir / keys[1][:2] / ".dead.123.tmp"
    stray.write_bytes(b"half")
    os.utime(stray, (1, 1))
    c.close()  # over max_size: evicts down to 90%
    left = {k for k in keys if c.path("tu", k).exists()}
    assert keys[0] in left and keys[1] not in left and keys[2] not in left
    assert c.path("fn", rewrite.key).exists()
    assert not stray.exists()
    size = sum(p.stat().st_size for p in cache_dir.glob("??/*") if not p.name.startswith("."))
    assert size <= 9_000
    t = totals(cache_dir)
    assert t["cache.bytes"] == size and t["evicted"] >= 2


def test_attempts_log(cache_dir: Path, make_entry) -> None:
    c = Cache(cache_dir)
    k = make_entry().key
    c.record_attempt(k, {"proposer": "p", "id": "1", "outcome": "rejected", "reason": "difftest: f(0)=1, expected 2"})
    c.record_attempt(k, {"proposer": "p", "id": "2", "outcome": "slower", "reason": "", "speedup": 0.9})
    c.record_attempt(k, {"proposer": "p", "id": "3", "outcome": "accepted", "reason": "", "speedup": 1.3})
    with open(c._attempts_path(k), "ab") as f:
        f.write(b'{"cut short')  # what a killed writer may leave
    got = c.attempts(k)
    assert [a["id"] for a in got] == ["1", "2", "3"]
    assert all("time" in a for a in got) and got[0]["reason"].startswith("difftest")
    assert c.attempts(make_entry("other").key) == []


BUMPER = """
import sys
from pathlib import Path
from cache import Cache
c = Cache(Path(sys.argv[1]))
for i in range(int(sys.argv[2])):
    c.bump("compiles")
    c.bump("fn.miss", 3)
    c.stats.flush()
"""


def test_statistics_add_up_under_concurrency(cache_dir: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", BUMPER, str(cache_dir), "50"]) for _ in range(6)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 6
    t = totals(cache_dir)
    assert t["compiles"] == 300 and t["fn.miss"] == 900


WRITER = """
import os, sys
from pathlib import Path
from cache import Cache, TUEntry
c = Cache(Path(sys.argv[1]))
i = 0
while True:
    c.put_tu(format(i % 64, "02x") + "1" * 38, TUEntry(asm="x" * 4_000_000))
    if i == 0:
        print("ready", flush=True)  # one whole entry written; the kill comes during later ones
    i += 1
"""


def test_writer_killed_mid_write_leaves_no_partial_entry(cache_dir: Path) -> None:
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(cache_dir)], stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"ready\n"
    time.sleep(0.2)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    c = Cache(cache_dir)
    written = [k for k in (format(i, "02x") + "1" * 38 for i in range(64)) if c.path("tu", k).exists()]
    assert written
    for k in written:
        assert c.get_tu(k) == TUEntry(asm="x" * 4_000_000)
    assert "entry.corrupt" not in c.stats.deltas
    # the temporary it was writing is swept by pruning once stale
    tmps = list(cache_dir.glob("??/.*.tmp"))
    for t in tmps:
        os.utime(t, (1, 1))
    c.evict()
    assert not list(cache_dir.glob("??/.*.tmp"))


def test_manifest_records(tmp_path: Path) -> None:
    src = tmp_path / "a.c"
    hdr = tmp_path / "inc" / "a.h"
    hdr.parent.mkdir()
    src.write_text('#include "a.h"\nint f(void) { return A; }\n')
    hdr.write_text("#define A 1\n")
    deps = parse_depfile("a.o: a.c inc/a.h \\\n /usr/include/stdio.h\ninc/a.h:\n")
    assert deps == ["a.c", "inc/a.h", "/usr/include/stdio.h"]
    old = time.time() - 10
    for p in (src, hdr):
        os.utime(p, (old, old))
    started = time.time()
    rec = make_record(deps[:2], "ab" * 20, str(tmp_path), started)
    assert rec is not None
    m = Manifest.from_bytes(Manifest().with_record(rec).to_bytes())
    assert m.lookup(str(tmp_path)) == "ab" * 20
    hdr.write_text("#define A 2\n")
    assert m.lookup(str(tmp_path)) is None
    assert make_record(deps[:2], "cd" * 20, str(tmp_path), started) is None  # modified during compile
    src.write_text("const char *d = __DATE__;\n")
    os.utime(src, (old, old))
    assert make_record(["a.c"], "cd" * 20, str(tmp_path), started) is None  # temporal macro


def test_records_hash_whole_files_large_or_of_unknown_size(tmp_path: Path) -> None:
    """A header is read in one system call when its size is known; a file whose size the kernel
    does not know in advance (/proc) or that is larger than one read still hashes whole."""
    big = tmp_path / "big.h"
    big.write_bytes(bytes(range(256)) * 20000)  # 5 MB
    old = time.time() - 10
    os.utime(big, (old, old))
    for path, data in ((str(big), big.read_bytes()), ("/proc/version", Path("/proc/version").read_bytes())):
        rec = make_record([path], "ab" * 20, str(tmp_path), time.time() + 1)
        assert rec is not None and len(data) > 0
        assert rec.files == ((path, content_hash(data)),), path


def test_open_cache_is_cheap(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, cache; from gcc_wrapper.compile import config; "
            "c = cache.open_cache(config.load()); print(sorted(m for m in ('redis', 'filelock', 'socket') if m in sys.modules)); "
            "import os; print(os.path.exists(c.root))",
        ],
        env={**os.environ, "LLMCC_CACHE_DIR": str(tmp_path / "never-created")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split("\n")[:2] == ["[]", "False"]
