"""The workload as judge: the command `llmcc profile` ran, run again with one function replaced.

    find(cache_root, cwd) -> Workload | None
    Judge(workload, ctx) -> .compare(cand) -> Check        same outputs as with gcc's version
                            .time(cand, rounds) -> Measurement  the whole program, interleaved

No rebuild is needed, so this works inside a compile (sync mode) as in `llmcc optimize`: the
profiled executable is copied and patched (lief adds a code segment, ld links the function there
against the executable's own symbols, its entry jumps to it). gcc's version is patched in the same
way, so the two programs differ only in that function's code: the same layout, the same extra jump.
Each run sees the workload's directory through an overlay (its writes land in a private layer that
is then discarded), with the profiled run's stdin file, if it had one; stdout, stderr, exit status
and every file the run wrote are compared.

A position-independent program's patched code is linked for the address the program loads at
with address randomization off, and every run of a patched program has it off (personality(2)
ADDR_NO_RANDOMIZE, read once from a run of the system's `true`: pie_base): so code with absolute
addresses (a table of function pointers) is judged as well as any.

What it cannot do: a function of a shared library (the executable is what is patched), a workload
that is not deterministic (then gcc's version disagrees with
itself and the judge says so), a workload whose executable was rebuilt from other code since the
profile (its outputs with gcc's version then differ from the profiled program's: refused).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.optimize.candidate import Check, Context, Measurement

SPAN = 1 << 17  # bytes of the added code segment (a candidate is at most static.SIZE_CEILING of code)
RUN_TIMEOUT_FACTOR = 10.0  # a run may take this many times the profiled run's wall time (at least 30 s)
PROGRAM_MEMORY = 8 << 30
ADDR_NO_RANDOMIZE = 0x0040000  # personality(2): a position-independent program loads at one address


class JudgeError(Exception):
    """The workload cannot judge this function (the message says why)."""


@dataclass(frozen=True)
class Workload:
    command: tuple[str, ...]
    cwd: str
    exe: str  # the executable command[0] names, resolved
    stdin: str  # the file the profiled run read on stdin, "" for none
    seconds: float  # how long the profiled run took
    profile: str  # the profile's file


def _of(prof: dict, path: str) -> Workload | None:
    cmd = [str(w) for w in prof.get("command", [])]
    where = str(prof.get("cwd", ""))
    if not cmd or not where:
        return None
    exe = cmd[0] if os.sep in cmd[0] else shutil.which(cmd[0]) or ""
    exe = os.path.realpath(os.path.join(where, exe)) if exe else ""
    try:
        with open(exe, "rb") as f:
            if f.read(4) != b"\x7fELF":
                return None
    except OSError:
        return None
    stdin = str(prof.get("stdin", ""))
    return Workload(
        tuple(cmd),
        where,
        exe,
        stdin if stdin and os.path.isfile(stdin) else "",
        float(prof.get("seconds", 0.0) or 0.0),
        path,
    )


def find(cache_root: str | os.PathLike, cwd: str | None) -> Workload | None:
    """The newest related profile's workload, if its program is still an ELF executable."""
    from gcc_wrapper.optimize import hot

    for path, prof in hot.related_profile_files(Path(cache_root), cwd):
        w = _of(prof, str(path))
        if w is not None:
            return w
    return None


def load(profile: str) -> Workload | None:
    import json

    try:
        return _of(json.loads(Path(profile).read_text()), profile)
    except (OSError, ValueError):
        return None


# ---- patching -----------------------------------------------------------------------------------


def _symbols(exe: str) -> dict[str, list[tuple[int, int, str, str]]]:
    from gcc_wrapper.optimize.states.record import elf_symbols

    out: dict[str, list[tuple[int, int, str, str]]] = {}
    for s in elf_symbols(exe):
        out.setdefault(s.name, []).append((s.value, s.size, s.bind, s.file))
    return out


# the file symbols a linked program's hidden-made-local symbols fall under: they come after every
# input file's own, and gcc's crtend.o (crtstuff.c) is linked last
_AFTER_ALL_FILES = ("", "crtstuff.c")


