"""JSON on the compile path without importing the `json` package.

`import json` imports `re` (json.decoder and json.encoder compile regular expressions when
imported), and `re` imports `enum`, `functools` and `collections`: about 8 ms, a quarter of a
warm compile. The C accelerator `_json`, which json itself uses, needs none of them; this module
drives it directly with json.loads's defaults, so a value reads exactly as json.loads reads it.
Anything unusual (a byte order mark, UTF-16/32, malformed text, another Python without `_json`)
is handed to json itself, so errors are json's own (ValueError subclasses).

Writing goes through the same accelerator: dumps_compact writes what json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False) writes (the entries a cold compile stores), and
dumps_counters the flat counter objects of cache.stats as json.dumps(sort_keys=True) does.
"""

from __future__ import annotations

try:
    from _json import encode_basestring as _encode
    from _json import encode_basestring_ascii as _quote
    from _json import make_encoder as _make_encoder
    from _json import make_scanner as _make_scanner
except ImportError:  # another Python implementation: json does the work
    _make_scanner = _make_encoder = None  # type: ignore[assignment, misc]

_WS = " \t\n\r"  # json's whitespace


class _Defaults:
    """The settings json.JSONDecoder() hands its C scanner by default."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


_scan = _make_scanner(_Defaults) if _make_scanner is not None else None  # type: ignore[arg-type]  # duck-typed


def loads(s: str | bytes) -> object:
    """json.loads(s), without importing json when s is well-formed UTF-8 JSON."""
    if _scan is None:
        return _json_loads(s)
    if isinstance(s, (bytes, bytearray)):
        # json.detect_encoding: a BOM or a NUL in the first two bytes means UTF-8-sig/16/32
        if not s or s[0] in (0, 0xEF, 0xFE, 0xFF) or (len(s) > 1 and s[1] == 0):
            return _json_loads(s)
        s = s.decode("utf-8", "surrogatepass")
    start = len(s) - len(s.lstrip(_WS))
    try:
        obj, end = _scan(s, start)
    except StopIteration:  # no value at all: json says so
        return _json_loads(s)
    if len(s.rstrip(_WS)) != end:  # (a value never ends in whitespace) extra data: json says so
        return _json_loads(s)
    return obj


def dumps_compact(obj: object) -> str:
    """json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)."""
    if _make_encoder is None:
        import json

        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # the arguments json.encoder.JSONEncoder.iterencode hands the C encoder for these settings
    encode = _make_encoder({}, _not_serializable, _encode, None, ":", ",", True, False, True)
    return "".join(encode(obj, 0))


def _not_serializable(o: object) -> object:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def dumps_counters(counters: dict[str, int]) -> str:
    """json.dumps(counters, sort_keys=True) of a flat object of integers."""
    if _scan is None or not all(type(k) is str and type(v) is int for k, v in counters.items()):
        import json

        return json.dumps(counters, sort_keys=True)
    return "{" + ", ".join(f"{_quote(k)}: {v!r}" for k, v in sorted(counters.items())) + "}"


def _json_loads(s: str | bytes) -> object:
    import json

    return json.loads(s)
