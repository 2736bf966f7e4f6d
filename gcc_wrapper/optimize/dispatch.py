"""ISA dispatch: one function compiled for several x86-64 levels behind a dispatcher that runs the
highest level the CPU supports, the baseline on every other x86-64 CPU.

    template(cc)                 the dispatcher's loads and masks, as gcc emits them for
                                 __builtin_cpu_supports("x86-64-vN") (or why there is none)
    host(cc)                     the CPU model libgcc computes on this machine
    compose(name, base, bodies, t)  the candidate: llmcc's own composition of gcc's texts
    check(ctx, text, workdir)    static.dispatch: the candidate is exactly that composition
    cpu_models(ctx, text)        the CPU models differential testing runs it under
    describe(text, cc)           "dispatch: x86-64-v3 (this host), baseline fallback"

The dispatcher reads libgcc's CPU model directly, with one test and one branch per level, and
touches no register (only the flags) and no stack, so the function keeps its calling convention
and the -fipa-ra contract of the baseline body:

    f:
            .cfi_startproc
            testl   $4, __cpu_features2+8(%rip)     # x86-64-v4
            jne     .Lllmcc_dispatch_v4
            testl   $2, __cpu_features2+8(%rip)     # x86-64-v3
            jne     .Lllmcc_dispatch_v3
            jmp     .Lllmcc_dispatch_v1             # the baseline
            .cfi_endproc
    .Lllmcc_dispatch_v4:   <gcc's body for -march=x86-64-v4>
    .Lllmcc_dispatch_v3:   <gcc's body for -march=x86-64-v3>
    .Lllmcc_dispatch_v1:   <gcc's body for the user's flags>
            .size   f, .-f

Why a direct test and not an ifunc (what gcc's target_clones makes): an ifunc resolver runs while
the dynamic loader relocates, before any constructor (so it has to initialise the CPU model
itself), needs a GNU_IFUNC symbol (static.symbols wants the original's FUNC), a writable GOT slot,
IRELATIVE relocations in static binaries (which musl does not process), and turns every call,
also those from the same unit, into an indirect one. The direct test costs a load and a
predictable branch per call and needs nothing of the loader.

`__cpu_features2` is defined in libgcc.a with hidden visibility (libgcc_s.so does not export it),
so every executable and shared object that references it links its own copy, with libgcc's
constructor `__cpu_indicator_init` (priority 101) that fills it in: a PC-relative reference works
in executables, PIEs, static binaries and shared objects alike (docs/optimizer.md). Before that
constructor has run the word is zero, and the dispatcher takes the baseline body: code run too
early is slower, never wrong.

The bodies are ordered from the highest level down, the baseline last, so that falling off the
end of one body can only reach code of a lower level. The verifier (check) accepts exactly this
layout: the dispatcher must equal the template for the levels it names, each body is assembled on
its own with -march restricted to its level and may refer to nothing of the other bodies, code
sections of a body hold only instructions (no data directives, which could encode instructions the
assembler's -march never saw), and an AVX body clears the upper vector state (vzeroupper) before
every exit.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gcc_wrapper.compile import asm
from gcc_wrapper.compile.driver import DISPATCH_LEVELS
from gcc_wrapper.optimize.candidate import Check, Context

BASELINE = DISPATCH_LEVELS[0]  # x86-64
LEVELS = DISPATCH_LEVELS[1:]  # the levels a body may be compiled for
SYMBOL = "__cpu_features2"  # libgcc's hidden CPU-feature words (see the module docstring)
ENTRY = ".Lllmcc_dispatch_"  # + tag: a body's entry label
_LOCAL = ".Lllmcc_"  # + tag + "_" + gcc's name: a body's own labels and constants
AVX_LEVELS = ("x86-64-v3", "x86-64-v4")  # bodies that may leave the upper vector state dirty


def level_flags(level: str) -> tuple[str, ...]:
    """What a body for `level` is compiled with after the build's own flags. gcc contracts a*b+c
    into a fused multiply-add wherever the ISA has one (x86-64-v3 up, -ffp-contract=fast is GNU C's
    default): rounded once instead of twice, its result can differ in the last bit from the
    baseline body's, which has no FMA to fuse with. So a body never fuses (and the driver allows
    dispatch from an ISA with FMA only when the build itself says -ffp-contract=off).

    -fno-ipa-ra: with it on, gcc keeps values in vector registers across a call to a function of
    the unit it has seen leave them alone, and then omits the vzeroupper before the call (it may
    not clear a live upper half). The callee a body calls is the baseline's code, and an AVX body
    must leave clean (check); without interprocedural register allocation every call clobbers
    all vector registers, so gcc clears the upper state before each one itself."""
    return (f"-march={level}", "-ffp-contract=off", "-fno-ipa-ra")


def tag(level: str) -> str:
    """x86-64 -> v1, x86-64-v3 -> v3."""
    return "v1" if level == BASELINE else level.rsplit("-", 1)[1]


def level_of(t: str) -> str | None:
    for lvl in DISPATCH_LEVELS:
        if tag(lvl) == t:
            return lvl
    return None


# ---------------------------------------------------------------------------------------------
# What gcc emits for __builtin_cpu_supports, and what this CPU is


@dataclass(frozen=True)
class Test:
    """How to test for one level: the word of SYMBOL at byte `offset`, bit `mask`."""

    level: str
    offset: int
    mask: int

    def line(self) -> str:
        where = f"{SYMBOL}+{self.offset}" if self.offset else SYMBOL
        return f"\ttestl\t${self.mask}, {where}(%rip)\n"


@dataclass(frozen=True)
class Template:
    tests: tuple[Test, ...]  # one per level in LEVELS order

    def test(self, level: str) -> Test:
        return next(t for t in self.tests if t.level == level)

    def dispatcher(self, name: str, levels: tuple[str, ...]) -> str:
        """The dispatcher for `levels` (any order), from the label on: highest level first, the
        baseline last."""
        out = [f"{name}:\n", "\t.cfi_startproc\n"]
        for lvl in sorted(levels, key=DISPATCH_LEVELS.index, reverse=True):
            out += [self.test(lvl).line(), f"\tjne\t{ENTRY}{tag(lvl)}\n"]
        out += [f"\tjmp\t{ENTRY}{tag(BASELINE)}\n", "\t.cfi_endproc\n"]
        return "".join(out)


_LOAD = re.compile(r"^\s*(?:movq\s+(\w+)@GOTPCREL\(%rip\)|leaq\s+(\w+)\(%rip\)),\s*%(\w+)\s*$")
_READ = re.compile(r"^\s*movl\s+(\d*)\(%(\w+)\),\s*%eax\s*$")
_MASK = re.compile(r"^\s*andl\s+\$(\d+),\s*%eax\s*$")


@lru_cache(maxsize=8)
def template(cc: str = "gcc") -> Template | str:
    """The test gcc `cc` makes of __builtin_cpu_supports("x86-64-vN"), for each level; or why
    there is none (gcc before 12 does not know the level names; another symbol or shape than
    one bit of SYMBOL is not used)."""
    src = "".join(
        f'int llmcc_level{i}(void) {{ return __builtin_cpu_supports("{lvl}"); }}\n' for i, lvl in enumerate(LEVELS)
    )
    try:
        r = subprocess.run(
            [cc, "-O2", "-fno-asynchronous-unwind-tables", "-S", "-x", "c", "-o", "-", "-"],
            input=src,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"cannot ask {cc}: {e}"
    if r.returncode != 0:
        return f"{cc} cannot test the x86-64 levels: {r.stderr.strip()[:200]}"
    bodies: dict[int, list[str]] = {}
    cur = None
    for line in r.stdout.splitlines():
        m = re.match(r"^llmcc_level(\d+):", line)
        if m:
            cur = bodies.setdefault(int(m.group(1)), [])
        elif cur is not None and line.strip() and not line.strip().startswith("."):
            cur.append(line)
    tests = []
    for i, lvl in enumerate(LEVELS):
        ins = bodies.get(i, [])
        load = _LOAD.match(ins[0]) if len(ins) >= 3 else None
        read = _READ.match(ins[1]) if load else None
        mask = _MASK.match(ins[2]) if read else None
        if not (load and read and mask) or read.group(2) != load.group(3):
            return f"{cc} tests {lvl} in an unexpected way: {'; '.join(s.strip() for s in ins[:4])}"
        sym = load.group(1) or load.group(2)
        bit = int(mask.group(1))
        if sym != SYMBOL or bit == 0 or bit & (bit - 1):
            return f"{cc} tests {lvl} as bits {bit:#x} of {sym}, not one bit of {SYMBOL}"
        tests.append(Test(lvl, int(read.group(1) or 0), bit))
    return Template(tuple(tests))


@dataclass(frozen=True)
class Host:
    """libgcc's CPU model on this machine: the words the template reads, and the levels set."""

    words: tuple[tuple[int, int], ...]  # (byte offset, value)
    levels: tuple[str, ...]  # the levels this CPU supports, in LEVELS order

    def top(self, levels: tuple[str, ...]) -> str:
        """The body a candidate with bodies for `levels` runs here."""
        return max((lvl for lvl in levels if lvl in self.levels), key=DISPATCH_LEVELS.index, default=BASELINE)


