"""Training runs for profile-guided variants of one function (the embedded proposer's "pgo" choice).

gcc's profile feedback needs counters (a .gcda file) from an instrumented build of the same
translation unit. The recorded workload profile (hot.py) holds sample shares, not counters, so the
counters are made here, for one function at a time:

  1. the unit is compiled with the user's flags + `-fprofile-generate=DIR -fprofile-update=single`
     (to assembly, `-o -`, in the directory of the original compile);
  2. its global symbols are renamed apart (as measure.py does for the baseline) and it is linked
     with measure's function harness (measure.harness_object, without the system-call allowlist)
     and gcc's libgcov;
  3. the harness runs in the verifier's sandbox in its calibration mode, on the inputs the timing
     will use: the calls recorded from the workload (`llmcc profile`; measure.calibrate_recorded
     probes them and then runs every call that behaves), else generated inputs at the first size
     that runs cleanly and about as quickly as the measurement wants; libgcov writes the counters
     at exit.

The candidate compile (`Profile.use_flags()`) then reads them with `-fprofile-use=DIR`.

First of all, when `llmcc profile` recorded a workload (ctx.workload), the counters come from the
workload itself (`train_on_workload`): the whole unit, instrumented, is patched into a copy of the
profiled program and the command run once on it, with counters_dump.c preloaded to write the
counters at exit; every function of the unit gets its counts, those gcc inlines into ctx.name too.

When the workload's calls of the function were recorded (ctx.states), the training runs on them
instead (`train_on_states`): the unit is compiled with `-fprofile-generate -fno-profile-values`
(edge counters only: the instrumented function then touches nothing but its own counter array),
the function is lifted out of it and replayed once on every recorded state (states/replay.py
`train`, its counters in a page of their own), and the counters file is written here from those
counts and the instrumented unit's own record of the function (gcov-io.h's format: the object's
version, stamp and checksum; the function's ident and checksums; its arc counters). So a pgo
variant is fitted to what the program does, not to generated inputs.

Naming the .gcda: gcc names it DIR/ + the mangled path of the dump base. Both compiles run in the
same directory with the same `-dumpbase` and `-fprofile-prefix-path=<that directory>` (so the name
is DIR/llmcc-pgo.gcda instead of a '#'-mangled absolute path that could exceed NAME_MAX), both
print to stdout (`-o -`: an -o elsewhere would become part of the name), and PWD is taken out of
their environment so that gcc's idea of the directory is the real path. The name gcc wrote into
the instrumented unit is read back from it, and training fails unless that very file was written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.optimize.candidate import Context

DUMPBASE = "llmcc-pgo"
# The instrumented function is slower than gcc's (counter updates): it may take this many times
# the measurement's per-call bound and still be trained at the size the measurement will pick.
_OVERHEAD = 3.0
_MIN_TIME = 1.0  # seconds: less than this before the deadline and no training starts
# user flags that would fight the training's (a build doing its own PGO or coverage)
_USERS_OWN = (
    "-fprofile",
    "-fauto-profile",
    "-fbranch-probabilities",
    "--coverage",
    "-ftest-coverage",
    "-dumpbase",
    "-dumpdir",
)
_GCDA = re.compile(r'^\s*\.string\s+"([^"]+\.gcda)"', re.MULTILINE)
_GLOBL = re.compile(r"^\s*\.(?:globl|global|weak)\s+([\w.$]+)", re.MULTILINE)


class TrainingError(Exception):
    """No profile: the harness cannot drive the function, or a step of the training failed."""


@dataclass(frozen=True)
class Profile:
    """Counters from one training run of one function's translation unit."""

    dir: str  # the -fprofile-use directory
    gcda: str  # the counters file (in dir)
    cwd: str  # the directory both compiles run in (the real path)
    inputs: str  # what the training run called the function on: "recorded: 256 calls, n=777", "generated: size 1024"

    def use_flags(self) -> tuple[str, ...]:
        """The candidate compile's extra flags. Profile feedback changes how gcc optimizes
        (branch probabilities, block order, unrolling, value-profile specialisations), never the
        instruction set or floating-point semantics. -fprofile-partial-training: functions the
        run never reached are optimized as without a profile, not for size. -Wno-coverage-mismatch:
        a function whose control flow differs from the trained one (another flag changed an early
        pass) gets no profile instead of failing the compile. -fno-reorder-functions: the
        function stays in its baseline's section (not .text.hot/.text.startup), where it is timed
        and where the user's object will have it."""
        return (
            f"-fprofile-use={self.dir}",
            f"-fprofile-prefix-path={self.cwd}",
            "-dumpbase",
            DUMPBASE,
            "-fprofile-partial-training",
            "-Wno-missing-profile",
            "-Wno-coverage-mismatch",
            "-fno-reorder-functions",
        )


