"""Static checks of a candidate: cheap, nothing of it runs.

    check(ctx, cand) -> list[Check]        every static check, in order; stops at the first failure

Checks, by name:
    static.empty         the candidate has instructions at all
    static.directives    no .incbin/.include, no writable data (.data/.bss/.comm/.tdata...), no
                         section declared writable (but a RELRO table, .data.rel.ro*, where the
                         original has one: flow.py)
    static.dispatch      only for a candidate that dispatches on the CPU (optimize/dispatch.py):
                         exactly the template's layout, each body within its own level
    static.assemble      GNU as accepts it with -march restricted to the allowed instruction set
    static.symbols       defines ctx.name with the original's binding and type, exports nothing
                         else, references no external symbol the original does not (but libgcc's
                         CPU model, in a candidate static.dispatch passed)
    static.sections      the object has no writable section and no writable+executable one (but
                         RELRO tables as static.directives allows them, holding only addresses of
                         its own instructions or of functions: flow.relro_table_problem)
    static.instructions  no system call, interrupt, privileged, I/O, nondeterministic or
                         undecodable instruction; no %gs segment; no far control transfer
    static.flow          control flow stays in the function: branches on instruction boundaries,
                         calls only to what the original calls, indirect jumps only through
                         bounds-checked jump tables of its own (flow.py)
    static.stack         the return address is never data, rsp is back at every ret, calls are
                         aligned, nothing beyond the red zone (flow.py: the one place for stack rules)
    static.ipa           when other functions of the unit call it directly: writes no caller-saved
                         register the original leaves alone (they rely on it: gcc -fipa-ra)
    static.size          the code is at most SIZE_FACTOR times the original's (and 64 KiB)

The assembled object is kept (ObjectInfo.path) so differential testing links exactly what was
checked.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from gcc_wrapper.optimize.candidate import Candidate, Check, Context

SIZE_FACTOR = 8
SIZE_FLOOR = 4096
SIZE_CEILING = 64 << 10

# Mnemonics a rewrite never needs (system calls, interrupts, privileged and I/O instructions,
# sources of nondeterminism, transactional memory, far transfers).
FORBIDDEN = {
    "syscall",
    "sysenter",
    "sysexit",
    "sysret",
    "sysretq",
    "int",
    "int1",
    "int3",
    "into",
    "icebp",
    "hlt",
    "in",
    "ins",
    "insb",
    "insw",
    "insl",
    "insd",
    "out",
    "outs",
    "outsb",
    "outsw",
    "outsl",
    "outsd",
    "cli",
    "sti",
    "lgdt",
    "lidt",
    "lldt",
    "ltr",
    "sgdt",
    "sidt",
    "sldt",
    "str",
    "lmsw",
    "smsw",
    "clts",
    "invd",
    "wbinvd",
    "invlpg",
    "invpcid",
    "wrmsr",
    "rdmsr",
    "rdpmc",
    "rdtsc",
    "rdtscp",
    "rdrand",
    "rdseed",
    "rdpid",
    "cpuid",
    "xgetbv",
    "xsetbv",
    "swapgs",
    "iret",
    "iretq",
    "iretd",
    "lret",
    "lretq",
    "ljmp",
    "lcall",
    "ljmpq",
    "lcallq",
    "monitor",
    "mwait",
    "umonitor",
    "umwait",
    "tpause",
    "xbegin",
    "xend",
    "xabort",
    "xtest",
    "enclu",
    "encls",
    "enclv",
    "vmcall",
    "vmlaunch",
    "vmresume",
    "vmxoff",
    "vmxon",
    "vmread",
    "vmwrite",
    "vmptrld",
    "vmclear",
    "vmfunc",
    "wrfsbase",
    "wrgsbase",
    "rdfsbase",
    "rdgsbase",
    "wrpkru",
    "rdpkru",
    "xsave",
    "xrstor",
    "xsaveopt",
    "xsavec",
    "xsaves",
    "xrstors",
    "fxrstor",
    "ud1",
    "sysexitq",
    "senduipi",
    "uiret",
    "clui",
    "stui",
    "hreset",
    "serialize",
    "ptwrite",
    "enqcmd",
    "enqcmds",
}
# `.section` names and directives that would give the rewrite state of its own.
WRITABLE_DIRECTIVES = {".data", ".bss", ".comm", ".lcomm", ".tdata", ".tbss"}
BANNED_DIRECTIVES = {".incbin", ".include", ".rept", ".irp", ".irpc", ".macro", ".purgem", ".fill", ".org", ".reloc"}
MAX_SPACE = 1 << 16  # bytes one .zero/.skip/.space may reserve

# gcc's feature macros -> GNU as -march extensions
_MACRO_EXT = {
    "__SSE3__": "sse3",
    "__SSSE3__": "ssse3",
    "__SSE4_1__": "sse4.1",
    "__SSE4_2__": "sse4.2",
    "__SSE4A__": "sse4a",
    "__POPCNT__": "popcnt",
    "__AVX__": "avx",
    "__AVX2__": "avx2",
    "__FMA__": "fma",
    "__FMA4__": "fma4",
    "__F16C__": "f16c",
    "__BMI__": "bmi",
    "__BMI2__": "bmi2",
    "__LZCNT__": "lzcnt",
    "__ABM__": "abm",
    "__MOVBE__": "movbe",
    "__AES__": "aes",
    "__PCLMUL__": "pclmul",
    "__ADX__": "adx",
    "__SHA__": "sha",
    "__GFNI__": "gfni",
    "__VAES__": "vaes",
    "__VPCLMULQDQ__": "vpclmulqdq",
    "__PRFCHW__": "prfchw",
    "__XOP__": "xop",
    "__TBM__": "tbm",
    "__AVX512F__": "avx512f",
    "__AVX512CD__": "avx512cd",
    "__AVX512DQ__": "avx512dq",
    "__AVX512BW__": "avx512bw",
    "__AVX512VL__": "avx512vl",
    "__AVX512IFMA__": "avx512ifma",
    "__AVX512VBMI__": "avx512vbmi",
    "__AVX512VBMI2__": "avx512_vbmi2",
    "__AVX512VNNI__": "avx512_vnni",
    "__AVX512BITALG__": "avx512_bitalg",
    "__AVX512VPOPCNTDQ__": "avx512_vpopcntdq",
    "__AVX512BF16__": "avx512_bf16",
    "__AVX512FP16__": "avx512_fp16",
    "__AVXVNNI__": "avx_vnni",
    "__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16": "cx16",
}


@lru_cache(maxsize=32)
def as_march(isa: str, cc: str = "gcc") -> str:
    """GNU as's -march value for gcc's -march=isa: baseline x86-64 (generic64) plus exactly the
    extensions gcc enables for isa. endbr64 (a no-op before CET) is always allowed."""
    base = "generic64+ibt"
    if isa in ("", "x86-64", "default"):
        return base
    try:
        r = subprocess.run(
            [cc, f"-march={isa}", "-dM", "-E", "-x", "c", os.devnull], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ValueError(f"cannot ask {cc} about -march={isa}: {e}") from None
    if r.returncode != 0:
        raise ValueError(f"{cc} does not know -march={isa}: {r.stderr.strip()[:200]}")
    macros = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("#define ")}
    exts = [ext for m, ext in _MACRO_EXT.items() if m in macros]
    return base + "".join("+" + e for e in exts)


@dataclass(frozen=True)
class Symbol:
    name: str
    bind: str  # GLOBAL | LOCAL | WEAK
    type: str  # FUNC | OBJECT | NOTYPE | SECTION | FILE
    defined: bool
    vis: str = "DEFAULT"  # DEFAULT | HIDDEN | PROTECTED | INTERNAL


@dataclass(frozen=True)
class Section:
    name: str
    flags: str  # readelf's letters: A alloc, W write, X exec
    size: int


@dataclass(frozen=True)
class ObjectInfo:
    path: Path
    symbols: tuple[Symbol, ...]
    sections: tuple[Section, ...]
    flow: Any = None  # flow.Analysis of the candidate, once static.flow has run (its blocks: coverage)

    def undefined(self) -> set[str]:
        return {s.name for s in self.symbols if not s.defined and s.name and s.type != "FILE"}

    def exported(self) -> list[Symbol]:
        return [s for s in self.symbols if s.defined and s.bind in ("GLOBAL", "WEAK")]

    def code_size(self) -> int:
        return sum(s.size for s in self.sections if "X" in s.flags)


def work_root() -> Path:
    """Where verification keeps its files (harness objects, per-function builds)."""
    d = Path(tempfile.gettempdir()) / f"llmcc-verify-{os.getuid()}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def assemble(text: str, out: Path, march: str | None) -> str | None:
    """Assemble text into out; the assembler's complaint, or None."""
    src = out.with_suffix(".s")
    src.write_text(text)
    cmd = ["as", "--64"] + ([f"-march={march}"] if march else []) + ["-o", str(out), str(src)]
    # the assembler is trusted, its input is not: limits, like anything run on a candidate's behalf
    from gcc_wrapper.optimize.verify import sandbox

    r = sandbox.run(
        cmd, cwd=out.parent, timeout=60, cpu_seconds=30, memory_bytes=1 << 30, fsize_bytes=64 << 20, isolate_net=False
    )
    if r.returncode != 0 or r.timed_out:
        err = r.stderr.decode(errors="replace")
        msgs = [
            ln.split("Error: ", 1)[1] if "Error: " in ln else ln
            for ln in err.splitlines()
            if "Error" in ln or "error" in ln
        ]
        return "; ".join(msgs[:5]) or err.strip()[:400] or f"the assembler failed ({r.describe()})"
    return None


