"""The optimizer's two entry points.

optimize_unit -- called by the driver for every compiled file (LLMCC_MODE sync or queue): picks
    the file's hot functions (hot.py), applies rewrites the cache already has, and, for the rest,
    either searches now within the file's budget (sync) or queues them (queue). A function already
    tried (attempts recorded for its key) is not tried again; one that differential testing cannot
    verify, or the harness cannot time, is queued for `llmcc optimize --tests`.
main          -- `llmcc optimize [--tests CMD] [--budget S] [--jobs N] [--proposer NAME]`: works the
    queue, one line of outcome per function. Ctrl-C stops; what was accepted stays in the cache.

Budgets are hard: the search gets a deadline, and no function starts once the file's budget
(cfg.budget) or the build directory's hourly allowance (cfg.build_budget) is spent.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from gcc_wrapper.candidate import Context


@dataclass(frozen=True)
class UnitJob:
    """What the driver knows about one compiled file."""

    source: str  # absolute path
    cwd: str
    cc: str
    compile_flags: tuple[str, ...]
    code_flags: tuple[str, ...]
    isa: str


def make_proposers(cfg: Any, cache_root: Path, name: str | None = None) -> list[Any]:
    """The proposers for cfg.proposer (or `name`): embedded | llm | auto | file:PATH."""
    which = (name or str(cfg.proposer) or "auto").strip()
    if which.startswith("file:"):
        from gcc_wrapper.propose.file import FileProposer

        return [FileProposer(which[5:])]
    if which == "auto":
        which = "llm" if cfg.server else "embedded"
    if which == "llm":
        from gcc_wrapper.propose.llm import LLMProposer

        return [LLMProposer(cfg, cache_root)]
    if which == "embedded":
        from gcc_wrapper.propose.embedded import EmbeddedProposer

        return [EmbeddedProposer(cfg)]
    raise ValueError(f"unknown proposer {which!r} (embedded, llm, auto or file:PATH)")


def norm_digest(fn: Any) -> str:
    """Identifies gcc's baseline of a function (to notice a changed source in a queued item)."""
    return hashlib.blake2b(fn.normalized().encode(), digest_size=16).hexdigest()


def optimize_unit(unit: Any, job: UnitJob, cfg: Any, keys: dict[str, str], *, log: Any = None) -> tuple[Any, list[Any]]:
    """The unit with the hot functions' accepted rewrites, and the search outcomes of this call.
    `keys`: name -> cache key of gcc's baseline of each function (driver.function_keys), computed
    before cached rewrites were applied; a function whose key has a cache entry is done."""
    mode = str(cfg.mode)
    if mode not in ("sync", "queue"):
        return unit, []
    from cache import open_cache

    from gcc_wrapper import hot

    start = time.monotonic()
    cache = open_cache(cfg)
    names = hot.select(unit, cfg, hot.load_profile(cache.root, job.cwd))
    outcomes: list[Any] = []
    todo: list[tuple[str, str]] = []
    for name in names:
        key = keys.get(name)
        if not key or cache.get_function(key) is not None:
            continue  # unknown, or its rewrite is already in place
        if cache.attempts(key):
            continue  # tried before: not again
        todo.append((name, key))
    if mode == "queue":
        for name, key in todo:
            _queue(cache, unit, job, name, key, "queue mode")
        return unit, outcomes
    proposers = None
    for i, (name, key) in enumerate(todo):
        left_file = float(cfg.budget) - (time.monotonic() - start)
        left_build = _build_budget_left(cache.root, job.cwd, float(cfg.build_budget))
        share = min(left_file, left_build) / (len(todo) - i)
        if share < 3.0:
            _queue(cache, unit, job, name, key, "no sync budget left")
            continue
        ctx, why = _context(unit, name, key, job, cfg)
        if ctx is None:
            _queue(cache, unit, job, name, key, why)
            continue
        if proposers is None:
            proposers = make_proposers(cfg, cache.root)
        from gcc_wrapper import search

        t0 = time.monotonic()
        out = search.optimize_function(ctx, proposers, budget_s=share, cache=cache, cfg=cfg)
        _spend(cache.root, job.cwd, time.monotonic() - t0)
        outcomes.append(out)
        if log is not None:
            log(out)
        if out.status == "accepted":
            unit = unit.replace(name, out.entry.asm)
        elif out.status in ("unverifiable", "unmeasurable"):
            _queue(cache, unit, job, name, key, f"{out.status}: {out.reason}")
    return unit, outcomes


