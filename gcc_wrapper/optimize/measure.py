"""How much faster a verified candidate is, measured so that the figure survives a noisy machine.

Two levels:

- Function level (`measure`): the baseline translation unit and the candidate's translation unit
  are assembled side by side into one harness process, their defined symbols renamed apart
  (`__llmcc_b_f`, `__llmcc_c_f`). The harness pins itself to one core, builds inputs in guarded
  buffers (an overrun faults instead of silently reading junk), and calls baseline and candidate
  alternately: each round times ten short slices of calls per side, interleaved b c c b b c ...,
  so that a burst of other load falls on both sides alike. Time is the thread's CPU time
  (CLOCK_THREAD_CPUTIME_ID: the process clock is tick-granular once RLIMIT_CPU arms a process
  timer, as the sandbox does), so the other work of a parallel build does not count against whichever side was unlucky.
  The harness is a fixed C file, timing_harness.c; only its per-signature part (harness_header:
  the two sides' declarations, how the arguments are filled and passed, which buffers a call may
  write) is generated, from the function's source.Prototype (`signature`; `parse_prototype` reads
  a declaration's text into one, source.parse_declaration).
- Program level (`measure_programs`, `measure_commands`): whole executables or commands, run
  alternately, each timed by the CPU time of its child processes (os.wait4's resource usage).

Both take a machine-wide lock (`measure.lock` in the cache directory) so that no two llmcc
processes time at once. A Measurement keeps every per-round figure; acceptance
(Measurement.faster_by) wants the median ratio above the threshold and no round slower.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from gcc_wrapper.optimize.candidate import Candidate, Context, Measurement
from gcc_wrapper.optimize.source import CType, Prototype
from gcc_wrapper.optimize.source import Param as SourceParam


class MeasureError(Exception):
    """The candidate could not be measured (unsupported prototype, build failure, crash)."""


class OutOfTime(MeasureError):
    """The deadline came before the measurement could be made: no verdict on the candidate."""


class BaselineUnmeasurable(MeasureError):
    """The harness cannot time even gcc's own version: no candidate of this function can be."""


# ---------------------------------------------------------------------------------------------
# Prototypes the function harness can drive


# The words of C's own arithmetic types: with STANDARD_TYPEDEFS, the spellings the harness's C can
# use for a parameter without the user's headers.
_C_ARITHMETIC = {"char", "short", "int", "long", "signed", "unsigned", "float", "double", "_Bool"}


@dataclass(frozen=True)
class Param:
    """One parameter as the timing harness feeds it: a scalar, or a pointer to a buffer of them."""

    ctype: str  # the C spelling of the scalar (for a pointer, of its elements)
    kind: str  # "int" | "float" | "ptr"
    scalar: str = "int"  # the scalar's (the element's) source.CType kind: "int" | "bool" | "float" | "double"
    size: int = 0  # its bytes
    signed: bool = False
    const: bool = False  # pointer to const: never written, never restored
    name: str = ""  # the parameter's name (source.Param's: arg<i> when the prototype gives none)


@dataclass(frozen=True)
class Signature:
    ret: str  # C spelling, "void" or a scalar
    ret_kind: str  # "void" | "int" | "float" | "ptr"
    params: tuple[Param, ...]


def signature(proto: Prototype) -> Signature:
    """The harness's view of a function's source.Prototype, if it can drive it: scalar arithmetic
    parameters and pointers to them or to void (one level), a result of those or void. Anything
    else raises MeasureError."""
    if proto.variadic:
        raise MeasureError(f"{proto.name} is variadic")
    r = proto.ret
    if r.kind == "void":
        ret, ret_kind = "void", "void"
    elif r.kind == "pointer":
        _element(r, f"return type {r.text}")
        ret, ret_kind = "void *", "ptr"
    else:
        s = _scalar(r)
        if s is None:
            raise MeasureError(f"return type not supported by the harness: {r.text}")
        ret, ret_kind = s.ctype, s.kind
    return Signature(ret, ret_kind, tuple(_param(p) for p in proto.params))


def parse_prototype(proto: str, name: str) -> Signature:
    """The harness's view of `name` from its C declaration alone (Context.prototype), read by
    source.parse_declaration; MeasureError when it cannot be read or driven."""
    from gcc_wrapper.optimize import source

    try:
        return signature(source.parse_declaration(proto, name))
    except source.SourceError as e:
        raise MeasureError(f"cannot read the prototype of {name}: {e}") from None


def _scalar(t: CType, name: str = "") -> Param | None:
    """t as a scalar the harness can generate and spell, or None."""
    from gcc_wrapper.optimize.source import STANDARD_TYPEDEFS

    if t.kind == "bool":
        return Param("_Bool", "int", "bool", 1, False, name=name)
    if t.kind not in ("int", "float", "double") or t.size not in (1, 2, 4, 8):
        return None
    if t.text not in STANDARD_TYPEDEFS and not set(t.text.split()) <= _C_ARITHMETIC:
        return None  # an enum, or a type of the user's headers
    return Param(t.text, "int" if t.kind == "int" else "float", t.kind, t.size, t.signed, name=name)


