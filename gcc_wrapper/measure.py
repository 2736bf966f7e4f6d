"""How much faster a verified candidate is, measured so that the figure survives a noisy machine.

Two levels:

- Function level (`measure`): the baseline translation unit and the candidate's translation unit
  are assembled side by side into one harness process, their defined symbols renamed apart
  (`__llmcc_b_f`, `__llmcc_c_f`). The harness pins itself to one core, builds inputs in guarded
  buffers (an overrun faults instead of silently reading junk), and calls baseline and candidate
  alternately: each round times a batch of many short calls of one side, then of the other, the
  order flipping every round. Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: the process
  clock is tick-granular once RLIMIT_CPU arms a process timer, as the sandbox does), so the
  other work of a parallel build does not count against whichever side was unlucky.
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

from gcc_wrapper.candidate import Candidate, Context, Measurement


class MeasureError(Exception):
    """The candidate could not be measured (unsupported prototype, build failure, crash)."""


class BaselineUnmeasurable(MeasureError):
    """The harness cannot time even gcc's own version: no candidate of this function can be."""


# ---------------------------------------------------------------------------------------------
# Prototypes the function harness can drive


_SCALARS = {
    # C type words (qualifiers removed) -> (kind, C spelling used in the harness)
    "char": ("int", "char"),
    "signed char": ("int", "signed char"),
    "unsigned char": ("int", "unsigned char"),
    "short": ("int", "short"),
    "short int": ("int", "short"),
    "unsigned short": ("int", "unsigned short"),
    "unsigned short int": ("int", "unsigned short"),
    "int": ("int", "int"),
    "signed": ("int", "int"),
    "signed int": ("int", "int"),
    "unsigned": ("int", "unsigned"),
    "unsigned int": ("int", "unsigned"),
    "long": ("int", "long"),
    "long int": ("int", "long"),
    "signed long": ("int", "long"),
    "unsigned long": ("int", "unsigned long"),
    "unsigned long int": ("int", "unsigned long"),
    "long long": ("int", "long long"),
    "long long int": ("int", "long long"),
    "unsigned long long": ("int", "unsigned long long"),
    "unsigned long long int": ("int", "unsigned long long"),
    "_Bool": ("int", "_Bool"),
    "bool": ("int", "_Bool"),
    "float": ("float", "float"),
    "double": ("float", "double"),
    "size_t": ("int", "size_t"),
    "ssize_t": ("int", "long"),
    "ptrdiff_t": ("int", "ptrdiff_t"),
    "intptr_t": ("int", "intptr_t"),
    "uintptr_t": ("int", "uintptr_t"),
    **{f"{u}int{b}_t": ("int", f"{u}int{b}_t") for u in ("", "u") for b in (8, 16, 32, 64)},
}
_QUALIFIERS = {"const", "volatile", "restrict", "__restrict", "__restrict__", "register", "static", "inline", "extern"}


@dataclass(frozen=True)
class Param:
    ctype: str  # scalar C spelling (the element type for pointers)
    kind: str  # "int" | "float" | "ptr"
    elem_kind: str = ""  # for pointers: "int" | "float"
    const: bool = False  # pointer to const: never written, never restored


@dataclass(frozen=True)
class Signature:
    ret: str  # C spelling, "void" or a scalar
    ret_kind: str  # "void" | "int" | "float" | "ptr"
    params: tuple[Param, ...]


