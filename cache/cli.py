"""`llmcc stats` and `llmcc cache ...`: look at and manage the cache."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from cache import sign
from cache.entry import Entry
from cache.frame import EntryError, kind_of, unframe
from cache.store import KINDS, Cache, check_key

STATS_USAGE = """\
usage: llmcc stats [--json | --zero]

Cache and compile statistics: compiles, translation-unit and function hits and misses, rewrites
accepted and rejected by reason, fallbacks to plain gcc by reason, the remote tier, entries, size,
and the sandbox layers this machine allows for candidates' runs.
  --json   the same as JSON
  --zero   reset the counters (entries and size are kept)
"""

CACHE_USAGE = """\
usage: llmcc cache COMMAND

  list            accepted rewrites: key, function, source, proposer, speedup, age
  show KEY        one rewrite (a unique key prefix will do): provenance, evidence, assembly, attempts
  clear [--gcc]   remove everything; with --gcc only gcc's cached output (keep the rewrites)
  prune [--max-size SIZE]
                  evict least recently used entries down to 90% of max_size (or SIZE), and
                  remove temporary files left by killed writers
  verify          read every entry, remove the ones that are damaged; status 1 if any were
  export [--format cache|training] FILE
                  write every accepted rewrite (not gcc's output) into one file for
                  `llmcc cache import` (cache, the default), or as JSON Lines to train a model
                  on: accepted rewrites and rejected attempts with their reasons (training)
  import FILE     check every rewrite in FILE and add the good ones; status 1 if any were refused
                  (with cache_secret set, only entries signed with it are accepted)
"""

EXPORT_MAGIC = b"llmcc-export 1\n"

KIND_NAMES = {"fn": "rewrites", "tu": "translation units", "mf": "manifests", "obj": "objects"}


def _open() -> tuple[Cache | None, Any]:
    from gcc_wrapper.compile import config

    try:
        cfg = config.load()
    except config.ConfigError as e:
        print(f"llmcc: config: {e}", file=sys.stderr)
        return None, None
    from cache import open_cache

    return open_cache(cfg), cfg


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _census(cache: Cache) -> tuple[dict[str, int], int]:
    counts = {k: 0 for k in KINDS}
    size = 0
    for kind, _key, e in cache.files():
        if kind == "tmp":
            continue
        try:
            size += e.stat().st_size
        except OSError:
            continue
        counts[kind] += 1
    return counts, size


def stats_report(cache: Cache, cfg: Any) -> dict[str, Any]:
    counts, size = _census(cache)
    from gcc_wrapper.optimize.verify import sandbox  # probes the kernel: here, not on the compile path

    return {
        "cache_dir": str(cache.root),
        "counters": dict(sorted(cache.stats.totals().items())),
        "entries": counts,
        "bytes": size,
        "max_size": cache.max_size,
        "remote": cfg.remote,
        "remote_readonly": bool(cfg.remote_readonly),
        "signed": bool(cache.secret),
        "sandbox": sandbox.probe().to_json(),
        "allow_unsandboxed": bool(getattr(cfg, "allow_unsandboxed", False)),
    }


def _table(r: dict[str, Any]) -> str:
    c: dict[str, int] = r["counters"]
    rows: list[tuple[str, str]] = []

    def row(label: str, n: int, of: int | None = None) -> None:
        pct = f"{100 * n / of:6.1f} %" if of else ""
        rows.append((label, f"{n:>10}  {pct}"))

    def by_prefix(prefix: str) -> None:
        for k, v in sorted(c.items()):
            if k.startswith(prefix) and v:
                row("    " + k[len(prefix) :], v)

    compiles = c.get("compiles", 0)
    tu = c.get("tu.hit", 0) + c.get("tu.miss", 0)
    row("Compiles", compiles)
    row("  translation-unit hits", c.get("tu.hit", 0), tu)
    row("    of them without the preprocessor", c.get("direct.hit", 0), tu)
    row("    of them the object itself", c.get("object.hit", 0), tu)
    row("  translation-unit misses", c.get("tu.miss", 0), tu)
    fn = c.get("fn.hit", 0) + c.get("fn.miss", 0)
    row("Function lookups", fn)
    row("  hits (rewrites substituted)", c.get("fn.hit", 0), fn)
    row("  misses", c.get("fn.miss", 0), fn)
    row("Rewrites accepted", c.get("rewrite.accepted", 0))
    row("Rewrites rejected", sum(v for k, v in c.items() if k.startswith("rewrite.rejected.")))
    row("Correct but not faster", c.get("rewrite.slower", 0))
    by_prefix("rewrite.rejected.")
    row("Cached rewrites that did not fit the unit", c.get("rewrite.unusable", 0))
    row("Fallbacks to plain gcc", sum(v for k, v in c.items() if k.startswith("fallback.")))
    by_prefix("fallback.")
    if r["remote"] or any(k.startswith("remote.") for k in c):
        mode = " (read-only)" if r["remote_readonly"] else ""
        rows.append((f"Remote tier {r['remote'] or '(not configured now)'}{mode}", ""))
        for k, label in (
            ("remote.hit", "hits"),
            ("remote.miss", "misses"),
            ("remote.put", "entries written"),
            ("remote.error", "errors (then skipped)"),
            ("remote.skipped", "compiles that skipped it (down)"),
            ("remote.bad_signature", "entries with a bad signature"),
            ("remote.unsigned", "unsigned entries ignored"),
            ("remote.corrupt", "damaged entries ignored"),
        ):
            row("  " + label, c.get(k, 0))
    row("Damaged entries removed", c.get("entry.corrupt", 0))
    row("Cache write errors", c.get("cache.write_error", 0))
    row("Entries evicted", c.get("evicted", 0))
    shown = {
        "compiles",
        "tu.hit",
        "tu.miss",
        "direct.hit",
        "object.hit",
        "fn.hit",
        "fn.miss",
        "rewrite.accepted",
        "rewrite.slower",
        "rewrite.unusable",
        "entry.corrupt",
        "cache.write_error",
        "evicted",
        "cache.bytes",
    }
    other = {
        k: v
        for k, v in c.items()
        if v and k not in shown and not k.startswith(("rewrite.rejected.", "fallback.", "remote."))
    }
    if other:
        rows.append(("Other counters (llmcc optimize, the model client, import)", ""))
        for k, v in sorted(other.items()):
            row("  " + k, v)
    e = r["entries"]
    rows.append(("Entries", "  ".join(f"{KIND_NAMES[k]} {e[k]}" for k in KINDS)))
    rows.append(("Size", f"{_human(r['bytes'])} of {_human(r['max_size'])}"))
    from gcc_wrapper.optimize.verify import sandbox

    rows.append(("Sandbox of candidates' runs (this machine, now)", ""))
    for layer, state in sandbox.probe().describe(bool(r["allow_unsandboxed"])):
        rows.append(("  " + layer, state))
    width = max(len(a) for a, _ in rows)
    head = f"llmcc cache {r['cache_dir']}" + ("  (entries signed)" if r["signed"] else "")
    return "\n".join([head] + [f"{a:<{width}}  {b}".rstrip() for a, b in rows])


def stats_main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(STATS_USAGE, end="")
        return 0
    unknown = [a for a in argv if a not in ("--json", "--zero")]
    if unknown or len(argv) > 1:
        print(f"llmcc stats: unexpected {' '.join(unknown or argv)!r}\n{STATS_USAGE}", end="", file=sys.stderr)
        return 2
    cache, cfg = _open()
    if cache is None:
        return 2
    if argv == ["--zero"]:
        try:
            cache.stats.zero()
        except OSError as e:
            print(f"llmcc stats: cannot reset the counters in {cache.stats.dir}: {e}", file=sys.stderr)
            return 1
        print(f"statistics zeroed in {cache.root}")
        return 0
    report = stats_report(cache, cfg)
    if argv == ["--json"]:
        print(json.dumps(report, indent=2))
    else:
        print(_table(report))
    return 0


def _resolve(cache: Cache, prefix: str) -> str | None:
    """The full key of the rewrite whose key starts with prefix; prints why not."""
    prefix = prefix.lower()
    matches = [key for kind, key, _ in cache.files() if kind == "fn" and key.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    print(
        f"llmcc cache show: {'no' if not matches else 'more than one'} rewrite with a key starting {prefix!r}",
        file=sys.stderr,
    )
    return None


def _list(cache: Cache) -> int:
    rows = []
    for entry, _path in cache.local_functions():
        sp = entry.speedup
        age = time.time() - entry.created
        rows.append(
            (
                entry.key[:16],
                entry.function,
                entry.source,
                entry.proposer,
                f"{sp:.2f}x" if sp else "-",
                f"{age / 86400:.1f}d",
            )
        )
    if not rows:
        print(f"no accepted rewrites in {cache.root}")
        return 0
    head = ("KEY", "FUNCTION", "SOURCE", "PROPOSER", "SPEEDUP", "AGE")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(f"{v:<{w}}" for v, w in zip(r, widths)).rstrip())
    return 0


def _show(cache: Cache, prefix: str, cfg: Any = None) -> int:
    key = _resolve(cache, prefix)
    if key is None:
        return 1
    entry = cache.local_function(key)
    if entry is None:
        print(f"llmcc cache show: the entry {key} is damaged and was removed", file=sys.stderr)
        return 1
    m, v = entry.measurement, entry.verification
    print(f"key          {entry.key}")
    print(f"function     {entry.function}  (first seen in {entry.source})")
    print(f"proposer     {entry.proposer}")
    from gcc_wrapper.optimize import dispatch

    if dispatch.mentions(entry.asm):  # it runs the CPU's best level: which one here
        print(f"dispatch     {(dispatch.describe(entry.asm, cfg) or '').removeprefix('dispatch: ')}")
    print(
        f"created      {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(entry.created))} by llmcc {entry.llmcc_version}"
    )
    if m:
        spread = m.get("spread") or ["?", "?"]
        print(
            f"speedup      {m.get('speedup')} (rounds {m.get('rounds')}, spread {spread[0]}..{spread[-1]}; {m.get('method')})"
        )
        whole = m.get("program")
        if isinstance(whole, dict):
            print(f"program      {whole.get('speedup')} ({whole.get('rounds')} rounds; {whole.get('method')})")
    if v:
        print(f"verification {v.get('verdict')}: {v.get('reason')}; inputs tried {v.get('inputs_tried', '?')}")
        for c in v.get("checks", []):
            print(f"  {'pass' if c.get('passed') else 'FAIL'}  {c.get('name')}  {c.get('detail', '')}".rstrip())
        for k in sorted(set(v) - {"verdict", "reason", "inputs_tried", "checks", "counterexample"}):
            print(f"  {k}: {v[k]}")
    print("\n--- accepted assembly ---")
    print(entry.asm.rstrip())
    attempts = cache.attempts(key)
    if attempts:
        print(f"\n--- {len(attempts)} attempts ---")
        for a in attempts:
            print(
                f"  {a.get('outcome', '?'):<9} {a.get('proposer', '')}  {a.get('reason', '')}  {a.get('speedup', '')}".rstrip()
            )
    return 0


def _clear(cache: Cache, gcc_only: bool) -> int:
    removed = 0
    for kind, _key, e in list(cache.files()):
        if gcc_only and kind == "fn":
            continue
        try:
            os.unlink(e.path)
            removed += 1
        except OSError:
            pass
    if not gcc_only:
        import shutil

        # the record of candidates tried, and the model's request/reply log (docs/llm.md)
        shutil.rmtree(cache.root / "attempts", ignore_errors=True)
        shutil.rmtree(cache.root / "contexts", ignore_errors=True)
        shutil.rmtree(cache.root / "llm", ignore_errors=True)
        shutil.rmtree(cache.root / "optimized", ignore_errors=True)  # the optimizer's "finished with this unit" marks
    if cache.root.is_dir():
        cache.stats.set_total("cache.bytes", _census(cache)[1])
    what = "gcc's cached output" if gcc_only else "everything"
    print(f"removed {removed} files ({what}) from {cache.root}")
    return 0


def _prune(cache: Cache, argv: list[str]) -> int:
    target = None
    if argv[:1] == ["--max-size"] and len(argv) == 2:
        from gcc_wrapper.compile.config import parse_size

        try:
            target = parse_size(argv[1])
        except ValueError:
            print(f"llmcc cache prune: {argv[1]!r} is not a size (e.g. 500M, 2G)", file=sys.stderr)
            return 2
    elif argv:
        print(f"llmcc cache prune: unexpected {' '.join(argv)!r}", file=sys.stderr)
        return 2
    removed, left = cache.evict(blocking=True, target=target)
    if left < 0:
        print(f"llmcc cache prune: cannot lock {cache.root / 'stats'}", file=sys.stderr)
        return 1
    print(f"removed {removed} entries; {_human(left)} left in {cache.root}")
    return 0


def _verify(cache: Cache) -> int:
    good = bad = 0
    counts: dict[str, int] = {}
    for kind, key, e in list(cache.files()):
        if kind == "tmp":
            continue
        try:
            data = Path(e.path).read_bytes()
        except OSError:
            continue
        try:
            if kind == "fn":
                entry = Entry.from_bytes(sign.unseal(data, cache.secret)[0])
                if entry.key != key:
                    raise EntryError("stored under another key")
            elif kind == "mf":
                from cache.tu import Manifest

                Manifest.from_bytes(data)
            else:
                unframe(kind, data)
            good += 1
            counts[kind] = counts.get(kind, 0) + 1
        except EntryError as err:
            bad += 1
            print(f"damaged: {e.path}: {err}")
            cache.discard(Path(e.path))
    summary = ", ".join(f"{KIND_NAMES[k]} {n}" for k, n in sorted(counts.items()))
    print(f"{good} entries intact ({summary or 'none'}), {bad} damaged and removed")
    return 1 if bad else 0


def _export(cache: Cache, dest: str) -> int:
    blobs = []
    for _entry, path in cache.local_functions():
        try:
            blobs.append(Path(path).read_bytes())
        except OSError:
            continue
    out = Path(dest)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(EXPORT_MAGIC)
            for b in blobs:
                f.write(b"%d\n" % len(b))
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except OSError as err:
        try:
            tmp.unlink()
        except OSError:
            pass
        print(f"llmcc cache export: cannot write {dest}: {err}", file=sys.stderr)
        return 1
    print(f"exported {len(blobs)} rewrites to {dest}" + (" (signed)" if cache.secret else ""))
    return 0


def _export_training(cache: Cache, dest: str) -> int:
    from cache import training

    try:
        accepted, negatives = training.write(cache, dest)
    except OSError as err:
        print(f"llmcc cache export: cannot write {dest}: {err}", file=sys.stderr)
        return 1
    print(
        f"exported {accepted} accepted rewrites and {negatives} rejected attempts to {dest} "
        f"(JSON Lines, {training.FORMAT})"
    )
    return 0


def read_export(data: bytes) -> list[bytes]:
    """The blobs of an export file; EntryError if the file itself is not one."""
    if not data.startswith(EXPORT_MAGIC):
        raise EntryError("not an llmcc export file")
    blobs, pos = [], len(EXPORT_MAGIC)
    while pos < len(data):
        nl = data.find(b"\n", pos, pos + 20)
        if nl < 0 or not data[pos:nl].isdigit():
            raise EntryError(f"damaged at byte {pos}")
        n = int(data[pos:nl])
        blob = data[nl + 1 : nl + 1 + n]
        if len(blob) != n:
            raise EntryError(f"truncated at byte {pos}")
        blobs.append(blob)
        pos = nl + 1 + n
    return blobs


def _import(cache: Cache, src: str) -> int:
    try:
        blobs = read_export(Path(src).read_bytes())
    except (OSError, EntryError) as err:
        print(f"llmcc cache import: {src}: {err}", file=sys.stderr)
        return 1
    ok = refused = 0
    for i, blob in enumerate(blobs):
        try:
            if kind_of(sign.unseal(blob, "")[0]) != "fn":
                raise EntryError("not a rewrite entry")
            entry = cache.import_function(blob, require_signature=bool(cache.secret))
            ok += 1
            print(f"imported {entry.key[:16]}  {entry.function}  ({entry.proposer})")
        except (EntryError, ValueError) as err:
            refused += 1
            cache.bump("import.refused")
            print(f"refused entry {i + 1}: {err}", file=sys.stderr)
    print(f"imported {ok} rewrites into {cache.root}, refused {refused}")
    return 1 if refused else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(CACHE_USAGE, end="")
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    fmt = "cache"
    if cmd == "export" and rest[:1] == ["--format"] and len(rest) >= 2:
        fmt, rest = rest[1], rest[2:]
    elif cmd == "export" and rest[:1] and rest[0].startswith("--format="):
        fmt, rest = rest[0].split("=", 1)[1], rest[1:]
    if fmt not in ("cache", "training"):
        print(f"llmcc cache export: unknown format {fmt!r} (cache or training)", file=sys.stderr)
        return 2
    arity = {"list": 0, "show": 1, "verify": 0, "export": 1, "import": 1}
    if cmd in arity and len(rest) != arity[cmd] or cmd == "clear" and rest not in ([], ["--gcc"]):
        print(f"llmcc cache {cmd}: wrong arguments\n{CACHE_USAGE}", end="", file=sys.stderr)
        return 2
    if cmd not in arity and cmd not in ("clear", "prune"):
        print(f"llmcc cache: unknown command {cmd!r}\n{CACHE_USAGE}", end="", file=sys.stderr)
        return 2
    cache, cfg = _open()
    if cache is None:
        return 2
    if cmd == "show":
        try:
            check_key(rest[0].ljust(16, "0"))
        except ValueError:
            print(f"llmcc cache show: {rest[0]!r} is not a key (hex digits)", file=sys.stderr)
            return 2
    handlers = {
        "list": lambda: _list(cache),
        "show": lambda: _show(cache, rest[0], cfg),
        "clear": lambda: _clear(cache, rest == ["--gcc"]),
        "prune": lambda: _prune(cache, rest),
        "verify": lambda: _verify(cache),
        "export": lambda: _export(cache, rest[0]) if fmt == "cache" else _export_training(cache, rest[0]),
        "import": lambda: _import(cache, rest[0]),
    }
    return handlers[cmd]()