def _element(t: CType, shown: str) -> Param:
    """The element of the buffer a pointer type t points to (void: bytes); MeasureError if the
    harness cannot fill one."""
    e = t.pointee
    if e is None or e.kind == "funcptr":
        raise MeasureError(f"function pointer parameter not supported: {shown}")
    if e.kind == "pointer":
        raise MeasureError(f"pointer to pointer not supported: {shown}")
    if e.kind == "void":
        return Param("unsigned char", "ptr", "int", 1, False, e.const)
    s = _scalar(e)
    if s is None:
        raise MeasureError(f"pointer to {e.text!r} not supported by the harness")
    return Param(s.ctype, "ptr", s.scalar, s.size, s.signed, e.const)


def _param(p: SourceParam) -> Param:
    t = p.type
    shown = f"{t.text} {p.name}" if t.text != p.name else p.name  # an old-style parameter is its name alone
    if t.kind == "funcptr":
        raise MeasureError(f"function pointer parameter not supported: {shown}")
    if t.kind == "pointer":
        e = _element(t, shown)
        return Param(e.ctype, "ptr", e.scalar, e.size, e.signed, e.const, p.name)
    s = _scalar(t, p.name)
    if s is None:
        raise MeasureError(f"parameter type not supported by the harness: {shown}")
    return s


# ---------------------------------------------------------------------------------------------
# The harness


_NBUF = 1 << 20  # elements per pointer argument; a size argument V <= 1024 may index V*V of them
SIZES = (1024, 256, 64, 16)  # the value of every scalar argument, largest that runs quickly wins
CALL_MAX_S = 0.004  # a single call should take at most this long at the chosen size
_BATCH_S = 0.02  # each side's batch per round
_RECORDED_CALL_MAX_S = _BATCH_S / 2  # a recorded call slower than this is left out of the sample
_BUFFERS_MAX = 256 << 20  # bytes of all pointer buffers (pristine and working copies) together
# Code placement alone moved an identical function by 1.8x on this project's test machine, so each
# side is linked PLACEMENTS times (unit start at page + 16*k bytes) and the rounds cycle through
# them: a candidate must win at every placement, not just at the one it happened to get.
PLACEMENTS = 4
# Slices per side per round, alternated b c c b ...: see timing_harness.c.
SLICES = 10
# The harness's logic (beside this module), what it #includes from beside itself (the allowlist),
# and the name under which it #includes its per-signature part (harness_header).
TEMPLATE = Path(__file__).resolve().parent / "timing_harness.c"
TEMPLATE_INCLUDES = ("verify/seccomp.c",)
HEADER = "timing_signature.h"


def harness_header(name: str, sig: Signature, *, confine: bool = True) -> str:
    """The per-signature part of the timing harness, timing_signature.h: what timing_harness.c
    (whose comment says what each macro means) needs to know about `name` and its signature.
    confine: the system-call allowlist (verify/seccomp.c) goes on once the inputs are set up,
    before any function of the units runs (pgo's training run, which must write its counters,
    goes without)."""
    params = (
        ", ".join((f"{'const ' if p.const else ''}{p.ctype} *" if p.kind == "ptr" else p.ctype) for p in sig.params)
        or "void"
    )
    ptrs = [i for i, p in enumerate(sig.params) if p.kind == "ptr"]
    written = [i for i in ptrs if not sig.params[i].const]

    def fill(p: Param) -> str:
        if p.scalar in ("float", "double"):
            return "FILL_FLOAT"
        return "FILL_TEXT" if "char" in p.ctype else "FILL_SMALL"

    def gen(p: Param) -> str:
        return {"float": "GEN_FLOAT", "double": "GEN_FLOAT", "bool": "GEN_BOOL"}.get(p.scalar, "GEN_INT")

    result = {"void": "RESULT_VOID", "float": "RESULT_FLOAT", "ptr": "RESULT_POINTER"}.get(sig.ret_kind, "RESULT_INT")
    out = [
        f"/* the timing harness's per-signature part for {name}: {sig.ret} ({params}) */",
        f"#define CONFINE {int(confine)}",
        f"#define PLACEMENTS {PLACEMENTS}",
        f"#define SLICES {SLICES}",
        f"#define NBUF {_NBUF}",
        *(f"{sig.ret} __llmcc_{side}{k}_{name}({params});" for side in "bc" for k in range(PLACEMENTS)),
        f"typedef {sig.ret} (*fn_t)({params});",
        "#define BASELINES " + ", ".join(f"__llmcc_b{k}_{name}" for k in range(PLACEMENTS)),
        "#define CANDIDATES " + ", ".join(f"__llmcc_c{k}_{name}" for k in range(PLACEMENTS)),
        "#define POINTERS(X) " + " ".join(f"X({i}, {sig.params[i].ctype}, {fill(sig.params[i])})" for i in ptrs),
        "#define WRITTEN(X) " + " ".join(f"X({i})" for i in written),
        f"#define NWRITTEN {len(written)}",
        "#define SCALARS(X) "
        + " ".join(f"X({i}, {p.ctype}, {gen(p)})" for i, p in enumerate(sig.params) if p.kind != "ptr"),
        "#define ARGS(k) "
        + ", ".join(f"work{i}" if p.kind == "ptr" else f"arg{i}[k]" for i, p in enumerate(sig.params)),
        f"#define RESULT {result}",
    ]
    return "\n".join(line.rstrip() for line in out) + "\n"