def parse_prototype(proto: str, name: str) -> Signature:
    """The signature of `name` from a C declaration, if the harness can drive it: scalar arithmetic
    parameters and pointers to them (one level). Anything else raises MeasureError."""
    text = re.sub(r"/\*.*?\*/", " ", proto, flags=re.S)
    text = re.sub(r"__attribute__\s*\(\(.*?\)\)", " ", text).strip().rstrip(";{ \n")
    m = re.match(r"^(.*?)\b" + re.escape(name) + r"\s*\((.*)\)\s*$", text, re.S)
    if not m:
        raise MeasureError(f"cannot read the prototype of {name}: {proto!r}")
    ret_words, params_text = m.group(1), m.group(2).strip()
    ret = _param(ret_words + " __ret", allow_void=True)
    if ret.kind == "ptr":
        ret_c, ret_kind = "void *", "ptr"
    else:
        ret_c, ret_kind = ret.ctype, ret.kind
    params: list[Param] = []
    if params_text not in ("", "void"):
        for p in params_text.split(","):
            if "..." in p:
                raise MeasureError(f"{name} is variadic")
            params.append(_param(p, allow_void=False))
    return Signature(ret_c, ret_kind, tuple(params))


def _param(text: str, *, allow_void: bool) -> Param:
    t = text.strip()
    if "(" in t:
        raise MeasureError(f"function pointer parameter not supported: {text.strip()!r}")
    depth = t.count("*") + t.count("[")
    t = re.sub(r"\[[^\]]*\]", " ", t).replace("*", " ")
    words = [w for w in t.split() if w not in _QUALIFIERS]
    const = bool(re.search(r"\bconst\b", text.split("*")[0])) if depth else False
    if len(words) >= 2 and (" ".join(words) not in _SCALARS):
        words = words[:-1]  # drop the parameter's name
    base = " ".join(words)
    if depth == 0:
        if base == "void" and allow_void:
            return Param("void", "void")
        if base not in _SCALARS:
            raise MeasureError(f"parameter type not supported by the harness: {text.strip()!r}")
        kind, c = _SCALARS[base]
        return Param(c, kind)
    if depth > 1:
        raise MeasureError(f"pointer to pointer not supported: {text.strip()!r}")
    if base == "void":
        return Param("unsigned char", "ptr", "int", const)
    if base not in _SCALARS:
        raise MeasureError(f"pointer to {base!r} not supported by the harness")
    kind, c = _SCALARS[base]
    return Param(c, "ptr", kind, const)


# ---------------------------------------------------------------------------------------------
# The harness


_NBUF = 1 << 20  # elements per pointer argument; a size argument V <= 1024 may index V*V of them
_SIZES = (1024, 256, 64, 16)  # the value of every scalar argument, largest that runs quickly wins
_CALL_MAX_S = 0.004  # a single call should take at most this long at the chosen size
_BATCH_S = 0.02  # each side's batch per round
# Code placement alone moved an identical function by 1.8x on this project's test machine, so each
# side is linked PLACEMENTS times (unit start at page + 16*k bytes) and the rounds cycle through
# them: a candidate must win at every placement, not just at the one it happened to get.
PLACEMENTS = 4


