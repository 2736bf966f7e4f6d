"""The local store (and the remote tier behind it): keys in, bytes and metadata out.

Layout, like ccache's: ROOT/ab/cdef....<kind>, where abcdef... is the key and kind is
    fn   an accepted function rewrite (cache.entry.Entry)
    tu   gcc's assembly for a translation unit (cache.tu.TUEntry)
    mf   a direct-mode manifest (cache.tu.Manifest)
    obj  a final object file
plus ROOT/CACHEDIR.TAG, ROOT/stats/ (counters), ROOT/attempts/ab/cdef....jsonl (every candidate
tried for a function), ROOT/contexts/ab/cdef....json (what those were made from: the function's
C text, gcc's assembly; for the training export), and the directories other parts keep under the root (queue, profiles, llm).

Writes go to a temporary file in the destination directory and are renamed into place, so a
reader sees a whole entry or none, and a killed writer leaves at most a stray temporary file
(removed by eviction and `llmcc cache prune`). Reads take no lock. Anything unreadable is a miss:
the file is removed and counted (entry.corrupt), never used and never an error.
"""

from __future__ import annotations

import atexit
import os
import time

from cache import sign
from cache.frame import EntryError, frame, unframe
from cache.stats import SHARDS, Stats, locked
from cache.tu import Manifest, TUEntry

# `typing` costs a warm compile 4 ms, `pathlib` 10 ms and `json` (through re) 8 ms: annotations
# are strings (PEP 563) and need no import, the compile path uses string paths (root_str, _file)
# and reads JSON with cache.json_light; root and path() are pathlib.Path for everyone else
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path
    from typing import Any

    from cache.entry import Entry
    from cache.remote import Remote

KINDS = ("fn", "tu", "mf", "obj")
# Eviction removes what is cheap to recreate (gcc output) before accepted rewrites, which cost
# minutes of model and verification time each and are small.
_EVICT_ORDER = {"obj": 0, "tu": 0, "mf": 0, "fn": 1}
EVICT_TO = 0.9  # after eviction the cache holds at most this fraction of max_size
STALE_TMP_SECONDS = 3600
# the longest text an attempt record or a function's context keeps (assembly, C source): a
# function's attempt log stays small however many candidates were tried
TEXT_LIMIT = 64 * 1024
_HEX = frozenset("0123456789abcdef")

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by llmcc.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def check_key(key: str) -> str:
    if not (16 <= len(key) <= 128) or not _HEX.issuperset(key):
        raise ValueError(f"not a cache key: {key[:80]!r}")
    return key


NAMES = "names"


