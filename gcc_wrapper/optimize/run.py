"""The optimizer's two entry points.

optimize_unit -- called by the driver for every compiled file (LLMCC_MODE sync or queue): picks
    the file's hot functions (hot.py), applies rewrites the cache already has, and, for the rest,
    either searches now within the file's budget (sync) or queues them (queue). A function already
    tried (attempts recorded for its key) is not tried again; one that differential testing cannot
    verify, or the harness cannot time, is queued for `llmcc optimize --tests`.
main          -- `llmcc optimize [--tests CMD] [--budget S] [--jobs N] [--proposer NAME]`: works the
    queue, one line of outcome per function. Ctrl-C stops at once (status 130): what was accepted
    stays in the cache, what was not finished stays queued (Interruption).

Budgets are hard: the search gets a deadline, and no function starts once the file's budget
(cfg.budget) or the build directory's hourly allowance (cfg.build_budget) is spent.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from gcc_wrapper.optimize.candidate import Context
from gcc_wrapper.compile.files import write_atomic


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
    """The proposers for cfg.proposer (or `name`): embedded | llm | auto | file:PATH. "auto" is
    the model with the embedded proposer standing in while the model cannot answer (FallbackProposer)
    when a server is configured, else the embedded proposer."""
    which = (name or str(cfg.proposer) or "auto").strip()
    if which.startswith("file:") or which == "llm" or (which == "auto" and cfg.server):
        # candidates we did not make: only inside a sandbox that isolates (or on the user's word)
        from gcc_wrapper.optimize.verify import sandbox

        sandbox.require_isolation(bool(getattr(cfg, "allow_unsandboxed", False)))
    if which.startswith("file:"):
        from gcc_wrapper.optimize.propose.file import FileProposer

        return [FileProposer(which[5:])]
    if which == "auto" and not cfg.server:
        which = "embedded"
    if which in ("llm", "auto"):
        from gcc_wrapper.optimize.propose.llm import LLMProposer

        llm = LLMProposer(cfg, cache_root)
        if which == "llm":
            return [llm]
        from gcc_wrapper.optimize.propose.embedded import EmbeddedProposer

        return [FallbackProposer(llm, EmbeddedProposer(cfg))]
    if which == "embedded":
        from gcc_wrapper.optimize.propose.embedded import EmbeddedProposer

        return [EmbeddedProposer(cfg)]
    raise ValueError(f"unknown proposer {which!r} (embedded, llm, auto or file:PATH)")


class FallbackProposer:
    """proposer = "auto" with a server: the model's candidates while it can answer; gcc variants
    (the embedded proposer) once it cannot (LLMProposer.available is False, or its server is down
    and no recorded reply stood in). A candidate's children are asked of the proposer that made it."""

    name = "auto"

    def __init__(self, llm: Any, embedded: Any) -> None:
        self.llm = llm
        self.embedded = embedded
        self._deadline: float | None = None

    @property
    def deadline(self) -> float | None:
        return self._deadline

    @deadline.setter
    def deadline(self, when: float | None) -> None:  # the search sets it: both proposers honour it
        self._deadline = self.llm.deadline = self.embedded.deadline = when

    def prefetch(self, contexts: Sequence[Context], n: int | None = None) -> None:
        if self.llm.available:
            self.llm.prefetch(contexts, n)

    def propose(self, ctx: Context, feedback: Sequence[Any], n: int) -> list[Any]:
        if feedback and feedback[-1].candidate.proposer.startswith("embedded"):
            return self.embedded.propose(ctx, feedback, n)
        if self.llm.available:
            cands = self.llm.propose(ctx, feedback, n)
            if cands or not self.llm.client.down:
                return cands
        return self.embedded.propose(ctx, feedback, n)


def prefetch(proposers: Sequence[Any], contexts: Sequence[Context]) -> None:
    """Let the proposers that can (the model's) send the first requests of several functions at
    once, so that they are in flight together."""
    if not contexts:
        return
    for p in proposers:
        if hasattr(p, "prefetch") and getattr(p, "available", True):
            p.prefetch(list(contexts))


