"""Replaying recorded states: gcc's version of a function and a candidate, each run on every state
the workload gave the function (replayer.c), compared or timed.

    check(ctx, cand_obj, rec, *, budget) -> Outcome         verification
    time_states(ctx, cand_asm, rec, rounds, ...) -> (per-round base cycles, cand cycles, note)

The images: gcc's version (ctx.baseline_asm) and the candidate are each linked, with ld and a
two-line linker script, at a free address close to the recorded program's code (RIP-relative
operands reach 2 GiB), with every symbol they use bound to where the recorded program had it:
its functions and data from the symbol table saved with the recording (a static symbol from the
unit's own file first), library functions through the program's PLT. A symbol the recorded
program does not have makes the function not replayable (the program was built from other code).

The replayer reads two files (little-endian). The states file, written once per recording, function
and choice of states (kept under the verifier's work directory) and reused by every candidate:

    u64 magic "LLLMST1"; u32 nsegments, u32 nstates; u64 stack_lo, stack_hi;
    per segment (the program's code): u64 address, u64 length, u32 protection, u32 pad, the bytes;
    per state: u32 npages, u32 nexit; entry registers (27 u64), fxsave (512); exit registers,
    exit fxsave; per page u64 address, u32 flags, u32 pad, 4096 bytes; per exit page u64
    address, 4096 bytes.

The run file, per check or timing:

    u64 magic "LLMRPL2"; u32 mode (0 verify, 1 time), u32 nimages; u64 rax_mask, rdx_mask, xmm0
    mask low/high, xmm1 mask low/high; f64 base_timeout, cand_factor, cand_min; u32 rounds, u32 reps;
    u64 coverage function address; u32 ncoverage, u32 nsegments; u64 dump address, u64 dump length
    (mode 2, training: the counters printed after the run); u32 offsets[ncoverage] (padded to 8);
    per image u32 kind (0 gcc's, 1 candidate), u32 placement, u64 entry; per segment (the images'
    code, or a training image's counters) as above.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gcc_wrapper.optimize import native
from gcc_wrapper.optimize.candidate import Check, Context
from gcc_wrapper.optimize.states import store

HERE = Path(__file__).resolve().parent
STATES_MAGIC = 0x3154534D4C4C4C  # "LLLMST1"
RUN_MAGIC = 0x324C50524D4C4C  # "LLMRPL2"
PAGE = 4096
# The replayer is a static executable at a fixed low address, far from where programs live (a
# PIE program at 0x555555554000 and its libraries near the top, without ASLR as the recorder runs
# them): the recorded states are mapped back at their own addresses in it.
REPLAYER_AT = 0x60000000
MAX_STATES = 128  # states replayed per check
IMAGE_SPAN = 1 << 20  # address space for one image (a function's code is far smaller: static.SIZE_CEILING)
BASE_TIMEOUT = 2.0  # seconds of CPU time a call of gcc's version may take
CAND_FACTOR = 20.0
CAND_MIN = 0.05
RUN_TIMEOUT = 120.0
MEMORY = 8 << 30
RETRIES = 4  # an address of a state taken by the replayer's own random layout: run again


class ReplayError(Exception):
    """The function cannot be replayed on this recording (the message says why)."""


def replayer() -> Path:
    # from the verifier: seccomp.c, the harnesses' system-call allowlist; coverage.c, one-shot
    # breakpoints on the candidate's blocks
    verify_dir = HERE.parent / "verify"
    return native.build(
        "replayer",
        [HERE / "replayer.c", HERE / "replay_call.s", verify_dir / "coverage.c"],
        ["-O2", "-fno-stack-protector", "-static", f"-Wl,-Ttext-segment={REPLAYER_AT:#x}", f"-I{verify_dir}"],
        includes=[verify_dir / "seccomp.c", verify_dir / "coverage.h"],
    )


# ---- return value: which bits of which registers the caller can see ---------------------------------


@dataclass(frozen=True)
class Returns:
    rax: int = (1 << 64) - 1
    rdx: int = 0
    xmm0: tuple[int, int] = ((1 << 64) - 1, 0)
    xmm1: tuple[int, int] = (0, 0)
    what: str = "unknown return type: rax and xmm0 compared whole"


FULL = (1 << 64) - 1


def returns_of(ctx: Context) -> Returns:
    """The registers the function's return value lives in (SysV x86-64), from its prototype;
    without one, the conservative choice: rax and the low half of xmm0 compared whole."""
    from gcc_wrapper.optimize import source

    base = ctx.name.split(".")[0]  # gcc's clones (foo.constprop.0, foo.part.0) return what foo returns
    try:
        ret = source.prototype(ctx.source_path, base, ctx.cflags, ctx.cwd or None).ret
    except Exception:  # noqa: BLE001 - no prototype is a fact about the file, not an error here
        return Returns()
    if ctx.name != base and ".isra" in ctx.name:
        return Returns()  # IPA-SRA may have dropped or changed the return value
    if ret.kind == "void":
        return Returns(0, 0, (0, 0), (0, 0), "void: no return registers")
    if ret.kind in ("int", "bool", "pointer") and ret.size in (1, 2, 4, 8):
        size = 1 if ret.kind == "bool" else ret.size
        return Returns((1 << (8 * size)) - 1, 0, (0, 0), (0, 0), f"{ret.text} in rax ({8 * size} bits)")
    if ret.kind == "float":
        return Returns(0, 0, (0xFFFFFFFF, 0), (0, 0), "float in xmm0")
    if ret.kind == "double":
        return Returns(0, 0, (FULL, 0), (0, 0), "double in xmm0")
    return Returns(FULL, FULL, (FULL, FULL), (FULL, FULL), f"{ret.text}: every return register compared whole")


# ---- images -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    kind: int  # 0 gcc's version, 1 the candidate
    placement: int
    addr: int  # where its bytes go (page-aligned)
    data: bytes
    entry: int  # the function's address


@dataclass
class Binding:
    """Where the recorded program had each symbol a version of the function can refer to."""

    rec: store.Recording
    name: str
    source: str  # the unit's file (to prefer its own static symbols)
    base: int = 0
    symbols: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)  # name -> (address, bind, file)
    plt: dict[str, int] = field(default_factory=dict)
    lo: int = 0  # the module's code, for placing images near it
    hi: int = 0

    @classmethod
    def of(cls, rec: store.Recording, name: str, source: str) -> Binding:
        f = rec.functions[name]
        b = cls(rec, name, source, base=f.addr - f.offset)
        data = rec.symbols(f.module)
        for sname, value, _size, _typ, bind, file in data.get("symbols", ()):
            b.symbols.setdefault(sname, []).append((b.base + int(value), str(bind), str(file)))
        b.plt = {k: b.base + int(v) for k, v in dict(data.get("plt", {})).items()}
        spans = [(lo, hi) for lo, hi, _p, path in rec.maps if path == f.module]
        b.lo = min((lo for lo, _ in spans), default=f.addr)
        b.hi = max((hi for _, hi in spans), default=f.addr)
        return b

    def address(self, sym: str) -> int:
        cands = self.symbols.get(sym, [])
        mine = os.path.basename(self.source)
        for rank in (
            lambda c: c[1] == "LOCAL" and c[2] == mine,
            lambda c: c[1] in ("GLOBAL", "WEAK"),
            lambda c: c[1] == "LOCAL",
        ):
            hits = [c for c in cands if rank(c)]
            if len(hits) == 1 or (hits and rank is not None and len({h[0] for h in hits}) == 1):
                return hits[0][0]
            if len(hits) > 1:
                raise ReplayError(f"the recorded program has several '{sym}' and none is in {mine}")
        if sym in self.plt:
            return self.plt[sym]
        raise ReplayError(f"the recorded program does not define '{sym}' (it was built from other code)")

    def free_span(self, size: int) -> int:
        """A page-aligned address with `size` free bytes near the module's code, in no mapping."""
        taken = sorted((lo, hi) for lo, hi, _p, _path in self.rec.maps)
        at = (self.lo - (16 << 20)) & ~0xFFFFF
        for _ in range(64):
            if at > 0 and not any(lo < at + size and at < hi for lo, hi in taken):
                return at
            at -= 16 << 20
        raise ReplayError("no free address near the program's code for the function's images")