def harness_object(
    compiler: str, name: str, sig: Signature, *, confine: bool = True, deadline: float | None = None
) -> Path:
    """The timing harness for `name`, compiled (not linked): timing_harness.c with its
    harness_header. Built once per content (the template, the header, what the template
    includes) and compiler (native.build), so the candidates of one function share it; the units
    to time are linked with it (link_and_calibrate, pgo.train)."""
    import hashlib

    from gcc_wrapper.compile.files import write_atomic
    from gcc_wrapper.optimize import native

    header = harness_header(name, sig, confine=confine)
    # the header's directory is named by its content: the -iquote flag, part of native.build's
    # key, is then the same for every build of this header
    d = native.work_root() / "timing" / hashlib.blake2b(header.encode(), digest_size=12).hexdigest()
    _remaining(deadline, 60.0)
    try:
        if not (d / HEADER).exists():
            d.mkdir(parents=True, exist_ok=True)
            write_atomic(d / HEADER, header)
        return native.build(
            "timing_harness.o",
            [TEMPLATE],
            ["-O2", "-iquote", str(d)],
            cc=compiler,
            compile_only=True,
            includes=[d / HEADER, *(TEMPLATE.parent / f for f in TEMPLATE_INCLUDES)],
        )
    except (native.BuildError, OSError, subprocess.TimeoutExpired) as e:
        raise MeasureError(f"build the harness failed: {e}") from None


@dataclass(frozen=True)
class RecordedInputs:
    """Recorded calls of one function, as the harness takes them: per call, the bit pattern of
    each scalar parameter (in order), read from the argument registers of the SysV x86-64 ABI and
    cut to the parameter's type, as the callee sees it."""

    calls: tuple[tuple[int, ...], ...]
    params: tuple[Param, ...]  # the scalar parameters, in order

    def write(self, path: Path, nbuf: int, extents: Sequence[int], keep: Sequence[int] | None = None) -> None:
        """The harness's CALLS file: these calls (or those at the indices `keep`), `nbuf` elements
        per pointer buffer, `extents` bytes restored before each call (-1: the whole buffer)."""
        rows = self.calls if keep is None else [self.calls[k] for k in keep]
        lines = [f"{len(rows)} {nbuf}", " ".join(str(int(e)) for e in extents)]
        lines += [" ".join(f"{b:x}" for b in row) for row in rows]
        path.write_text("\n".join(lines) + "\n")

    def values(self, j: int, keep: Sequence[int] | None = None) -> list[int | float]:
        """The values of scalar parameter j in the calls (those at `keep`)."""
        rows = self.calls if keep is None else [self.calls[k] for k in keep]
        return [_value(self.params[j], row[j]) for row in rows]

    def describe(self, keep: Sequence[int] | None = None) -> str:
        """`N calls, n=777` -- what a Measurement says about its inputs."""
        n = len(self.calls) if keep is None else len(keep)
        parts = [f"{n} calls"]
        for j, p in enumerate(self.params):
            distinct = sorted(set(self.values(j, keep)))
            shown = (
                "|".join(_fmt(v) for v in distinct)
                if len(distinct) <= 3
                else f"{_fmt(distinct[0])}..{_fmt(distinct[-1])} ({len(distinct)} values)"
            )
            parts.append(f"{p.name}={shown}")
        return ", ".join(parts)


def _value(p: Param, bits: int) -> int | float:
    import struct

    if p.scalar == "float":
        return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]
    if p.scalar == "double":
        return struct.unpack("<d", struct.pack("<Q", bits & (2**64 - 1)))[0]
    width = 8 * p.size
    if p.signed and bits >> (width - 1) & 1:
        return bits - (1 << width)
    return bits