def assemble_debug(text: str, out: Path) -> str:
    """Assemble text with line information (as -g) and return objdump -dl of it: which line of
    the text each instruction comes from. Raises ValueError when it does not assemble."""
    src = out.with_suffix(".s")
    src.write_text(text)
    from gcc_wrapper.optimize.verify import sandbox

    r = sandbox.run(
        ["as", "--64", "-g", "-o", str(out), str(src)],
        cwd=out.parent,
        timeout=60,
        cpu_seconds=30,
        memory_bytes=1 << 30,
        fsize_bytes=64 << 20,
        isolate_net=False,
    )
    if r.returncode != 0 or r.timed_out:
        raise ValueError(r.stderr.decode(errors="replace")[:200])
    return subprocess.run(
        ["objdump", "-dl", "-w", "--no-show-raw-insn", str(out)], capture_output=True, text=True, timeout=60
    ).stdout


def object_info(path: Path) -> ObjectInfo:
    r = subprocess.run(["readelf", "-W", "-S", "-s", str(path)], capture_output=True, text=True, timeout=60)
    symbols: list[Symbol] = []
    sections: list[Section] = []
    mode = ""
    for line in r.stdout.splitlines():
        if line.startswith("Section Headers"):
            mode = "sec"
        elif line.startswith("Symbol table"):
            mode = "sym"
        elif mode == "sec":
            m = re.match(
                r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s", line
            )
            if m:
                sections.append(Section(m.group(1), m.group(3), int(m.group(2), 16)))
        elif mode == "sym":
            f = line.split()
            if len(f) >= 8 and f[0].endswith(":") and f[0][:-1].isdigit():
                symbols.append(Symbol(f[7].split("@")[0], f[4], f[3], f[6] != "UND", f[5]))
    return ObjectInfo(path, tuple(symbols), tuple(sections))