def compile_env() -> dict[str, str]:
    """The environment of both compiles and the training run: no PWD (gcc would take a symlinked
    PWD for the directory, and the name of the .gcda with it) and none of libgcov's GCOV_PREFIX
    variables (they would move the counters somewhere else)."""
    return {k: v for k, v in os.environ.items() if k != "PWD" and not k.startswith("GCOV_")}


def _instrumented(
    ctx: Context, workdir: Path, deadline: float | None, extra: tuple[str, ...] = ()
) -> tuple[Path, str, str, Path]:
    """(the training's directory, made; the compile's directory; ctx's unit compiled with edge
    counters to assembly; the counters file it names, inside that directory). Raises
    TrainingError."""
    own = [f for f in ctx.cflags if f.startswith(_USERS_OWN)]
    if own:
        raise TrainingError(f"the build sets its own profiling or dump names ({' '.join(own)})")
    workdir = Path(workdir).resolve()
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TrainingError(f"no directory for the counters: {e}") from None
    cwd = os.path.realpath(ctx.cwd or os.getcwd())
    gen = _run(
        [
            ctx.compiler,
            *ctx.cflags,
            f"-fprofile-generate={workdir}",
            "-fprofile-update=single",
            *extra,
            f"-fprofile-prefix-path={cwd}",
            "-dumpbase",
            DUMPBASE,
            "-w",
            "-S",
            "-o",
            "-",
            ctx.source_path,
        ],
        cwd,
        compile_env(),
        deadline,
        "instrumented compile",
    )
    names = set(_GCDA.findall(gen))
    if len(names) != 1:
        raise TrainingError("the instrumented unit does not name one counters file")
    gcda = Path(names.pop())
    if gcda.parent != workdir:
        raise TrainingError(f"gcc would write the counters to {gcda}, outside {workdir}")
    return workdir, cwd, gen, gcda