def harness_source(name: str, sig: Signature) -> str:
    """C source of the harness: `h V REPS ROUNDS` prints one `base cand` CPU-seconds line per round
    (REPS calls per side per round); `h V 0 0` calls the baseline once and prints its CPU time."""
    decl_params = ", ".join(
        (f"{'const ' if p.const else ''}{p.ctype} *" if p.kind == "ptr" else p.ctype) for p in sig.params
    ) or "void"
    out: list[str] = [
        "#define _GNU_SOURCE",
        "#include <sched.h>",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "#include <string.h>",
        "#include <sys/mman.h>",
        "#include <time.h>",
        "#include <unistd.h>",
        *(f"{sig.ret} __llmcc_{side}{k}_{name}({decl_params});" for side in "bc" for k in range(PLACEMENTS)),
        f"typedef {sig.ret} (*fn_t)({decl_params});",
        "static fn_t fb[] = {" + ", ".join(f"__llmcc_b{k}_{name}" for k in range(PLACEMENTS)) + "};",
        "static fn_t fc[] = {" + ", ".join(f"__llmcc_c{k}_{name}" for k in range(PLACEMENTS)) + "};",
        "static volatile unsigned long long sink;",
        "static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);"
        " return t.tv_sec + t.tv_nsec * 1e-9; }",
        # data at the end of the mapping, a PROT_NONE page right after it: overruns fault
        "static void *guarded(size_t bytes) { size_t pg = (size_t)sysconf(_SC_PAGESIZE);"
        " size_t len = (bytes + pg - 1) / pg * pg; char *m = mmap(0, len + pg, PROT_READ | PROT_WRITE,"
        " MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); if (m == MAP_FAILED) exit(3);"
        " mprotect(m + len, pg, PROT_NONE); return m + len - bytes; }",
        "static unsigned long long rng = 0x9e3779b97f4a7c15ull;",
        "static unsigned long long next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }",
    ]
    ptrs = [i for i, p in enumerate(sig.params) if p.kind == "ptr"]
    for i in ptrs:
        p = sig.params[i]
        out.append(f"static {p.ctype} *pristine{i}, *work{i}; static size_t extent{i};")
    # the scalar arguments of successive calls: the size value and up to half below it (in bounds
    # wherever the size itself is), so that branches see varied inputs as in a real workload
    out.append("static long vals[256];")
    out.append("static void fill(long v) {")
    out.append("  for (int k = 0; k < 256; k++) vals[k] = v - (long)(next() % (unsigned long long)(v / 2 + 1));")
    for i in ptrs:
        p = sig.params[i]
        n = _NBUF
        out.append(f"  pristine{i} = guarded({n} * sizeof({p.ctype})); work{i} = guarded({n} * sizeof({p.ctype}));")
        if p.elem_kind == "float":
            out.append(f"  for (size_t k = 0; k < {n}; k++) pristine{i}[k] = ({p.ctype})((next() >> 11) * 0x1.0p-53);")
        elif "char" in p.ctype:
            # text-like bytes, NUL-terminated at the very end, so string scanners stop in bounds
            out.append(f"  for (size_t k = 0; k < {n}; k++) pristine{i}[k] = ({p.ctype})(\"abcdefghij klmnop\\nqrstuvwxyz0123\"[next() % 32]);")
            out.append(f"  pristine{i}[{n} - 1] = 0;")
        else:
            # small non-negative values: valid as indices, counts and bin numbers
            out.append(f"  for (size_t k = 0; k < {n}; k++) pristine{i}[k] = ({p.ctype})(next() % (unsigned long long)(v > 1 ? v : 2));")
        out.append(f"  memcpy(work{i}, pristine{i}, {n} * sizeof({p.ctype})); extent{i} = {n} * sizeof({p.ctype});")
    out.append("}")
    args = []
    for i, p in enumerate(sig.params):
        if p.kind == "ptr":
            args.append(f"work{i}")
        elif p.kind == "float":
            args.append(f"({p.ctype})(v * 0.5 + 0.25)")
        elif p.ctype == "_Bool":
            args.append("1")
        else:
            args.append(f"({p.ctype})v")
    call_args = ", ".join(args)
    restore = " ".join(
        f"memcpy(work{i}, pristine{i}, extent{i});" for i in ptrs if not sig.params[i].const
    )
    for side in "bc":
        fn = f"f{side}[pl]"
        out.append(f"static void call_{side}(long v, int pl) {{ {restore}")
        if sig.ret_kind == "void":
            out.append(f"  {fn}({call_args}); sink++; }}")
        elif sig.ret_kind == "float":
            out.append(f"  double r = (double){fn}({call_args}); unsigned long long u; memcpy(&u, &r, 8); sink ^= u; }}")
        elif sig.ret_kind == "ptr":
            out.append(f"  sink ^= (unsigned long long)(uintptr_t){fn}({call_args}); }}")
        else:
            out.append(f"  sink ^= (unsigned long long){fn}({call_args}); }}")
    # extents: after one baseline call, only the bytes it wrote need restoring before each call
    shrink = []
    for i in ptrs:
        if sig.params[i].const:
            continue
        shrink.append(
            f"  {{ unsigned char *w = (unsigned char *)work{i}, *o = (unsigned char *)pristine{i};"
            f" size_t e = extent{i}; while (e > 0 && w[e - 1] == o[e - 1]) e--; extent{i} = e; }}"
        )
    out.append("int main(int argc, char **argv) {")
    out.append("  if (argc < 4) return 2;")
    out.append("  long v = atol(argv[1]); long reps = atol(argv[2]); int rounds = atoi(argv[3]);")
    out.append("  cpu_set_t cs; if (sched_getaffinity(0, sizeof cs, &cs) == 0) { int last = -1;"
               " for (int k = 0; k < CPU_SETSIZE; k++) if (CPU_ISSET(k, &cs)) last = k;"
               " if (last >= 0) { CPU_ZERO(&cs); CPU_SET(last, &cs); sched_setaffinity(0, sizeof cs, &cs); } }")
    out.append("  fill(v);")
    out.append("  double t0 = cpu(); call_b(v, 0); double once = cpu() - t0;")
    out.extend(shrink)
    # calibration: the mean CPU time of one call (restores included), over at least 2 ms
    out.append("  if (reps == 0) { if (once > 0.05) { printf(\"%.9f\\n\", once); return 0; } long k = 0; t0 = cpu();"
               " do { call_b(vals[k & 255], 0); k++; } while (cpu() - t0 < 0.002); printf(\"%.9f\\n\", (cpu() - t0) / k); return 0; }")
    # warm-up: one unrecorded round over every placement (page faults, caches, predictors)
    out.append("  for (int pl = 0; pl < %d; pl++) { for (long k = 0; k < reps; k++) call_b(vals[k & 255], pl);"
               " for (long k = 0; k < reps; k++) call_c(vals[k & 255], pl); }" % PLACEMENTS)
    out.append("  for (int r = 0; r < rounds; r++) { double tb = 0, tc = 0; int pl = r %% %d;" % PLACEMENTS)
    out.append("    for (int s = 0; s < 2; s++) { int cand = (s ^ (r / %d)) & 1; double a = cpu();" % PLACEMENTS)
    out.append("      if (cand) for (long k = 0; k < reps; k++) call_c(vals[k & 255], pl);"
               " else for (long k = 0; k < reps; k++) call_b(vals[k & 255], pl);")
    out.append("      double d = cpu() - a; if (cand) tc = d; else tb = d; }")
    out.append("    printf(\"%.9f %.9f\\n\", tb, tc); }")
    out.append("  return 0;")
    out.append("}")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Harness:
    exe: Path
    size: int  # the scalar argument value chosen
    reps: int  # calls per side per round