@lru_cache(maxsize=8)
def host(cc: str = "gcc") -> Host | str:
    """The CPU model as libgcc's constructor computes it on this machine (a probe compiled by cc and
    run once per process), or why it cannot be read."""
    t = template(cc)
    if isinstance(t, str):
        return t
    offsets = sorted({x.offset for x in t.tests})
    src = (
        "#include <stdio.h>\nextern unsigned int "
        + SYMBOL
        + "[];\nint main(void) { __builtin_cpu_init();\n"
        + "".join(f'  printf("%u ", {SYMBOL}[{o // 4}]);\n' for o in offsets)
        + "".join(f'  printf("%d ", __builtin_cpu_supports("{x.level}") != 0);\n' for x in t.tests)
        + "  return 0; }\n"
    )
    with tempfile.TemporaryDirectory(prefix="llmcc-cpu-") as d:
        exe = Path(d) / "probe"
        try:
            r = subprocess.run(
                [cc, "-O2", "-x", "c", "-o", str(exe), "-"], input=src, capture_output=True, text=True, timeout=60
            )
            if r.returncode != 0:
                return f"cannot build the CPU probe: {r.stderr.strip()[:200]}"
            out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=10).stdout.split()
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"cannot run the CPU probe: {e}"
    try:
        values = [int(v) for v in out]
    except ValueError:
        return f"the CPU probe printed {out!r}"
    if len(values) != len(offsets) + len(t.tests):
        return f"the CPU probe printed {out!r}"
    words = dict(zip(offsets, values))
    levels = tuple(x.level for x in t.tests if words[x.offset] & x.mask)
    if levels != tuple(x.level for x, s in zip(t.tests, values[len(offsets) :]) if s):
        return "libgcc's words and __builtin_cpu_supports disagree"
    return Host(tuple(sorted(words.items())), levels)