def train(ctx: Context, workdir: Path, *, deadline: float | None = None, recorded=None) -> Profile:
    """Counters for ctx's unit from the workload itself when there is one (the whole unit's),
    else from running ctx.name on its recorded states when there are any, else in the harness;
    workdir (made if missing, private to this training) becomes the
    profile's directory. `recorded`: the function's calls recorded from the workload
    (hot.RecordedCalls), used where the harness can run them, as the measurement does. Raises
    TrainingError."""
    from gcc_wrapper.optimize import measure
    from gcc_wrapper.optimize.verify import sandbox

    if ctx.workload:
        try:
            return train_on_workload(ctx, workdir, deadline=deadline)
        except TrainingError:
            pass  # the recorded calls or the harness, as without a workload
    if ctx.states:
        try:
            return train_on_states(ctx, workdir, deadline=deadline)
        except TrainingError:
            pass  # the harness, as without states
    if not ctx.prototype or "." in ctx.name:
        raise TrainingError(f"the harness cannot drive {ctx.name}")
    try:
        sig = measure.parse_prototype(ctx.prototype, ctx.name)
    except measure.MeasureError as e:
        raise TrainingError(f"the harness cannot drive {ctx.name}: {e}") from None
    workdir, cwd, gen, gcda = _instrumented(ctx, workdir, deadline)
    env = compile_env()
    if not re.search(rf"^{re.escape(ctx.name)}:", gen, re.MULTILINE):
        raise TrainingError(f"{ctx.name} is not in the instrumented unit")
    # one copy of the unit, renamed apart like the measurement's baseline (the file may have a
    # main of its own); every name the harness calls is that copy's function
    prefix = "__llmcc_b0_"
    text = measure.rename_symbols(gen, set(_GLOBL.findall(gen)) | {ctx.name}, prefix)
    try:
        (workdir / "unit.s").write_text(text + f"\t.globl\t{prefix}{ctx.name}\n")
    except OSError as e:
        raise TrainingError(f"cannot write the training harness: {e}") from None
    try:
        harness = measure.harness_object(ctx.compiler, ctx.name, sig, confine=False, deadline=deadline)
    except measure.MeasureError as e:
        raise TrainingError(f"training harness: {e}") from None
    aliases = [
        f"-Wl,--defsym=__llmcc_{side}{k}_{ctx.name}={prefix}{ctx.name}"
        for side in "bc"
        for k in range(measure.PLACEMENTS)
        if (side, k) != ("b", 0)
    ]
    exe = workdir / "train"
    _run(
        [
            ctx.compiler,
            "-O2",
            str(harness),
            "unit.s",
            "-o",
            str(exe),
            *aliases,
            "-lgcov",
            "-lm",
            "-Wl,--unresolved-symbols=ignore-all",
        ],
        str(workdir),
        env,
        deadline,
        "training harness link",
    )
    inputs = measure.recorded_inputs(sig, recorded) if recorded is not None else None
    if inputs is not None:
        gcda.unlink(missing_ok=True)
        try:
            # the probe runs each call in a child that leaves without writing counters; then the
            # calibration runs every call that behaved, and writes them
            h = measure.calibrate_recorded(exe, sig, inputs, deadline)
        except measure.MeasureError as e:
            raise TrainingError(f"training on the recorded calls: {e}") from None
        if isinstance(h, measure.Harness) and gcda.is_file():
            return Profile(str(workdir), str(gcda), cwd, f"recorded: {h.detail}")
    for size in measure.SIZES:
        gcda.unlink(missing_ok=True)  # counters of one size only: the one the timing will use
        t = _left(deadline, 5.0)
        res = sandbox.run(
            [str(exe), str(size), "0", "0"],
            cwd=str(workdir),
            timeout=t,
            cpu_seconds=t + 1,
            memory_bytes=1 << 30,
            env=env,
            reads=(),
        )
        if res.returncode != 0 or res.timed_out:
            continue
        try:
            per_call = float(res.stdout.split()[0])
        except (ValueError, IndexError):
            continue
        if per_call <= measure.CALL_MAX_S * _OVERHEAD:
            if not gcda.is_file():
                raise TrainingError(f"the training run wrote no counters ({gcda.name})")
            return Profile(str(workdir), str(gcda), cwd, f"generated: size {size}")
    gcda.unlink(missing_ok=True)
    raise TrainingError(f"{ctx.name} does not run quickly and cleanly on generated inputs")


_GCOV_MAGIC = 0x67636461  # "gcda"
_TAG_FUNCTION = 0x01000000
_TAG_ARCS = 0x01A10000
_TAG_OBJECT_SUMMARY = 0xA1000000


def _block(text: str, label: str) -> list[tuple[str, str]]:
    """The data directives after `label:` up to the next label: (directive, operand)."""
    m = re.search(rf"^{re.escape(label)}:\s*$", text, re.MULTILINE)
    if not m:
        raise TrainingError(f"the instrumented unit has no {label}")
    out = []
    for line in text[m.end() :].splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if (
            s.endswith(":")
            or not s.startswith(".")
            or s.startswith((".section", ".text", ".data", ".type", ".size", ".local", ".comm", ".globl"))
        ):
            break
        words = s.split(None, 1)
        if words[0] in (".align", ".p2align", ".balign"):
            continue
        out.append((words[0], words[1] if len(words) > 1 else ""))
    return out


def _u32(v: str) -> int:
    return int(v, 0) & 0xFFFFFFFF


