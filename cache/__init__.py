"""The optimization cache: accepted function rewrites by hash, and gcc's own output per
translation unit, in a local directory and optionally a shared Redis tier.

    key     -- what goes into each hash (function, translation unit, manifest, object)
    frame   -- the checksummed framing of every stored blob
    entry   -- Entry: an accepted rewrite with its evidence
    store   -- Cache: the local directory, eviction, attempts, statistics, remote read-through
    remote  -- the Redis tier (short timeouts, never fails a build)
    sign    -- HMAC-SHA256 signatures for entries that cross machines
    stats   -- sharded counters that concurrent compiles update safely
    tu      -- TUEntry (gcc's output for a translation unit) and direct-mode manifests
    cli     -- `llmcc stats` and `llmcc cache ...`

It knows nothing of gcc, models or verification. Importing it and open_cache() are cheap (standard
library only, and not even `typing`, no I/O): every compile does both.
"""

from __future__ import annotations

from cache.frame import EntryError
from cache.store import Cache
from cache.tu import TUEntry

__all__ = ["Cache", "Entry", "EntryError", "TUEntry", "open_cache"]


def __getattr__(name: str) -> object:
    # Entry is a dataclass; its module is imported when first used, not on every compile
    if name == "Entry":
        from cache.entry import Entry

        return Entry
    raise AttributeError(f"module 'cache' has no attribute {name!r}")


def open_cache(cfg) -> Cache:
    """The cache that the configuration names (cache_dir, max_size, remote, remote_readonly,
    cache_secret, which LLMCC_CACHE_SECRET sets). No I/O until the first read or write."""
    return Cache(
        cfg.cache_path_str,
        max_size=cfg.max_size_bytes,
        remote=cfg.remote,
        remote_readonly=cfg.remote_readonly,
        secret=cfg.cache_secret,
    )