def norm_digest(fn: Any) -> str:
    """Identifies gcc's baseline of a function (to notice a changed source in a queued item)."""
    return hashlib.blake2b(fn.normalized().encode(), digest_size=16).hexdigest()


def optimize_unit(
    unit: Any,
    job: UnitJob,
    cfg: Any,
    keys: dict[str, str],
    *,
    log: Any = None,
    finished: str | os.PathLike | None = None,
) -> tuple[Any, list[Any]]:
    """The unit with the hot functions' accepted rewrites, and the search outcomes of this call.
    `keys`: name -> cache key of gcc's baseline of each function (driver.function_keys), computed
    before cached rewrites were applied; a function whose key has a cache entry is done.
    `finished` (sync mode): the file to write once every hot function of the unit has a rewrite,
    was tried or is queued (driver._finished_marker); the driver then reuses the unit's object."""
    mode = str(cfg.mode)
    if mode not in ("sync", "queue"):
        return unit, []
    from cache import open_cache

    from gcc_wrapper.optimize import hot

    start = time.monotonic()
    cache = open_cache(cfg)
    profile = hot.load_profile(cache.root, job.cwd)
    names = hot.select(unit, cfg, profile)
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
    contexts: dict[str, tuple[Context | None, str]] = {}
    proposers = None
    file_budget = budget_for(todo, profile, cfg)
    left = min(file_budget, _build_budget_left(cache.root, job.cwd, float(cfg.build_budget)))
    if todo and left >= 3.0:
        proposers = make_proposers(cfg, cache.root)
        if any(hasattr(p, "prefetch") for p in proposers):
            # the model's first requests for all of them at once (as many as the budget can search)
            for name, key in todo[: int(left // 3.0)]:
                contexts[name] = _context(unit, name, key, job, cfg)
            prefetch(proposers, [c for c, _ in contexts.values() if c is not None])
    settled: set[str] = set()  # queued or accepted by this call
    for i, (name, key) in enumerate(todo):
        left_file = file_budget - (time.monotonic() - start)
        left_build = _build_budget_left(cache.root, job.cwd, float(cfg.build_budget))
        # time goes where the samples are: with a profile, each function's part of what is left
        # is its share of the samples among those left to do; without one, equal parts
        weights = [max(profile.get(n, 0.0), 1e-3) if profile else 1.0 for n, _ in todo[i:]]
        left = min(left_file, left_build)
        share = left * weights[0] / sum(weights)
        if left < 3.0:
            _queue(cache, unit, job, name, key, "no sync budget left")
            settled.add(name)
            continue
        ctx, why = contexts[name] if name in contexts else _context(unit, name, key, job, cfg)
        if ctx is None:
            _queue(cache, unit, job, name, key, why)
            settled.add(name)
            continue
        from gcc_wrapper.optimize import search

        # a share too small to time a single candidate would be spent for nothing: the hotter
        # functions (todo is hottest first) get at least what one candidate needs, the rest waits
        # in the queue for `llmcc optimize`
        least = search.least_budget(ctx)
        if share < least:
            if left < least:
                why = f"no sync budget left ({left:.1f} s; a search of it needs {least:.1f} s)"
                _queue(cache, unit, job, name, key, why)
                settled.add(name)
                continue
            share = least
        if proposers is None:
            proposers = make_proposers(cfg, cache.root)

        t0 = time.monotonic()
        out = search.optimize_function(
            ctx, proposers, budget_s=share, cache=cache, cfg=cfg, tests=str(cfg.test) or None
        )
        _spend(cache.root, job.cwd, time.monotonic() - t0)
        outcomes.append(out)
        if log is not None:
            log(out)
        if out.status is search.Status.ACCEPTED:
            unit = unit.replace(name, out.entry.asm)
            settled.add(name)
        elif out.status in (search.Status.UNVERIFIABLE, search.Status.UNMEASURABLE, search.Status.TIMEOUT):
            _queue(cache, unit, job, name, key, f"{out.status}: {out.reason}")
            settled.add(name)
    # finished when no hot function is left that a compile would try (e.g. the model's server
    # was down: those are tried again next time)
    if finished is not None and all(name in settled or cache.attempts(key) for name, key in todo):
        _write_marker(Path(finished), {name: keys.get(name, "") for name in names})
    return unit, outcomes


def budget_for(todo: Sequence[tuple[str, str]], profile: dict[str, float] | None, cfg: Any) -> float:
    """Seconds of search for this file: `budget`, or, with a profile, the build's allowance in
    proportion to the samples the file's functions hold, when that is more (a file with 60% of
    the program's time gets 60% of `build_budget`). The build's allowance bounds it either way."""
    base = float(cfg.budget)
    if not profile:
        return base
    held = sum(profile.get(name, 0.0) for name, _ in todo)
    return max(base, float(cfg.build_budget) * min(1.0, held))


def _write_marker(path: Path, hot_keys: dict[str, str]) -> None:
    """The optimizer's note that it has finished with a unit (its hot functions, for the curious)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"hot": hot_keys, "time": time.time()}))
    except OSError:
        pass  # the unit is looked at again next time: slower, never wrong


def _context(unit, name: str, key: str, job: UnitJob, cfg) -> tuple[Context | None, str]:
    """The Context for one function, or None and why it cannot be optimized here."""
    from gcc_wrapper.optimize import source, workload
    from gcc_wrapper.optimize.states import store

    # the workload's recorded calls of it, and the workload itself: verification and timing need
    # no prototype then
    rec = store.find(cfg.cache_path, job.cwd, name)
    wl = workload.find(cfg.cache_path, job.cwd)
    try:
        proto_text = source.prototype(job.source, name, list(job.compile_flags), cwd=job.cwd).text
    except Exception as e:  # noqa: BLE001 - pycparser trouble means "cannot model it from its prototype"
        if rec is None and wl is None:
            why = str(e) if isinstance(e, source.SourceError) else f"{type(e).__name__}: {e}"
            return None, f"no prototype: {why}"
        proto_text = ""
    from cache.key import split_dispatch_isa

    isa, dispatch = split_dispatch_isa(job.isa)
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
        dispatch=dispatch,
        prototype=proto_text,
        compiler=job.cc,
        cwd=job.cwd,
        states=str(rec.dir) if rec is not None else "",
        workload=wl.profile if wl is not None else "",
    ), ""


def _queue(cache, unit, job: UnitJob, name: str, key: str, reason: str) -> None:
    from gcc_wrapper.optimize import worklist as queue

    queue.add(
        cache.root,
        queue.QueueItem(
            key,
            name,
            job.source,
            job.cwd,
            job.cc,
            tuple(job.compile_flags),
            tuple(job.code_flags),
            job.isa,
            norm_digest(unit.functions[name]),
            reason,
        ),
    )


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
        write_atomic(f, json.dumps({"hour": hour, "spent": spent + seconds}))


# -- llmcc optimize ------------------------------------------------------------------------------


USAGE = """usage: llmcc optimize [--tests CMD] [--budget SECONDS] [--jobs N] [--proposer NAME]

Work the queue of hot functions recorded by builds (LLMCC_MODE=queue, or functions a sync build
could not verify or time). Each function gets --budget seconds (default: the budget setting);
--tests CMD also verifies candidates through the project's tests; --jobs N works N functions at
once (timing still takes one machine-wide lock). Ctrl-C stops at once, with status 130: accepted
rewrites stay cached, unfinished functions stay queued."""


class Interruption:
    """Ctrl-C while the lanes of `llmcc optimize` work. A terminal's SIGINT reaches the whole
    foreground process group: the compilers, test programs and harnesses a lane is running die of
    it too, and what the lane would conclude from that (a candidate "rejected", a source that "no
    longer compiles", an item finished) is not to be believed. So every write a lane makes goes
    through `write`, and none is made once the signal has arrived.

    The signal is seen the moment it arrives, in whichever thread: Python's own handler (the
    KeyboardInterrupt) runs only in the main thread and may come after a lane has already seen its
    child die, but the C-level handler writes to the wakeup fd (signal.set_wakeup_fd) before any
    thread goes on. A lane that would write after it waits until the process exits; `close` (the
    main thread) waits for a write in progress, so no file is left half-written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen = threading.Event()
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self._previous = signal.set_wakeup_fd(self._w, warn_on_full_buffer=False)

    def noticed(self) -> bool:
        if not self._seen.is_set():
            try:
                if signal.SIGINT in os.read(self._r, 64):
                    self._seen.set()
            except BlockingIOError:
                pass
        return self._seen.is_set()

    def write(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs), unless Ctrl-C has come: then wait for the end of the process."""
        with self._lock:
            if not self.noticed():
                return fn(*args, **kwargs)
        threading.Event().wait()

    def close(self) -> None:
        """No write from now on (the main thread, once interrupted): waits for one in progress."""
        self._seen.set()
        self._lock.acquire()

    def uninstall(self) -> None:
        signal.set_wakeup_fd(self._previous)
        os.close(self._r)
        os.close(self._w)


class _GuardedCache:
    """The cache as the lanes see it: reads go straight through, writes through Interruption.write."""

    _WRITES = frozenset(
        {
            "put_function",
            "put_tu",
            "put_manifest",
            "put_object",
            "import_function",
            "record_attempt",
            "record_context",
            "bump",
            "discard",
            "evict",
        }
    )

    def __init__(self, cache: Any, guard: Interruption) -> None:
        self._cache = cache
        self._guard = guard

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._cache, name)
        if name in self._WRITES:
            return lambda *a, **k: self._guard.write(attr, *a, **k)
        return attr

    def unqueue(self, key: str) -> None:
        from gcc_wrapper.optimize import worklist as queue

        self._guard.write(queue.remove, self._cache.root, key)


def _unqueue(cache: Any, key: str) -> None:
    """Take a function that has a result off the queue."""
    if isinstance(cache, _GuardedCache):
        cache.unqueue(key)
    else:
        from gcc_wrapper.optimize import worklist as queue

        queue.remove(cache.root, key)


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # before the lanes started or after they ended: nothing to undo
        print("\nllmcc optimize: interrupted", flush=True)
        return 130


def _main(argv: list[str]) -> int:
    from gcc_wrapper.compile import config

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

    from gcc_wrapper.optimize import worklist as queue

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
    print(f"llmcc optimize: {len(items)} queued function(s), {budget:g} s each, {jobs} at a time", flush=True)
    done = 0
    counts: dict[str, int] = {}
    import queue as stdqueue

    results: stdqueue.Queue = stdqueue.Queue()
    guard = Interruption()
    lanes = [items[i::jobs] for i in range(min(jobs, len(items)))]
    guarded = _GuardedCache(cache, guard)

    def lane(mine: list[Any]) -> None:
        try:
            _work_lane(
                mine,
                cfg,
                guarded,
                budget=budget,
                tests=opts["tests"],
                proposer=opts["proposer"],
                guard=guard,
                emit=lambda item, status, line: results.put((item, status, line)),
            )
        except Exception as e:  # noqa: BLE001 - one lane's failure is reported, the others go on
            results.put((None, "error", f"{type(e).__name__}: {e}"))
        finally:
            results.put(None)

    try:
        threads = [threading.Thread(target=lane, args=(mine,), daemon=True) for mine in lanes]
        for t in threads:
            t.start()
        running = len(threads)
        while running:
            # not a blocking get(): when the signal lands in a lane's thread, the main thread's wait
            # is not interrupted, and a lane that noticed it will not report again; and a report
            # that comes after the signal may be of what the signal did to the lane's children
            try:
                got = results.get(timeout=0.2)
            except stdqueue.Empty:
                got = ()
            if guard.noticed():
                raise KeyboardInterrupt
            if got == ():
                continue
            if got is None:
                running -= 1
                continue
            item, status, line = got
            done += 1
            counts[status] = counts.get(status, 0) + 1
            where = os.path.basename(item.source) if item is not None else "llmcc optimize"
            print(f"{_bar(done, len(items))} {where}: {line}", flush=True)
    except KeyboardInterrupt:
        guard.close()  # the lanes are left waiting; they end with the process
        left = len(queue.items(cache.root))
        print(
            f"\nllmcc optimize: interrupted after {done} of {len(items)}; accepted rewrites are in the cache, "
            f"{left} function(s) still queued",
            flush=True,
        )
        return 130
    guard.uninstall()
    print("llmcc optimize: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0


def _work_lane(
    items: Sequence[Any],
    cfg: Any,
    cache: Any,
    *,
    budget: float,
    tests: str | None,
    proposer: str | None,
    guard: Interruption,
    emit: Any,
) -> None:
    """Work some queued functions one after the other with one set of proposers. The functions
    are prepared a window ahead (cfg.concurrency), and the model's first requests for them sent
    together (prefetch), so that they are in flight while earlier ones are verified and timed."""
    proposers = make_proposers(cfg, cache.root, proposer)
    ahead = max(1, int(cfg.concurrency)) if any(hasattr(p, "prefetch") for p in proposers) else 1
    prepared: dict[int, tuple[Context | None, str, str]] = {}
    nxt = 0
    for i, item in enumerate(items):
        if guard.noticed():
            return
        fresh = []
        while nxt < len(items) and nxt < i + ahead:
            prepared[nxt] = prepare_item(items[nxt], cfg, cache)
            if prepared[nxt][0] is not None:
                fresh.append(prepared[nxt][0])
            nxt += 1
        prefetch(proposers, fresh)
        status, line = optimize_item(
            item,
            cfg,
            cache,
            budget=budget,
            tests=tests,
            proposer=proposer,
            proposers=proposers,
            prepared=prepared.pop(i),
        )
        emit(item, status, line)


def _bar(done: int, total: int, width: int = 20) -> str:
    fill = round(width * done / total)
    return f"[{'#' * fill}{'.' * (width - fill)}] {done}/{total}"


def prepare_item(item: Any, cfg: Any, cache: Any) -> tuple[Context | None, str, str]:
    """Rebuild one queued function's context: (ctx, "", ""), or (None, status, one line) when it
    cannot be searched (an item that no longer applies leaves the queue)."""
    import subprocess

    from gcc_wrapper.compile import asm

    job = UnitJob(item.source, item.cwd, item.cc, tuple(item.compile_flags), tuple(item.code_flags), item.isa)
    try:
        p = subprocess.run(
            [item.cc, *item.compile_flags, "-w", "-S", "-o", "-", item.source],
            cwd=item.cwd,
            capture_output=True,
            timeout=120,
        )
        if p.returncode < 0:  # killed (Ctrl-C reaches gcc too): nothing is known about the source
            return None, "error", f"{item.name}: error: the compiler died of signal {-p.returncode}"
        if p.returncode != 0:
            _unqueue(cache, item.key)
            return None, "dropped", f"{item.name}: dropped: the source no longer compiles"
        unit = asm.parse(p.stdout.decode("utf-8", "surrogateescape"))
    except (OSError, subprocess.TimeoutExpired, asm.AsmError) as e:
        return None, "error", f"{item.name}: error: {e}"
    fn = unit.functions.get(item.name)
    if fn is None or norm_digest(fn) != item.digest:
        _unqueue(cache, item.key)
        return None, "dropped", f"{item.name}: dropped: the source changed since it was queued"
    if cache.get_function(item.key) is not None:
        _unqueue(cache, item.key)
        return None, "cached", f"{item.name}: already in the cache"
    ctx, why = _context(unit, item.name, item.key, job, cfg)
    if ctx is None:
        return None, "skipped", f"{item.name}: skipped: {why}"
    return ctx, "", ""


def optimize_item(
    item: Any,
    cfg: Any,
    cache: Any,
    *,
    budget: float,
    tests: str | None,
    proposer: str | None,
    proposers: Sequence[Any] | None = None,
    prepared: tuple[Context | None, str, str] | None = None,
) -> tuple[str, str]:
    """Search one queued function (prepare_item's result, else prepared now) and say what
    happened: (status, one line). Items with a result leave the queue."""
    from gcc_wrapper.optimize import search

    ctx, status, line = prepared if prepared is not None else prepare_item(item, cfg, cache)
    if ctx is None:
        return status, line
    out = search.optimize_function(
        ctx,
        proposers or make_proposers(cfg, cache.root, proposer),
        budget_s=budget,
        cache=cache,
        cfg=cfg,
        tests=tests,
        bench=str(cfg.bench) or None,
    )
    if out.status is not search.Status.TIMEOUT:
        _unqueue(cache, item.key)
    return out.status, out.line()