@dataclass
class _Target:
    """Where the function is in the executable, and how its names resolve there."""

    exe: str
    name: str
    source: str
    symbols: dict[str, list[tuple[int, int, str, str]]]
    plt: dict[str, int]
    pie: bool
    shift: int = 0  # how far lief moved the program's contents to make room (a PIE's segments move up)

    def address(self, sym: str) -> int:
        cands = self.symbols.get(sym, [])
        mine = os.path.basename(self.source)
        for rank in (
            lambda c: c[2] == "LOCAL" and c[3] == mine,
            lambda c: c[2] in ("GLOBAL", "WEAK"),
            lambda c: c[2] == "LOCAL",
        ):
            hits = {c[0] for c in cands if rank(c)}
            if len(hits) == 1:
                return hits.pop() + self.shift
            if len(hits) > 1:
                raise JudgeError(f"the program has several '{sym}' and none is in {mine}")
        if sym in self.plt:
            return self.plt[sym] + self.shift
        raise JudgeError(f"the program {os.path.basename(self.exe)} does not define '{sym}' (built from other code?)")

    def function(self) -> tuple[int, int]:
        found = self.own(self.name)
        if found is None or found[1] < 5:
            raise JudgeError(f"the program {os.path.basename(self.exe)} has no single function {self.name}")
        return found

    def own(self, name: str) -> tuple[int, int] | None:
        """(address, size) of the unit's function `name` in the program: a global one, a local one
        of the unit's file, or a global of hidden visibility, which the link made local and filed
        after every input file's own symbols (under crtend's crtstuff.c, or no file): hidden
        globals are unique among the program's units, as globals are."""
        files = (os.path.basename(self.source), *_AFTER_ALL_FILES)
        hits = {(c[0], c[1]) for c in self.symbols.get(name, []) if c[2] != "LOCAL" or c[3] in files}
        if len(hits) != 1:
            return None
        addr, size = hits.pop()
        return addr + self.shift, size


def _target(exe: str, ctx: Context) -> _Target:
    from gcc_wrapper.optimize.states.record import plt_entries

    with open(exe, "rb") as f:
        head = f.read(18)
    pie = head[16:18] == b"\x03\x00"  # ET_DYN
    return _Target(exe, ctx.name, ctx.source_path, _symbols(exe), plt_entries(exe), pie)


