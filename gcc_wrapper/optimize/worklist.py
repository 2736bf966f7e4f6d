"""The queue of hot functions waiting for `llmcc optimize`.

One JSON file per function key under CACHE/queue/: everything needed to rebuild the function's
Context later (the source, where it was compiled, the compiler and flags, the instruction set),
plus why it was queued. Writing is atomic (temp file + rename), so a parallel build's compiles can
queue at once; the same key queued twice is one entry.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from gcc_wrapper.compile.files import write_atomic


@dataclass(frozen=True)
class QueueItem:
    key: str  # the function's cache key (of gcc's baseline)
    name: str
    source: str  # absolute path of the C file
    cwd: str
    cc: str  # the real compiler
    compile_flags: tuple[str, ...]  # gcc -S with these (and the source) reproduces the baseline
    code_flags: tuple[str, ...]
    isa: str
    digest: str = ""  # optimize.norm_digest of gcc's baseline when queued
    reason: str = ""  # "queue mode", "needs the project's tests: ...", ...
    queued: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "QueueItem":
        return cls(
            key=str(d["key"]),
            name=str(d["name"]),
            source=str(d["source"]),
            cwd=str(d["cwd"]),
            cc=str(d["cc"]),
            compile_flags=tuple(d.get("compile_flags", ())),
            code_flags=tuple(d.get("code_flags", ())),
            isa=str(d.get("isa", "x86-64")),
            digest=str(d.get("digest", "")),
            reason=str(d.get("reason", "")),
            queued=float(d.get("queued", 0.0)),
        )


def queue_dir(cache_root: Path) -> Path:
    return Path(cache_root) / "queue"


def add(cache_root: Path, item: QueueItem) -> bool:
    """Queue `item`; False when its key is already queued."""
    d = queue_dir(cache_root)
    d.mkdir(parents=True, exist_ok=True)
    dest = d / f"{item.key}.json"
    if dest.exists():
        return False
    if not item.queued:
        item = QueueItem(**{**asdict(item), "queued": time.time()})
    write_atomic(dest, json.dumps(item.to_json(), indent=1))
    return True


def items(cache_root: Path) -> list[QueueItem]:
    """Everything queued, oldest first; unreadable files are skipped."""
    d = queue_dir(cache_root)
    out: list[QueueItem] = []
    if not d.is_dir():
        return out
    for f in d.glob("*.json"):
        try:
            out.append(QueueItem.from_json(json.loads(f.read_text())))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(out, key=lambda i: (i.queued, i.key))


def remove(cache_root: Path, key: str) -> None:
    try:
        (queue_dir(cache_root) / f"{key}.json").unlink()
    except FileNotFoundError:
        pass