def _fmt(v: int | float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def recorded_inputs(sig: Signature, rec) -> RecordedInputs | None:
    """The scalar arguments of recorded calls (hot.RecordedCalls) for this signature, or None when
    one of its scalar parameters is not passed in a register (the recording has only those).
    Integer-class parameters take rdi, rsi, rdx, rcx, r8, r9 in order, floating ones xmm0-xmm7;
    a value is cut to its type's width (the ABI leaves the upper bits of a narrow argument
    undefined), a _Bool to 0 or 1."""
    gp = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"]
    xmm = [f"xmm{i}" for i in range(8)]
    where: list[int] = []  # per scalar parameter, its register's position in rec.registers
    scalars: list[Param] = []
    for p in sig.params:
        bank = xmm if p.kind == "float" else gp
        reg = bank.pop(0) if bank else None
        if p.kind == "ptr":
            continue
        if reg is None or reg not in rec.registers:
            return None
        where.append(rec.registers.index(reg))
        scalars.append(p)
    calls = []
    for row in rec.calls:
        vals = []
        for pos, p in zip(where, scalars):
            bits = int(row[pos])
            if p.scalar == "bool":
                bits = 1 if bits & 0xFF else 0
            else:
                bits &= (1 << (8 * p.size)) - 1
            vals.append(bits)
        calls.append(tuple(vals))
    if not calls or not scalars:
        return None  # no scalar parameter: nothing recorded to use
    return RecordedInputs(tuple(calls), tuple(scalars))


@dataclass(frozen=True)
class Harness:
    exe: Path
    size: int  # the scalar argument value chosen (generated), or the bound of buffer elements (recorded)
    reps: int  # calls per side per round
    inputs: str = "generated"  # "recorded" (the workload's own calls) | "generated"
    detail: str = ""  # what the inputs were: "size 1024", "256 calls, n=777"
    calls: Path | None = None  # the CALLS file of recorded inputs

    def to_json(self) -> dict:
        return {
            "exe": str(self.exe),
            "size": self.size,
            "reps": self.reps,
            "inputs": self.inputs,
            "detail": self.detail,
            "calls": str(self.calls) if self.calls else "",
        }

    @classmethod
    def from_json(cls, j: dict) -> "Harness":
        return cls(
            Path(j["exe"]),
            int(j["size"]),
            int(j["reps"]),
            str(j.get("inputs", "generated")),
            str(j.get("detail", "")),
            Path(j["calls"]) if j.get("calls") else None,
        )


def build_harness(
    ctx: Context, cand: Candidate, workdir: Path, *, deadline: float | None = None, recorded=None
) -> Harness:
    """Assemble baseline and candidate units, rename them apart, link them with the harness and
    calibrate the input size and repetitions on the baseline. `recorded`: hot.RecordedCalls of
    the function, used as its scalar inputs where the baseline runs cleanly on them."""
    from gcc_wrapper.compile import asm

    sig = parse_prototype(ctx.prototype, ctx.name) if ctx.prototype else None
    if sig is None:
        raise MeasureError(f"no prototype for {ctx.name}")
    if "." in ctx.name:
        raise MeasureError(f"{ctx.name} is a compiler-made clone; its calling convention is gcc's own")
    try:
        unit = asm.parse(ctx.unit_asm)
        cand_unit = unit.replace(ctx.name, cand.asm).render()
    except asm.AsmError as e:
        raise MeasureError(f"cannot put the candidate into its unit: {e}") from None
    return link_and_calibrate(
        ctx.compiler, ctx.name, sig, ctx.unit_asm, cand_unit, workdir, deadline=deadline, recorded=recorded
    )


def link_and_calibrate(
    compiler: str,
    name: str,
    sig: Signature,
    base_unit: str,
    cand_unit: str,
    workdir: Path,
    *,
    deadline: float | None = None,
    recorded=None,
) -> Harness:
    """The harness for two whole-unit assemblies of `name`, calibrated on the baseline: on the
    recorded calls (hot.RecordedCalls) when there are any the baseline runs quickly and cleanly
    on, else on generated inputs."""
    globals_ = _global_symbols(base_unit) | _global_symbols(cand_unit) | {name}
    parts = []
    for side, text in (("b", base_unit), ("c", cand_unit)):
        for k in range(PLACEMENTS):
            tag = f"{side}{k}"
            s = workdir / f"{tag}.s"
            # the unit starts on a page boundary plus k*16 bytes: both sides see the same placements
            s.write_text(
                f"\t.text\n\t.p2align 12\n\t.skip {16 * k}\n"
                + rename_symbols(text, globals_, f"__llmcc_{tag}_")
                + f"\t.globl\t__llmcc_{tag}_{name}\n"
            )
            parts.append(str(s))
    obj = harness_object(compiler, name, sig, deadline=deadline)
    exe = workdir / "harness"
    _run(
        [compiler, "-O2", str(obj), *parts, "-o", str(exe), "-lm", "-Wl,--unresolved-symbols=ignore-all"],
        workdir,
        deadline,
        "build the harness",
    )
    why = ""
    if recorded is not None:
        inputs = recorded_inputs(sig, recorded)
        if inputs is None:
            why = "the recorded calls do not fit the prototype"
        else:
            h = calibrate_recorded(exe, sig, inputs, deadline)
            if isinstance(h, Harness):
                return h
            why = h
    for size in SIZES:
        res = _sandboxed([str(exe), str(size), "0", "0"], workdir, timeout=5.0, deadline=deadline)
        if res is None:
            continue
        try:
            once = float(res.strip().split()[0])
        except (ValueError, IndexError):
            continue
        if once <= CALL_MAX_S:
            reps = max(1, min(10_000_000, round(_BATCH_S / max(once, 1e-9))))
            return Harness(
                exe, size, reps, "generated", f"size {size}" + (f"; recorded calls unused: {why}" if why else "")
            )
    raise BaselineUnmeasurable(f"the baseline {name} does not run quickly and cleanly on generated inputs")


def calibrate_recorded(exe: Path, sig: Signature, inputs: RecordedInputs, deadline: float | None) -> Harness | str:
    """The harness `exe` (harness_object linked with the units) on the recorded calls that the baseline,
    alone in the sandbox, runs cleanly and in under _RECORDED_CALL_MAX_S each; or why there are
    none. The Harness's size and calls file are the arguments of its runs: `exe SIZE REPS ROUNDS
    CALLS` (REPS 0: calibration, which is also a run of every call kept)."""
    ptrs = [p for p in sig.params if p.kind == "ptr"]
    ints = [j for j, p in enumerate(inputs.params) if p.kind == "int"]
    # the buffers cover every recorded size, and its square where that is affordable (a size may
    # be a matrix's side), within _BUFFERS_MAX; a call that still overruns faults and is left out
    per_element = 2 * sum(p.size for p in ptrs) or 1
    cap = max(_NBUF, _BUFFERS_MAX // per_element)
    biggest = max((v for j in ints for v in inputs.values(j) if 0 < v <= cap), default=0)
    nbuf = max(_NBUF, min(cap, biggest + 1))
    if 0 < biggest and biggest * biggest <= cap:
        nbuf = max(nbuf, biggest * biggest)
    # buffer elements below the smallest typical size: valid indices for whatever that size bounds
    typical = [statistics.median(pos) for j in ints if (pos := [v for v in inputs.values(j) if 0 < v <= nbuf])]
    bound = int(max(2, min(typical))) if typical else 1024
    # each distinct call is probed once (a workload often repeats one size)
    distinct = list(dict.fromkeys(inputs.calls))
    first = [inputs.calls.index(c) for c in distinct]
    calls = exe.parent / "calls.txt"
    inputs.write(calls, nbuf, [-1] * len(ptrs), first)
    out = _sandboxed(
        [str(exe), str(bound), "-1", "0", str(calls)],
        exe.parent,
        timeout=min(60.0, 5 + 0.05 * len(distinct)),
        deadline=deadline,
    )
    if out is None:
        return "the probe of the recorded calls failed"
    written = [j for j, p in enumerate(ptrs) if not p.const]
    good: set[tuple[int, ...]] = set()
    extents = [0] * len(ptrs)
    for line in out.splitlines():
        f = line.split()
        try:
            k, t, ext = int(f[0]), float(f[1]), [int(x) for x in f[2:]]
        except (ValueError, IndexError):
            continue
        if t > _RECORDED_CALL_MAX_S or len(ext) != len(written) or not 0 <= k < len(distinct):
            continue
        good.add(distinct[k])
        for j, e in zip(written, ext):
            extents[j] = max(extents[j], e)
    keep = [k for k, c in enumerate(inputs.calls) if c in good]
    if not keep:
        return f"none of the {len(inputs.calls)} ran cleanly in under {_RECORDED_CALL_MAX_S * 1000:g} ms"
    inputs.write(calls, nbuf, extents, keep)
    res = _sandboxed([str(exe), str(bound), "0", "0", str(calls)], exe.parent, timeout=5.0, deadline=deadline)
    try:
        once = float((res or "").strip().split()[0])
    except (ValueError, IndexError):
        return "the calibration on the recorded calls failed"
    reps = max(1, min(10_000_000, round(_BATCH_S / max(once, 1e-9))))
    return Harness(exe, bound, reps, "recorded", inputs.describe(keep), calls)


def measure(
    ctx: Context,
    cand: Candidate,
    *,
    rounds: int = 8,
    lock_dir: Path,
    deadline: float | None = None,
    workdir: Path | None = None,
    recorded=None,
) -> Measurement:
    """Time candidate against baseline with the function harness: `rounds` interleaved rounds of
    CPU time, taken under the machine-wide measurement lock. lock_dir is the cache directory: the
    lock is there, and so are the profiles whose recorded calls of the function (hot.recorded_calls)
    are its inputs, unless `recorded` gives them (hot.RecordedCalls, or False for generated inputs).
    With a workdir, the harness built for this candidate is kept there and reused by a later call
    (the re-measurement of a winner).

    When the workload's calls of the function were recorded (ctx.states), both versions are timed
    on those calls, replayed (states/replay.py): what is measured is what the program does, and
    no prototype is needed. Generated inputs are the fallback when there are none or they cannot
    be replayed."""
    if ctx.states and recorded is not False:
        replayed = measure_states(ctx, cand, rounds=rounds, lock_dir=lock_dir, deadline=deadline)
        if replayed is not None:
            return replayed
    if recorded is None:
        from gcc_wrapper.optimize import hot

        recorded = hot.recorded_calls(Path(lock_dir), ctx.cwd or None, ctx.name)
    recorded = recorded or None
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="llmcc-measure-") as tmp:
            h = build_harness(ctx, cand, Path(tmp), deadline=deadline, recorded=recorded)
            return time_harness(h, rounds, lock_dir=lock_dir, deadline=deadline)
    d = Path(workdir) / cand.id
    info = d / "harness.json"
    if info.exists():
        h = Harness.from_json(json.loads(info.read_text()))
    else:
        d.mkdir(parents=True, exist_ok=True)
        h = build_harness(ctx, cand, d, deadline=deadline, recorded=recorded)
        info.write_text(json.dumps(h.to_json()))
    return time_harness(h, rounds, lock_dir=lock_dir, deadline=deadline)


# A timing run on recorded calls is not started with less time than this left (the replayer
# loads every state and links eight images first); the search keeps at least this much back for
# re-measuring its winner.
STATES_LEAST = 2.0


def measure_states(
    ctx: Context, cand: Candidate, *, rounds: int, lock_dir: Path, deadline: float | None = None
) -> Measurement | None:
    """Both versions timed on the workload's recorded calls of the function (states/replay.py), or
    None when they cannot be replayed (the caller falls back to generated inputs)."""
    from gcc_wrapper.optimize.states import replay, store
    from gcc_wrapper.optimize.verify import static

    try:
        rec = store.load(ctx.states)
    except store.StoreError:
        return None
    if not rec.functions.get(ctx.name) or not rec.functions[ctx.name].states:
        return None
    with tempfile.TemporaryDirectory(prefix="llmcc-measure-") as tmp:
        obj = Path(tmp) / "cand.o"
        err = static.assemble(cand.asm, obj, None)
        if err:
            raise MeasureError(f"the candidate does not assemble: {err}")
        try:
            with measurement_lock(lock_dir, deadline=deadline):
                timeout = _remaining(deadline, 300.0, least=STATES_LEAST)
                base, cand_t, note = replay.time_states(ctx, obj, rec, rounds=rounds, timeout=timeout)
        except replay.ReplayError:
            return None
    return summarize(f"replayed cycles ({note})", [float(b) for b in base], [float(c) for c in cand_t])


def measure_units(
    compiler: str,
    name: str,
    prototype: str,
    base_unit: str,
    cand_unit: str,
    *,
    rounds: int = 8,
    lock_dir: Path,
    deadline: float | None = None,
    recorded=None,
) -> Measurement:
    """Like measure, for two whole translation-unit assemblies that both define `name`; inputs
    recorded only when given (hot.RecordedCalls)."""
    sig = parse_prototype(prototype, name)
    with tempfile.TemporaryDirectory(prefix="llmcc-measure-") as tmp:
        h = link_and_calibrate(
            compiler, name, sig, base_unit, cand_unit, Path(tmp), deadline=deadline, recorded=recorded
        )
        return time_harness(h, rounds, lock_dir=lock_dir, deadline=deadline)


def time_harness(h: Harness, rounds: int, *, lock_dir: Path, deadline: float | None = None) -> Measurement:
    with measurement_lock(lock_dir, deadline=deadline):
        expected = 5 + (rounds + PLACEMENTS) * _BATCH_S * 25  # room for a candidate ~20x slower
        cmd = [str(h.exe), str(h.size), str(h.reps), str(rounds), *([str(h.calls)] if h.calls else [])]
        out = _sandboxed(cmd, h.exe.parent, timeout=expected, deadline=deadline)
    if out is None:
        raise MeasureError("the harness failed while timing (crash or time limit)")
    base, cand_t = [], []
    for line in out.strip().splitlines():
        b, c = line.split()
        base.append(float(b))
        cand_t.append(float(c))
    if len(base) != rounds:
        raise MeasureError("the harness printed an incomplete set of rounds")
    return summarize(f"function-harness cpu-time ({h.inputs} inputs: {h.detail}; {h.reps} calls/round)", base, cand_t)


def summarize(method: str, base: Sequence[float], cand: Sequence[float]) -> Measurement:
    """Per-round ratios baseline/candidate: their median is the speedup, their range the spread."""
    ratios = [b / c if c > 0 else float("inf") for b, c in zip(base, cand)]
    if not ratios:
        raise MeasureError("no rounds measured")
    return Measurement(
        method=method,
        baseline=tuple(base),
        candidate=tuple(cand),
        speedup=statistics.median(ratios),
        spread=(min(ratios), max(ratios)),
        rounds=len(ratios),
    )


# ---------------------------------------------------------------------------------------------
# Program level


def measure_programs(
    base_exe: str | Path,
    cand_exe: str | Path,
    inputs: Sequence[bytes],
    rounds: int,
    *,
    args: Sequence[str] = (),
    lock_dir: Path | None = None,
    timeout: float = 60.0,
    cwd: str | Path | None = None,
) -> Measurement:
    """Run both executables on every input, alternately (the order flips each round), and compare
    the CPU time (user + system) of the child processes."""
    cmds = ([str(base_exe), *args], [str(cand_exe), *args])
    return _interleaved(cmds, list(inputs) or [b""], rounds, lock_dir, timeout, cwd, "program cpu-time")


def measure_commands(
    base_cmd: str,
    cand_cmd: str,
    rounds: int,
    *,
    cwd: str | Path | tuple[str | Path, str | Path],
    lock_dir: Path | None = None,
    timeout: float = 600.0,
    stdin: bytes = b"",
) -> Measurement:
    """Program level for a project's benchmark or test command (run through the shell): CPU time
    of the command and everything it waited for. cwd: one directory, or (baseline's, candidate's);
    stdin: what both read (the sandbox shows no file of the caller's /tmp)."""
    cmds = (["/bin/sh", "-c", base_cmd], ["/bin/sh", "-c", cand_cmd])
    return _interleaved(cmds, [stdin], rounds, lock_dir, timeout, cwd, f"command cpu-time: {base_cmd}")


def measure_project(
    ctx: Context, cand: Candidate, bench: str, *, rounds: int = 5, lock_dir: Path, deadline: float | None = None
) -> Measurement:
    """Program level for one function: two private copies of the project (ctx.cwd), built by the
    `bench` command with gcc's version and with the candidate in place (the verifier's compiler
    shim), then `bench` timed in both, interleaved. For functions the harness cannot drive."""
    from gcc_wrapper.optimize.verify import project_tests as tests

    limit = _remaining(deadline, 600.0)
    try:
        with tests.built(ctx, ctx.baseline_asm, bench, limit) as (rb, base_copy):
            with tests.built(ctx, cand.asm, bench, _remaining(deadline, 600.0)) as (rc, cand_copy):
                if rb.returncode != 0 or rc.returncode != 0 or rb.timed_out or rc.timed_out:
                    raise MeasureError(f"`{bench}` failed in a copy of the project")
                # the verifier dates the copied source in the future so that the build recompiles
                # it; put it back in the past, or every timed run would rebuild it (without the
                # candidate, and timing the compiler)
                rel = os.path.relpath(os.path.realpath(ctx.source_path), os.path.realpath(ctx.cwd or os.getcwd()))
                for copy in (base_copy, cand_copy):
                    os.utime(Path(copy) / rel, (time.time() - 3600, time.time() - 3600))
                per_run = max(rb.wall, rc.wall, 0.1)
                if deadline is not None and time.monotonic() + per_run * 2 * rounds > deadline:
                    rounds = max(3, int((deadline - time.monotonic()) / (per_run * 2)))
                return measure_commands(
                    bench, bench, rounds, cwd=(base_copy, cand_copy), lock_dir=lock_dir, timeout=max(10.0, per_run * 5)
                )
    except tests.TestsUnavailable as e:
        raise MeasureError(str(e)) from None


def _interleaved(cmds, inputs, rounds, lock_dir, timeout, cwd, method) -> Measurement:
    base: list[float] = []
    cand: list[float] = []
    lock = measurement_lock(lock_dir) if lock_dir is not None else _nolock()
    with lock:
        for r in range(rounds):
            times = [0.0, 0.0]
            for s in range(2):
                side = s ^ (r & 1)
                where = cwd[side] if isinstance(cwd, tuple) else cwd
                for data in inputs:
                    times[side] += cpu_time_of(cmds[side], stdin=data, timeout=timeout, cwd=where)
            base.append(times[0])
            cand.append(times[1])
    return summarize(method, base, cand)


def cpu_time_of(
    cmd: Sequence[str], *, stdin: bytes = b"", timeout: float = 60.0, cwd: str | Path | None = None
) -> float:
    """User + system CPU seconds of one run of cmd (and its waited-for descendants); raises
    MeasureError when it fails or exceeds the timeout. The child (it may be a candidate's build,
    already verified) runs in the sandbox (sandbox.timed), whatever it leaves running is killed
    when it is done, and wait4 inside the sandbox gives its own CPU time, exactly, whatever else
    runs: the sandbox's setup is not charged to it (that would be a constant on both sides that
    pulls every ratio towards 1)."""
    from gcc_wrapper.optimize.verify import sandbox

    r = sandbox.timed(cmd, stdin=stdin, timeout=timeout, cwd=cwd, memory_bytes=PROGRAM_MEMORY, fsize_bytes=1 << 30)
    if r.timed_out:
        raise MeasureError(f"{cmd[0]} exceeded {timeout:.0f} s")
    if r.error or r.returncode != 0:
        raise MeasureError(f"{' '.join(cmd)} {r.error or f'exited with status {r.returncode}'}")
    return r.cpu


# Address-space limit of a timed program or benchmark command (a whole project's `make bench` may
# run a compiler and a linker under it).
PROGRAM_MEMORY = 8 << 30


# ---------------------------------------------------------------------------------------------
# Helpers


_GLOBL = re.compile(r"^\s*\.(?:globl|global|weak)\s+([\w.$]+)", re.M)
_INSN = re.compile(r"^(\s+)([^\s.][^\s]*)(.*)$")


def _global_symbols(text: str) -> set[str]:
    return set(_GLOBL.findall(text))


def rename_symbols(text: str, names: set[str], prefix: str) -> str:
    """`text` with every symbol in `names` renamed prefix+name: in labels, directives and operands,
    never inside string literals, and never an instruction's mnemonic (a function may be called
    `add`)."""
    if not names:
        return text
    pat = re.compile(
        r"(?<![\w.$%])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![\w.$])"
    )

    def sub(part: str) -> str:
        # even pieces are outside double quotes
        pieces = re.split(r'("(?:[^"\\]|\\.)*")', part)
        return "".join(p if i % 2 else pat.sub(lambda m: prefix + m.group(1), p) for i, p in enumerate(pieces))

    out = []
    for line in text.splitlines():
        m = _INSN.match(line)
        if m and not m.group(2).endswith(":"):
            out.append(m.group(1) + m.group(2) + sub(m.group(3)))
        else:
            out.append(sub(line))
    return "\n".join(out) + "\n"


class _nolock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def measurement_lock(lock_dir: Path, *, deadline: float | None = None):
    """The machine-wide lock: only one llmcc process times at once. Waits at most until the
    deadline (MeasureError after that)."""
    from filelock import FileLock, Timeout

    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_dir / "measure.lock"))
    wait = -1 if deadline is None else max(0.0, deadline - time.monotonic())

    class _Held:
        def __enter__(self):
            try:
                lock.acquire(timeout=wait)
            except Timeout:
                raise MeasureError("the measurement lock stayed busy until the deadline") from None
            return self

        def __exit__(self, *exc):
            lock.release()
            return False

    return _Held()