def _absolute_relocations(obj: Path, kinds: tuple[int, ...] = (1, 10, 11)) -> list[str]:
    """Relocations that would need the load address (absolute ones: R_X86_64_64, _32, _32S), by
    symbol."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection

    bad = []
    with open(obj, "rb") as f:
        e = ELFFile(f)
        symtab = e.get_section_by_name(".symtab")
        for sec in e.iter_sections():
            if not isinstance(sec, RelocationSection) or sec.name.startswith(".rela.debug") or "eh_frame" in sec.name:
                continue
            for r in sec.iter_relocations():
                if r["r_info_type"] in kinds:
                    sym = symtab.get_symbol(r["r_info_sym"]) if symtab is not None else None
                    bad.append(sym.name if sym is not None and sym.name else "a section")
    return bad


def patch(exe: str, ctx: Context, asm_text: str, out: Path, work: Path) -> Path:
    """A copy of `exe` at `out` in which ctx.name runs `asm_text`."""
    return _patch(exe, ctx, asm_text, out, work, (), ())[0]


def patch_unit(
    exe: str, ctx: Context, asm_text: str, out: Path, work: Path, *, entries: Sequence[str], report: Sequence[str]
) -> tuple[Path, dict[str, int]]:
    """A copy of `exe` at `out` in which ctx.name and each of `entries` the program has (functions
    `asm_text` defines too: a whole unit's) run asm_text's code, in a segment that is also
    writable (its own data: a training's counters); and where the symbols `report` are in it."""
    return _patch(exe, ctx, asm_text, out, work, entries, report)


def _patch(
    exe: str,
    ctx: Context,
    asm_text: str,
    out: Path,
    work: Path,
    entries: Sequence[str],
    report: Sequence[str],
) -> tuple[Path, dict[str, int]]:
    # entries: a whole unit, with data of its own (counters) and the room its sections need
    import lief

    from gcc_wrapper.optimize import image as flat
    from gcc_wrapper.optimize.verify.static import assemble

    t = _target(exe, ctx)
    t.function()  # it is there
    obj = work / f"{out.name}.o"
    err = assemble(asm_text, obj, None)
    if err:
        raise JudgeError(f"it does not assemble: {err}")
    # A PIE's patched code is linked for the address the program loads at with randomization off
    # (every run of a patched program has it off): PC-relative references are right wherever it
    # loads, absolute ones (a table of function pointers) at that address only.
    bias = 0
    if t.pie:
        short = _absolute_relocations(obj, (10, 11))  # R_X86_64_32, _32S
        if short:
            raise JudgeError(
                f"it uses 32-bit absolute addresses ({', '.join(sorted(set(short))[:3])}), which a "
                "position-independent program cannot have"
            )
        base = pie_base()
        if base is None:
            absolute = _absolute_relocations(obj)
            if absolute:
                raise JudgeError(
                    f"it uses absolute addresses ({', '.join(sorted(set(absolute))[:3])}), and where this "
                    "system loads a position-independent program is not known"
                )
        else:
            bias = base
    span = SPAN if not entries else max(SPAN, _room(obj))
    binary = lief.parse(exe)
    if binary is None:
        raise JudgeError(f"lief cannot read {exe}")
    seg = lief.ELF.Segment()
    seg.type = lief.ELF.Segment.TYPE.LOAD
    seg.flags = lief.ELF.Segment.FLAGS.R | lief.ELF.Segment.FLAGS.X
    if entries:
        seg.flags = seg.flags | lief.ELF.Segment.FLAGS.W
    seg.alignment = 0x1000
    seg.content = [0xCC] * span

    def loads() -> list[int]:
        return [int(s.virtual_address) for s in binary.segments if s.type == lief.ELF.Segment.TYPE.LOAD]

    before = loads()
    added = binary.add(seg)
    after = loads()[: len(before)]
    # a PIE's header grows by a page and lief moves everything up: the same distance for every
    # segment but the first (the headers'), else the program's symbols cannot be trusted
    shifts = {a - b for a, b in zip(after[1:], before[1:])}
    if len(shifts) > 1:
        raise JudgeError("lief moved the program's segments unevenly")
    t.shift = shifts.pop() if shifts else 0
    fn_addr, _ = t.function()
    at = int(added.virtual_address)
    elf = work / f"{out.name}.elf"
    image = _link(obj, t, at, elf, bias)
    if len(image[1]) > span:
        raise JudgeError("the function is too large to place")
    added.content = list(image[1]) + [0xCC] * (span - len(image[1]))
    jumps = {fn_addr: image[0] - bias}
    wanted = [n for n in entries if n != ctx.name]
    where = {n: a - bias for n, a in flat.addresses(elf, [*wanted, *report]).items()}
    for name in wanted:
        there = _entry_of(t, name)
        if there is not None and name in where:
            jumps[there] = where[name]
    for src, dst in jumps.items():
        rel = dst - (src + 5)
        binary.patch_address(src, [0xE9, *rel.to_bytes(4, "little", signed=True)])
    binary.write(str(out))
    out.chmod(0o755)
    missing = [n for n in report if n not in where]
    if missing:
        raise JudgeError(f"the patched program has no {missing[0]}")
    return out, {n: where[n] for n in report}


def _room(obj: Path) -> int:
    """Bytes enough for obj's allocated sections at their alignments (a whole unit's code), in pages."""
    from elftools.elf.elffile import ELFFile

    need = 0
    with open(obj, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if sec["sh_flags"] & 2:  # SHF_ALLOC
                need += sec["sh_size"] + max(1, sec["sh_addralign"])
    return (need + 0xFFFF) & ~0xFFF


def _entry_of(t: _Target, name: str) -> int | None:
    """Where the program's function `name` of t's unit starts (_Target.own), if it is long enough to
    take a jump."""
    found = t.own(name)
    return found[0] if found is not None and found[1] >= 5 else None


@functools.lru_cache(maxsize=1)
def pie_base() -> int | None:
    """Where this system loads a position-independent program with address randomization off:
    read from a run of one (the system's `true`, told to show its auxiliary vector), None when it
    cannot be told."""
    import subprocess

    prog = shutil.which("true") or "/bin/true"
    try:
        with open(prog, "rb") as f:
            head = f.read(64)
        if head[:4] != b"\x7fELF" or head[16:18] != b"\x03\x00":
            return None
        entry = int.from_bytes(head[24:32], "little")
        r = subprocess.run(
            [prog],
            env={"LD_SHOW_AUXV": "1", "PATH": os.environ.get("PATH", "")},
            capture_output=True,
            text=True,
            timeout=10,
            preexec_fn=_no_randomization,
        )  # noqa: PLW1509 - the personality must be set in the child
    except (OSError, subprocess.SubprocessError):
        return None
    for line in r.stdout.splitlines():
        if line.startswith("AT_ENTRY:"):
            return int(line.split()[1], 16) - entry
    return None


def _no_randomization() -> None:
    import ctypes

    if ctypes.CDLL(None, use_errno=True).personality(ADDR_NO_RANDOMIZE) == -1:
        os._exit(124)


def _host_model(workdir: Path) -> Path:
    from gcc_wrapper.optimize import dispatch

    here = dispatch.host("gcc")
    if isinstance(here, str):
        raise JudgeError(f"this host's CPU model: {here}")
    try:
        return dispatch.model_object(tuple(sorted(dict(here.words).items())), workdir)
    except ValueError as e:
        raise JudgeError(str(e)) from None


def _link(obj: Path, t: _Target, at: int, elf: Path, bias: int) -> tuple[int, bytes]:
    """(the function's address + bias, the image's bytes from `at`): obj linked at `at` against the
    program, both moved up by `bias` (where a PIE loads)."""
    from gcc_wrapper.optimize import dispatch, image

    defs: dict[str, int] = {}
    extra = []
    for s in sorted(set(image.undefined(obj)) - {t.name}):
        if s == dispatch.SYMBOL and s not in t.symbols:
            # a rewrite that dispatches on the CPU, in a program that does not link libgcc's CPU
            # model: it gets this host's, as its own constant
            extra.append(str(_host_model(obj.parent)))
        else:
            defs[s] = t.address(s) + bias
    try:
        return image.link(obj, t.name, at + bias, elf, defs, extra, into="into the program")
    except image.LinkError as e:
        raise JudgeError(str(e)) from None


# ---- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    status: int
    stdout: bytes
    stderr: bytes
    files: tuple[tuple[str, str], ...]  # (path under the workload's directory, digest) of what it wrote
    cpu: float  # user + system seconds, the run and its waited-for children
    wall: float
    collected: bytes = b""  # the file run_once was asked to collect, as the run left it


def _overlay(lower: str, upper: str, workdir: str):
    """In the child, before the sandbox starts: a mount namespace in which `lower` (the workload's
    directory) is an overlay whose writes go to `upper`. The sandbox's view of the file system is
    made from this namespace, so the run sees its files and cannot change them."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()

    def setup() -> None:
        flags = 0x00020000  # CLONE_NEWNS
        if uid != 0:
            flags |= 0x10000000  # CLONE_NEWUSER: an unprivileged user's own namespace
        if libc.unshare(flags) != 0:
            os._exit(121)
        if uid != 0:
            for path, text in (
                ("/proc/self/setgroups", "deny"),
                ("/proc/self/uid_map", f"{uid} {uid} 1"),
                ("/proc/self/gid_map", f"{gid} {gid} 1"),
            ):
                with open(path, "w") as f:
                    f.write(text)
        if libc.mount(b"none", b"/", None, 0x40000 | 0x4000, None) != 0:  # MS_PRIVATE | MS_REC
            os._exit(122)
        opts = f"lowerdir={lower},upperdir={upper},workdir={workdir}".encode()
        if libc.mount(b"overlay", lower.encode(), b"overlay", 0, opts) != 0:
            os._exit(123)
        _no_randomization()  # the patched program loads where its patched code was linked for (_patch)

    return setup


def run_timeout(w: Workload) -> float:
    """How long one run of the workload may take."""
    return max(30.0, RUN_TIMEOUT_FACTOR * (w.seconds or 3.0))


def run_once(
    w: Workload,
    exe: Path,
    timeout: float,
    *,
    env: dict[str, str] | None = None,
    shown: Sequence[str] = (),
    collect: str = "",
) -> Run:
    """One run of the workload with `exe` in place of its program: confined by the sandbox
    (sandbox.timed: no network, the system read-only, a system-call filter), its directory an
    overlay whose writes are kept apart and compared, then discarded. env, shown: as
    sandbox.timed's; collect: a file name under the workload's directory whose contents the run
    wrote, kept in Run.collected (and left out of Run.files)."""
    from gcc_wrapper.optimize.verify import sandbox

    with tempfile.TemporaryDirectory(prefix="llmcc-workload-") as tmp:
        upper, workdir = Path(tmp) / "upper", Path(tmp) / "work"
        upper.mkdir()
        workdir.mkdir()
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        t0 = time.monotonic()
        with open(out, "wb") as fout, open(err, "wb") as ferr:
            r = sandbox.timed(
                list(w.command),
                timeout=timeout,
                cwd=w.cwd,
                memory_bytes=PROGRAM_MEMORY,
                fsize_bytes=1 << 30,
                stdin_file=w.stdin or os.devnull,
                stdout=fout,
                stderr=ferr,
                setup=_overlay(w.cwd, str(upper), str(workdir)),
                executable=str(exe),
                env=env,
                shown=shown,
            )
        if r.timed_out:
            raise JudgeError(f"a run exceeded {timeout:.0f} s")
        if r.error:
            raise JudgeError(f"the sandbox could not run it: {r.error}")
        files, collected = [], b""
        for p in sorted(upper.rglob("*")):
            if collect and str(p.relative_to(upper)) == collect and p.is_file():
                collected = p.read_bytes()
            elif p.is_file() and not p.is_symlink():
                files.append((str(p.relative_to(upper)), hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()))
            elif p.is_char_device():  # overlayfs's whiteout: the run removed the file
                files.append((str(p.relative_to(upper)), "removed"))
        return Run(
            r.returncode, out.read_bytes(), err.read_bytes(), tuple(files), r.cpu, time.monotonic() - t0, collected
        )


def _differ(a: Run, b: Run) -> str:
    if a.status != b.status:
        return f"exit status {b.status}, with gcc's version {a.status}"
    if a.stdout != b.stdout:
        at = next((i for i, (x, y) in enumerate(zip(a.stdout, b.stdout)) if x != y), min(len(a.stdout), len(b.stdout)))
        return f"stdout differs from byte {at} ({len(b.stdout)} bytes, with gcc's version {len(a.stdout)})"
    if a.stderr != b.stderr:
        return "stderr differs"
    if a.files != b.files:
        names = sorted({f for f, _ in a.files} ^ {f for f, _ in b.files}) or sorted(
            f for (f, x), (_, y) in zip(a.files, b.files) if x != y
        )
        return f"the files it writes differ ({', '.join(names[:3])})"
    return ""


class Judge:
    """One function's two programs: the workload's executable with gcc's version and with a
    candidate, patched alike."""

    def __init__(self, w: Workload, ctx: Context, work: Path) -> None:
        self.w = w
        self.ctx = ctx
        self.work = work
        self.timeout = run_timeout(w)
        self.base = patch(w.exe, ctx, ctx.baseline_asm, work / "base", work)
        self._reference: Run | None = None

    def reference(self) -> Run:
        """gcc's version's run, checked once against a second run of it: a workload that does not
        repeat itself cannot judge anything."""
        if self._reference is None:
            first = run_once(self.w, self.base, self.timeout)
            again = run_once(self.w, self.base, self.timeout)
            why = _differ(first, again)
            if why:
                raise JudgeError(f"the workload does not repeat itself ({why})")
            self._reference = first
        return self._reference

    def program(self, asm_text: str) -> Path:
        name = "cand-" + hashlib.blake2b(asm_text.encode(), digest_size=6).hexdigest()
        out = self.work / name
        return out if out.exists() else patch(self.w.exe, self.ctx, asm_text, out, self.work)

    def compare(self, asm_text: str) -> Check:
        ref = self.reference()
        got = run_once(self.w, self.program(asm_text), self.timeout)
        why = _differ(ref, got)
        what = f"`{' '.join(self.w.command)}`"
        if why:
            return Check("workload", False, f"{what} with the candidate: {why}")
        return Check("workload", True, f"{what}: the same stdout, stderr, status and files as with gcc's version")

    def time(self, asm_text: str, rounds: int, lock_dir: Path, deadline: float | None = None) -> Measurement:
        """Rounds of three runs, gcc's version on both sides of the candidate (the order rotating):
        the candidate's ratio per round, and gcc's version against itself, which is the noise."""
        from gcc_wrapper.optimize.measure import measurement_lock

        cand = self.program(asm_text)
        base, cand_t, noise = [], [], []
        with measurement_lock(lock_dir, deadline=deadline):
            for r in range(rounds):
                if deadline is not None and time.monotonic() > deadline and len(base) >= 3:
                    break
                order = ("b", "c", "b") if r % 2 == 0 else ("c", "b", "b")
                times = {"b": [], "c": []}
                for side in order:
                    run = run_once(self.w, self.base if side == "b" else cand, self.timeout)
                    times[side].append(run.cpu)
                b1, b2 = times["b"]
                base.append((b1 + b2) / 2)
                cand_t.append(times["c"][0])
                noise.append(abs(1 - b1 / b2) if b2 > 0 else 0.0)
        ratios = [b / c if c > 0 else float("inf") for b, c in zip(base, cand_t)]
        floor = statistics.median(noise) if noise else 0.0
        return Measurement(
            f"workload cpu-time (`{' '.join(self.w.command)}`, noise {floor:.3f})",
            tuple(base),
            tuple(cand_t),
            statistics.median(ratios),
            (min(ratios), max(ratios)),
            len(ratios),
        )


def noise_of(m: Measurement) -> float:
    """The noise floor a workload measurement carries in its method ("noise 0.012")."""
    import re

    found = re.search(r"noise (\d+\.\d+)", m.method)
    return float(found.group(1)) if found else 0.0


# ---- one judge per function and process ----------------------------------------------------------

_JUDGES: dict[tuple[str, str, str], Judge | str] = {}
_WORK: list[tempfile.TemporaryDirectory] = []


def judge(ctx: Context) -> Judge:
    """The Judge of ctx's function on its workload (ctx.workload), made once per process; raises
    JudgeError when there is none or it cannot judge this function."""
    if not ctx.workload:
        raise JudgeError("no workload (`llmcc profile -- CMD` records one)")
    key = (ctx.workload, ctx.name, hashlib.blake2b(ctx.baseline_asm.encode(), digest_size=8).hexdigest())
    got = _JUDGES.get(key)
    if got is None:
        w = load(ctx.workload)
        if w is None:
            got = "the profiled program is gone or is not an ELF executable"
        else:
            if not _WORK:
                from gcc_wrapper.optimize.native import work_root

                _WORK.append(tempfile.TemporaryDirectory(prefix="llmcc-judge-", dir=work_root()))
            d = Path(_WORK[0].name) / str(len(_JUDGES))
            d.mkdir()
            try:
                got = Judge(w, ctx, d)
            except JudgeError as e:
                got = str(e)
        _JUDGES[key] = got
    if isinstance(got, str):
        raise JudgeError(got)
    return got
