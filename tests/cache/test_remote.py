"""The shared tier against a real redis-server: read-through, SET NX, read-only consumers,
signatures, and a remote that is down or speaks junk."""

from __future__ import annotations

import time
from pathlib import Path

from cache import Cache, sign
from cache.remote import PREFIX


def counters(c: Cache) -> dict[str, int]:
    c.close()
    return c.stats.totals()


def test_read_through_with_empty_local_cache(tmp_path: Path, redis_url: str, redis_client, make_entry) -> None:
    writer = Cache(tmp_path / "ci", remote=redis_url)
    e = make_entry()
    writer.put_function(e)
    assert redis_client.get(PREFIX + e.key) == e.to_bytes()  # unsigned: no secret set

    reader = Cache(tmp_path / "dev", remote=redis_url)
    assert reader.get_function(e.key) == e
    assert reader.path("fn", e.key).is_file()  # now local
    assert reader.get_functions([e.key, make_entry("other").key]) == {e.key: e}
    t = counters(reader)
    assert t["remote.hit"] == 1 and t["remote.miss"] == 1 and t["fn.hit"] == 2 and t["fn.miss"] == 1


def test_entries_are_immutable_and_readonly_never_writes(
    tmp_path: Path, redis_url: str, redis_client, make_entry
) -> None:
    e = make_entry()
    first = Cache(tmp_path / "a", remote=redis_url)
    first.put_function(e)
    later = make_entry(proposer="someone else")
    Cache(tmp_path / "b", remote=redis_url).put_function(later)
    assert redis_client.get(PREFIX + e.key) == e.to_bytes()  # SET NX kept the first
    ro = Cache(tmp_path / "c", remote=redis_url, remote_readonly=True)
    other = make_entry("other")
    ro.put_function(other)
    assert redis_client.get(PREFIX + other.key) is None
    assert ro.get_function(other.key) == other  # stored locally all the same
    assert counters(first)["remote.put"] == 1


def test_signed_tier_ignores_unsigned_and_forged_entries(
    tmp_path: Path, redis_url: str, redis_client, make_entry
) -> None:
    good, unsigned, forged, replayed = (make_entry(n) for n in ("good", "unsigned", "forged", "replayed"))
    Cache(tmp_path / "ci", remote=redis_url, secret="team-secret").put_function(good)
    assert redis_client.get(PREFIX + good.key).startswith(b"llmcc-hmac-sha256 ")
    redis_client.set(PREFIX + unsigned.key, unsigned.to_bytes())
    redis_client.set(PREFIX + forged.key, sign.seal(forged.to_bytes(), "guessed"))
    # a validly signed entry served under another function's key
    redis_client.set(PREFIX + replayed.key, redis_client.get(PREFIX + good.key))

    dev = Cache(tmp_path / "dev", remote=redis_url, secret="team-secret", remote_readonly=True)
    got = dev.get_functions([good.key, unsigned.key, forged.key, replayed.key])
    assert got == {good.key: good}
    t = counters(dev)
    assert t["remote.unsigned"] == 1 and t["remote.bad_signature"] == 1 and t["remote.corrupt"] == 1
    assert t["remote.hit"] == 1 and t["fn.miss"] == 3
    # without the secret the signature cannot be checked, but the checksum still is
    anyone = Cache(tmp_path / "anyone", remote=redis_url)
    assert anyone.get_function(good.key) == good


def test_remote_down_costs_one_failure(tmp_path: Path, dead_url: str, make_entry) -> None:
    c = Cache(tmp_path / "c", remote=dead_url)
    e = make_entry()
    c.put_function(e)  # local still works
    assert c.get_function(e.key) == e
    assert c.get_function(make_entry("x").key) is None
    assert c.get_function(make_entry("y").key) is None
    t = counters(c)
    assert t["remote.error"] == 1  # then skipped for the rest of the process
    # the next process skips it without trying
    c2 = Cache(tmp_path / "c", remote=dead_url)
    assert c2.get_function(make_entry("z").key) is None
    t = counters(c2)
    assert t["remote.skipped"] == 1 and t["remote.error"] == 1


def test_remote_answering_junk(tmp_path: Path, junk_url: str, make_entry) -> None:
    c = Cache(tmp_path / "c", remote=junk_url)
    start = time.monotonic()
    assert c.get_function(make_entry().key) is None
    assert c.get_function(make_entry("x").key) is None
    c.put_function(make_entry("y"))
    assert time.monotonic() - start < 5
    assert counters(c)["remote.error"] == 1


def test_remote_that_never_answers(tmp_path: Path, silent_url: str, make_entry) -> None:
    c = Cache(tmp_path / "c", remote=silent_url)
    e = make_entry()
    c.put_function(e)  # the read timeout, once; then the remote is off for this process
    assert c.get_function(make_entry("x").key) is None
    assert c.get_function(e.key) == e
    assert counters(c)["remote.error"] == 1
    assert (tmp_path / "c" / "remote-down").exists()


def test_bad_remote_setting(tmp_path: Path, make_entry) -> None:
    c = Cache(tmp_path / "c", remote="http://example.invalid/")
    assert c.get_function(make_entry().key) is None
    assert counters(c)["remote.error"] == 1


def test_acl_user_with_read_only_rights(tmp_path: Path, redis_url: str, redis_client, make_entry) -> None:
    e = make_entry()
    Cache(tmp_path / "ci", remote=redis_url).put_function(e)
    redis_client.execute_command("ACL", "SETUSER", "dev", "on", ">devpass", "~llmcc:*", "+mget")
    url = redis_url.replace("redis://", "redis://dev:devpass@")
    dev = Cache(tmp_path / "dev", remote=url)
    assert dev.get_function(e.key) == e
    dev.put_function(make_entry("other"))  # SET refused by the server: counted, not raised
    t = counters(dev)
    assert t["remote.hit"] == 1 and t["remote.error"] == 1
    wrong = Cache(tmp_path / "wrong", remote=redis_url.replace("redis://", "redis://dev:nope@"))
    assert wrong.get_function(e.key) is None
    assert counters(wrong)["remote.error"] == 1
