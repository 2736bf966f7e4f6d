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
from cache.key import bound_key, content_hash

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_RECORDS = 16
_MARK = "\0"  # before a path that base_dir made relative to the working directory
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
        if not isinstance(functions, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in functions.items()
        ):
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
    """files: ((path as gcc named it, or relative to the working directory when under base_dir,
    content hash), ...); tu_key: what they made; bound: what they made names the directory it
    was compiled in (see names_location), so the TU entry is stored under
    key.bound_key(tu_key, cwd) and serves only compiles in that same directory."""

    _fields = ("files", "tu_key", "bound")
    __slots__ = _fields
    files: tuple[tuple[str, str], ...]
    tu_key: str
    bound: bool

    def __init__(self, files: tuple[tuple[str, str], ...], tu_key: str, bound: bool = False) -> None:
        super().__init__(files, tu_key, bound)

    def key_in(self, cwd: str) -> str:
        """The key of the TU entry this record leads to, for a compile in `cwd`."""
        return bound_key(self.tu_key, cwd) if self.bound else self.tu_key


class Manifest(_Record):
    """Records, newest last, of the include files a source was compiled with and the TU key."""

    _fields = ("records",)
    __slots__ = _fields
    KIND = "mf"
    records: tuple[ManifestRecord, ...]

    def __init__(self, records: tuple[ManifestRecord, ...] = ()) -> None:
        super().__init__(records)

    def to_bytes(self) -> bytes:
        body = [
            {"tu_key": r.tu_key, "files": [list(f) for f in r.files], **({"cwd": True} if r.bound else {})}
            for r in self.records
        ]
        return frame(self.KIND, json_body(body))

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        body = json_unframe(cls.KIND, data)
        try:
            return cls(
                tuple(
                    ManifestRecord(
                        tuple((str(p), str(h)) for p, h in r["files"]), str(r["tu_key"]), r.get("cwd") is True
                    )
                    for r in _body_records(body)
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
                    hashes[path] = _hash_file(os.path.join(cwd, path.lstrip(_MARK)))
                if hashes[path] != want:
                    break
            else:
                return rec.key_in(cwd)
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


def _body_records(body: object) -> list:
    if not isinstance(body, list):
        raise TypeError("manifest body is not a list")
    return body


def make_record(paths: Iterable[str], tu_key: str, cwd: str, started: float) -> ManifestRecord | None:
    """A record for these include files (as named in the dependency output, relative to cwd), or
    None when direct mode must not be used for this compile (see record_files)."""
    files = record_files(paths, cwd, started)
    return None if files is None else ManifestRecord(files, tu_key)


def record_files(
    paths: Iterable[str], cwd: str, started: float, base: str = "", file_macro: list[str] | None = None
) -> tuple[tuple[str, str], ...] | None:
    """((path, content hash), ...) of these files, or None when direct mode must not be used for
    this compile: a file is gone, was modified at or after `started` (the compile may have read an
    older version), or uses a temporal macro. Absolute paths under `base` (base_dir) are recorded
    relative to cwd, so that another checkout's compile checks its own copies. The files that
    mention __FILE__ or __BASE_FILE__ are appended to `file_macro`, when given."""
    files = []
    for p in dict.fromkeys(paths):
        try:
            st, data = _read(os.path.join(cwd, p))
        except OSError:
            return None
        if max(st.st_mtime, st.st_ctime) >= started or any(t in data for t in _TEMPORAL):
            return None
        if file_macro is not None and (b"__FILE__" in data or b"__BASE_FILE__" in data):
            file_macro.append(p)
        files.append((relative_to(p, base, cwd), content_hash(data)))
    return tuple(files)


# ---- base_dir: hashing paths relative to the working directory, as ccache does ---------------


def under(path: str, base: str) -> bool:
    """Whether `path` is `base` or inside it (by whole components)."""
    return bool(base) and (path == base or path.startswith(base if base.endswith("/") else base + "/"))


def relative_to(path: str, base: str, cwd: str) -> str:
    """`path` relative to cwd, behind a NUL mark, when it is an absolute path under base and
    already normal (no `.`, `..` or `//` parts: a normal path is what joining the relative one to
    another checkout's directory gives back); otherwise unchanged. The mark (no path or argument
    has a NUL) keeps `-I/b/inc` made relative apart from a user's own `-Iinc`: gcc spells the
    two differently in its output (dependency lists, -g's file names)."""
    if not under(path, base) or os.path.normpath(path) != path:
        return path
    return _MARK + os.path.relpath(path, cwd)


# options whose glued value is a path (`-I/b/inc`, `--sysroot=/b/root`); the prefix maps' old half
_PATH_OPTIONS = (
    "-I",
    "-iquote",
    "-isystem",
    "-idirafter",
    "-include",
    "-imacros",
    "-iprefix",
    "-isysroot",
    "--sysroot=",
    "-L",
    "-B",
)
_PREFIX_MAPS = ("-fdebug-prefix-map=", "-ffile-prefix-map=", "-fmacro-prefix-map=", "-fprofile-prefix-map=")


def relative_words(words: Iterable[str], base: str, cwd: str) -> list[str]:
    """Command-line words with their paths under base made relative to cwd, for hashing: a whole
    word (`/b/src/x.c`, the value after `-I`), a path option's glued value (`-I/b/inc`) and the
    old half of a prefix map (`-ffile-prefix-map=/b/x=.`). Never a macro's value (-DDIR=/b/x):
    sizeof of the string would differ between checkouts with nothing in the output to show it."""
    out = []
    for w in words:
        if not base or base not in w:
            out.append(w)
        elif w[0] == "/":
            out.append(relative_to(w, base, cwd))
        elif w.startswith(_PREFIX_MAPS):
            opt, _, value = w.partition("=")
            old, eq, new = value.partition("=")
            out.append(f"{opt}={relative_to(old, base, cwd)}{eq}{new}")
        else:
            glued = next((o for o in _PATH_OPTIONS if w.startswith(o) and w[len(o) :].startswith("/")), None)
            out.append(w if glued is None else glued + relative_to(w[len(glued) :], base, cwd))
    return out


# gcc writes a path into its assembly (.string, .file) and a dependency file (make's escapes) as
# it is only when it has none of these; otherwise a directory could be in the text unrecognised
_PLAIN = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('"\\#$:%')


def names_location(texts: Iterable[str], roots: Iterable[str]) -> bool:
    """Whether any of gcc's outputs (assembly, dependency list, diagnostics) names one of the
    directories `roots` (base_dir, the working directory): then the output is true of this
    directory only (-g's DW_AT_comp_dir, __FILE__ of an absolute path, coverage's .gcda name, a
    warning's file name). A root with characters gcc would escape counts as named."""
    rs = [r for r in roots if r]
    if any(not set(r) <= _PLAIN for r in rs):
        return True
    return any(r in t for t in texts for r in rs)


def portable_deps(text: str, base: str, cwd: str) -> str:
    """A dependency list with its normal absolute paths under base written relative to cwd
    (relative_to), so another checkout's compile gets its own paths back (local_deps).
    Unchanged when base is unset or no path is under it."""
    if not base or base not in text:
        return text
    out = []
    i = 0
    while True:
        at = text.find(base, i)
        if at < 0:
            out.append(text[i:])
            return "".join(out)
        end = at
        while end < len(text) and text[end] not in " \t\n\\":
            end += 1
        path = text[at:end]
        colon = path.endswith(":")
        path = path[:-1] if colon else path
        rel = relative_to(path, base, cwd) if (at == 0 or text[at - 1] in " \t\n") else path
        out.append(text[i:at])
        out.append(rel + (":" if colon else "") if rel != path else text[at:end])
        i = end


def local_deps(text: str, cwd: str) -> str:
    """portable_deps undone for a compile in cwd."""
    if _MARK not in text:
        return text
    out = []
    i = 0
    while (at := text.find(_MARK, i)) >= 0:
        end = at + 1
        while end < len(text) and text[end] not in " \t\n\\":
            end += 1
        rel = text[at + 1 : end]
        colon = rel.endswith(":")
        rel = rel[:-1] if colon else rel
        out.append(text[i:at])
        out.append(os.path.normpath(os.path.join(cwd, rel)) + (":" if colon else ""))
        i = end
    out.append(text[i:])
    return "".join(out)


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
