"""How every stored blob is framed on disk and on the wire.

    llmcc <kind> <format> <blake2b-256 of the body, hex> <body length>\\n<body>

The checksum covers the whole body, so a truncated, corrupted or foreign-version blob is detected
before anything in it is used (`EntryError`), and the store treats it as a miss. This module is on
every compile's path: standard library only, nothing that costs at import.
"""

from __future__ import annotations

from cache.json_light import loads
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


def json_body(obj: object) -> bytes:
    from cache.json_light import dumps_compact

    return dumps_compact(obj).encode()


def json_unframe(kind: str, data: bytes) -> object:
    """The JSON body of a framed blob, or EntryError."""
    try:
        return loads(unframe(kind, data))
    except (UnicodeDecodeError, ValueError) as e:
        raise EntryError(f"unreadable body: {e}") from None