def link_image(
    obj: Path,
    binding: Binding,
    addr: int,
    kind: int,
    placement: int,
    workdir: Path,
    cpu: tuple[tuple[int, int], ...] | None = None,
) -> Image:
    """The object linked at `addr` + placement * 16 against the recorded program's symbols (the
    link map beside it, workdir/img{kind}.{placement}.map, says where each input section went);
    `cpu`: the CPU model a candidate that dispatches reads (dispatch.CpuModel.words)."""
    from gcc_wrapper.optimize import dispatch, image

    defs: dict[str, int] = {}
    extra = []
    if cpu is not None:
        try:
            extra.append(str(dispatch.model_object(cpu, workdir)))
        except ValueError as e:
            raise ReplayError(str(e)) from None
    for sym in sorted(set(image.undefined(obj))):
        if sym == binding.name or (cpu is not None and sym == dispatch.SYMBOL):
            continue  # the image's own (a recursive call, local or global; the CPU model)
        defs[sym] = binding.address(sym)
    elf = workdir / f"img{kind}.{placement}.elf"
    try:
        entry, data = image.link(
            obj,
            binding.name,
            addr + 16 * placement,
            elf,
            defs,
            extra,
            into="against the recorded program",
            origin=addr,
            link_map=True,
            page=PAGE,
        )
    except image.LinkError as e:
        raise ReplayError(str(e)) from None
    return Image(kind, placement, addr, data, entry)