def build_harness(ctx: Context, cand: Candidate, workdir: Path, *, deadline: float | None = None) -> Harness:
    """Assemble baseline and candidate units, rename them apart, link them with the harness and
    calibrate the input size and repetitions on the baseline."""
    from gcc_wrapper import asm

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
    return link_and_calibrate(ctx.compiler, ctx.name, sig, ctx.unit_asm, cand_unit, workdir, deadline=deadline)


def link_and_calibrate(
    compiler: str, name: str, sig: Signature, base_unit: str, cand_unit: str, workdir: Path, *, deadline: float | None = None
) -> Harness:
    """The harness for two whole-unit assemblies of `name`, calibrated on the baseline."""
    globals_ = _global_symbols(base_unit) | _global_symbols(cand_unit) | {name}
    parts = []
    for side, text in (("b", base_unit), ("c", cand_unit)):
        for k in range(PLACEMENTS):
            tag = f"{side}{k}"
            s = workdir / f"{tag}.s"
            # the unit starts on a page boundary plus k*16 bytes: both sides see the same placements
            s.write_text(f"\t.text\n\t.p2align 12\n\t.skip {16 * k}\n" + rename_symbols(text, globals_, f"__llmcc_{tag}_")
                         + f"\t.globl\t__llmcc_{tag}_{name}\n")
            parts.append(str(s))
    src = workdir / "harness.c"
    src.write_text(harness_source(name, sig))
    exe = workdir / "harness"
    _run(
        [compiler, "-O2", str(src), *parts, "-o", str(exe), "-lm", "-Wl,--unresolved-symbols=ignore-all"],
        workdir, deadline, "build the harness",
    )
    for size in _SIZES:
        res = _sandboxed([str(exe), str(size), "0", "0"], workdir, timeout=5.0, deadline=deadline)
        if res is None:
            continue
        try:
            once = float(res.strip().split()[0])
        except (ValueError, IndexError):
            continue
        if once <= _CALL_MAX_S:
            reps = max(1, min(10_000_000, round(_BATCH_S / max(once, 1e-9))))
            return Harness(exe, size, reps)
    raise BaselineUnmeasurable(f"the baseline {name} does not run quickly and cleanly on generated inputs")


