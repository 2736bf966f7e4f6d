"""gcc's output for a translation unit (TUEntry), and direct mode: finding a translation unit's
key without running the preprocessor (Manifest).

As in ccache, a manifest is stored under a key over the source file, the arguments and the working
directory (cache.key.manifest_key). It holds records: the include files the preprocessor read
(from gcc's dependency output) with their content hashes, and the TU key that compile produced.
A record matches when every file still has the same contents; then the TU key is known without
`gcc -E`. A source that uses __DATE__, __TIME__ or __TIMESTAMP__, or an include file modified
during the compile, gets no record (its preprocessed text is not a function of the files).

Both are on every warm compile's path, so they are small immutable classes with slots: a
dataclass import (with `inspect` behind it) costs more than a cache hit, and namedtuple's
`collections` plus the class it builds with exec cost a warm compile ~3 ms.
"""

from __future__ import annotations

import os

from cache.frame import EntryError, frame, json_body, json_unframe
from cache.key import content_hash

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_RECORDS = 16
_TEMPORAL = (b"__DATE__", b"__TIME__", b"__TIMESTAMP__")


class _Record:
    """Immutable named fields (`_fields`) with equality, hashing, repr and _asdict()."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init__(self, *values: object) -> None:
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple:
        return tuple(getattr(self, n) for n in self._fields)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields)})"

    def _asdict(self) -> dict[str, object]:
        return dict(zip(self._fields, self._values()))


class TUEntry(_Record):
    """gcc's own output for one translation unit.

    asm: what `gcc -S` wrote; deps: the dependency file gcc wrote, if the command asked for one
    (its target and paths as gcc wrote them); stderr: gcc's diagnostics, replayed on a hit;
    functions: name -> function key of every function in asm, so a hit can look up rewrites
    without parsing the assembly again."""

    _fields = ("asm", "deps", "stderr", "functions")
    __slots__ = _fields
    KIND = "tu"

    def __init__(self, asm: str, deps: str = "", stderr: str = "", functions: dict[str, str] | None = None) -> None:
        functions = {} if functions is None else functions
        if not isinstance(asm, str) or not isinstance(deps, str) or not isinstance(stderr, str):
            raise ValueError("TUEntry.asm, deps and stderr must be strings")
        if not isinstance(functions, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in functions.items()):
            raise ValueError("TUEntry.functions must map names to keys")
        super().__init__(asm, deps, stderr, functions)

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


class ManifestRecord(_Record):
    """files: ((path as gcc named it, content hash), ...); tu_key: what they made."""

    _fields = ("files", "tu_key")
    __slots__ = _fields

    def __init__(self, files: tuple[tuple[str, str], ...], tu_key: str) -> None:
        super().__init__(files, tu_key)


class Manifest(_Record):
    """Records, newest last, of the include files a source was compiled with and the TU key."""

    _fields = ("records",)
    __slots__ = _fields
    KIND = "mf"

    def __init__(self, records: tuple[ManifestRecord, ...] = ()) -> None:
        super().__init__(records)

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
        return content_hash(_read(path)[1])
    except OSError:
        return None


def make_record(paths: Iterable[str], tu_key: str, cwd: str, started: float) -> ManifestRecord | None:
    """A record for these include files (as named in the dependency output, relative to cwd), or
    None when direct mode must not be used for this compile (see record_files)."""
    files = record_files(paths, cwd, started)
    return None if files is None else ManifestRecord(files, tu_key)


def record_files(paths: Iterable[str], cwd: str, started: float) -> tuple[tuple[str, str], ...] | None:
    """((path, content hash), ...) of these files, or None when direct mode must not be used for
    this compile: a file is gone, was modified at or after `started` (the compile may have read an
    older version), or uses a temporal macro."""
    files = []
    for p in dict.fromkeys(paths):
        try:
            st, data = _read(os.path.join(cwd, p))
        except OSError:
            return None
        if max(st.st_mtime, st.st_ctime) >= started or any(t in data for t in _TEMPORAL):
            return None
        files.append((p, content_hash(data)))
    return tuple(files)


def _read(path: str) -> tuple[os.stat_result, bytes]:
    """A file's status and contents, in four system calls (open() makes eight: a compile reads
    every header it included)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        data = os.read(fd, st.st_size + 1)  # all of it, in one read, unless it grew or came short
        if len(data) != st.st_size:
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        return st, data
    finally:
        os.close(fd)


def parse_depfile(text: str) -> list[str]:
    """The prerequisites of a make rule written by gcc -MD/-MF (escaped spaces honoured)."""
    body = text.replace("\\\n", " ")
    out: list[str] = []
    for line in body.splitlines():
        _, sep, deps = line.partition(": ")
        if not sep:
            continue
        if "\\" not in deps and "$" not in deps:  # nothing escaped: the usual case, split at C speed
            out += deps.split()
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