# ---- the bundle -------------------------------------------------------------------------------------


def _segment(addr: int, data: bytes, prot: int) -> bytes:
    size = len(data) + (-len(data) % PAGE)
    return struct.pack("<QQII", addr, size, prot, 0) + data + b"\0" * (size - len(data))


def states_file(rec: store.Recording, name: str, which: tuple[int, ...] | None = None) -> tuple[Path, int]:
    """The states file of `name`'s recorded calls (all of them up to MAX_STATES, or those at the
    indices `which`), written once and reused by every candidate; and how many states it holds."""
    f = rec.functions.get(name)
    total = min(f.states, MAX_STATES) if f is not None else 0
    count = total if which is None else len([i for i in which if i < total])
    key = f"{rec.dir}\0{name}\0{which}\0{MAX_STATES}"

    d = native.work_root() / "states"
    d.mkdir(parents=True, exist_ok=True)
    path = d / (hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + ".bin")
    if path.exists() and path.stat().st_mtime >= (rec.dir / "meta.json").stat().st_mtime:
        return path, count
    states = usable_states(rec, name)
    if which is not None:
        states = [states[i] for i in which if i < len(states)]
    code = rec.code()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with open(tmp, "wb") as f:
        w = f.write
        w(struct.pack("<QIIQQ", STATES_MAGIC, len(code), len(states), *rec.stack))
        for addr, data in code:
            w(_segment(addr, data, 5))  # PROT_READ | PROT_EXEC
        for s in states:
            w(struct.pack("<II", len(s.pages), len(s.exit_pages)))
            w(struct.pack("<27Q", *s.regs))
            w(s.fx)
            w(struct.pack("<27Q", *s.exit_regs))
            w(s.exit_fx)
            for pg in s.pages:
                w(struct.pack("<QII", pg.addr, int(pg.written) | pg.prot << 8, 0))
                w(pg.data)
            for addr, data in s.exit_pages:
                w(struct.pack("<Q", addr))
                w(data)
    os.replace(tmp, path)
    _prune(d)
    return path, len(states)


