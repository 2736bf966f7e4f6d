"""What the cache stores, and how it is framed on disk and on the wire.

Every stored blob is one header line and a body:

    llmcc <kind> <format> <blake2b-256 of the body, hex> <body length>\\n<body>

The checksum covers the whole body, so a truncated, corrupted or foreign-version blob is detected
before anything in it is used (`EntryError`), and the store treats it as a miss. Bodies are JSON
for entries (readable with `llmcc cache show`, quick to parse) and raw bytes for objects.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from cache.key import FORMAT, blake2b

_MAGIC = b"llmcc"


class EntryError(Exception):
    """A blob that cannot be used: truncated, corrupted, wrong kind, or another format version."""


def frame(kind: str, body: bytes) -> bytes:
    digest = blake2b(body, digest_size=32).hexdigest()
    return b"%s %s %d %s %d\n" % (_MAGIC, kind.encode(), FORMAT, digest.encode(), len(body)) + body


def unframe(kind: str, data: bytes) -> bytes:
    """The body of a framed blob of this kind, or EntryError saying what is wrong with it."""
    nl = data.find(b"\n", 0, 200)
    if nl < 0:
        raise EntryError("no header")
    parts = data[:nl].split(b" ")
    if len(parts) != 5 or parts[0] != _MAGIC:
        raise EntryError("not an llmcc entry")
    if parts[1].decode(errors="replace") != kind:
        raise EntryError(f"a {parts[1].decode(errors='replace')!r} entry, expected {kind!r}")
    if parts[2] != str(FORMAT).encode():
        raise EntryError(f"format {parts[2].decode(errors='replace')}, this llmcc reads {FORMAT}")
    body = data[nl + 1 :]
    if not parts[4].isdigit() or int(parts[4]) != len(body):
        raise EntryError(f"truncated or extended: {len(body)} bytes, header says {parts[4].decode(errors='replace')}")
    if blake2b(body, digest_size=32).hexdigest().encode() != parts[3]:
        raise EntryError("checksum mismatch")
    return body


def kind_of(data: bytes) -> str | None:
    """The kind named in a blob's header, without checking anything else."""
    parts = data[:200].split(b"\n", 1)[0].split(b" ")
    if len(parts) == 5 and parts[0] == _MAGIC:
        return parts[1].decode(errors="replace")
    return None


def _json_body(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _from_json(cls: type, kind: str, data: bytes) -> Any:
    try:
        obj = json.loads(unframe(kind, data))
    except (UnicodeDecodeError, ValueError) as e:
        raise EntryError(f"unreadable body: {e}") from None
    names = {f.name for f in fields(cls)}
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    if not isinstance(obj, dict) or not names.issuperset(obj) or not required.issubset(obj):
        raise EntryError(f"fields {sorted(obj) if isinstance(obj, dict) else type(obj).__name__} do not make a {cls.__name__}")
    try:
        return cls(**obj)
    except (TypeError, ValueError) as e:
        raise EntryError(str(e)) from None


@dataclass(frozen=True)
class Entry:
    """An accepted rewrite of one function, with the evidence that it is correct and faster.

    key: cache.key.function_key of gcc's baseline; function: its symbol; source: the C file where
    it was first seen; asm: the accepted standalone assembly (asm.Function.text() format);
    baseline_asm: gcc's version it replaces; proposer: who proposed it ("embedded:-O2 ...",
    "llm:MODEL"); verification: Verdict.to_json() plus whatever evidence the verifier adds (test
    command, ...); measurement: Measurement.to_json(); created: Unix time; llmcc_version."""

    key: str
    function: str
    source: str
    asm: str
    baseline_asm: str
    proposer: str
    verification: dict[str, Any]
    measurement: dict[str, Any]
    created: float
    llmcc_version: str

    KIND = "fn"

    def __post_init__(self) -> None:
        for name in ("key", "function", "source", "asm", "baseline_asm", "proposer", "llmcc_version"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"Entry.{name} must be a string")
        if not self.key or not self.function or not self.asm:
            raise ValueError("Entry needs a key, a function name and assembly")
        if not isinstance(self.verification, dict) or not isinstance(self.measurement, dict):
            raise ValueError("Entry.verification and Entry.measurement must be objects")
        if not isinstance(self.created, (int, float)):
            raise ValueError("Entry.created must be a number")

    def to_bytes(self) -> bytes:
        return frame(self.KIND, _json_body(asdict(self)))

    @classmethod
    def from_bytes(cls, data: bytes) -> "Entry":
        """The entry, or EntryError if the bytes are not a whole, intact entry of this format."""
        return _from_json(cls, cls.KIND, data)

    @property
    def digest(self) -> str:
        """Identifies this exact entry (what an object built with it depends on)."""
        return blake2b(self.to_bytes(), digest_size=20).hexdigest()

    @property
    def speedup(self) -> float | None:
        s = self.measurement.get("speedup")
        return float(s) if isinstance(s, (int, float)) else None


@dataclass(frozen=True)
class TUEntry:
    """gcc's own output for one translation unit.

    asm: what `gcc -S` wrote; deps: the dependency file gcc wrote, if the command asked for one
    (its target and paths as gcc wrote them); stderr: gcc's diagnostics, replayed on a hit;
    functions: name -> function key of every function in asm, so a hit can look up rewrites
    without parsing the assembly again."""

    asm: str
    deps: str = ""
    stderr: str = ""
    functions: dict[str, str] = field(default_factory=dict)

    KIND = "tu"

    def __post_init__(self) -> None:
        if not isinstance(self.asm, str) or not isinstance(self.deps, str) or not isinstance(self.stderr, str):
            raise ValueError("TUEntry.asm, deps and stderr must be strings")
        if not isinstance(self.functions, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.functions.items()
        ):
            raise ValueError("TUEntry.functions must map names to keys")

    def to_bytes(self) -> bytes:
        return frame(self.KIND, _json_body(asdict(self)))

    @classmethod
    def from_bytes(cls, data: bytes) -> "TUEntry":
        return _from_json(cls, cls.KIND, data)