def _late(error: type[Exception], message: str) -> Exception:
    """The deadline's error: OutOfTime where the caller's kind is MeasureError (the search tells
    it from a failed measurement), else the caller's own kind."""
    return OutOfTime(message) if error is MeasureError else error(message)


def _remaining(deadline: float | None, cap: float, error: type[Exception] = MeasureError, least: float = 0.0) -> float:
    """Seconds a step may take: `cap`, or less when the deadline is nearer; raises `error` when
    fewer than `least` are left."""
    if deadline is None:
        return cap
    left = deadline - time.monotonic()
    if left <= least:
        raise _late(error, "out of time")
    return min(cap, left)


def _run(
    cmd: list[str],
    cwd: str | Path,
    deadline: float | None,
    what: str,
    *,
    env: dict[str, str] | None = None,
    error: type[Exception] = MeasureError,
    least: float = 0.0,
) -> str:
    """Run a build step (gcc, the linker) to its end within the deadline; its stdout. Raises
    `error` saying `what` failed and why (the end of its stderr)."""
    try:
        p = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, timeout=_remaining(deadline, 60.0, error, least), check=False
        )
    except subprocess.TimeoutExpired:
        raise _late(error, f"{what}: out of time") from None
    except OSError as e:
        raise error(f"{what}: {e}") from None
    if p.returncode != 0:
        raise error(f"{what} failed: {p.stderr.decode(errors='replace').strip()[-400:]}")
    return p.stdout.decode("utf-8", "surrogateescape")


def _sandboxed(cmd: list[str], cwd: Path, *, timeout: float, deadline: float | None) -> str | None:
    """Run harness code (the user's function on generated inputs) confined like difftest runs it;
    its stdout, or None when it failed."""
    from gcc_wrapper.optimize.verify import sandbox

    t = _remaining(deadline, timeout)
    res = sandbox.run(cmd, cwd=str(cwd), timeout=t, cpu_seconds=t + 1, memory_bytes=1 << 30, reads=())
    if res.returncode != 0 or res.timed_out:
        return None
    return res.stdout.decode(errors="replace")
