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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


def log_path(cfg) -> Path:
    from pathlib import Path

    return Path(_log_path(cfg))


def _log_path(cfg) -> str:
    """log_path as a string: the compile path does without pathlib (~10 ms of imports)."""
    if cfg is not None:
        return cfg.log_path_str
    env = os.environ.get("LLMCC_LOG")
    if env:
        return os.path.expanduser(env)
    cache = os.environ.get("LLMCC_CACHE_DIR")
    if cache:
        return os.path.join(os.path.expanduser(cache), "llmcc.log")
    xdg = os.environ.get("XDG_CACHE_HOME")
    return os.path.join(xdg if xdg else os.path.join(os.path.expanduser("~"), ".cache"), "llmcc", "llmcc.log")


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
    path = _log_path(cfg)
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
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
        with open(_log_path(cfg), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    out = []
    for ln in text.splitlines():
        try:
            out.append(json.loads(ln))
        except ValueError:
            continue
    return out