def _context(unit, name: str, key: str, job: UnitJob, cfg) -> tuple[Context | None, str]:
    """The Context for one function, or None and why it cannot be optimized here."""
    from gcc_wrapper import source

    try:
        proto = source.prototype(job.source, name, list(job.compile_flags), cwd=job.cwd)
    except source.SourceError as e:
        return None, f"no prototype: {e}"
    except Exception as e:  # noqa: BLE001 - pycparser trouble means "cannot model it here"
        return None, f"no prototype: {type(e).__name__}: {e}"
    isa = job.isa
    if str(cfg.isa) == "native":
        isa = "native"
    return Context(
        name=name,
        source_path=job.source,
        cflags=tuple(job.compile_flags),
        baseline_asm=unit.functions[name].text(),
        unit_asm=unit.render(),
        key=key,
        isa=isa,
        prototype=proto.text,
        compiler=job.cc,
        cwd=job.cwd,
    ), ""


def _queue(cache, unit, job: UnitJob, name: str, key: str, reason: str) -> None:
    from gcc_wrapper import queue

    queue.add(cache.root, queue.QueueItem(key, name, job.source, job.cwd, job.cc, tuple(job.compile_flags),
                                          tuple(job.code_flags), job.isa, norm_digest(unit.functions[name]), reason))


# -- the per-build allowance: seconds spent per build directory in the current hour ------------


def _budget_file(root: Path, cwd: str) -> Path:
    h = hashlib.blake2b(os.path.realpath(cwd).encode(), digest_size=8).hexdigest()
    return Path(root) / "budget" / f"{h}.json"


def _build_budget_left(root: Path, cwd: str, allowance: float) -> float:
    f = _budget_file(root, cwd)
    try:
        data = json.loads(f.read_text())
    except (OSError, ValueError):
        return allowance
    if int(data.get("hour", -1)) != int(time.time() // 3600):
        return allowance
    return allowance - float(data.get("spent", 0.0))


def _spend(root: Path, cwd: str, seconds: float) -> None:
    from filelock import FileLock

    f = _budget_file(root, cwd)
    f.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(f) + ".lock"):
        hour = int(time.time() // 3600)
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            data = {}
        spent = float(data.get("spent", 0.0)) if int(data.get("hour", -1)) == hour else 0.0
        tmp = f.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"hour": hour, "spent": spent + seconds}))
        os.replace(tmp, f)


# -- llmcc optimize ------------------------------------------------------------------------------


USAGE = """usage: llmcc optimize [--tests CMD] [--budget SECONDS] [--jobs N] [--proposer NAME]

Work the queue of hot functions recorded by builds (LLMCC_MODE=queue, or functions a sync build
could not verify or time). Each function gets --budget seconds (default: the budget setting);
--tests CMD also verifies candidates through the project's tests; --jobs N works N functions at
once (timing still takes one machine-wide lock). Ctrl-C stops; accepted rewrites stay cached."""