def measure(
    ctx: Context, cand: Candidate, *, rounds: int = 8, lock_dir: Path, deadline: float | None = None,
    workdir: Path | None = None,
) -> Measurement:
    """Time candidate against baseline with the function harness: `rounds` interleaved rounds of
    CPU time, taken under the machine-wide measurement lock. With a workdir, the harness built for
    this candidate is kept there and reused by a later call (the re-measurement of a winner)."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="llmcc-measure-") as tmp:
            h = build_harness(ctx, cand, Path(tmp), deadline=deadline)
            return time_harness(h, rounds, lock_dir=lock_dir, deadline=deadline)
    d = Path(workdir) / cand.id
    info = d / "harness.json"
    if info.exists():
        j = json.loads(info.read_text())
        h = Harness(Path(j["exe"]), int(j["size"]), int(j["reps"]))
    else:
        d.mkdir(parents=True, exist_ok=True)
        h = build_harness(ctx, cand, d, deadline=deadline)
        info.write_text(json.dumps({"exe": str(h.exe), "size": h.size, "reps": h.reps}))
    return time_harness(h, rounds, lock_dir=lock_dir, deadline=deadline)


def measure_units(
    compiler: str, name: str, prototype: str, base_unit: str, cand_unit: str, *,
    rounds: int = 8, lock_dir: Path, deadline: float | None = None,
) -> Measurement:
    """Like measure, for two whole translation-unit assemblies that both define `name`."""
    sig = parse_prototype(prototype, name)
    with tempfile.TemporaryDirectory(prefix="llmcc-measure-") as tmp:
        h = link_and_calibrate(compiler, name, sig, base_unit, cand_unit, Path(tmp), deadline=deadline)
        return time_harness(h, rounds, lock_dir=lock_dir, deadline=deadline)


def time_harness(h: Harness, rounds: int, *, lock_dir: Path, deadline: float | None = None) -> Measurement:
    with measurement_lock(lock_dir, deadline=deadline):
        expected = 5 + (rounds + PLACEMENTS) * _BATCH_S * 25  # room for a candidate ~20x slower
        out = _sandboxed([str(h.exe), str(h.size), str(h.reps), str(rounds)], h.exe.parent, timeout=expected, deadline=deadline)
    if out is None:
        raise MeasureError("the harness failed while timing (crash or time limit)")
    base, cand_t = [], []
    for line in out.strip().splitlines():
        b, c = line.split()
        base.append(float(b))
        cand_t.append(float(c))
    if len(base) != rounds:
        raise MeasureError("the harness printed an incomplete set of rounds")
    return summarize(f"function-harness cpu-time (size {h.size}, {h.reps} calls/round)", base, cand_t)


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
    base_cmd: str, cand_cmd: str, rounds: int, *, cwd: str | Path | tuple[str | Path, str | Path],
    lock_dir: Path | None = None, timeout: float = 600.0,
) -> Measurement:
    """Program level for a project's benchmark or test command (run through the shell): CPU time
    of the command and everything it waited for. cwd: one directory, or (baseline's, candidate's)."""
    cmds = (["/bin/sh", "-c", base_cmd], ["/bin/sh", "-c", cand_cmd])
    return _interleaved(cmds, [b""], rounds, lock_dir, timeout, cwd, f"command cpu-time: {base_cmd}")


def measure_project(
    ctx: Context, cand: Candidate, bench: str, *, rounds: int = 5, lock_dir: Path, deadline: float | None = None
) -> Measurement:
    """Program level for one function: two private copies of the project (ctx.cwd), built by the
    `bench` command with gcc's version and with the candidate in place (the verifier's compiler
    shim), then `bench` timed in both, interleaved. For functions the harness cannot drive."""
    from gcc_wrapper.verify import tests

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
                return measure_commands(bench, bench, rounds, cwd=(base_copy, cand_copy), lock_dir=lock_dir,
                                        timeout=max(10.0, per_run * 5))
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


def cpu_time_of(cmd: Sequence[str], *, stdin: bytes = b"", timeout: float = 60.0, cwd: str | Path | None = None) -> float:
    """User + system CPU seconds of one run of cmd (and its waited-for descendants); raises
    MeasureError when it fails or exceeds the timeout. The child (it may be a candidate's build,
    already verified) runs in its own session under the sandbox's limits, and its group is killed
    when it is done; wait4 gives its own CPU time, exactly, whatever else runs. The limits are set
    from here and there is no network namespace: a preexec_fn or an unshare would be work charged
    to the child, a constant on both sides that pulls every ratio towards 1."""
    from gcc_wrapper.verify import sandbox

    with tempfile.TemporaryFile() as fin:
        fin.write(stdin)
        fin.seek(0)
        proc = subprocess.Popen(list(cmd), stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd,
                                start_new_session=True)
        sandbox.limit_running(proc.pid, cpu_seconds=timeout, memory_bytes=PROGRAM_MEMORY, fsize_bytes=1 << 30)
        end = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                sandbox.kill_tree(proc.pid)  # whatever it left running in its group
                break
            if time.monotonic() > end:
                sandbox.kill_tree(proc.pid)
                os.wait4(proc.pid, 0)
                raise MeasureError(f"{cmd[0]} exceeded {timeout:.0f} s")
            time.sleep(0.002)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise MeasureError(f"{' '.join(cmd)} exited with status {proc.returncode}")
    return ru.ru_utime + ru.ru_stime


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
    pat = re.compile(r"(?<![\w.$%])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![\w.$])")

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


def _remaining(deadline: float | None, cap: float) -> float:
    if deadline is None:
        return cap
    left = deadline - time.monotonic()
    if left <= 0:
        raise MeasureError("out of time")
    return min(cap, left)


def _run(cmd: list[str], cwd: Path, deadline: float | None, what: str) -> str:
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=_remaining(deadline, 60.0))
    except subprocess.TimeoutExpired:
        raise MeasureError(f"{what}: out of time") from None
    except OSError as e:
        raise MeasureError(f"{what}: {e}") from None
    if p.returncode != 0:
        raise MeasureError(f"{what} failed: {p.stderr.strip()[:400]}")
    return p.stdout


def _sandboxed(cmd: list[str], cwd: Path, *, timeout: float, deadline: float | None) -> str | None:
    """Run harness code (the user's function on generated inputs) confined like difftest runs it;
    its stdout, or None when it failed."""
    from gcc_wrapper.verify import sandbox

    t = _remaining(deadline, timeout)
    res = sandbox.run(cmd, cwd=str(cwd), timeout=t, cpu_seconds=t + 1, memory_bytes=1 << 30)
    if res.returncode != 0 or res.timed_out:
        return None
    return res.stdout.decode(errors="replace")