class Cache:
    """One cache directory, optionally backed by a shared Redis tier for function entries."""

    def __init__(
        self,
        root: str | os.PathLike,
        *,
        max_size: int = 2 << 30,
        remote: str = "",
        remote_readonly: bool = False,
        secret: str = "",
    ) -> None:
        self.root_str = os.fspath(root)
        self._root: Path | None = None
        self.max_size = max_size
        self.secret = secret
        self.stats = Stats(self.root_str)
        self._remote_url = remote
        self._remote_readonly = remote_readonly
        self._remote: Remote | None = None
        self._wrote = False
        atexit.register(self.close)

    # ---- paths and raw blobs ------------------------------------------------------------------

    @property
    def root(self) -> Path:
        """The cache directory (root_str as a pathlib.Path)."""
        if self._root is None:
            from pathlib import Path

            self._root = Path(self.root_str)
        return self._root

    def path(self, kind: str, key: str) -> Path:
        from pathlib import Path

        return Path(self._file(kind, key))

    def _file(self, kind: str, key: str) -> str:
        """path() as a string."""
        check_key(key)
        return os.path.join(self.root_str, key[:2], f"{key[2:]}.{kind}")

    def _read(self, kind: str, key: str) -> bytes | None:
        try:
            with open(self._file(kind, key), "rb") as f:
                return f.read()
        except OSError:
            return None

    def _touch(self, path: str | os.PathLike) -> None:
        try:
            os.utime(path)  # recency for LRU eviction
        except OSError:
            pass

    def discard(self, path: str | os.PathLike) -> None:
        """Remove a damaged blob and count it (entry.corrupt)."""
        self.bump("entry.corrupt")
        try:
            size = os.stat(path).st_size
            os.unlink(path)
            self.bump("cache.bytes", -size)
        except OSError:
            pass

    def _write(self, kind: str, key: str, data: bytes, durable: bool = False) -> bool:
        """Atomically place data at the key's path. False (and counted) when it cannot."""
        dest = self._file(kind, key)
        d, name = os.path.split(dest)
        tmp = os.path.join(d, f".{name}.{os.getpid()}.{time.monotonic_ns() % 1_000_000_007}.tmp")
        try:
            if not self._wrote:  # (once a write has succeeded, the directory and its tag are there)
                tag = os.path.join(self.root_str, "CACHEDIR.TAG")
                if not os.path.isdir(self.root_str) or not os.path.exists(tag):
                    os.makedirs(self.root_str, exist_ok=True)
                    _write_file(tag, CACHEDIR_TAG.encode())
            try:
                os.mkdir(d)
            except FileExistsError:
                pass
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            try:
                old = os.stat(dest).st_size
            except OSError:
                old = 0
            os.replace(tmp, dest)
        except OSError:
            self.bump("cache.write_error")
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        self.bump("cache.bytes", len(data) - old)
        self._wrote = True
        return True

    # ---- function entries ---------------------------------------------------------------------

    def get_function(self, key: str) -> Entry | None:
        """The accepted rewrite for this function key: local store, then the remote tier."""
        return self.get_functions([key]).get(key)

    def get_functions(self, keys: Sequence[str]) -> dict[str, Entry]:
        """Look up many keys at once (one round trip to the remote for all local misses)."""
        found: dict[str, Entry] = {}
        missing: list[str] = []
        for key in keys:
            entry = self.local_function(key)
            if entry is None:
                missing.append(key)
            else:
                found[key] = entry
        if missing and self.remote is not None:
            for key, data in zip(missing, self.remote.get_many(missing)):
                entry = self._remote_function(key, data) if data is not None else None
                if entry is not None:
                    found[key] = entry
                else:
                    self.bump("remote.miss")
        self.bump("fn.hit", len(found))
        self.bump("fn.miss", len(keys) - len(found))
        return found

    def local_function(self, key: str) -> Entry | None:
        """The local entry only (no remote, no hit/miss counting); a damaged one is discarded."""
        data = self._read("fn", key)
        if data is None:
            return None
        from cache.entry import Entry  # only now: it imports dataclasses

        path = self._file("fn", key)
        try:
            entry = Entry.from_bytes(sign.unseal(data, self.secret)[0])
            if entry.key != key:
                raise EntryError("entry stored under another key")
        except EntryError:
            self.discard(path)
            return None
        self._touch(path)
        return entry

    def local_functions(self) -> Iterator[tuple[Entry, str]]:
        """Every intact local function entry, by key, with its file (damaged ones discarded, as
        local_function does)."""
        for kind, key, e in sorted(self.files(), key=lambda t: t[1]):
            if kind == "fn" and (entry := self.local_function(key)) is not None:
                yield entry, e.path

    def _remote_function(self, key: str, data: bytes) -> Entry | None:
        body, status = sign.unseal(data, self.secret)
        if self.secret and status != sign.OK:
            self.bump("remote.bad_signature" if status == sign.BAD else "remote.unsigned")
            return None
        from cache.entry import Entry

        try:
            entry = Entry.from_bytes(body)
            if entry.key != key:
                raise EntryError("entry stored under another key")
        except EntryError:
            self.bump("remote.corrupt")
            return None
        self.bump("remote.hit")
        if self._write("fn", key, data):
            self._note_name(entry.function)
        return entry

    def put_function(self, entry: Entry) -> None:
        """Store an accepted rewrite locally and in the remote tier (signed when a secret is set)."""
        data = sign.seal(entry.to_bytes(), self.secret)
        if self._write("fn", entry.key, data, durable=True):
            self._note_name(entry.function)
        if self.remote is not None:
            if self.remote.put(entry.key, data):
                self.bump("remote.put")

    def import_function(self, data: bytes, *, require_signature: bool) -> Entry:
        """Check one exported blob and store it locally; EntryError says why it was refused."""
        body, status = sign.unseal(data, self.secret)
        if status == sign.BAD:
            raise EntryError("bad signature")
        if require_signature and status != sign.OK:
            raise EntryError("not signed with this cache_secret")
        from cache.entry import Entry

        entry = Entry.from_bytes(body)
        check_key(entry.key)
        if not self._write("fn", entry.key, data, durable=True):
            raise EntryError(f"cannot write to {self.root}")
        self._note_name(entry.function)
        return entry

    # ---- the names index ----------------------------------------------------------------------

    def function_names(self) -> frozenset[str]:
        """Names of the functions that have (or had) a rewrite in this directory: the file NAMES,
        one name per line, appended whenever an entry is stored. A compile with no shared tier
        computes keys only for these names (normalizing every function of every file costs a
        cold build more than all the lookups); the index may name more than the entries (evicted,
        cleared), never fewer, except for entries copied in by hand."""
        try:
            with open(os.path.join(self.root_str, NAMES), "rb") as f:
                data = f.read()
        except OSError:
            return frozenset()
        return frozenset(data.decode("utf-8", "surrogateescape").split("\n")) - {""}

    def _note_name(self, name: str) -> None:
        if "\n" in name or name in self.function_names():
            return
        try:  # one write of one short line with O_APPEND: concurrent writers do not interleave
            fd = os.open(os.path.join(self.root_str, NAMES), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, name.encode("utf-8", "surrogateescape") + b"\n")
            finally:
                os.close(fd)
        except OSError:
            self.bump("cache.write_error")

    # ---- translation units, manifests, objects ------------------------------------------------

    def get_tu(self, key: str, count: bool = True) -> TUEntry | None:
        """gcc's output for a translation unit; counted as tu.hit/tu.miss unless count is False
        (the driver counts once per compile, whichever mode found it)."""
        entry = self._get_local("tu", key, TUEntry.from_bytes)
        if count:
            self.bump("tu.hit" if entry is not None else "tu.miss")
        return entry

    def put_tu(self, key: str, entry: TUEntry) -> None:
        self._write("tu", key, entry.to_bytes())

    def get_manifest(self, key: str) -> Manifest | None:
        return self._get_local("mf", key, Manifest.from_bytes)

    def put_manifest(self, key: str, manifest: Manifest) -> None:
        self._write("mf", key, manifest.to_bytes())

    def get_object(self, key: str) -> bytes | None:
        return self._get_local("obj", key, lambda data: unframe("obj", data))

    def put_object(self, key: str, data: bytes) -> None:
        self._write("obj", key, frame("obj", data))

    def _get_local(self, kind: str, key: str, parse: Callable[[bytes], Any]) -> Any:
        data = self._read(kind, key)
        if data is None:
            return None
        path = self._file(kind, key)
        try:
            value = parse(data)
        except EntryError:
            self.discard(path)
            return None
        self._touch(path)
        return value

    # ---- attempts and statistics --------------------------------------------------------------

    def _attempts_path(self, key: str) -> Path:
        check_key(key)
        return self.root / "attempts" / key[:2] / f"{key[2:]}.jsonl"

    def record_attempt(self, key: str, attempt: dict[str, Any]) -> None:
        """Append one tried candidate (proposer, id, outcome accepted|rejected|slower|error,
        reason, speedup, the candidate's assembly, ...) to the function's log (a text longer than
        TEXT_LIMIT is left out, see _bounded). Counting rewrite.* is the caller's (the
        search knows which outcomes it reports once)."""
        import json

        record = {"time": time.time(), **_bounded(attempt)}
        line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
        path = self._attempts_path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)  # one write per line: O_APPEND keeps concurrent lines whole
            finally:
                os.close(fd)
        except OSError:
            self.bump("cache.write_error")

    def _context_path(self, key: str) -> Path:
        check_key(key)
        return self.root / "contexts" / key[:2] / f"{key[2:]}.json"

    def record_context(self, key: str, context: dict[str, Any]) -> None:
        """Keep what a function's attempts were made from (its C text, gcc's assembly, flags),
        once per function key: the training export pairs it with every attempt. A text longer
        than TEXT_LIMIT is left out (see _bounded)."""
        import json

        path = self._context_path(key)
        if path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_file(str(path), (json.dumps(_bounded(context), sort_keys=True, default=str) + "\n").encode())
        except OSError:
            self.bump("cache.write_error")

    def context(self, key: str) -> dict[str, Any]:
        """record_context's record for this key, or {}."""
        import json

        try:
            rec = json.loads(self._context_path(key).read_bytes())
        except (OSError, ValueError):
            return {}
        return rec if isinstance(rec, dict) else {}

    def attempted_keys(self) -> list[str]:
        """The function keys with an attempt log."""
        out = []
        for d in sorted((self.root / "attempts").glob("??")):
            out += [d.name + f.name[: -len(".jsonl")] for f in sorted(d.glob("*.jsonl"))]
        return out

    def attempts(self, key: str) -> list[dict[str, Any]]:
        import json

        try:
            lines = self._attempts_path(key).read_bytes().splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed writer
            if isinstance(rec, dict):
                out.append(rec)
        return out

    def bump(self, counter: str, n: int = 1) -> None:
        if n:
            self.stats.bump(counter, n)

    # ---- remote -------------------------------------------------------------------------------

    @property
    def remote(self) -> Remote | None:
        """The Remote (cache.remote), created on first use; None when none is configured."""
        if self._remote is None and self._remote_url:
            from cache.remote import Remote, UsageError

            try:
                self._remote = Remote(self._remote_url, self._remote_readonly, self.root / "remote-down", self.bump)
            except UsageError:
                self.bump("remote.error")
                self._remote_url = ""
        return self._remote

    # ---- maintenance --------------------------------------------------------------------------

    def close(self) -> None:
        """Flush statistics; evict if this process's writes pushed the cache past max_size."""
        if self._remote is not None:
            self._remote.close()
        wrote, self._wrote = self._wrote, False
        shard = self.stats.flush()
        # the total is over the limit only if some shard holds over 1/SHARDS of it: a process
        # whose own shard does not reads no other (as ccache judges by its own subdirectory)
        if not wrote or shard.get("cache.bytes", 0) * SHARDS <= self.max_size:
            return
        if self.stats.totals().get("cache.bytes", 0) > self.max_size:
            self.evict(blocking=False)

    def files(self) -> Iterator[tuple[str, str, os.DirEntry]]:
        """(kind, key, dir entry) of every stored blob, plus ("tmp", "", e) for stray temporaries."""
        try:
            top = list(os.scandir(self.root_str))
        except OSError:
            return
        for d in top:
            if len(d.name) != 2 or not _HEX.issuperset(d.name) or not d.is_dir():
                continue
            try:
                entries = list(os.scandir(d.path))
            except OSError:
                continue
            for e in entries:
                if e.name.startswith("."):
                    yield "tmp", "", e
                    continue
                stem, _, kind = e.name.partition(".")
                if kind in KINDS:
                    yield kind, d.name + stem, e

    def evict(self, blocking: bool = True, target: int | None = None) -> tuple[int, int]:
        """Remove least recently used blobs (regenerable kinds first) until the cache holds at most
        target bytes (default EVICT_TO * max_size), and stray temporaries. Returns (files removed,
        bytes left). Without blocking, returns (0, -1) at once if another process is evicting."""
        limit = int(self.max_size * EVICT_TO) if target is None else target
        try:
            os.makedirs(os.path.join(self.root_str, "stats"), exist_ok=True)
            with locked(os.path.join(self.root_str, "stats", "evict.lock"), blocking) as got:
                if not got:
                    return 0, -1
                now = time.time()
                items = []
                removed = 0
                for kind, _key, e in self.files():
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    if kind == "tmp":
                        if now - st.st_mtime > STALE_TMP_SECONDS:
                            _unlink(e.path)
                        continue
                    items.append((_EVICT_ORDER[kind], st.st_mtime, st.st_size, e.path))
                total = sum(i[2] for i in items)
                for _, _, size, path in sorted(items):
                    if total <= limit:
                        break
                    if _unlink(path):
                        total -= size
                        removed += 1
                self.bump("evicted", removed)
                self.stats.flush()
                self.stats.set_total("cache.bytes", total)
                return removed, total
        except OSError:
            return 0, -1


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


def _bounded(record: dict[str, Any]) -> dict[str, Any]:
    """The record with each string longer than TEXT_LIMIT replaced by nothing, and its length
    under "<name>_omitted": a cut-off C function or assembly would be a wrong training example."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, str) and len(v) > TEXT_LIMIT:
            out[k] = ""
            out[f"{k}_omitted"] = len(v)
        else:
            out[k] = v
    return out


def _write_file(path: str, data: bytes) -> None:
    d, name = os.path.split(path)
    tmp = os.path.join(d, f".{name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