def main(argv: list[str]) -> int:
    from gcc_wrapper import config

    opts = {"tests": None, "budget": None, "jobs": "1", "proposer": None}
    it = iter(argv)
    for a in it:
        if a in ("-h", "--help"):
            print(USAGE)
            return 0
        name = a[2:].split("=", 1)[0] if a.startswith("--") else ""
        if name not in opts:
            print(f"llmcc optimize: unknown argument {a!r}\n{USAGE}", file=sys.stderr)
            return 2
        opts[name] = a.split("=", 1)[1] if "=" in a else next(it, None)
        if opts[name] is None:
            print(f"llmcc optimize: {a} needs a value", file=sys.stderr)
            return 2
    try:
        cfg = config.load()
        budget = float(opts["budget"]) if opts["budget"] is not None else float(cfg.budget)
        jobs = max(1, int(opts["jobs"]))
    except (ValueError, config.ConfigError) as e:
        print(f"llmcc optimize: {e}", file=sys.stderr)
        return 2
    from cache import open_cache

    from gcc_wrapper import queue

    cache = open_cache(cfg)
    items = queue.items(cache.root)
    if not items:
        print("llmcc optimize: the queue is empty")
        return 0
    try:
        make_proposers(cfg, cache.root, opts["proposer"])
    except (ValueError, ImportError) as e:
        print(f"llmcc optimize: {e}", file=sys.stderr)
        return 2
    print(f"llmcc optimize: {len(items)} queued function(s), {budget:g} s each, {jobs} at a time")
    done = 0
    counts: dict[str, int] = {}

    def work(item):
        return item, optimize_item(item, cfg, cache, budget=budget, tests=opts["tests"], proposer=opts["proposer"])

    pool = None
    try:
        if jobs == 1:
            results = (work(i) for i in items)
        else:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(jobs)
            results = pool.map(work, items)
        for item, (status, line) in results:
            done += 1
            counts[status] = counts.get(status, 0) + 1
            print(f"{_bar(done, len(items))} {os.path.basename(item.source)}: {line}", flush=True)
    except KeyboardInterrupt:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        print(f"\nllmcc optimize: interrupted after {done} of {len(items)}; accepted rewrites are in the cache")
        return 130
    print("llmcc optimize: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0


def _bar(done: int, total: int, width: int = 20) -> str:
    fill = round(width * done / total)
    return f"[{'#' * fill}{'.' * (width - fill)}] {done}/{total}"


def optimize_item(item: Any, cfg: Any, cache: Any, *, budget: float, tests: str | None, proposer: str | None) -> tuple[str, str]:
    """Rebuild one queued function's context, search, and say what happened: (status, one line)."""
    import subprocess

    from gcc_wrapper import asm, queue, search

    job = UnitJob(item.source, item.cwd, item.cc, tuple(item.compile_flags), tuple(item.code_flags), item.isa)
    try:
        p = subprocess.run([item.cc, *item.compile_flags, "-w", "-S", "-o", "-", item.source], cwd=item.cwd,
                           capture_output=True, timeout=120)
        if p.returncode != 0:
            queue.remove(cache.root, item.key)
            return "dropped", f"{item.name}: dropped: the source no longer compiles"
        unit = asm.parse(p.stdout.decode("utf-8", "surrogateescape"))
    except (OSError, subprocess.TimeoutExpired, asm.AsmError) as e:
        return "error", f"{item.name}: error: {e}"
    fn = unit.functions.get(item.name)
    if fn is None or norm_digest(fn) != item.digest:
        queue.remove(cache.root, item.key)
        return "dropped", f"{item.name}: dropped: the source changed since it was queued"
    if cache.get_function(item.key) is not None:
        queue.remove(cache.root, item.key)
        return "cached", f"{item.name}: already in the cache"
    ctx, why = _context(unit, item.name, item.key, job, cfg)
    if ctx is None:
        return "skipped", f"{item.name}: skipped: {why}"
    out = search.optimize_function(ctx, make_proposers(cfg, cache.root, proposer), budget_s=budget, cache=cache,
                                   cfg=cfg, tests=tests, bench=str(cfg.bench) or None)
    if out.status not in ("timeout",):
        queue.remove(cache.root, item.key)
    return out.status, out.line()
