"""gcc's output for a translation unit (TUEntry), and direct mode: finding a translation unit's
key without running the preprocessor (Manifest).

As in ccache, a manifest is stored under a key over the source file, the arguments and the working
directory (cache.key.manifest_key). It holds records: the include files the preprocessor read
(from gcc's dependency output) with their content hashes, and the TU key that compile produced.
A record matches when every file still has the same contents; then the TU key is known without
`gcc -E`. A source that uses __DATE__, __TIME__ or __TIMESTAMP__, or an include file modified
during the compile, gets no record (its preprocessed text is not a function of the files).

Both are on every warm compile's path, so they are immutable named tuples rather than dataclasses
(whose import, with `inspect` behind it, costs more than a cache hit).
"""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Iterable

from cache.frame import EntryError, frame, json_body, json_unframe
from cache.key import content_hash

MAX_RECORDS = 16
_TEMPORAL = (b"__DATE__", b"__TIME__", b"__TIMESTAMP__")


class TUEntry(namedtuple("TUEntry", "asm deps stderr functions")):
    """gcc's own output for one translation unit.

    asm: what `gcc -S` wrote; deps: the dependency file gcc wrote, if the command asked for one
    (its target and paths as gcc wrote them); stderr: gcc's diagnostics, replayed on a hit;
    functions: name -> function key of every function in asm, so a hit can look up rewrites
    without parsing the assembly again."""

    __slots__ = ()
    KIND = "tu"

    def __new__(cls, asm: str, deps: str = "", stderr: str = "", functions: dict[str, str] | None = None) -> TUEntry:
        functions = {} if functions is None else functions
        if not isinstance(asm, str) or not isinstance(deps, str) or not isinstance(stderr, str):
            raise ValueError("TUEntry.asm, deps and stderr must be strings")
        if not isinstance(functions, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in functions.items()):
            raise ValueError("TUEntry.functions must map names to keys")
        return super().__new__(cls, asm, deps, stderr, functions)

    def to_bytes(self) -> bytes:
        return frame(self.KIND, json_body(self._asdict()))

    @classmethod
    def from_bytes(cls, data: bytes) -> TUEntry:
        """The entry, or EntryError if the bytes are not a whole, intact TU entry of this format."""
        obj = json_unframe(cls.KIND, data)
        if not isinstance(obj, dict) or set(obj) != set(cls._fields):
            raise EntryError("not a translation-unit entry")
        try:
            return cls(**obj)
        except ValueError as e:
            raise EntryError(str(e)) from None


ManifestRecord = namedtuple("ManifestRecord", "files tu_key")
ManifestRecord.__doc__ = """files: ((path as gcc named it, content hash), ...); tu_key: what they made."""


class Manifest(namedtuple("Manifest", "records", defaults=((),))):
    """Records, newest last, of the include files a source was compiled with and the TU key."""

    __slots__ = ()
    KIND = "mf"

    def to_bytes(self) -> bytes:
        body = [{"tu_key": r.tu_key, "files": [list(f) for f in r.files]} for r in self.records]
        return frame(self.KIND, json_body(body))

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        body = json_unframe(cls.KIND, data)
        try:
            return cls(
                tuple(
                    ManifestRecord(tuple((str(p), str(h)) for p, h in r["files"]), str(r["tu_key"]))
                    for r in body
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise EntryError(f"unreadable manifest: {e}") from None

    def lookup(self, cwd: str) -> str | None:
        """The TU key of the newest record whose files all still have the recorded contents."""
        hashes: dict[str, str | None] = {}
        for rec in reversed(self.records):
            for path, want in rec.files:
                if path not in hashes:
                    hashes[path] = _hash_file(os.path.join(cwd, path))
                if hashes[path] != want:
                    break
            else:
                return rec.tu_key
        return None

    def with_record(self, rec: ManifestRecord) -> Manifest:
        """This manifest plus rec (replacing a record with the same files), newest last, bounded."""
        kept = tuple(r for r in self.records if r.files != rec.files)
        return Manifest((kept + (rec,))[-MAX_RECORDS:])


def _hash_file(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return content_hash(f.read())
    except OSError:
        return None


def make_record(paths: Iterable[str], tu_key: str, cwd: str, started: float) -> ManifestRecord | None:
    """A record for these include files (as named in the dependency output, relative to cwd), or
    None when direct mode must not be used for this compile: a file is gone, was modified at or
    after `started` (the compile may have read an older version), or uses a temporal macro."""
    files = []
    for p in dict.fromkeys(paths):
        full = os.path.join(cwd, p)
        try:
            with open(full, "rb") as f:
                st = os.fstat(f.fileno())
                data = f.read()
        except OSError:
            return None
        if max(st.st_mtime, st.st_ctime) >= started or any(t in data for t in _TEMPORAL):
            return None
        files.append((p, content_hash(data)))
    return ManifestRecord(tuple(files), tu_key)


def parse_depfile(text: str) -> list[str]:
    """The prerequisites of a make rule written by gcc -MD/-MF (escaped spaces honoured)."""
    body = text.replace("\\\n", " ")
    out: list[str] = []
    for line in body.splitlines():
        _, sep, deps = line.partition(": ")
        if not sep:
            continue
        cur = ""
        i = 0
        while i < len(deps):
            c = deps[i]
            if c == "\\" and i + 1 < len(deps) and deps[i + 1] in " #\\":
                cur += deps[i + 1]
                i += 2
                continue
            if c in " \t":
                if cur:
                    out.append(cur)
                cur = ""
            elif c == "$" and deps[i : i + 2] == "$$":
                cur += "$"
                i += 1
            else:
                cur += c
            i += 1
        if cur:
            out.append(cur)
    return out

