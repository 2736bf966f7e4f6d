"""Keys and entry framing: what changes a key, and that damaged bytes never parse."""

from __future__ import annotations

import pytest

from cache import sign
from cache.entry import Entry, EntryError, TUEntry, frame, unframe
from cache.key import function_key, manifest_key, object_key, tu_key


def test_function_key_covers_every_input() -> None:
    base = ("f:\n\tret\n", "gcc 12.2.0 x86_64-linux-gnu 1234", ["-march=x86-64", "-fPIC"], "x86-64")
    k = function_key(*base)
    assert len(k) == 40 and all(c in "0123456789abcdef" for c in k)
    assert function_key(*base) == k
    variants = [
        ("f:\n\tnop\n\tret\n", base[1], base[2], base[3]),
        (base[0], "gcc 13.1.0 x86_64-linux-gnu 1234", base[2], base[3]),
        (base[0], base[1], ["-march=haswell", "-fPIC"], base[3]),
        (base[0], base[1], ["-fPIC", "-march=x86-64"], base[3]),  # order: the last -march wins
        (base[0], base[1], base[2][:1], base[3]),
        (base[0], base[1], base[2], "haswell"),
    ]
    keys = {function_key(*v) for v in variants}
    assert k not in keys and len(keys) == len(variants)


def test_fields_are_length_prefixed() -> None:
    assert function_key("a", "bc", [], "x") != function_key("ab", "c", [], "x")
    assert function_key("a", "b", ["-m", "x"], "y") != function_key("a", "b", ["-mx"], "y")
    assert tu_key("gcc", b"int x;", ["-O3"]) != tu_key("gcc", b"int x;-O3", [])


def test_domains_differ() -> None:
    assert tu_key("c", b"", []) != manifest_key("c", b"", [], "")
    assert object_key("ab" * 20, ["1", "2"], []) == object_key("ab" * 20, ["2", "1"], [])
    assert object_key("ab" * 20, ["1"], []) != object_key("ab" * 20, [], [])


def test_entry_round_trip(make_entry) -> None:
    e = make_entry()
    assert Entry.from_bytes(e.to_bytes()) == e
    t = TUEntry(asm="\t.text\n", deps="a.o: a.c\n", stderr="warning\n", functions={"f": e.key})
    assert TUEntry.from_bytes(t.to_bytes()) == t


def test_every_truncation_is_refused(make_entry) -> None:
    data = make_entry().to_bytes()
    for n in range(0, len(data), 7):
        with pytest.raises(EntryError):
            Entry.from_bytes(data[:n])


def test_every_flipped_byte_is_refused(make_entry) -> None:
    data = make_entry().to_bytes()
    for i in range(0, len(data), 3):
        damaged = bytearray(data)
        damaged[i] ^= 0x20
        with pytest.raises(EntryError):
            Entry.from_bytes(bytes(damaged))


def test_foreign_version_and_kind_are_refused(make_entry) -> None:
    data = make_entry().to_bytes()
    head, body = data.split(b"\n", 1)
    parts = head.split(b" ")
    parts[2] = b"999"
    with pytest.raises(EntryError, match="format 999"):
        Entry.from_bytes(b" ".join(parts) + b"\n" + body)
    with pytest.raises(EntryError, match="expected 'tu'"):
        TUEntry.from_bytes(data)
    with pytest.raises(EntryError):
        Entry.from_bytes(frame("fn", b'{"key": "x"}'))  # intact, but not an Entry
    assert unframe("obj", frame("obj", b"\x7fELF")) == b"\x7fELF"


def test_entry_rejects_bad_fields(make_entry) -> None:
    with pytest.raises(ValueError):
        make_entry(asm="")
    with pytest.raises(ValueError):
        make_entry(verification="accepted")


def test_signatures(make_entry) -> None:
    data = make_entry().to_bytes()
    sealed = sign.seal(data, "s3cret")
    assert sign.unseal(sealed, "s3cret") == (data, sign.OK)
    assert sign.unseal(sealed, "other")[1] == sign.BAD
    assert sign.unseal(data, "s3cret") == (data, sign.UNSIGNED)
    assert sign.unseal(sealed, "") == (data, sign.UNSIGNED)
    tampered = sealed.replace(b"test:hand-written", b"test:hand-writteN")
    assert sign.unseal(tampered, "s3cret")[1] == sign.BAD
    assert sign.seal(data, "") == data
