"""`llmcc bench`: how much faster llmcc makes real programs than gcc -O3, on a problem set.

    llmcc bench --dataset FILE --out DIR [--limit N] [--tests-per-problem K]
                [--proposer embedded|llm|...] [--compare o3-native,pgo] [--jobs N]

For each problem (gcc_wrapper.tools.dataset): build it with gcc -O3 and run its tests in the sandbox
(verify.sandbox). A problem whose baseline does not compile, crashes, times out or fails its own
tests is excluded with that reason. Then build it as a user of llmcc would, with a private cache
shared by the whole run: compile through the installed `llmcc` in sync mode with the chosen
proposer (functions differential testing can verify are optimized there, the others are queued),
work the queue with `llmcc optimize --tests` using the problem's tests as the project's tests, and
rebuild, which applies the accepted rewrites. With --compare, also build with gcc -O3
-march=native and with gcc's profile-guided optimization trained on the tests. Every build is run
on the tests and judged against the expected output and the baseline's own output (both after
stripping trailing whitespace: the CodeNet outputs carry an extra blank line). Then every build
that passed is timed against the baseline with measure.measure_programs: R interleaved rounds
(the order flips each round), each running both over all the tests, CPU time of the children
(user + sys from wait4), under the machine-wide measurement lock. A build's speedup is the median
over rounds of baseline/build; a build whose code is byte-identical to the baseline's counts 1.0.

The figures (gcc_wrapper.tools.metrics) go to DIR/results.json, DIR/report.md and, with matplotlib,
DIR/speedups.png and DIR/per-problem.png. Results are rewritten after every problem, so Ctrl-C
keeps the finished ones.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from gcc_wrapper.tools import dataset, metrics
from gcc_wrapper.optimize.candidate import Measurement
from gcc_wrapper.compile.files import write_atomic

VARIANTS = ("llmcc", "o3-native", "pgo")  # what a problem's builds are compared with gcc -O3 by
COMPARE_CHOICES = ("o3-native", "pgo")
DEFAULT_TESTS = 10  # SuperCoder ran the first 10 tests of each problem
DEFAULT_ROUNDS = 5
DEFAULT_BUDGET = 20.0  # optimization seconds per sync compile and per queued function
DEFAULT_COMPUTE_BOUND_MS = 50.0
TEST_TIMEOUT = 10.0  # wall seconds per test run
TEST_MEMORY = 2 << 30  # address-space limit per test run
LIBS = ("-lm",)  # judge programs use <math.h> and expect it linked
EMPTY_PROGRAM = "int main(void) { return 0; }\n"


# ---------------------------------------------------------------- running programs


def run_program(exe: Path, stdin_path: Path, *, cwd: Path) -> Any:
    """One run of a program on one input, in the sandbox (verify.sandbox: own session, CPU, memory
    and file-size limits, killed as a whole at the timeout). Returns its SandboxResult."""
    from gcc_wrapper.optimize.verify import sandbox

    return sandbox.run(
        [str(exe)],
        cwd=cwd,
        timeout=TEST_TIMEOUT,
        cpu_seconds=TEST_TIMEOUT,
        memory_bytes=TEST_MEMORY,
        stdin=stdin_path.read_bytes(),
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
    )


def normalize(text: str) -> str:
    """Outputs are compared after stripping trailing whitespace (of the whole output and of each
    line): the data sets' expected outputs carry an extra blank line the programs do not print."""
    return "\n".join(line.rstrip() for line in text.rstrip().split("\n"))


def judge(
    exe: Path,
    tests: Sequence[dataset.TestCase],
    inputs: Sequence[Path],
    cwd: Path,
    reference: Sequence[str] | None = None,
) -> tuple[bool, str, list[str]]:
    """Run exe on every test. Passed means: every run exits 0 within the limits and prints the
    expected output, and (given the baseline's outputs as `reference`) the baseline's output."""
    outputs: list[str] = []
    for i, (t, inp) in enumerate(zip(tests, inputs), start=1):
        r = run_program(exe, inp, cwd=cwd)
        if r.returncode != 0 or r.timed_out:
            return False, f"test {i}: {r.describe()}", outputs
        got = normalize(r.stdout.decode("utf-8", "replace"))
        outputs.append(got)
        if got != normalize(t.output):
            return False, f"test {i}: output differs from the expected output", outputs
        if reference is not None and got != reference[i - 1]:
            return False, f"test {i}: output differs from the baseline's", outputs
    return True, "", outputs


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class Build:
    ok: bool
    exe: Path
    seconds: float
    reason: str = ""  # why it failed: the first lines of the compiler's messages