def gcda(unit_text: str, counts: dict[str, list[int]]) -> bytes:
    """The counters file gcc -fprofile-use reads for the functions of an instrumented unit (edge
    counters only), from the unit's own records (.LPBX0: version, stamp, checksum; __gcov_.NAME:
    ident, line and cfg checksums) and each function's counts (name -> counts)."""
    import struct

    info = _block(unit_text, ".LPBX0")
    longs = [v for d, v in info if d == ".long"]
    if len(longs) < 3:
        raise TrainingError("cannot read the instrumented unit's object record")
    version, stamp, checksum = (_u32(v) for v in longs[:3])
    top = max((c for cs in counts.values() for c in cs), default=0)
    words = [_GCOV_MAGIC, version, stamp, checksum, _TAG_OBJECT_SUMMARY, 8, 1, min(top, 0xFFFFFFFF)]
    blob = struct.pack(f"<{len(words)}I", *words)
    for name, cs in counts.items():
        fn = [v for d, v in _block(unit_text, f"__gcov_.{name}") if d == ".long"]
        if len(fn) < 4:
            raise TrainingError(f"cannot read the instrumented unit's record of {name}")
        ident, lineno, cfg, narcs = (_u32(v) for v in fn[:4])
        if narcs != len(cs):
            raise TrainingError(f"{name} has {narcs} counters in its record, {len(cs)} were read")
        head = [_TAG_FUNCTION, 12, ident, lineno, cfg, _TAG_ARCS, 8 * len(cs)]
        blob += struct.pack(f"<{len(head)}I", *head) + b"".join(struct.pack("<Q", c) for c in cs)
    return blob + struct.pack("<I", 0)


