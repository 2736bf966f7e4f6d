"""The shared tier: function entries in Redis, read through on a local miss, written once
(SET NX: entries are immutable) when a rewrite is accepted.

The client speaks the few RESP2 commands it needs (AUTH, SELECT, MGET, SET NX) over a plain
socket. redis-py would do, but importing it takes ~140 ms, and every compile of a build with a
remote configured would pay that; a socket costs ~2 ms.

A remote never fails a build. Connect and read timeouts are short; the first failure in a process
disables the remote for the rest of that process, and leaves a marker (root/remote-down) that
makes other compiles skip it for DOWN_SECONDS, so a dead or garbage-speaking server slows a whole
build by about one timeout. Replies are bounded (sizes, counts, line lengths) and anything
unexpected is an error, never an exception that escapes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
DOWN_SECONDS = 30.0
MAX_BULK = 64 << 20
MAX_ITEMS = 100_000
MAX_LINE = 1 << 16
PREFIX = "llmcc:1:fn:"


class RemoteError(Exception):
    """The server could not be reached, or answered something that is not Redis."""


class UsageError(Exception):
    """The remote setting itself is wrong (not a redis:// URL)."""


def parse_url(url: str) -> tuple[str, int, int, str | None, str | None]:
    """redis://[[user]:password@]host[:port][/db] -> (host, port, db, user, password)."""
    parts = urlsplit(url)
    if parts.scheme != "redis" or not parts.hostname:
        raise UsageError(f"remote = {url!r}: expected redis://host[:port][/db]")
    path = parts.path.strip("/")
    try:
        port = parts.port or 6379
        db = int(path) if path else 0
    except ValueError:
        raise UsageError(f"remote = {url!r}: bad port or database number") from None
    password = unquote(parts.password) if parts.password else None
    user = unquote(parts.username) if parts.username else None
    return parts.hostname, port, db, user, password


class Connection:
    """One RESP2 connection with bounded, strict reply parsing."""

    def __init__(self, host: str, port: int, db: int, user: str | None, password: str | None) -> None:
        try:
            self.sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
            self.sock.settimeout(READ_TIMEOUT)
            self.reader = self.sock.makefile("rb")
        except OSError as e:
            raise RemoteError(f"cannot connect to {host}:{port}: {e}") from None
        if password is not None:
            self.command("AUTH", *((user,) if user else ()), password)
        if db:
            self.command("SELECT", str(db))

    def close(self) -> None:
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass

    def command(self, *args: str | bytes) -> Any:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        try:
            self.sock.sendall(b"".join(out))
            return self._reply()
        except (OSError, ValueError) as e:
            raise RemoteError(f"connection failed: {e}") from None

    def _line(self) -> bytes:
        line = self.reader.readline(MAX_LINE)
        if not line.endswith(b"\r\n"):
            raise RemoteError("connection closed or malformed reply")
        return line[:-2]

    def _reply(self, depth: int = 0) -> Any:
        line = self._line()
        if not line:
            raise RemoteError("empty reply line")
        tag, rest = line[:1], line[1:]
        if tag == b"+":
            return rest
        if tag == b"-":
            raise RemoteError(f"server error: {rest[:200].decode(errors='replace')}")
        if tag == b":":
            return self._int(rest)
        if tag == b"$":
            n = self._int(rest)
            if n == -1:
                return None
            if not 0 <= n <= MAX_BULK:
                raise RemoteError(f"bulk reply of {n} bytes")
            data = self.reader.read(n + 2)
            if len(data) != n + 2 or not data.endswith(b"\r\n"):
                raise RemoteError("truncated bulk reply")
            return data[:-2]
        if tag == b"*":
            n = self._int(rest)
            if n == -1:
                return None
            if not 0 <= n <= MAX_ITEMS or depth > 2:
                raise RemoteError(f"array reply of {n} items")
            return [self._reply(depth + 1) for _ in range(n)]
        raise RemoteError(f"not a Redis reply: {line[:40]!r}")

    @staticmethod
    def _int(text: bytes) -> int:
        try:
            return int(text)
        except ValueError:
            raise RemoteError(f"bad number in reply: {text[:40]!r}") from None


class Remote:
    """Function entries in Redis. `event(name)` is told what happened (counters)."""

    def __init__(self, url: str, readonly: bool, down_marker: Path, event: Callable[[str], None]) -> None:
        self.url = url
        self.readonly = readonly
        self.down_marker = down_marker
        self.event = event
        self._conn: Connection | None = None
        self._dead = False
        self.address = parse_url(url)

    def _connection(self) -> Connection | None:
        if self._dead:
            return None
        if self._conn is None:
            try:
                if time.time() - self.down_marker.stat().st_mtime < DOWN_SECONDS:
                    self._dead = True
                    self.event("remote.skipped")
                    return None
            except OSError:
                pass
            try:
                self._conn = Connection(*self.address)
            except RemoteError:
                self._fail()
                return None
        return self._conn

    def _fail(self) -> None:
        self._dead = True
        self.event("remote.error")
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        try:
            self.down_marker.parent.mkdir(parents=True, exist_ok=True)
            self.down_marker.touch()
        except OSError:
            pass

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Blobs stored under these keys (None where absent), or all None if the remote is down."""
        conn = self._connection() if keys else None
        if conn is None:
            return [None] * len(keys)
        try:
            reply = conn.command("MGET", *(PREFIX + k for k in keys))
            if (
                not isinstance(reply, list)
                or len(reply) != len(keys)
                or not all(r is None or isinstance(r, bytes) for r in reply)
            ):
                raise RemoteError("MGET answered something else than one value per key")
        except RemoteError:
            self._fail()
            return [None] * len(keys)
        return reply

    def put(self, key: str, data: bytes) -> bool:
        """Store unless present (entries are immutable). True when stored by this call."""
        if self.readonly:
            return False
        conn = self._connection()
        if conn is None:
            return False
        try:
            reply = conn.command("SET", PREFIX + key, data, "NX")
        except RemoteError:
            self._fail()
            return False
        return reply == b"OK"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