# ---------------------------------------------------------------------------------------------
# Composition (trusted: llmcc's own, from gcc's texts)


class NotComposable(Exception):
    """gcc's text of a function does not fit the dispatch layout."""


@dataclass(frozen=True)
class Part:
    """One body of a dispatched function, as the composite carries it."""

    level: str
    constants: tuple[str, ...]  # lines of its read-only constants, section directives included
    body: tuple[str, ...]  # lines of its code from the label on (exclusive) to `.size` (exclusive)


@dataclass(frozen=True)
class Dispatched:
    name: str
    section: str  # the function's section directive line
    head: tuple[str, ...]  # alignment, binding, visibility and type lines before the label
    parts: tuple[Part, ...]  # highest level first, the baseline last

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels above the baseline, highest first."""
        return tuple(p.level for p in self.parts[:-1])

    def render(self, t: Template) -> str:
        out = [ln for p in self.parts for ln in p.constants]
        out += [self.section, *self.head, t.dispatcher(self.name, self.levels)]
        for p in self.parts:
            out += [self.section, "\t.p2align 4\n", f"{ENTRY}{tag(p.level)}:\n", *p.body]
        out += [self.section, f"\t.size\t{self.name}, .-{self.name}\n"]
        return "".join(out)

    def standalone(self, part: Part) -> str:
        """One body as a function of its own (what its level's assembler checks)."""
        return "".join(
            [
                *part.constants,
                self.section,
                *self.head,
                f"{self.name}:\n",
                *part.body,
                self.section,
                f"\t.size\t{self.name}, .-{self.name}\n",
            ]
        )


_SECTION_LINE = re.compile(r"^\s*(\.text|\.section\s.*)$")
_LABEL_DEF = re.compile(r"^\s*([A-Za-z_.$][\w.$]*):\s*$")
_SET_DEF = re.compile(r"^\s*\.(?:set|equ)\s+([\w.$]+)\s*,")


def _lines(text: str) -> list[str]:
    return [ln if ln.endswith("\n") else ln + "\n" for ln in text.splitlines()]


def _is_size_of(line: str, sym: str) -> bool:
    return re.fullmatch(rf"\s*\.size\s+{re.escape(sym)}\s*,\s*\.-{re.escape(sym)}\s*", line.rstrip("\n")) is not None


def _rename(lines: list[str], names: set[str], prefix: str) -> list[str]:
    if not names:
        return lines
    pat = re.compile(
        r"(?<![\w.$%])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![\w.$])"
    )
    out = []
    for ln in lines:
        pieces = re.split(r'("(?:[^"\\]|\\.)*")', ln)  # never inside a string literal
        out.append("".join(p if i % 2 else pat.sub(lambda m: prefix + m.group(1), p) for i, p in enumerate(pieces)))
    return out


def _split(text: str, name: str) -> tuple[list[str], str, list[str], list[str]]:
    """gcc's standalone text of `name` (asm.Function.text()) as constants, section directive,
    head, body; its cold part's own symbol directives dropped (the body keeps its code)."""
    lines = _lines(text)
    label = next((i for i, ln in enumerate(lines) if ln.strip() == f"{name}:"), None)
    if label is None:
        raise NotComposable(f"no label {name}")
    sec = next((i for i in range(label - 1, -1, -1) if _SECTION_LINE.match(lines[i])), None)
    if sec is None:
        raise NotComposable("no section directive before the function")
    size = next((i for i in range(label + 1, len(lines)) if _is_size_of(lines[i], name)), None)
    if size is None:
        raise NotComposable(f"no `.size {name}, .-{name}`")
    cold = f"{name}.cold"
    body = [
        ln
        for ln in lines[label + 1 : size]
        if not (
            re.fullmatch(rf"\s*\.type\s+{re.escape(cold)}\s*,\s*@function\s*", ln.rstrip("\n")) or _is_size_of(ln, cold)
        )
    ]
    for ln in lines[size + 1 :]:
        if not (_SECTION_LINE.match(ln) or _is_size_of(ln, cold) or not ln.strip()):
            raise NotComposable(f"unexpected line after the function: {ln.strip()}")
    return lines[:sec], lines[sec], lines[sec + 1 : label], body


def defined_names(lines: list[str], name: str) -> set[str]:
    """The labels and `.set` names a function's text defines, but the function's own name."""
    out = set()
    for ln in lines:
        m = _LABEL_DEF.match(ln) or _SET_DEF.match(ln)
        if m and m.group(1) != name:
            out.add(m.group(1))
    return out


def compose(name: str, baseline: str, bodies: dict[str, str], t: Template) -> str:
    """The dispatched candidate: `baseline` (gcc's text of `name` for the user's flags) and
    `bodies` (level -> gcc's text for the same flags plus -march=level), each lifted as
    asm.Function.text() lifts it, their labels and constants renamed apart. Raises NotComposable."""
    if not bodies or any(lvl not in LEVELS for lvl in bodies):
        raise NotComposable(f"no levels to dispatch to among {sorted(bodies)}")
    levels = sorted(bodies, key=DISPATCH_LEVELS.index, reverse=True)
    parts = []
    section = head = None
    for lvl, text in [*((lvl, bodies[lvl]) for lvl in levels), (BASELINE, baseline)]:
        consts, sec, hd, body = _split(text, name)
        if section is not None and sec != section:
            raise NotComposable(f"the {lvl} body is in another section ({sec.strip()})")
        section, head = sec, hd  # the baseline's head, last, is the one kept
        names = defined_names(consts + body, name)
        prefix = f"{_LOCAL}{tag(lvl)}_"
        parts.append(Part(lvl, tuple(_rename(consts, names, prefix)), tuple(_rename(body, names, prefix))))
    assert section is not None and head is not None
    return Dispatched(name, section, tuple(head), tuple(parts)).render(t)


# ---------------------------------------------------------------------------------------------
# Recognition (untrusted: the verifier's view of a candidate)


def mentions(text: str) -> bool:
    """Whether a candidate claims to be dispatched (and must then be exactly that)."""
    return ENTRY in text


def parse(text: str, name: str, t: Template) -> Dispatched | str:
    """The candidate as a Dispatched when it is exactly what compose() makes, else why not."""
    lines = _lines(text)
    label = next((i for i, ln in enumerate(lines) if ln.strip() == f"{name}:"), None)
    if label is None:
        return f"no label {name}"
    sec = next((i for i in range(label - 1, -1, -1) if _SECTION_LINE.match(lines[i])), None)
    if sec is None:
        return "no section directive before the function"
    section, head = lines[sec], lines[sec + 1 : label]
    for ln in head:
        w = ln.replace(",", " ").split()
        if not w or not (
            w[0] in (".p2align", ".align", ".balign")
            or (
                w[0] in (".globl", ".global", ".weak", ".hidden", ".protected", ".internal", ".type")
                and w[1:2] == [name]
            )
        ):
            return f"unexpected line before the label: {ln.strip()}"
    # the dispatcher: its levels from the entry labels it jumps to
    levels = []
    i = label + 2
    while i + 1 < len(lines) and lines[i + 1].startswith(f"\tjne\t{ENTRY}"):
        lvl = level_of(lines[i + 1].strip().rsplit(ENTRY, 1)[1])
        if lvl is None or lvl not in LEVELS or lvl in levels:
            return f"the dispatcher jumps to an unknown body: {lines[i + 1].strip()}"
        levels.append(lvl)
        i += 2
    if not levels:
        return (
            "the dispatcher does not match the template: it does not begin with `.cfi_startproc` and a level's "
            f"test and jump (found `{''.join(lines[label + 1 : label + 3]).strip()}`)"
        )
    want = t.dispatcher(name, tuple(levels))
    got = "".join(lines[label : label + want.count("\n")])
    if got != want:
        return "the dispatcher does not match the template:\n" + _first_difference(want, got)
    # the bodies, in the dispatcher's order, each after its entry label
    order = [*sorted(levels, key=DISPATCH_LEVELS.index, reverse=True), BASELINE]
    pos = label + want.count("\n")
    bodies: list[list[str]] = []
    for k, lvl in enumerate(order):
        intro = [section, "\t.p2align 4\n", f"{ENTRY}{tag(lvl)}:\n"]
        if lines[pos : pos + 3] != intro:
            return f"the {lvl} body does not start as the template does (at line {pos + 1})"
        pos += 3
        end = _find(
            lines,
            pos,
            [section, "\t.p2align 4\n", f"{ENTRY}{tag(order[k + 1])}:\n"]
            if k + 1 < len(order)
            else [section, f"\t.size\t{name}, .-{name}\n"],
        )
        if end is None:
            return f"the {lvl} body does not end as the template does"
        bodies.append(lines[pos:end])
        pos = end
    if pos + 2 != len(lines):
        return "text after the function's .size"
    # constants first, each block labelled for one body
    consts: dict[str, list[str]] = {lvl: [] for lvl in order}
    seen: list[str] = []
    blocks = _blocks(lines[:sec])
    if blocks is None:
        return "text before the constants' first section directive"
    for block in blocks:
        owners = {_owner(d) for d in defined_names(block, name)}
        if len(owners) != 1 or None in owners:
            return f"a constant block not labelled for one body: {block[0].strip()} {''.join(block[1:3]).strip()}"
        lvl = owners.pop()
        if lvl not in consts:
            return f"constants of a body it does not have ({lvl})"
        consts[lvl] += block
        seen.append(lvl)
    if seen != sorted(seen, key=order.index):
        return "the constant blocks are not in the order of the bodies"
    d = Dispatched(
        name, section, tuple(head), tuple(Part(lvl, tuple(consts[lvl]), tuple(b)) for lvl, b in zip(order, bodies))
    )
    if d.render(t) != "".join(lines):
        return "the text differs from the template's rendering of its parts"
    return d


def _find(lines: list[str], start: int, seq: list[str]) -> int | None:
    for i in range(start, len(lines) - len(seq) + 1):
        if lines[i : i + len(seq)] == seq:
            return i
    return None


def _blocks(lines: list[str]) -> list[list[str]] | None:
    blocks: list[list[str]] = []
    for ln in lines:
        if _SECTION_LINE.match(ln):
            blocks.append([ln])
        elif not blocks:
            return None
        else:
            blocks[-1].append(ln)
    return blocks


def _owner(sym: str) -> str | None:
    m = re.match(re.escape(_LOCAL) + r"(v\d)_", sym)
    return level_of(m.group(1)) if m else None


def _first_difference(want: str, got: str) -> str:
    for a, b in zip(want.splitlines(), got.splitlines()):
        if a != b:
            return f"expected `{a.strip()}`, found `{b.strip()}`"
    return "it is shorter or longer than the template"


# ---------------------------------------------------------------------------------------------
# The static gate: static.dispatch


_RODATA = re.compile(r'^\s*\.section\s+(\.rodata[\w.]*)\s*(?:,\s*"([A-Za-z]*)"\s*(?:,\s*@\w+\s*(?:,\s*\d+\s*)?)?)?$')
_TEXT = re.compile(r'^\s*(?:\.text|\.section\s+(\.text[\w.]*)\s*(?:,\s*"ax"\s*(?:,\s*@progbits\s*)?)?)$')


_ALIAS = re.compile(r"^\.set\s+([\w.$]+)\s*,\s*([\w.$]+)\s*$")


def _code_problem(lines: tuple[str, ...], start_in_code: bool, own: str) -> str | None:
    """Within a body's code sections only instructions, labels, CFI and alignment with the
    assembler's own padding; read-only data sections only data, and gcc's aliases of one constant
    for another (`.set .LC2,.LC0`) between the body's own names (prefix `own`). Every section
    switch is one of gcc's plain forms, so where each line lands is known. Constants
    (start_in_code False) hold no code at all."""
    code = start_in_code
    for n, raw in enumerate(lines, 1):
        s = raw.split("#", 1)[0].strip()
        if not s or _LABEL_DEF.match(s):
            continue
        if not s.startswith("."):
            if not code:
                return f"line {n}: an instruction outside a code section: {s}"
            continue
        d = s.replace(",", " ").split()[0]
        if d in (".text", ".section"):
            if _TEXT.match(s) and start_in_code:
                code = True
            elif (m := _RODATA.match(s)) and not set(m.group(2) or "") & set("wx"):
                code = False
            else:
                return f"line {n}: section switch not allowed in a dispatched body: {s}"
        elif d in asm.ALIGN:
            ops = [o.strip() for o in s.split(None, 1)[1].split(",")] if " " in s or "\t" in s else []
            if code and len(ops) > 1 and ops[1]:
                return f"line {n}: alignment with a fill value in code: {s}"
        elif d.startswith(".cfi_") and code:
            continue
        elif not code and (d in asm.OBJECT_DATA or (d in (".type", ".size") and "@function" not in s)):
            continue
        elif not code and (m := _ALIAS.match(s)) and m.group(1).startswith(own) and m.group(2).startswith(own):
            continue
        else:
            return f"line {n}: `{d}` not allowed {'in code' if code else 'in a data section'} of a dispatched body"
    return None


_UPPER = re.compile(r"%[yz]mm\d")
_PREFIXES = ("rep", "repz", "repe", "repnz", "repne", "notrack", "bnd", "lock")


def _vzeroupper_problem(lines: tuple[str, ...]) -> str | None:
    """Where an AVX body may leave its code with the upper halves of the vector registers dirty:
    at a ret, a call, a jump out of the body, or the end of a code run. Dirty after any
    instruction naming a ymm or zmm register, clean after vzeroupper/vzeroall (and after a
    call, whose callee returns clean); may-dirty joins at labels; an indirect jump may go to
    any label of the body."""
    insns: list[tuple[int, str, str]] = []  # (line, mnemonic, operands)
    labels: dict[str, int] = {}
    ends: set[int] = set()  # instructions a section switch follows: nothing falls through from them
    for n, raw in enumerate(lines, 1):
        s = raw.split("#", 1)[0].strip()
        if not s:
            continue
        m = _LABEL_DEF.match(s)
        if m:
            labels[m.group(1)] = len(insns)
            continue
        if s.startswith("."):
            if (_TEXT.match(s) or _RODATA.match(s)) and insns:
                ends.add(len(insns) - 1)
            continue
        w = s.split(None, 1)
        while len(w) > 1 and w[0] in _PREFIXES:
            w = w[1].split(None, 1)
        insns.append((n, w[0], w[1] if len(w) > 1 else ""))
    if not insns:
        return None
    ends.add(len(insns) - 1)
    dirty_in = [False] * len(insns)
    reached = [False] * len(insns)
    reached[0] = True
    work = [0]

    def flow(k: int, dirty: bool) -> None:
        if k < len(insns) and (not reached[k] or (dirty and not dirty_in[k])):
            reached[k] = True
            dirty_in[k] = dirty_in[k] or dirty
            work.append(k)

    while work:
        k = work.pop()
        n, mnem, ops = insns[k]
        dirty = dirty_in[k]
        if mnem in ("vzeroupper", "vzeroall"):
            dirty = False
        elif _UPPER.search(ops):
            dirty = True
        where = f"line {n} (`{mnem} {ops}`)".replace(" `)", "`)")
        if mnem.startswith(("ret", "call")):
            if dirty:
                return f"{where} with the upper vector state dirty: no vzeroupper before it"
            if mnem.startswith("call") and k not in ends:
                flow(k + 1, False)  # the callee returns with the state clean
            continue
        if mnem == "ud2":
            continue
        if mnem.startswith("j"):
            target = ops.strip()
            if target.startswith("*"):  # a jump table (or any indirect jump): every label
                for idx in labels.values():
                    flow(idx, dirty)
                continue
            if target in labels:
                flow(labels[target], dirty)
            elif dirty:
                return f"{where} leaves the body with the upper vector state dirty: no vzeroupper before it"
            if mnem == "jmp":
                continue
        if k in ends:
            if dirty:
                return f"{where} ends a run of code with the upper vector state dirty"
            continue
        flow(k + 1, dirty)
    return None


@dataclass(frozen=True)
class Gate:
    """What static.dispatch concluded about a dispatched candidate."""

    dispatched: Dispatched
    top: str  # the highest level it carries: the -march the whole candidate assembles with
    symbol: str = SYMBOL  # the one external symbol it may refer to beyond the original's


def check(ctx: Context, text: str, workdir: Path, base_undefined: set[str]) -> tuple[Check, Gate | None]:
    """static.dispatch: dispatch is allowed here, the candidate is exactly the template's layout,
    each body stays within its level (assembled on its own with that level's -march) and refers
    to nothing outside what the original refers to (so to no other body), its code sections hold
    only instructions, every AVX body clears the upper vector state before it leaves, and this
    host can run every body (differential testing runs each)."""
    from gcc_wrapper.optimize.verify import static

    def no(why: str) -> tuple[Check, None]:
        return Check("static.dispatch", False, why), None

    if not ctx.dispatch:
        return no(
            "dispatch to higher x86-64 levels is not allowed here (setting dispatch = off, "
            f"or the build's -march={ctx.isa} or -m/-f options rule it out)"
        )
    t = template(ctx.compiler or "gcc")
    if isinstance(t, str):
        return no(t)
    d = parse(text, ctx.name, t)
    if isinstance(d, str):
        return no(d)
    for lvl in d.levels:
        if lvl not in ctx.dispatch:
            return no(f"a body for {lvl}, which this build may not dispatch to (allowed: {', '.join(ctx.dispatch)})")
    here = host(ctx.compiler or "gcc")
    if isinstance(here, str):
        return no(f"cannot read this host's CPU model: {here}")
    missing = [lvl for lvl in d.levels if lvl not in here.levels]
    if missing:
        return no(f"this host cannot run the {', '.join(missing)} body, so differential testing cannot check it")
    for p in d.parts:
        isa = ctx.isa if p.level == BASELINE else p.level
        own = f"{_LOCAL}{tag(p.level)}_"
        problem = _code_problem(p.body, True, own) or _code_problem(p.constants, False, own)
        if problem:
            return no(f"the {p.level} body: {problem}")
        if p.level in AVX_LEVELS:
            problem = _vzeroupper_problem(p.body)
            if problem:
                return no(f"the {p.level} body: {problem}")
        try:
            march = static.as_march(isa, ctx.compiler or "gcc")
        except ValueError as e:
            return no(str(e))
        obj = workdir / f"body_{tag(p.level)}.o"
        err = static.assemble(d.standalone(p), obj, march)
        if err:
            return no(f"the {p.level} body does not assemble with -march={isa} ({march}): {err}")
        extra = static.object_info(obj).undefined() - base_undefined
        if extra:
            return no(
                f"the {p.level} body refers to {', '.join(sorted(extra))}, which the original does not "
                "(another body's labels, or a new symbol)"
            )
    here_runs = here.top(d.levels)
    return (
        Check(
            "static.dispatch",
            True,
            f"bodies for {', '.join(d.levels)} and the baseline, each within its level; "
            f"this host runs the {here_runs} body",
        ),
        Gate(d, d.levels[0]),
    )


# ---------------------------------------------------------------------------------------------
# Differential testing under each CPU model, and what the report says


@dataclass(frozen=True)
class CpuModel:
    """The words of SYMBOL a harness run sets, and what that run tests."""

    label: str
    words: tuple[tuple[int, int], ...]  # (byte offset, value)

    def args(self) -> list[str]:
        """harness_main.c's arguments after INPUTS.bin: OFFSET:VALUE per word."""
        return [f"{o}:{v}" for o, v in self.words]


def cpu_models(ctx: Context, text: str) -> list[CpuModel] | str:
    """The runs differential testing makes of a dispatched candidate: this host's own CPU model
    (the highest body it supports), each lower body it carries forced by clearing the bits of the
    levels above it, and the baseline forced (every level bit cleared)."""
    t = template(ctx.compiler or "gcc")
    here = host(ctx.compiler or "gcc")
    if isinstance(t, str) or isinstance(here, str):
        return t if isinstance(t, str) else str(here)
    d = parse(text, ctx.name, t)
    if isinstance(d, str):
        return d
    real = dict(here.words)
    top = here.top(d.levels)
    models = [CpuModel(f"this host's CPU model ({top} body)", tuple(sorted(real.items())))]
    for lvl in d.levels:
        if DISPATCH_LEVELS.index(lvl) >= DISPATCH_LEVELS.index(top):
            continue
        words = dict(real)
        for x in t.tests:
            if DISPATCH_LEVELS.index(x.level) > DISPATCH_LEVELS.index(lvl):
                words[x.offset] &= ~x.mask
        models.append(CpuModel(f"{lvl} forced", tuple(sorted(words.items()))))
    if top != BASELINE:
        models.append(CpuModel("baseline forced (no level bit)", tuple(sorted((o, 0) for o in real))))
    return models


def model_object(words: tuple[tuple[int, int], ...], workdir: Path) -> Path:
    """SYMBOL as an object of its own holding one CPU model's words (CpuModel.words), for linking
    a candidate into something that has no libgcc CPU model of its own: the replay's images (one
    per model), the workload's patched program (this host's). Raises ValueError."""
    import hashlib

    vals = dict(words)
    size = max([64, *(o + 4 for o in vals)])
    text = f'\t.section\t.rodata.llmcc_cpu,"a"\n\t.p2align 3\n\t.globl\t{SYMBOL}\n{SYMBOL}:\n' + "".join(
        f"\t.long\t{vals.get(o, 0)}\n" for o in range(0, size, 4)
    )
    tag = hashlib.blake2b(repr(sorted(vals.items())).encode(), digest_size=6).hexdigest()
    src, obj = workdir / f"cpu-{tag}.s", workdir / f"cpu-{tag}.o"
    if not obj.exists():
        src.write_text(text)
        r = subprocess.run(["as", "--64", "-o", str(obj), str(src)], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise ValueError(f"cannot assemble the CPU model: {r.stderr.strip()[:200]}")
    return obj


_ENTRY_JUMP = re.compile(r"^\tjne\t" + re.escape(ENTRY) + r"(v\d)(?:_[0-9a-f]+)?$", re.M)  # (renamed apart in a unit)


def levels_in(text: str) -> tuple[str, ...]:
    """The levels a (verified) dispatched text carries, highest first; () if it does not dispatch."""
    return tuple(lvl for t in _ENTRY_JUMP.findall(text) if (lvl := level_of(t)) is not None)


def describe(text: str, cfg=None) -> str | None:
    """`dispatch: x86-64-v4 (this host), x86-64-v3, baseline fallback` for a dispatched rewrite,
    None for any other. cfg (Config) names the real compiler, whose libgcc says what this host is."""
    levels = levels_in(text)
    if not levels:
        return None
    from gcc_wrapper.compile import compiler

    try:
        cc = compiler.find_real_compiler("gcc", [], cfg)[0]
    except compiler.CompilerNotFound:
        cc = "gcc"
    here = host(cc)
    top = here.top(levels) if isinstance(here, Host) else None
    names = [f"{lvl} (this host)" if lvl == top else lvl for lvl in levels]
    names.append("baseline fallback (this host)" if top == BASELINE else "baseline fallback")
    return "dispatch: " + ", ".join(names)