def train_on_states(ctx: Context, workdir: Path, *, deadline: float | None = None) -> Profile:
    """Counters for ctx's unit from one call of the instrumented ctx.name on each of its recorded
    states (states/replay.py `train`); the .gcda is written here. Raises TrainingError."""
    import struct

    from gcc_wrapper.compile import asm
    from gcc_wrapper.optimize.states import replay, store

    try:
        rec = store.load(ctx.states)
    except store.StoreError as e:
        raise TrainingError(str(e)) from None
    # no value profiling: the replay fills the arc counters only
    workdir, cwd, gen, path = _instrumented(ctx, workdir, deadline, ("-fno-profile-values",))
    try:
        fn = asm.parse(gen).functions[ctx.name]
    except (asm.AsmError, KeyError):
        raise TrainingError(f"{ctx.name} is not in the instrumented unit") from None
    size = _counter_sizes(gen).get(ctx.name)
    if size is None:
        raise TrainingError(f"the instrumented unit has no counters for {ctx.name}")
    try:
        raw, ran = replay.train(ctx, fn.text(), f"__gcov0.{ctx.name}", size, rec, timeout=_left(deadline, 120.0))
    except replay.ReplayError as e:
        raise TrainingError(f"training on the recorded states: {e}") from None
    if not ran:
        raise TrainingError("the instrumented function returned on none of the recorded states")
    counts = list(struct.unpack(f"<{len(raw) // 8}Q", raw[: len(raw) // 8 * 8]))
    try:
        path.write_bytes(gcda(gen, {ctx.name: counts}))
    except OSError as e:
        raise TrainingError(f"cannot write the counters: {e}") from None
    return Profile(str(workdir), str(path), cwd, f"recorded states: {ran} calls")


# the unit's counters, one block in the patched program, and where the dumper appends them
_COUNTERS = "__llmcc_counters"
_COUNTERS_COMM = re.compile(r"^\s*\.comm\s+__gcov0\.([\w.$]+),(\d+)", re.MULTILINE)


def _counter_sizes(unit_text: str) -> dict[str, int]:
    """Bytes of each instrumented function's arc counters (`__gcov0.NAME`), by function."""
    return {m.group(1): int(m.group(2)) for m in _COUNTERS_COMM.finditer(unit_text)}


def _apart(text: str, name: str, i: int) -> str:
    """A function's standalone text with the names of what it carries (its local labels, its named
    constants, its cold part) made its own, so that the texts of a unit's functions assemble as
    one file."""
    from gcc_wrapper.optimize import dispatch, measure

    own = dispatch.defined_names(text.splitlines(), name)
    return measure.rename_symbols(text, own, f".Lt{i}_")


def train_on_workload(ctx: Context, workdir: Path, *, deadline: float | None = None) -> Profile:
    """Counters for ctx's whole unit from one run of the workload `llmcc profile` recorded
    (ctx.workload): the unit compiled with edge counters, every function of it linked into a
    copy of the profiled program (workload.patch_unit: each of the unit's functions the program
    has jumps to its instrumented copy, the counters in the same added segment), and the
    workload run on it in the judge's sandbox with counters_dump.c preloaded, which appends the
    counters to a file when the program exits. So gcc sees what the program did in every
    function of the unit, those inlined into ctx.name included. Raises TrainingError."""
    import struct
    import uuid

    from gcc_wrapper.compile import asm
    from gcc_wrapper.optimize import native, workload

    w = workload.load(ctx.workload) if ctx.workload else None
    if w is None:
        raise TrainingError("no workload to train on (`llmcc profile -- CMD` records one)")
    workdir, cwd, gen, path = _instrumented(ctx, workdir, deadline, ("-fno-profile-values",))
    try:
        functions = asm.parse(gen).functions
    except asm.AsmError as e:
        raise TrainingError(f"cannot read the instrumented unit: {e}") from None
    sizes = _counter_sizes(gen)
    if ctx.name not in sizes or ctx.name not in functions:
        raise TrainingError(f"the instrumented unit has no counters for {ctx.name}")
    # the unit's code: each function's own constants and tables (local labels, named constant
    # objects) renamed apart, for two functions may carry the same constant under the same name
    code = [n for n in functions if n in sizes]
    parts = [_apart(functions[n].text(), n, i) for i, n in enumerate(code)]
    # counters for every instrumented function, those gcc then inlined everywhere included (their
    # copies count in their own arrays)
    names = list(sizes)
    parts.append(f"\t.data\n\t.balign 64\n{_COUNTERS}:\n")
    parts += [f"__gcov0.{n}:\n\t.zero\t{sizes[n]}\n" for n in names]
    total = sum(sizes[n] for n in names)
    try:
        prog, where = workload.patch_unit(
            w.exe, ctx, "".join(parts), workdir / "train-program", workdir, entries=code, report=(_COUNTERS,)
        )
        dumper = native.build(
            "counters_dump.so", [Path(__file__).with_name("counters_dump.c")], ["-O2", "-shared", "-fPIC"]
        )
    except (workload.JudgeError, native.BuildError) as e:
        raise TrainingError(f"training on the workload: {e}") from None
    out = f".llmcc-counters-{uuid.uuid4().hex}"
    preload = " ".join(p for p in (str(dumper), os.environ.get("LD_PRELOAD", "")) if p)
    env = {
        "LD_PRELOAD": preload,
        "LLMCC_COUNTERS_EXE": str(prog),
        "LLMCC_COUNTERS_AT": f"{where[_COUNTERS]:x} {total}",
        "LLMCC_COUNTERS_OUT": os.path.join(os.path.realpath(w.cwd), out),
    }
    timeout = _left(deadline, workload.run_timeout(w))
    try:
        run = workload.run_once(w, prog, timeout, env=env, shown=(str(dumper),), collect=out)
    except workload.JudgeError as e:
        raise TrainingError(f"the training run: {e}") from None
    blob = run.collected
    if not blob or len(blob) % total:
        raise TrainingError(
            "the training run left no counters (the program did not exit through exit(), or is statically linked)"
        )
    raw = [0] * (total // 8)
    for k in range(0, len(blob), total):  # one block per process of the program that exited
        for i, c in enumerate(struct.unpack(f"<{total // 8}Q", blob[k : k + total])):
            raw[i] += c
    counts, at = {}, 0
    for n in names:
        counts[n] = raw[at // 8 : (at + sizes[n]) // 8]
        at += sizes[n]
    if not any(counts[ctx.name]):
        raise TrainingError(f"the workload never ran {ctx.name}")
    try:
        path.write_bytes(gcda(gen, counts))
    except OSError as e:
        raise TrainingError(f"cannot write the counters: {e}") from None
    return Profile(str(workdir), str(path), cwd, f"workload: `{' '.join(w.command)}`")


def _left(deadline: float | None, cap: float) -> float:
    from gcc_wrapper.optimize import measure

    return measure._remaining(deadline, cap, TrainingError, _MIN_TIME)


def _run(cmd: list[str], cwd: str, env: dict[str, str], deadline: float | None, what: str) -> str:
    from gcc_wrapper.optimize import measure

    return measure._run(cmd, cwd, deadline, what, env=env, error=TrainingError, least=_MIN_TIME)
