"""`llmcc stats` and `llmcc cache ...` as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cache import Cache, TUEntry


def run(llmcc_bin: Path, env: dict[str, str], *args: str, status: int = 0) -> subprocess.CompletedProcess:
    p = subprocess.run([str(llmcc_bin), *args], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == status, (args, p.returncode, p.stdout, p.stderr)
    return p


def seed(cache_dir: Path, make_entry, secret: str = "") -> list:
    c = Cache(cache_dir, secret=secret)
    entries = [make_entry("alpha"), make_entry("beta")]
    for e in entries:
        c.put_function(e)
    c.put_tu("ab" * 20, TUEntry(asm="\t.text\n"))
    c.record_attempt(entries[0].key, {"proposer": "p", "outcome": "rejected", "reason": "difftest: f(1)"})
    c.bump("rewrite.rejected.difftest")  # as the search counts what it logs
    c.bump("compiles", 3)
    c.bump("llm.reply.ok", 2)  # counters of other parts are shown too
    c.bump("fallback.unsupported", 1)
    c.close()
    return entries


def test_stats_table_json_and_zero(llmcc_bin: Path, llmcc_env: dict, cache_dir: Path, make_entry) -> None:
    seed(cache_dir, make_entry)
    table = run(llmcc_bin, llmcc_env, "stats").stdout
    assert str(cache_dir) in table
    assert any(line.split()[:1] == ["Compiles"] and line.split()[1] == "3" for line in table.splitlines())
    assert "unsupported" in table and "difftest" in table
    assert any(line.split() == ["llm.reply.ok", "2"] for line in table.splitlines())
    j = json.loads(run(llmcc_bin, llmcc_env, "stats", "--json").stdout)
    assert j["counters"]["compiles"] == 3
    assert j["counters"]["fallback.unsupported"] == 1
    assert j["entries"] == {"fn": 2, "tu": 1, "mf": 0, "obj": 0}
    assert j["bytes"] == sum(p.stat().st_size for p in cache_dir.glob("??/*"))
    run(llmcc_bin, llmcc_env, "stats", "--zero")
    j = json.loads(run(llmcc_bin, llmcc_env, "stats", "--json").stdout)
    assert "compiles" not in j["counters"] and j["entries"]["fn"] == 2
    assert "unexpected" in run(llmcc_bin, llmcc_env, "stats", "--bogus", status=2).stderr


def test_list_show_verify_clear(llmcc_bin: Path, llmcc_env: dict, cache_dir: Path, make_entry) -> None:
    alpha, beta = seed(cache_dir, make_entry)
    listing = run(llmcc_bin, llmcc_env, "cache", "list").stdout
    assert alpha.key[:16] in listing and beta.key[:16] in listing and "1.25x" in listing
    shown = run(llmcc_bin, llmcc_env, "cache", "show", alpha.key[:10]).stdout
    assert alpha.key in shown and "test:hand-written" in shown and "difftest: f(1)" in shown
    assert alpha.asm.strip().splitlines()[-1] in shown
    run(llmcc_bin, llmcc_env, "cache", "show", "ffffffffff", status=1)
    run(llmcc_bin, llmcc_env, "cache", "show", "../etc", status=2)

    assert "3 entries intact" in run(llmcc_bin, llmcc_env, "cache", "verify").stdout
    p = Cache(cache_dir).path("fn", beta.key)
    p.write_bytes(p.read_bytes()[:-1])
    out = run(llmcc_bin, llmcc_env, "cache", "verify", status=1).stdout
    assert "1 damaged and removed" in out and not p.exists()

    (cache_dir / "llm").mkdir()
    (cache_dir / "llm" / "0123.json").write_text("{}")  # the model's request/reply log
    run(llmcc_bin, llmcc_env, "cache", "clear", "--gcc")
    j = json.loads(run(llmcc_bin, llmcc_env, "stats", "--json").stdout)
    assert j["entries"] == {"fn": 1, "tu": 0, "mf": 0, "obj": 0}
    assert (cache_dir / "llm" / "0123.json").exists()
    run(llmcc_bin, llmcc_env, "cache", "clear")
    assert "no accepted rewrites" in run(llmcc_bin, llmcc_env, "cache", "list").stdout
    assert not (cache_dir / "llm").exists()
    run(llmcc_bin, llmcc_env, "cache", "frobnicate", status=2)


def test_prune_to_size(llmcc_bin: Path, llmcc_env: dict, cache_dir: Path, make_entry) -> None:
    c = Cache(cache_dir)
    for i in range(20):
        c.put_tu(f"{i:02x}" * 20, TUEntry(asm="y" * 1000))
    c.close()
    run(llmcc_bin, llmcc_env, "cache", "prune", "--max-size", "5K")
    j = json.loads(run(llmcc_bin, llmcc_env, "stats", "--json").stdout)
    assert 0 < j["bytes"] <= 5 * 1024 and j["counters"]["cache.bytes"] == j["bytes"]


def test_export_import_between_machines(
    llmcc_bin: Path, llmcc_env: dict, tmp_path: Path, cache_dir: Path, make_entry
) -> None:
    alpha, beta = seed(cache_dir, make_entry, secret="team")
    bundle = tmp_path / "rewrites.llmcc"
    signed_env = {**llmcc_env, "LLMCC_CACHE_SECRET": "team"}
    assert "exported 2 rewrites" in run(llmcc_bin, signed_env, "cache", "export", str(bundle)).stdout

    other = {**signed_env, "LLMCC_CACHE_DIR": str(tmp_path / "machine2")}
    out = run(llmcc_bin, other, "cache", "import", str(bundle)).stdout
    assert "imported 2 rewrites" in out
    got = Cache(tmp_path / "machine2")
    assert got.local_function(alpha.key) == alpha and got.local_function(beta.key) == beta
    assert got.get_tu("ab" * 20) is None  # gcc's output does not travel

    # a machine with another secret refuses them; a damaged bundle is refused as a whole
    wrong = {**llmcc_env, "LLMCC_CACHE_SECRET": "mallory", "LLMCC_CACHE_DIR": str(tmp_path / "m3")}
    p = run(llmcc_bin, wrong, "cache", "import", str(bundle), status=1)
    assert "refused 2" in p.stdout and "bad signature" in p.stderr
    data = bundle.read_bytes()
    tampered = tmp_path / "tampered.llmcc"
    tampered.write_bytes(data.replace(b"test:hand-written", b"test:hand-writteX", 1))
    p = run(llmcc_bin, other | {"LLMCC_CACHE_DIR": str(tmp_path / "m4")}, "cache", "import", str(tampered), status=1)
    assert "imported 1 rewrites" in p.stdout and "refused 1" in p.stdout
    truncated = tmp_path / "truncated.llmcc"
    truncated.write_bytes(data[:-5])
    run(llmcc_bin, other, "cache", "import", str(truncated), status=1)
    run(llmcc_bin, other, "cache", "import", str(tmp_path / "missing"), status=1)
