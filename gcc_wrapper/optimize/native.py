"""llmcc's own C helpers (the recorder, the replayer, the harnesses' objects), built from the
sources in the package the first time they are needed, once per content and compiler, under the
verifier's work directory. Several processes may build the same one at once: each builds into a
private name and renames, so a reader sees the old file or the whole new one."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


class BuildError(Exception):
    pass


def work_root() -> Path:
    """Where verification keeps its files (harness objects, per-function builds, helpers)."""
    import tempfile

    d = Path(tempfile.gettempdir()) / f"llmcc-verify-{os.getuid()}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def build(
    name: str,
    sources: Sequence[Path],
    flags: Sequence[str] = (),
    *,
    cc: str = "gcc",
    compile_only: bool = False,
    includes: Sequence[Path] = (),
) -> Path:
    """The executable (or, compile_only, the object) `name` made from `sources` with `flags`;
    `includes` are files the sources #include (they count for the content, not as sources)."""
    h = hashlib.blake2b(digest_size=12)
    for s in (*sources, *includes):
        h.update(Path(s).read_bytes())
        h.update(b"\0")
    for part in (cc, *flags, str(compile_only)):
        h.update(part.encode())
        h.update(b"\0")
    d = work_root() / "tools" / h.hexdigest()
    out = d / name
    if out.exists():
        return out
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f".{name}.{os.getpid()}"
    cmd = [cc, *flags, *(["-c"] if compile_only else []), *map(str, sources), "-o", str(tmp)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"cannot build {name}: {r.stderr.strip()[:500]}")
    os.replace(tmp, out)
    return out
