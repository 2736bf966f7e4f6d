"""llmcc's own log: fallbacks and internal errors, one JSON object per line.

The log is `$LLMCC_LOG` (config `log`), else CACHE_DIR/llmcc.log. Each line has `time`
(ISO 8601, UTC), `pid`, `event` ("fallback", ...), `reason` (a short word such as
"parse", "assemble", "exception", "config"), `detail`, `cwd` and `argv`. Lines are
written with a single O_APPEND write, so concurrent compiles of a parallel build do not
interleave. Writing the log never fails a compile: if it cannot be written, the event
is dropped (and shown on stderr when LLMCC_DEBUG=1).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def log_path(cfg) -> Path:
    if cfg is not None:
        return cfg.log_path
    env = os.environ.get("LLMCC_LOG")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("LLMCC_CACHE_DIR")
    if cache:
        return Path(cache).expanduser() / "llmcc.log"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "llmcc" / "llmcc.log"


def _debug(cfg) -> bool:
    if cfg is not None:
        return bool(cfg.debug)
    return os.environ.get("LLMCC_DEBUG", "") not in ("", "0")


def write(cfg, event: str, reason: str, detail: str = "", argv: list[str] | tuple[str, ...] = ()) -> None:
    """Append one event to the log; with debug on, also say it on stderr."""
    import json
    import time

    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pid": os.getpid(),
        "event": event,
        "reason": reason,
        "detail": detail,
        "cwd": os.getcwd(),
        "argv": list(argv),
    }
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogateescape")
    path = log_path(cfg)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as e:
        if _debug(cfg):
            print(f"llmcc: cannot write log {path}: {e}", file=sys.stderr)
    if _debug(cfg):
        print(f"llmcc: {event} ({reason}): {detail}", file=sys.stderr)


def read(cfg) -> list[dict]:
    """The log's events, oldest first (unreadable lines skipped)."""
    import json

    try:
        text = log_path(cfg).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for ln in text.splitlines():
        try:
            out.append(json.loads(ln))
        except ValueError:
            continue
    return out
