"""HMAC-SHA256 signatures over stored entries.

A signed blob is one more header line in front of the framed entry:

    llmcc-hmac-sha256 <hex digest over everything after this line>\\n<framed entry>

Whoever holds the secret (LLMCC_CACHE_SECRET or cache_secret) can write entries others accept;
whoever does not can only read. The checksum inside the entry catches accidents; the signature
catches entries someone without the secret put into the shared tier or an export file. hmac is
imported only when a secret is set (it is on every compile's import path otherwise).
"""

from __future__ import annotations

_PREFIX = b"llmcc-hmac-sha256 "

OK = "ok"  # signed with this secret
UNSIGNED = "unsigned"
BAD = "bad"  # signed, but not with this secret, or altered since


def seal(data: bytes, secret: str) -> bytes:
    """The blob signed with the secret; unchanged when there is no secret."""
    if not secret:
        return data
    import hashlib
    import hmac

    mac = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest().encode()
    return _PREFIX + mac + b"\n" + data


def unseal(data: bytes, secret: str) -> tuple[bytes, str]:
    """(the blob without its signature line, OK | UNSIGNED | BAD). Without a secret, a signature
    cannot be checked: a signed blob is returned as UNSIGNED."""
    if not data.startswith(_PREFIX):
        return data, UNSIGNED
    nl = data.find(b"\n", 0, 200)
    if nl < 0:
        return data, BAD
    mac, body = data[len(_PREFIX) : nl], data[nl + 1 :]
    if not secret:
        return body, UNSIGNED
    import hashlib
    import hmac

    want = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    return body, (OK if hmac.compare_digest(mac, want) else BAD)