def _compile(cmd: list[str], exe: Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> Build:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Build(False, exe, time.perf_counter() - t0, f"build timed out after {timeout:.0f} s")
    dt = time.perf_counter() - t0
    if p.returncode != 0 or not exe.exists():
        msg = " ".join((p.stderr or p.stdout).strip().splitlines()[:3])[:300]
        return Build(False, exe, dt, f"does not compile: {msg or f'status {p.returncode}'}")
    return Build(True, exe, dt)


def _gcc() -> str:
    return os.environ.get("LLMCC_CC") or shutil.which("gcc") or "gcc"


def build_gcc(src: Path, exe: Path, flags: Sequence[str]) -> Build:
    return _compile([_gcc(), *flags, src.name, "-o", exe.name, *LIBS], exe, src.parent)


def build_pgo(src: Path, exe: Path, tests_inputs: Sequence[Path]) -> Build:
    """gcc -O3 with profile feedback from running the tests: -fprofile-generate, train, -fprofile-use
    (a missing profile is an error, so a PGO figure is never plain -O3 in disguise)."""
    d = src.parent / "pgo"
    d.mkdir(exist_ok=True)
    prof = d / "profile"
    shutil.copy(src, d / src.name)
    cc = _gcc()
    t0 = time.perf_counter()
    gen = _compile(
        [cc, "-O3", f"-fprofile-generate={prof}", "-fprofile-update=single", src.name, "-o", "train", *LIBS],
        d / "train",
        d,
    )
    if not gen.ok:
        return Build(False, exe, gen.seconds, f"instrumented build: {gen.reason}")
    for inp in tests_inputs:
        run_program(d / "train", inp, cwd=d)
    # Same directory, source and output name as the instrumented build: that names the .gcda.
    use = _compile(
        [
            cc,
            "-O3",
            f"-fprofile-use={prof}",
            "-fprofile-partial-training",
            "-Werror=missing-profile",
            src.name,
            "-o",
            "train",
            *LIBS,
        ],
        d / "train",
        d,
    )
    if use.ok:
        os.replace(d / "train", exe)
    return Build(use.ok, exe, time.perf_counter() - t0, use.reason)


def llmcc_command() -> list[str]:
    """The installed llmcc next to this interpreter (what a user's build runs), else the module."""
    exe = Path(sys.executable).with_name("llmcc")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gcc_wrapper"]


def optimizer_available() -> bool:
    """Sync mode needs the optimizer modules; without them llmcc only applies cached rewrites."""
    import importlib.util

    return all(
        importlib.util.find_spec(m) is not None for m in ("gcc_wrapper.optimize.run", "gcc_wrapper.optimize.search")
    )


CHECKER = '''\
"""Tests of one bench problem, as the project's test command for llmcc: run EXE on every input and
compare its stdout, after stripping trailing whitespace, with the expected output and with what the
gcc -O3 build printed. Exit 0 when every test passes."""
import subprocess, sys
from pathlib import Path

here = Path(__file__).resolve().parent
exe = Path(sys.argv[1]).resolve()


def normalize(text):
    return "\\n".join(line.rstrip() for line in text.rstrip().split("\\n"))


for inp in sorted((here / "tests").glob("*.in")):
    with open(inp, "rb") as f:
        try:
            p = subprocess.run([str(exe)], stdin=f, capture_output=True, timeout=%(timeout)r)
        except subprocess.TimeoutExpired:
            sys.exit(f"{inp.name}: timed out")
    if p.returncode != 0:
        sys.exit(f"{inp.name}: exit status {p.returncode}")
    got = normalize(p.stdout.decode("utf-8", "replace"))
    for kind in ("expected", "baseline"):
        want = (here / "tests" / (inp.stem + "." + kind)).read_text()
        if got != want:
            sys.exit(f"{inp.name}: output differs from the {kind} output")
'''


def write_checker(pdir: Path, tests: Sequence[dataset.TestCase], baseline_outputs: Sequence[str]) -> None:
    for i, (t, got) in enumerate(zip(tests, baseline_outputs), start=1):
        (pdir / "tests" / f"{i:03d}.expected").write_text(normalize(t.output))
        (pdir / "tests" / f"{i:03d}.baseline").write_text(got)
    (pdir / "check.py").write_text(CHECKER % {"timeout": TEST_TIMEOUT})


def test_command() -> str:
    """The problem's tests as the project's test command, run in the problem's directory (or the
    verifier's private copy of it): rebuild through `llmcc` found on PATH by name, which is how the
    verifier's compiler shim puts the candidate in (it rewrites `-c` compiles of the source), then
    link and check the program."""
    return (
        f"llmcc -O3 -c prog.c -o check.o && llmcc check.o -o check-exe {' '.join(LIBS)} && "
        f"{shlex.quote(sys.executable)} check.py check-exe"
    )


def code_bytes(exe: Path) -> bytes | None:
    """The program's code and constants (.text, .rodata, .data) without symbols or build ids: equal
    bytes mean llmcc changed nothing in it."""
    with tempfile.NamedTemporaryFile(dir=exe.parent) as f:
        p = subprocess.run(
            ["objcopy", "-O", "binary", "-j", ".text", "-j", ".rodata", "-j", ".data", str(exe), f.name],
            capture_output=True,
        )
        return Path(f.name).read_bytes() if p.returncode == 0 else None


# ---------------------------------------------------------------- one problem


@dataclass(frozen=True)
class Options:
    out: Path
    proposer: str = "embedded"
    compare: tuple[str, ...] = ()
    rounds: int = DEFAULT_ROUNDS
    budget: float = DEFAULT_BUDGET
    mode: str = "sync"  # llmcc's mode for the llmcc builds
    compute_bound_ms: float = DEFAULT_COMPUTE_BOUND_MS

    @property
    def cache_dir(self) -> Path:
        return self.out / "cache"

    @property
    def work(self) -> Path:
        return self.out / "work"


@dataclass(frozen=True)
class VariantRecord:
    """One build of one problem compared with its gcc -O3 build."""

    name: str  # "llmcc", "o3-native", "pgo"
    compiled: bool
    passed: bool
    reason: str  # why it did not compile or pass; "" when it did
    build_seconds: float
    measurement: Measurement | None = None  # gcc -O3 vs this build, interleaved rounds
    identical_code: bool = False  # same code bytes as gcc -O3: the speedup is 1.0 by construction

    @property
    def speedup(self) -> float | None:
        """Raw: the median over rounds of baseline/this CPU time."""
        return self.measurement.speedup if self.measurement else None

    @property
    def spread(self) -> tuple[float, float] | None:
        return self.measurement.spread if self.measurement else None

    def result(self) -> metrics.Result:
        speedup = 1.0 if self.identical_code else self.speedup
        return metrics.Result(self.compiled, self.passed, speedup)

    def to_json(self) -> dict[str, Any]:
        return {
            "compiled": self.compiled,
            "passed": self.passed,
            "reason": self.reason,
            "build_seconds": self.build_seconds,
            "measurement": self.measurement.to_json() if self.measurement else None,
            "speedup_raw": self.speedup,
            "identical_code": self.identical_code,
            "speedup": metrics.effective_speedup(self.result()),
        }


@dataclass(frozen=True)
class ProblemRecord:
    id: str
    row: int
    tests: int  # tests run
    total_tests: int
    excluded: str = ""  # why the problem is not counted; "" when it is
    baseline_cpu: tuple[float, ...] = ()
    empty_cpu: tuple[float, ...] = ()  # an empty program over as many runs: start-up cost
    compute_bound: bool | None = None
    variants: tuple[VariantRecord, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)  # where the time went
    llmcc: dict[str, Any] = field(default_factory=dict)  # what llmcc did in its build

    def variant(self, name: str) -> VariantRecord | None:
        return next((v for v in self.variants if v.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "row": self.row,
            "tests": self.tests,
            "total_tests": self.total_tests,
            "excluded": self.excluded,
            "baseline_cpu_seconds": list(self.baseline_cpu),
            "empty_cpu_seconds": list(self.empty_cpu),
            "compute_bound": self.compute_bound,
            "variants": {v.name: v.to_json() for v in self.variants},
            "seconds": self.seconds,
            "llmcc": self.llmcc,
        }


class Bench:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        opts.work.mkdir(parents=True, exist_ok=True)
        opts.cache_dir.mkdir(parents=True, exist_ok=True)
        empty_dir = opts.work / "_empty"
        empty_dir.mkdir(exist_ok=True)
        (empty_dir / "prog.c").write_text(EMPTY_PROGRAM)
        b = build_gcc(empty_dir / "prog.c", empty_dir / "empty", ["-O3"])
        if not b.ok:
            raise RuntimeError(f"cannot build an empty C program with {_gcc()}: {b.reason}")
        self.empty = b.exe
        self.mode = opts.mode if opts.mode != "sync" or optimizer_available() else "off"

    def llmcc_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
        env["PATH"] = f"{Path(llmcc_command()[0]).parent}{os.pathsep}{env.get('PATH', '')}"  # `llmcc` by name
        env.update(
            LLMCC_MODE=self.mode,
            LLMCC_PROPOSER=self.opts.proposer,
            LLMCC_TEST=test_command(),
            LLMCC_CACHE_DIR=str(self.opts.cache_dir),
            LLMCC_BUDGET=str(self.opts.budget),
            LLMCC_LOG=str(self.opts.out / "llmcc.log"),
            LLMCC_REMOTE="",  # whatever the user's config says: a bench run shares nothing
        )
        if os.environ.get("LLMCC_CC"):
            env["LLMCC_CC"] = os.environ["LLMCC_CC"]
        for k in ("LLMCC_SERVER", "LLMCC_MODEL", "LLMCC_API_KEY"):  # the model, for --proposer llm
            if k in os.environ:
                env[k] = os.environ[k]
        return env

    def build_llmcc(self, pdir: Path, seconds: dict[str, float]) -> tuple[Build, dict[str, Any]]:
        """Build the program as a user of llmcc would: compile through llmcc (sync mode optimizes
        what differential testing can verify; the rest is queued), work the queue with the
        problem's tests (`llmcc optimize --tests`), and rebuild, which applies the cached rewrites."""
        env = self.llmcc_env()
        exe = pdir / "llmcc"
        cmd = [*llmcc_command(), "-O3", "prog.c", "-o", exe.name, *LIBS]
        seen = _attempt_counts(self.opts.cache_dir)
        first = _compile(cmd, exe, pdir, env=env, timeout=max(600.0, 10 * self.opts.budget))
        seconds["llmcc_build"] = first.seconds
        info: dict[str, Any] = {"mode": self.mode, "proposer": self.opts.proposer}
        final = first
        if first.ok and self.mode == "sync":
            t0 = time.perf_counter()
            try:
                p = subprocess.run(
                    [*llmcc_command(), "optimize", "--tests", test_command(), "--budget", f"{self.opts.budget:g}"],
                    cwd=pdir,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=max(1200.0, 30 * self.opts.budget),
                )
                info["optimize"] = p.stdout.strip().splitlines()[-6:] + p.stderr.strip().splitlines()[-3:]
            except subprocess.TimeoutExpired:
                info["optimize"] = ["timed out"]
            seconds["llmcc_optimize"] = time.perf_counter() - t0
            final = _compile(cmd, exe, pdir, env={**env, "LLMCC_MODE": "off"})
            seconds["llmcc_rebuild"] = final.seconds
        info.update(llmcc_activity(self.opts.cache_dir, pdir, seen))
        info["fallbacks"] = fallbacks(self.opts.out / "llmcc.log", pdir)
        total = first.seconds + seconds.get("llmcc_optimize", 0.0) + seconds.get("llmcc_rebuild", 0.0)
        return Build(final.ok, exe, total, final.reason), info

    def run_problem(self, prob: dataset.Problem) -> ProblemRecord:
        t_start = time.perf_counter()
        seconds: dict[str, float] = {}
        pdir = self.opts.work / _safe_name(prob.id)
        shutil.rmtree(pdir, ignore_errors=True)
        (pdir / "tests").mkdir(parents=True)
        src = pdir / "prog.c"
        src.write_text(prob.source)
        inputs = []
        for i, t in enumerate(prob.tests, start=1):
            p = pdir / "tests" / f"{i:03d}.in"
            p.write_text(t.input)
            inputs.append(p)

        def record(**kw: Any) -> ProblemRecord:
            seconds["total"] = time.perf_counter() - t_start
            return ProblemRecord(prob.id, prob.row, len(prob.tests), prob.total_tests, seconds=seconds, **kw)

        base = build_gcc(src, pdir / "base", ["-O3"])
        seconds["compile"] = base.seconds
        if not base.ok:
            return record(excluded=f"baseline {base.reason}")
        t0 = time.perf_counter()
        ok, why, base_out = judge(base.exe, prob.tests, inputs, pdir)
        seconds["baseline_tests"] = time.perf_counter() - t0
        if not ok:
            return record(excluded=f"baseline fails its own tests: {why}")
        write_checker(pdir, prob.tests, base_out)

        builds: dict[str, Build] = {}
        builds["llmcc"], llmcc_info = self.build_llmcc(pdir, seconds)
        if "o3-native" in self.opts.compare:
            builds["o3-native"] = build_gcc(src, pdir / "o3-native", ["-O3", "-march=native"])
        if "pgo" in self.opts.compare:
            builds["pgo"] = build_pgo(src, pdir / "pgo-exe", inputs)
        seconds["compare_builds"] = sum(b.seconds for n, b in builds.items() if n != "llmcc")

        t0 = time.perf_counter()
        judged: dict[str, tuple[bool, str]] = {}
        for name, b in builds.items():
            judged[name] = judge(b.exe, prob.tests, inputs, pdir, base_out)[:2] if b.ok else (False, b.reason)
        seconds["tests"] = time.perf_counter() - t0

        base_code = code_bytes(base.exe)
        data = [p.read_bytes() for p in inputs]

        from gcc_wrapper.optimize import measure

        def side_by_side(a: Path, b: Path) -> Measurement:
            # gcc_wrapper.optimize.measure holds the machine-wide lock in the run's cache directory, so no
            # llmcc build of this run (--jobs) measures while a problem is being timed.
            return measure.measure_programs(
                a, b, data, self.opts.rounds, lock_dir=self.opts.cache_dir, cwd=pdir, timeout=TEST_TIMEOUT * len(data)
            )

        t0 = time.perf_counter()
        try:
            start = side_by_side(self.empty, base.exe)  # start-up cost vs the baseline
        except measure.MeasureError as e:  # it passed its tests but fails when timed
            return record(excluded=f"baseline cannot be timed: {e}")
        variants = []
        for name, b in builds.items():
            passed, reason = judged[name]
            if not passed:
                variants.append(VariantRecord(name, b.ok, False, reason, b.seconds))
                continue
            try:
                m = side_by_side(base.exe, b.exe)
            except measure.MeasureError as e:
                variants.append(VariantRecord(name, True, False, f"cannot be timed: {e}", b.seconds))
                continue
            same = base_code is not None and code_bytes(b.exe) == base_code
            variants.append(VariantRecord(name, True, True, "", b.seconds, m, same))
        seconds["measure"] = time.perf_counter() - t0
        base_ms = metrics.median(start.candidate) * 1000
        empty_ms = metrics.median(start.baseline) * 1000
        return record(
            baseline_cpu=start.candidate,
            empty_cpu=start.baseline,
            compute_bound=base_ms - empty_ms >= self.opts.compute_bound_ms,
            variants=tuple(variants),
            llmcc=llmcc_info,
        )


def _safe_name(pid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in pid) or "problem"


def fallbacks(log: Path, pdir: Path) -> list[str]:
    """Why llmcc fell back to plain gcc in this problem's directory, from its log (one JSON object
    per line; event "fallback"). A fallback builds a correct program, but not through llmcc."""
    out: list[str] = []
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and ev.get("event") == "fallback" and ev.get("cwd") == str(pdir):
            what = f"{ev.get('reason', '?')}: {ev.get('detail', '')}".strip()
            if what not in out:
                out.append(what)
    return out


def _attempt_counts(cache_dir: Path) -> dict[str, int]:
    from collections import Counter

    from cache import Cache
    from gcc_wrapper.tools import report

    return dict(Counter(a.key for a in report.read_attempts(Cache(cache_dir), ())))


def llmcc_activity(cache_dir: Path, pdir: Path, seen: dict[str, int]) -> dict[str, Any]:
    """What llmcc recorded in the run's cache for this problem (read as `llmcc report` reads it):
    accepted rewrites of its source, and the attempts logged since `seen` (per-key counts taken
    before its build) that name its source or no source, counted by outcome and by reason."""
    from collections import Counter

    from cache import Cache
    from gcc_wrapper.tools import report

    c = Cache(cache_dir)
    entries = report.read_entries(c)
    mine = [e for e in entries if report.under(e.source, pdir)]
    per_key: Counter[str] = Counter()
    new = []
    for a in report.read_attempts(c, entries):
        per_key[a.key] += 1
        if per_key[a.key] > seen.get(a.key, 0) and (not a.source or report.under(a.source, pdir)):
            new.append(a)
    return {
        "rewrites": [{"function": e.function, "proposer": e.proposer, "speedup": e.speedup} for e in mine],
        "attempts": dict(Counter(a.outcome for a in new)),
        "not_accepted": dict(Counter(a.reason_group for a in new if a.outcome != "accepted")),
    }


# ---------------------------------------------------------------- results


def summaries(records: Sequence[ProblemRecord], variants: Sequence[str]) -> dict[str, dict[str, metrics.Summary]]:
    """Per build: the metrics over every counted problem and over the compute-bound ones."""
    counted = [r for r in records if not r.excluded]
    out: dict[str, dict[str, metrics.Summary]] = {}

    def results(name: str, rs: Sequence[ProblemRecord]) -> list[metrics.Result]:
        return [v.result() if (v := r.variant(name)) else metrics.Result(False, False) for r in rs]

    for name in variants:
        out[name] = {
            "all": metrics.summarize(results(name, counted)),
            "compute_bound": metrics.summarize(results(name, [r for r in counted if r.compute_bound])),
        }
    return out


def noise_floor(records: Sequence[ProblemRecord]) -> metrics.Summary:
    """A/A: the builds whose code is byte-identical to gcc -O3's were timed against it like any
    other. Scored by the paper's rule as if they differed, they show how much of a figure timing
    noise alone produces (they count as 1.0 in the real figures)."""
    return metrics.summarize(
        [
            metrics.Result(True, True, v.speedup)
            for r in records
            if not r.excluded
            for v in r.variants
            if v.identical_code and v.speedup is not None
        ]
    )


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gcc = subprocess.run([_gcc(), "--version"], capture_output=True, text=True).stdout.splitlines()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "gcc": gcc[0] if gcc else "",
    }


def write_outputs(
    out: Path,
    meta: dict[str, Any],
    ds: dataset.Dataset,
    records: Sequence[ProblemRecord],
    variants: Sequence[str],
    *,
    plots: bool = True,
) -> list[str]:
    """results.json, report.md and the plots; returns notes for the user (e.g. plots skipped)."""
    records = sorted(records, key=lambda r: r.row)
    summ = summaries(records, variants)
    notes: list[str] = []
    if plots:
        notes += write_plots(out, records, variants)
    data = {
        "meta": meta,
        "summary": {v: {k: s.to_json() for k, s in d.items()} for v, d in summ.items()},
        "noise_floor": noise_floor(records).to_json(),
        "bad_rows": [{"row": b.row, "id": b.problem_id, "excluded": b.reason} for b in ds.bad],
        "problems": [r.to_json() for r in records],
        "notes": notes,
    }
    write_atomic(out / "results.json", json.dumps(_strict(data), indent=1, allow_nan=False) + "\n")
    write_atomic(out / "report.md", render_markdown(meta, ds, records, summ, notes))
    return notes


def _strict(obj: Any) -> Any:
    """Strict JSON for every reader: a non-finite number (a ratio over a zero time) becomes null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    return obj


def _f(x: float | None, fmt: str = "{:.3f}") -> str:
    return "–" if x is None or math.isnan(x) else fmt.format(x)


def _md_line(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())[:200]


def _pct(x: float) -> str:
    return _f(x * 100, "{:.1f}%")


def render_markdown(
    meta: dict[str, Any],
    ds: dataset.Dataset,
    records: Sequence[ProblemRecord],
    summ: dict[str, dict[str, metrics.Summary]],
    notes: Sequence[str],
) -> str:
    m = meta["machine"]
    counted = [r for r in records if not r.excluded]
    excluded = [(b.row, b.problem_id, b.reason) for b in ds.bad] + [
        (r.row, r.id, r.excluded) for r in records if r.excluded
    ]
    lines = [
        "# llmcc bench",
        "",
        f"- dataset: `{meta['dataset']}` ({ds.rows} rows read, {len(records)} problems run, "
        f"{len(counted)} counted, {len(excluded)} excluded)"
        + (" — **interrupted**" if meta.get("interrupted") else ""),
        f"- date: {meta['date']}; machine: {m['cpu']} ({m['cores']} cores), Linux {m['kernel']}, {m['gcc']}",
        f"- llmcc: mode {meta['llmcc_mode']}, proposer {meta['proposer']}, budget {meta['budget']:g} s per compile and per queued function"
        + (
            ""
            if meta["llmcc_mode"] == "sync"
            else " — **no optimizer ran: llmcc applied cached rewrites only**"
            + ("" if meta["optimizer"] else " (the optimizer is not installed)")
        ),
        f"- timing: {meta['rounds']} interleaved rounds of CPU time (user+sys) over up to the first "
        f"{meta['tests_per_problem']} tests; compute-bound = baseline exceeds an empty program by "
        f"≥ {meta['compute_bound_ms']:g} ms per round",
        "",
        "## Summary",
        "",
        "Speedup over gcc -O3 per problem counts as 1.0 when incorrect or slower (SuperCoder's rule).",
        "",
        "| build | subset | problems | compile | pass | geomean | p25 | p50 | p75 | improved ≥5% |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, d in summ.items():
        for subset, s in d.items():
            lines.append(
                f"| {name} | {subset.replace('_', '-')} | {s.problems} | {_pct(s.compile_rate)} | {_pct(s.pass_rate)} | "
                f"{_f(s.geomean)} | {_f(s.p25)} | {_f(s.p50)} | {_f(s.p75)} | {_pct(s.improved_share)} ({s.improved}) |"
            )
    fell = [r for r in counted if r.llmcc.get("fallbacks")]
    if fell:
        lines += [
            "",
            f"**llmcc fell back to plain gcc in {len(fell)} of {len(counted)} counted problems** "
            f"({', '.join(r.id for r in fell[:10])}{' …' if len(fell) > 10 else ''}): those builds are correct "
            f"but did not go through llmcc. First reason: {_md_line(fell[0].llmcc['fallbacks'][0])}",
        ]
    nf = noise_floor(records)
    if nf.problems:
        lines += [
            "",
            f"Noise floor (A/A): {nf.problems} builds byte-identical to gcc -O3 were timed against it "
            f"like the others; scored as if they differed they would reach geomean {_f(nf.geomean)}, "
            f"p75 {_f(nf.p75)}, {_pct(nf.improved_share)} improved ≥5%. Figures of that size are timing "
            "noise (identical builds count as 1.0 above).",
        ]
    lines += [
        "",
        "## Problems",
        "",
        "Raw speedup = median over rounds of baseline/build CPU time [min–max]; `=` marks a build whose "
        "code is byte-identical to gcc -O3's (speedup 1.0 by construction).",
        "",
    ]
    names = list(summ)
    lines.append("| problem | baseline ms | compute-bound | " + " | ".join(names) + " |")
    lines.append("| --- | ---: | :---: | " + " | ".join("---" for _ in names) + " |")
    for r in counted:
        cells = []
        for name in names:
            v = r.variant(name)
            if v is None:
                cells.append("–")
            elif not v.passed:
                cells.append(f"✗ {v.reason}")
            else:
                sp = f"{v.speedup:.3f} [{v.spread[0]:.2f}–{v.spread[1]:.2f}]" if v.spread else "–"
                cells.append(("= " if v.identical_code else "") + sp)
        lines.append(
            f"| {r.id} | {metrics.median(r.baseline_cpu) * 1000:.1f} | {'yes' if r.compute_bound else 'no'} | "
            + " | ".join(cells)
            + " |"
        )
    if excluded:
        lines += ["", "## Excluded", "", "| row | problem | reason |", "| ---: | --- | --- |"]
        lines += [f"| {row} | {pid} | {reason} |" for row, pid, reason in sorted(excluded)]
    keys = (
        "compile",
        "baseline_tests",
        "llmcc_build",
        "llmcc_optimize",
        "llmcc_rebuild",
        "compare_builds",
        "tests",
        "measure",
        "total",
    )
    lines += [
        "",
        "## Where the time went (seconds, summed over problems)",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + " ---: |" * len(keys),
        "| " + " | ".join(f"{sum(r.seconds.get(k, 0.0) for r in records):.1f}" for k in keys) + " |",
        "",
        "`llmcc_build`: the first compile through llmcc, with its own proposing, verifying and measuring "
        "in sync mode; `llmcc_optimize`: `llmcc optimize --tests` on what it queued; `llmcc_rebuild`: "
        "the compile that applies the cached rewrites.",
    ]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def write_plots(out: Path, records: Sequence[ProblemRecord], variants: Sequence[str]) -> list[str]:
    """speedups.png (distribution of raw speedups of passing builds) and per-problem.png (bars).
    matplotlib is an optional extra (`pip install llmcc[plots]`)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["plots skipped: matplotlib is not installed (pip install 'llmcc[plots]')"]
    counted = [r for r in records if not r.excluded]
    raw = {n: [v.speedup for r in counted if (v := r.variant(n)) and v.passed and v.speedup] for n in variants}

    fig, ax = plt.subplots(figsize=(7, 4))
    shown = [n for n in variants if raw[n]]
    if shown:
        ax.boxplot([raw[n] for n in shown])
        ax.set_xticks(range(1, len(shown) + 1), shown)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_ylabel("speedup over gcc -O3 (CPU time, median of rounds)")
    ax.set_title(f"Speedup distribution, {len(counted)} problems")
    fig.tight_layout()
    fig.savefig(out / "speedups.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(counted) * max(1, len(variants))), 4))
    width = 0.8 / max(1, len(variants))
    for k, n in enumerate(variants):
        ys = [(v.speedup if (v := r.variant(n)) and v.passed and v.speedup else 0.0) for r in counted]
        ax.bar([i + k * width for i in range(len(counted))], ys, width, label=n)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(counted))], [r.id for r in counted], rotation=90, fontsize=7)
    ax.set_ylabel("raw speedup (0 = failed)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "per-problem.png", dpi=100)
    plt.close(fig)
    return []


# ---------------------------------------------------------------- command line


class Progress:
    """A one-line bar on a terminal; one line per problem otherwise (logs, CI)."""

    def __init__(self, total: int, stream: Any = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()

    def update(self, rec: ProblemRecord) -> None:
        self.done += 1
        v = rec.variant("llmcc")
        if rec.excluded or v is None:
            what = rec.excluded
        elif not v.passed:
            what = f"llmcc failed: {v.reason}"
        elif rec.llmcc.get("fallbacks"):
            what = f"llmcc fell back to plain gcc: {rec.llmcc['fallbacks'][0][:80]}"
        elif v.identical_code:
            what = "llmcc: same code as gcc -O3"
        else:
            what = f"llmcc {v.speedup:.3f}x (raw, median of rounds)"
        if self.tty:
            n = 30 * self.done // max(1, self.total)
            self.stream.write(f"\r[{'#' * n}{'.' * (30 - n)}] {self.done}/{self.total} {rec.id}: {what[:60]:<60}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {rec.id}: {what}\n")
        self.stream.flush()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="llmcc bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", required=True, help="CSV or JSONL problem set (SuperCoder / CodeNet shape)")
    ap.add_argument("--out", required=True, type=Path, help="directory for results.json, report.md, plots")
    ap.add_argument("--limit", type=int, help="read only the first N rows")
    ap.add_argument(
        "--tests-per-problem",
        type=int,
        default=DEFAULT_TESTS,
        metavar="K",
        help=f"run the first K tests of each problem (default {DEFAULT_TESTS}, as SuperCoder)",
    )
    ap.add_argument("--proposer", default="embedded", help="llmcc's proposer: embedded, llm, ... (default embedded)")
    ap.add_argument("--compare", default="", help="also build with: o3-native, pgo (comma-separated)")
    ap.add_argument("--jobs", type=int, default=1, help="problems built in parallel (timing is never parallel)")
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="interleaved timing rounds")
    ap.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET,
        help="optimization seconds for the sync compile, and for each function it queued",
    )
    ap.add_argument(
        "--mode", choices=("sync", "off"), default="sync", help="llmcc mode for its builds (off: cached rewrites only)"
    )
    ap.add_argument(
        "--compute-bound-ms",
        type=float,
        default=DEFAULT_COMPUTE_BOUND_MS,
        help="baseline CPU ms per round above an empty program's that makes a problem compute-bound",
    )
    ap.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    args = ap.parse_args(list(argv))
    args.compare = tuple(c for c in (x.strip() for x in args.compare.split(",")) if c)
    bad = [c for c in args.compare if c not in COMPARE_CHOICES]
    if bad:
        ap.error(f"--compare: unknown build {', '.join(bad)} (choose from {', '.join(COMPARE_CHOICES)})")
    for name in ("limit", "tests_per_problem", "jobs", "rounds"):
        value = getattr(args, name)
        if value is not None and value < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    try:
        ds = dataset.load(args.dataset, limit=args.limit, tests_per_problem=args.tests_per_problem)
    except dataset.DatasetError as e:
        print(f"llmcc bench: {e}", file=sys.stderr)
        return 2
    # absolute: builds and test runs happen in directories below it, each its own cwd
    out: Path = args.out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    opts = Options(
        out=out,
        proposer=args.proposer,
        compare=args.compare,
        rounds=args.rounds,
        budget=args.budget,
        mode=args.mode,
        compute_bound_ms=args.compute_bound_ms,
    )
    try:
        bench = Bench(opts)
    except RuntimeError as e:
        print(f"llmcc bench: {e}", file=sys.stderr)
        return 2
    variants = ("llmcc", *args.compare)
    meta = {
        "dataset": str(Path(args.dataset).resolve()),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "argv": list(argv),
        "proposer": args.proposer,
        "llmcc_mode": bench.mode,
        "optimizer": optimizer_available(),
        "budget": args.budget,
        "rounds": args.rounds,
        "tests_per_problem": args.tests_per_problem,
        "compute_bound_ms": args.compute_bound_ms,
        "improved_by": metrics.IMPROVED_BY,
        "interrupted": False,
    }
    if args.mode == "sync" and bench.mode != "sync":
        print("llmcc bench: the optimizer is not installed; llmcc builds apply cached rewrites only", file=sys.stderr)
    for b in ds.bad:
        print(f"llmcc bench: excluded row {b.row} ({b.problem_id}): {b.reason}", file=sys.stderr)
    records: list[ProblemRecord] = []
    progress = Progress(len(ds.problems))

    def finished(rec: ProblemRecord) -> None:
        records.append(rec)
        progress.update(rec)
        write_outputs(out, meta, ds, records, variants, plots=False)

    pool = ThreadPoolExecutor(args.jobs) if args.jobs > 1 else None
    try:
        if pool is None:
            for prob in ds.problems:
                finished(bench.run_problem(prob))
        else:
            futures = [pool.submit(bench.run_problem, p) for p in ds.problems]
            for fut in as_completed(futures):
                finished(fut.result())
    except KeyboardInterrupt:
        meta["interrupted"] = True
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        print(f"\nllmcc bench: interrupted; keeping the {len(records)} finished problems", file=sys.stderr)
    notes = write_outputs(out, meta, ds, records, variants, plots=not args.no_plots)
    for n in notes:
        print(f"llmcc bench: {n}", file=sys.stderr)
    print((out / "report.md").read_text().split("## Problems")[0].rstrip())
    print(f"\nresults: {out / 'results.json'}, {out / 'report.md'}")
    if pool is not None:
        pool.shutdown(wait=not meta["interrupted"])
    return 130 if meta["interrupted"] else 0
