"""The optimization cache: accepted function rewrites by hash, and gcc's own output per
translation unit, in a local directory and optionally a shared Redis tier.

    key     -- what goes into each hash (function, translation unit, manifest, object)
    entry   -- Entry (an accepted rewrite) and TUEntry (gcc's output), checksummed framing
    store   -- Cache: the local directory, eviction, attempts, statistics, remote read-through
    remote  -- the Redis tier (short timeouts, never fails a build)
    sign    -- HMAC-SHA256 signatures for entries that cross machines
    stats   -- sharded counters that concurrent compiles update safely
    tu      -- direct mode: manifests that map a source and its headers to a TU key
    cli     -- `llmcc stats` and `llmcc cache ...`

It knows nothing of gcc, models or verification. Importing it and open_cache() are cheap (standard
library only, no I/O): every compile does both.
"""

from __future__ import annotations

from typing import Any

from cache.entry import Entry, EntryError, TUEntry
from cache.store import Cache

__all__ = ["Cache", "Entry", "EntryError", "TUEntry", "open_cache"]


def open_cache(cfg: Any) -> Cache:
    """The cache that the configuration names (cache_dir, max_size, remote, remote_readonly,
    cache_secret, which LLMCC_CACHE_SECRET sets). No I/O until the first read or write."""
    return Cache(
        cfg.cache_path,
        max_size=cfg.max_size_bytes,
        remote=cfg.remote,
        remote_readonly=cfg.remote_readonly,
        secret=cfg.cache_secret,
    )
