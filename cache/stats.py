"""Statistics that many concurrent compiles update safely.

Like ccache, counters live in 16 shard files (root/stats/0 ... root/stats/f, JSON objects); a
process adds its deltas to the shard chosen by its pid, once, when it exits (or on flush()).
A shard is replaced by rename, so a reader never needs a lock; writers serialize per shard with
an fcntl lock on a side file (the `filelock` package costs ~50 ms to import, more than gcc takes
for a small file, so the compile path uses fcntl directly).

Counter names: compiles, tu.hit, tu.miss, direct.hit, object.hit, fn.hit, fn.miss,
fallback.<reason>, rewrite.accepted, rewrite.rejected.<reason>, rewrite.slower, rewrite.ipa_unsafe, rewrite.unusable, remote.hit, remote.miss, remote.error, remote.bad_signature,
remote.unsigned, remote.corrupt, entry.corrupt, cache.write_error, evicted, and the running
totals cache.bytes (drives eviction, recalibrated by every eviction scan).
"""

from __future__ import annotations

import os

from cache.json_light import dumps_counters, loads

# `pathlib` costs a warm compile ~10 ms of imports: paths here are strings (os.PathLike accepted)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from os import PathLike

SHARDS = 16
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def counter_name(text: str, limit: int = 48) -> str:
    """A counter-safe name: lower case, [a-z0-9_.-], bounded (reasons can be free text)."""
    name = "".join(c if c in _SAFE else "_" for c in text.strip().lower()[:limit])
    return name.strip("_.") or "unknown"


class locked:
    """`with locked(path, blocking) as got:` an exclusive fcntl lock on `path` (created if
    missing); got is False when not blocking and someone else holds it. Closing the descriptor
    releases the lock. (A class, not contextlib: one import fewer on every compile.)"""

    def __init__(self, path: str | PathLike, blocking: bool = True) -> None:
        self.path = path
        self.blocking = blocking
        self.fd = -1

    def __enter__(self) -> bool:
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        except BaseException:
            os.close(self.fd)
            raise
        return True

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def read_shard(path: str | PathLike) -> dict[str, int]:
    try:
        with open(path, "rb") as f:
            data = loads(f.read())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int)}


def _write_shard(path: str, counters: dict[str, int]) -> None:
    d, name = os.path.split(path)
    tmp = os.path.join(d, f".{name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(dumps_counters(counters))
    os.replace(tmp, path)


class Stats:
    """Per-process counter deltas, merged into a shard on flush()."""

    def __init__(self, root: str | PathLike) -> None:
        self.dir = os.path.join(root, "stats")  # a str
        self.deltas: dict[str, int] = {}

    def bump(self, counter: str, n: int = 1) -> None:
        self.deltas[counter] = self.deltas.get(counter, 0) + n

    def flush(self) -> dict[str, int]:
        """Add this process's deltas to its shard; the shard's counters after that ({} when
        nothing was written). Never raises: statistics are not worth a build."""
        if not self.deltas:
            return {}
        deltas, self.deltas = self.deltas, {}
        try:
            os.makedirs(self.dir, exist_ok=True)
            shard = os.path.join(self.dir, format(os.getpid() % SHARDS, "x"))
            with locked(shard + ".lock"):
                counters = read_shard(shard)
                for k, v in deltas.items():
                    counters[k] = counters.get(k, 0) + v
                _write_shard(shard, counters)
            return counters
        except OSError:
            return {}

    def totals(self) -> dict[str, int]:
        """The sum over all shards (this process's unflushed deltas not included)."""
        out: dict[str, int] = {}
        for i in range(SHARDS):
            for k, v in read_shard(os.path.join(self.dir, format(i, "x"))).items():
                out[k] = out.get(k, 0) + v
        return out

    def set_total(self, counter: str, value: int) -> None:
        """Make the sum over shards of one counter equal value (recalibration after a scan)."""
        os.makedirs(self.dir, exist_ok=True)
        for i in range(SHARDS):
            shard = os.path.join(self.dir, format(i, "x"))
            with locked(shard + ".lock"):
                counters = read_shard(shard)
                want = value if i == 0 else 0
                if counters.get(counter, 0) != want:
                    counters[counter] = want
                    _write_shard(shard, counters)

    def zero(self, keep: tuple[str, ...] = ("cache.bytes",)) -> None:
        """Reset every counter except the running totals in `keep`."""
        if not os.path.isdir(self.dir):
            return
        for i in range(SHARDS):
            shard = os.path.join(self.dir, format(i, "x"))
            with locked(shard + ".lock"):
                counters = read_shard(shard)
                _write_shard(shard, {k: v for k, v in counters.items() if k in keep})
