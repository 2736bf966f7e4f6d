"""An accepted rewrite of one function, as the cache stores it (and, re-exported for
convenience, the framing of every blob and gcc's translation-unit entries).

Entries are JSON bodies in the common frame (cache.frame): readable with `llmcc cache show`, quick
to parse, checksummed as a whole. This module imports `dataclasses`, so the compile path imports it
only when a function entry is actually read or written (cache.store does so lazily).
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from cache.frame import EntryError, frame, json_body, json_unframe, kind_of, unframe
from cache.key import blake2b
from cache.tu import TUEntry

__all__ = ["Entry", "EntryError", "TUEntry", "frame", "kind_of", "unframe"]


def _from_json(cls: type, kind: str, data: bytes) -> Any:
    obj = json_unframe(kind, data)
    names = {f.name for f in fields(cls)}
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    if not isinstance(obj, dict) or not names.issuperset(obj) or not required.issubset(obj):
        raise EntryError(
            f"fields {sorted(obj) if isinstance(obj, dict) else type(obj).__name__} do not make a {cls.__name__}"
        )
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
        return frame(self.KIND, json_body(asdict(self)))

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
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