@dataclass(frozen=True)
class Insn:
    offset: int  # within its section
    mnemonic: str
    operands: str
    text: str
    section: str = ".text"
    prefixes: tuple[str, ...] = ()


def disassemble(path: Path) -> list[Insn]:
    """Every executable section, in order. -z: a run of zero bytes is code too (objdump would
    otherwise skip it, and the instructions after it would look like the fallthrough)."""
    r = subprocess.run(
        ["objdump", "-d", "-z", "-w", "--no-show-raw-insn", "-M", "suffix", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = []
    section = ".text"
    for line in r.stdout.splitlines():
        if line.startswith("Disassembly of section "):
            section = line[len("Disassembly of section ") :].rstrip(":")
            continue
        m = re.match(r"\s*([0-9a-f]+):\s+(.*)$", line)
        if not m:
            continue
        body = m.group(2).split("#")[0].strip()
        words = body.split()
        # prefixes come first: "rep stos", "lock addl", "notrack jmp"
        while words and words[0] in (
            "rep",
            "repz",
            "repnz",
            "repe",
            "repne",
            "lock",
            "notrack",
            "data16",
            "addr32",
            "bnd",
            "cs",
            "ds",
            "es",
            "ss",
            "fs",
            "gs",
            "rex",
            "rex.W",
            "xacquire",
            "xrelease",
        ):
            words = words[1:]
        prefixes = tuple(body.split()[: len(body.split()) - len(words)])
        mnem = words[0] if words else ""
        out.append(Insn(int(m.group(1), 16), mnem, " ".join(words[1:]), body, section, prefixes))
    return out


def _baseline_binding(ctx: Context) -> str:
    for line in ctx.baseline_asm.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in (".globl", ".global") and f[1].rstrip(",") == ctx.name:
            return "GLOBAL"
        if len(f) >= 2 and f[0] == ".weak" and f[1] == ctx.name:
            return "WEAK"
    return "LOCAL"


@lru_cache(maxsize=64)
def _baseline_object(baseline_asm: str) -> ObjectInfo | str:
    h = hashlib.blake2b(baseline_asm.encode(), digest_size=12).hexdigest()
    d = work_root() / "baselines"
    d.mkdir(exist_ok=True)
    out = d / f"{h}.o"
    err = assemble(baseline_asm, out, None)
    return err if err else object_info(out)


_MNEMONIC_SUFFIXES = re.compile(r"^(.*?)(q|l|w|b)$")


def _forbidden(mnem: str) -> bool:
    if mnem in FORBIDDEN:
        return True
    m = _MNEMONIC_SUFFIXES.match(mnem)  # objdump -M suffix spells "int" as "int", "in" as "inb"...
    return bool(m and m.group(1) in FORBIDDEN and m.group(1) not in ("", "s"))


def _section_words(line: str) -> tuple[str, str]:
    """A .section/.pushsection line's name and flags."""
    words = line.replace(",", " ").split()
    return words[1], line.split(",")[1].strip().strip('"') if "," in line else ""


def _has_relro_table(asm: str) -> bool:
    """The text declares a RELRO section (flow.py): gcc's table of addresses under -fPIC/-fPIE."""
    from gcc_wrapper.optimize.verify.flow import relro

    return any(
        relro(_section_words(ln)[0])
        for ln in (raw.split("#")[0].strip() for raw in asm.splitlines())
        if ln.startswith((".section", ".pushsection")) and len(ln.split()) >= 2
    )


def _callee_registers(ctx: Context) -> tuple[tuple[str, int], ...]:
    """(callee, parameter registers a call of it passes) for every callee of the unit that gcc's
    debugging information describes and that is not variadic: flow.py's RELRO rules ask. One
    more compile of the unit (cached per file); nothing when gcc cannot."""
    from gcc_wrapper.optimize import dwarf
    from gcc_wrapper.optimize.source import SourceError

    try:
        protos = dwarf.prototypes(ctx.source_path, ctx.cflags, ctx.cwd)
    except SourceError:
        return ()
    counted = ((name, dwarf.integer_registers(p)) for name, p in protos.items())
    return tuple(sorted((name, n) for name, n in counted if n is not None))


def _directive_problem(asm: str, relro_allowed: bool = False) -> str | None:
    from gcc_wrapper.optimize.verify.flow import relro

    for n, raw in enumerate(asm.splitlines(), 1):
        line = raw.split("#")[0].strip()
        if not line or not line.startswith("."):
            continue
        words = line.replace(",", " ").split()
        d = words[0]
        if d in BANNED_DIRECTIVES:
            return f"line {n}: {d} is not allowed"
        if (
            d in (".zero", ".skip", ".space")
            and len(words) > 1
            and not (words[1].isdigit() and int(words[1]) <= MAX_SPACE)
        ):
            return f"line {n}: {d} {words[1]}: at most {MAX_SPACE} bytes, as a plain number"
        if d in WRITABLE_DIRECTIVES:
            return f"line {n}: {d}: a rewrite may not add writable data"
        if d in (".section", ".pushsection") and len(words) >= 2:
            name, flags = _section_words(line)
            if relro_allowed and relro(name) and "x" not in flags:
                continue  # what it may hold is checked on the object (static.sections)
            if name.startswith((".data", ".bss", ".tdata", ".tbss")) or "w" in flags:
                return f"line {n}: section {name} is writable: a rewrite may not add writable data"
    return None


def check(ctx: Context, cand: Candidate) -> list[Check]:
    """Every static check in order, cheapest first, up to and including the first failure."""
    with tempfile.TemporaryDirectory(prefix="cand-", dir=work_root()) as d:
        return check_object(ctx, cand, Path(d))[0]


def check_object(ctx: Context, cand: Candidate, workdir: Path) -> tuple[list[Check], ObjectInfo | None]:
    """check(), keeping the assembled candidate (workdir/cand.o) for differential testing."""
    checks: list[Check] = []

    def done(name: str, ok: bool, detail: str = "") -> bool:
        checks.append(Check(name, ok, detail))
        return ok

    asm = cand.asm
    if not any(
        ln.strip() and not ln.strip().startswith((".", "#")) and not ln.strip().endswith(":") for ln in asm.splitlines()
    ):
        done("static.empty", False, "the candidate has no instructions")
        return checks, None
    relro_allowed = _has_relro_table(ctx.baseline_asm)
    problem = _directive_problem(asm, relro_allowed)
    if not done("static.directives", problem is None, problem or ""):
        return checks, None
    gate = None  # a dispatched candidate (optimize/dispatch.py): its bodies are checked on their own
    isa_name = ctx.isa or "x86-64"
    from gcc_wrapper.optimize import dispatch

    if dispatch.mentions(asm):
        base = _baseline_object(ctx.baseline_asm)
        c, gate = dispatch.check(ctx, asm, workdir, base.undefined() if not isinstance(base, str) else set())
        checks.append(c)
        if gate is None:
            return checks, None
        isa_name = f"{gate.top} (its highest body; static.dispatch checked each body at its own level)"
    try:
        march = as_march(gate.top if gate else ctx.isa, ctx.compiler or "gcc")
    except ValueError as e:
        done("static.assemble", False, str(e))
        return checks, None
    obj = workdir / "cand.o"
    err = assemble(asm, obj, march)
    if not done(
        "static.assemble", err is None, f"with -march={isa_name} ({march}): {err}" if err else f"-march={march}"
    ):
        return checks, None
    info = object_info(obj)
    base = _baseline_object(ctx.baseline_asm)
    if isinstance(base, str):
        done("static.symbols", False, f"the original does not assemble: {base}")
        return checks, None
    want_bind = _baseline_binding(ctx)
    mine = [s for s in info.symbols if s.defined and s.name == ctx.name]
    problem = None
    if not mine:
        problem = f"it does not define {ctx.name}"
    elif mine[0].bind != want_bind:
        problem = f"{ctx.name} is {mine[0].bind.lower()}, the original is {want_bind.lower()}"
    elif mine[0].type != "FUNC":
        problem = f"{ctx.name} is not typed @function"
    elif mine[0].vis != next((b.vis for b in base.symbols if b.defined and b.name == ctx.name), mine[0].vis):
        problem = f"{ctx.name} has visibility {mine[0].vis.lower()}, the original does not"
    else:
        others = [s.name for s in info.exported() if s.name != ctx.name]
        if others:
            problem = f"it exports other symbols: {', '.join(sorted(others))}"
        else:
            extra = info.undefined() - base.undefined() - ({gate.symbol} if gate else set())
            if extra:
                problem = f"it references symbols the original does not: {', '.join(sorted(extra))}"
    if not done("static.symbols", problem is None, problem or f"defines {ctx.name} ({want_bind.lower()})"):
        return checks, info
    from gcc_wrapper.optimize.verify import flow

    bad = [
        s
        for s in info.sections
        if "W" in s.flags
        and s.size > 0
        and not (relro_allowed and flow.relro(s.name))
        or ("W" in s.flags and "X" in s.flags)
    ]
    problem = f"writable section {bad[0].name}" if bad else None
    if not bad and any(flow.relro(s.name) for s in info.sections):
        problem = flow.relro_table_problem(obj)
    if not done("static.sections", problem is None, problem or ""):
        return checks, info
    insns = disassemble(obj)
    problem = None
    for ins in insns:
        if ins.mnemonic == "(bad)":
            problem = f"undecodable bytes at offset {ins.offset:#x}"
        elif _forbidden(ins.mnemonic):
            problem = f"`{ins.text}` at offset {ins.offset:#x} is not allowed"
        elif "%gs:" in ins.operands:
            problem = f"`{ins.text}` at offset {ins.offset:#x}: %gs segment"
        elif re.search(r"%[cd]r\d", ins.operands):
            problem = f"`{ins.text}` at offset {ins.offset:#x}: control/debug register"
        if problem:
            break
    if not done("static.instructions", problem is None, problem or f"{len(insns)} instructions"):
        return checks, info
    from dataclasses import replace

    from gcc_wrapper.optimize.verify import flow

    found, analysis = flow.checks(ctx.name, obj, insns, base.path, _callee_registers(ctx) if relro_allowed else ())
    from gcc_wrapper.optimize.verify import from_gcc

    if from_gcc(cand):
        # These rules hold hostile code to what the analysis can prove; it is path-insensitive
        # and refuses what it cannot follow (a register set on every feasible path to a use only
        # through correlated branches, a stack address kept in a slot). gcc's own compilation of
        # the source is trusted as the baseline build is, so a finding there is the analysis's
        # limit, not the code's: shown, not enforced. What a variant must still fit (the unit's
        # calling contract, its symbols and sections) is checked before and after.
        found = [c if c.passed else Check(c.name, True, f"not enforced on gcc's own code: {c.detail}") for c in found]
    checks.extend(found)
    info = replace(info, flow=analysis)
    if not checks[-1].passed:
        return checks, info
    from gcc_wrapper.optimize.verify import ipa

    contract = ipa.check(
        ctx, [(i.text[: i.text.index(i.mnemonic) + len(i.mnemonic)] if i.mnemonic else "", i.operands) for i in insns]
    )
    if contract is not None:
        checks.append(contract)
        if not contract.passed:
            return checks, info
    limit = min(SIZE_CEILING, max(SIZE_FLOOR, SIZE_FACTOR * base.code_size()))
    if gate:  # each body is held to what one candidate may be
        limit *= len(gate.dispatched.parts)
    size = info.code_size()
    done("static.size", size <= limit, f"{size} bytes of code (limit {limit})")
    return checks, info