KEEP_STATES_FILES = 64


def _prune(d: Path) -> None:
    try:
        files = sorted(d.glob("*.bin"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for old in files[: max(0, len(files) - KEEP_STATES_FILES)]:
        old.unlink(missing_ok=True)


def write_run(
    path: Path,
    images: list[Image],
    ret: Returns,
    *,
    mode: int,
    rounds: int = 0,
    reps: int = 0,
    coverage: tuple[int, tuple[int, ...]] = (0, ()),
    dump: tuple[int, int] = (0, 0),
) -> None:
    cov_fn, offsets = coverage
    extra = [(dump[0], b"\0" * dump[1], 3)] if dump[1] else []  # a training image's counters: read and write
    with open(path, "wb") as f:
        w = f.write
        w(struct.pack("<QII", RUN_MAGIC, mode, len(images)))
        w(struct.pack("<6Q", ret.rax, ret.rdx, ret.xmm0[0], ret.xmm0[1], ret.xmm1[0], ret.xmm1[1]))
        w(struct.pack("<3d", BASE_TIMEOUT, CAND_FACTOR, CAND_MIN))
        w(struct.pack("<IIQII", rounds, reps, cov_fn, len(offsets), len(images) + len(extra)))
        w(struct.pack("<QQ", *dump))
        blob = struct.pack(f"<{len(offsets)}i", *offsets)
        w(blob + b"\0" * (-len(blob) % 8))
        for im in images:
            w(struct.pack("<IIQ", im.kind, im.placement, im.entry))
        for im in images:
            w(_segment(im.addr, im.data, 7 if (im.kind == 1 and offsets) else 5))  # breakpoints need W
        for addr, data, prot in extra:
            w(_segment(addr, data, prot))


def run_replayer(states: Path, run: Path, timeout: float) -> tuple[int, list[str], str]:
    """(exit status, stdout lines, stderr) of the replayer, sandboxed; a layout clash runs again."""
    from gcc_wrapper.optimize.verify import sandbox

    exe = replayer()
    for _ in range(RETRIES):
        r = sandbox.run(
            [str(exe), str(states), str(run)], cwd=None, timeout=timeout, cpu_seconds=timeout, memory_bytes=MEMORY
        )
        lines = r.stdout.decode(errors="replace").splitlines()
        if r.returncode != 75:
            err = r.stderr.decode(errors="replace")
            if r.timed_out:
                err = f"timed out after {r.wall:.0f} s. {err}"
            elif r.returncode < 0:
                err = f"{r.describe()}. {err}"
            return r.returncode, lines, err
    raise ReplayError("the recorded addresses clash with the replayer's own, run after run")


_BASE_IMAGES: dict[tuple, Image] = {}  # gcc's version, linked once per recording, place and placement


def base_image(base_obj: Path, binding: Binding, addr: int, placement: int, workdir: Path) -> Image:
    key = (str(base_obj), str(binding.rec.dir), binding.name, addr, placement)
    if key not in _BASE_IMAGES:
        if len(_BASE_IMAGES) > 64:
            _BASE_IMAGES.clear()
        _BASE_IMAGES[key] = link_image(base_obj, binding, addr, 0, placement, workdir)
    return _BASE_IMAGES[key]


# ---- verification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ran: bool  # False: the function could not be replayed (check.detail says why)
    check: Check
    counterexample: str = ""
    states: int = 0  # states the candidate was compared on
    unfaithful: int = 0  # states gcc's version did not reproduce (not used)
    covered: frozenset = frozenset()  # with an arming: the candidate's blocks (coverage.Site) that ran


def usable_states(rec: store.Recording, name: str) -> list[store.State]:
    return rec.states(name, MAX_STATES)


def _cpu_models(ctx: Context, cand_obj: Path) -> list:
    """[None] for a candidate that does not dispatch on the CPU; else the CPU models to replay it
    under (dispatch.cpu_models: this host's, then each lower body and the baseline forced)."""
    from gcc_wrapper.optimize import dispatch

    try:
        text = cand_obj.with_suffix(".s").read_text()
    except OSError:
        return [None]
    if not dispatch.mentions(text):
        return [None]
    got = dispatch.cpu_models(ctx, text)
    if isinstance(got, str):
        raise ReplayError(f"cannot set up the CPU models to replay it under: {got}")
    return got


def check(ctx: Context, cand_obj: Path, rec: store.Recording, *, budget: float | None = None, arming=None) -> Outcome:
    """Gcc's version and the candidate (its assembled object) on every recorded state of ctx.name;
    `arming` (verify.coverage.Arming): one-shot breakpoints on the candidate's blocks, and the
    Outcome says which ran. A candidate that dispatches on the CPU is replayed under each CPU
    model, as differential testing runs it: every body on the recorded calls."""
    try:
        models = _cpu_models(ctx, cand_obj)
    except ReplayError as e:
        return Outcome(False, Check("states", True, f"not replayable: {e}"))
    covered: frozenset = frozenset()
    share = None if budget is None else budget / len(models)
    for model in models:
        o = _check_one(ctx, cand_obj, rec, budget=share, arming=arming, model=model)
        if not o.ran or not o.check.passed:
            if model is not None and o.ran:
                o = Outcome(
                    True,
                    Check("states", False, f"{o.check.detail} under {model.label}"),
                    o.counterexample,
                    o.states,
                    o.unfaithful,
                )
            return o
        covered |= o.covered
    if models[0] is not None:
        o = Outcome(
            True,
            Check(
                "states", True, f"{o.check.detail}; the same under each CPU model: {', '.join(m.label for m in models)}"
            ),
            "",
            o.states,
            o.unfaithful,
        )
    return Outcome(o.ran, o.check, o.counterexample, o.states, o.unfaithful, covered)


def _check_one(ctx: Context, cand_obj: Path, rec: store.Recording, *, budget: float | None, arming, model) -> Outcome:
    from gcc_wrapper.optimize.verify import coverage, static

    name = "states"
    try:
        sfile, nstates = states_file(rec, ctx.name)
        if not nstates:
            raise ReplayError("no recorded states")
        base = static._baseline_object(ctx.baseline_asm)
        if isinstance(base, str):
            raise ReplayError(f"gcc's version does not assemble: {base}")
        binding = Binding.of(rec, ctx.name, ctx.source_path)
        with tempfile.TemporaryDirectory(prefix="llmcc-replay-", dir=native.work_root()) as tmp:
            work = Path(tmp)
            at = binding.free_span(2 * IMAGE_SPAN)
            cand = link_image(
                cand_obj, binding, at + IMAGE_SPAN, 1, 0, work, model.words if model is not None else None
            )
            images = [base_image(base.path, binding, at, 0, work), cand]
            armed: tuple[int, tuple[int, ...]] = (0, ())
            if arming is not None:
                try:
                    placed = coverage.section_addresses((work / "img1.0.map").read_text(), cand_obj)
                    armed = (cand.entry, tuple(arming.offsets(placed if arming.needs_map() else None)))
                except (OSError, ValueError) as e:
                    raise ReplayError(f"cannot place the candidate's blocks for coverage: {e}") from None
            run = work / "run.bin"
            write_run(run, images, returns_of(ctx), mode=0, coverage=armed)
            timeout = RUN_TIMEOUT if budget is None else max(10.0, min(RUN_TIMEOUT, budget))
            status, lines, err = run_replayer(sfile, run, timeout)
    except (ReplayError, store.StoreError, native.BuildError) as e:
        return Outcome(False, Check(name, True, f"not replayable: {e}"))
    unfaithful = [ln for ln in lines if ln.startswith("UNFAITHFUL ")]
    done = [ln for ln in lines if ln.startswith("DONE ")]
    mismatch = [ln for ln in lines if ln.startswith("MISMATCH ")]
    if status == 0 and done:
        ran, skipped, nunf = (int(x) for x in done[-1].split()[1:4])
        if ran == 0:
            why = f"gcc's version reproduced none of the {nstates} recorded calls"
            if unfaithful:
                why += f" ({_unfaithful_reason(unfaithful[0])}: the program was built from other code, or rebuilt since `llmcc profile`)"
            return Outcome(False, Check(name, True, f"not replayable: {why}"), unfaithful=nunf)
        extra = f"; {nunf} recorded calls not reproduced by gcc's version, left out" if nunf else ""
        extra += f"; {skipped} on which gcc's version crashed or hung, left out" if skipped else ""
        ran_blocks = coverage.covered("\n".join(lines), arming.sites) if arming is not None else frozenset()
        return Outcome(
            True,
            Check(name, True, f"same results as gcc's version on {ran} recorded calls{extra}"),
            "",
            ran,
            nunf,
            ran_blocks,
        )
    if status == 1 and mismatch:
        words = mismatch[0].split()
        index = int(words[1])
        what = explain(words[2:], ctx)
        s = usable_states(rec, ctx.name)[index]
        where = f"recorded call {index + 1} of {nstates} ({ctx.name} with rdi={s.reg('rdi'):#x}, rsi={s.reg('rsi'):#x}, rdx={s.reg('rdx'):#x})"
        return Outcome(True, Check(name, False, f"{what} on {where}"), where, index + 1, len(unfaithful))
    return Outcome(True, Check(name, False, f"the candidate broke the replayer (exit {status}: {err.strip()[:200]})"))


def _unfaithful_reason(line: str) -> str:
    w = line.split()
    return {"abi": "it broke the ABI", "return": "it returned something else", "memory": "it wrote other memory"}.get(
        w[2] if len(w) > 2 else "", "it did something else"
    )


def explain(w: list[str], ctx: Context) -> str:
    kind = w[0]
    if kind == "status":
        st, sig, where, addr = int(w[1]), int(w[2]), w[3], w[4]
        if st == 2:
            return "the candidate hung (no return within the time limit) where gcc's version returned"
        if where == "readonly":
            return f"the candidate wrote memory at {addr} that the recorded call only read (gcc's version does not write it)"
        if where == "untouched":
            return f"the candidate touched memory at {addr} that gcc's version never touches on this call"
        import signal as _signal

        try:
            name = _signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"the candidate crashed with {name} where gcc's version returned"
    if kind == "abi":
        from gcc_wrapper.optimize.verify.difftest import ABI_BITS  # replayer.c sets the harness's bits

        bits = int(w[1])
        return "ABI violation: " + ", ".join(v for k, v in ABI_BITS.items() if bits & k)
    if kind == "return":
        return f"returned rax={w[3]} xmm0={w[4]}, gcc's version rax={w[1]} xmm0={w[2]}"
    if kind == "memory":
        return f"memory at {w[1]} differs after the call (gcc's version: {w[2] if len(w) > 2 else '?'}, the candidate: {w[3] if len(w) > 3 else '?'})"
    return "results differ: " + " ".join(w)


# ---- timing -----------------------------------------------------------------------------------------

PLACEMENTS = 4  # each side linked at a page + 0, 16, 32, 48 bytes: a win must hold at every one (measure.py)
TIME_STATES = 32  # states timed per round (spread over the recording)
REPS = 3  # calls per state, side and round; the least is kept


def time_states(
    ctx: Context, cand_obj: Path, rec: store.Recording, *, rounds: int, timeout: float
) -> tuple[list[int], list[int], str]:
    """Per-round cycles (rdtscp, summed over the states, least of REPS calls each) of gcc's version
    and of the candidate, interleaved state by state on the same recorded states; and a note."""
    from gcc_wrapper.optimize.verify import static

    n = rec.functions[ctx.name].states if ctx.name in rec.functions else 0
    if not n:
        raise ReplayError("no recorded states")
    step = max(1, min(n, MAX_STATES) // TIME_STATES)
    sfile, ntimed = states_file(rec, ctx.name, tuple(range(0, min(n, MAX_STATES), step))[:TIME_STATES])
    base = static._baseline_object(ctx.baseline_asm)
    if isinstance(base, str):
        raise ReplayError(f"gcc's version does not assemble: {base}")
    binding = Binding.of(rec, ctx.name, ctx.source_path)
    model = _cpu_models(ctx, cand_obj)[0]  # timed as this host runs it
    host = model.words if model is not None else None
    with tempfile.TemporaryDirectory(prefix="llmcc-replay-", dir=native.work_root()) as tmp:
        work = Path(tmp)
        at = binding.free_span(2 * PLACEMENTS * IMAGE_SPAN)
        images = []
        for k in range(PLACEMENTS):
            images.append(base_image(base.path, binding, at + (2 * k) * IMAGE_SPAN, k, work))
            images.append(link_image(cand_obj, binding, at + (2 * k + 1) * IMAGE_SPAN, 1, k, work, host))
        run = work / "run.bin"
        write_run(run, images, returns_of(ctx), mode=1, rounds=rounds, reps=REPS)
        status, lines, err = run_replayer(sfile, run, timeout)
    rows = [ln.split() for ln in lines if ln.startswith("ROUND ")]
    if status != 0 or len(rows) != rounds:
        bad = next((ln for ln in lines if ln.startswith("FAILED")), "")
        raise ReplayError(f"the timing run failed (exit {status}{': ' + bad if bad else ''}) {err.strip()[:200]}")
    note = f"recorded states: {ntimed} calls of {n}, least of {REPS} per call, {PLACEMENTS} placements"
    return [int(r[2]) for r in rows], [int(r[3]) for r in rows], note


# ---- training -----------------------------------------------------------------------------------


def train(
    ctx: Context, instrumented_asm: str, counters: str, size: int, rec: store.Recording, *, timeout: float
) -> tuple[bytes, int]:
    """The counters (`size` bytes at the symbol `counters`) of the instrumented function
    `instrumented_asm` after one call on every recorded state of ctx.name; and how many calls
    returned. pgo.train_on_states makes the function and reads the counters."""
    from gcc_wrapper.optimize.verify.static import assemble

    sfile, nstates = states_file(rec, ctx.name)
    if not nstates:
        raise ReplayError("no recorded states")
    binding = Binding.of(rec, ctx.name, ctx.source_path)
    with tempfile.TemporaryDirectory(prefix="llmcc-train-", dir=native.work_root()) as tmp:
        work = Path(tmp)
        obj = work / "instrumented.o"
        err = assemble(instrumented_asm, obj, None)
        if err:
            raise ReplayError(f"the instrumented function does not assemble: {err}")
        at = binding.free_span(2 * IMAGE_SPAN)
        where = at + IMAGE_SPAN
        binding.symbols.setdefault(counters, []).insert(0, (where, "LOCAL", os.path.basename(ctx.source_path)))
        image = link_image(obj, binding, at, 1, 0, work)
        run = work / "run.bin"
        write_run(run, [image], returns_of(ctx), mode=2, dump=(where, size + (-size % PAGE)))
        status, lines, err = run_replayer(sfile, run, timeout)
    got = [ln.split() for ln in lines if ln.startswith("COUNTERS ")]
    if status != 0 or not got or len(got[0]) != 3:
        raise ReplayError(f"the training run failed (exit {status}) {err.strip()[:200]}")
    return bytes.fromhex(got[0][2])[:size], int(got[0][1])
