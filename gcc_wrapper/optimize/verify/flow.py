"""Control flow and stack discipline of an assembled candidate, from its machine code.

    analyze(obj, name, insns) -> Analysis      the CFG of function `name` in object `obj` and what
                                               is wrong with it (problems), plus the waivable
                                               habits it has (features)
    check(ctx, obj, insns, baseline_obj) -> list[Check]    static.flow, then static.stack

The machine code is the ground truth (`.byte`-spelled instructions count): objdump's linear
decoding of every executable section of the object, plus the object's own relocations and
read-only data (elf.py). The whole object is the function: a candidate defines one symbol, its
local labels, maybe a `.cold` part in another section.

static.flow -- where control can go:
  * direct jumps land on an instruction boundary inside the function; never an absolute address;
  * direct calls and tail jumps go to symbols the original calls or jumps to, or to the
    function itself;
  * an indirect jump only through one of the function's own jump tables, in gcc's forms
    (`jmp *.L4(,%rax,8)`; `leaq .L4(%rip),%rdx; movslq (%rdx,%rax,4),%rax; addq %rdx,%rax;
    jmp *%rax`), with every entry the index can select a label inside the function, and the index
    bounded by a compare and branch on every path (an abstract interpretation, below);
  * an indirect call only when the original makes one, and only through a value loaded from
    memory (not the function's own data), returned by a call, or a parameter register unchanged;
  * its own code is never data: not read, not stored, not handed to a callee (a candidate that
    reads its code could see coverage's breakpoints and behave only while tested).
static.stack -- the frame:
  * rsp (and every register holding a stack address: rbp as a frame pointer, copies of rsp) is
    followed as an interval of offsets from its entry value; no memory operand may reach the
    return address [entry rsp, entry rsp + 8), and pop/leave never read it;
  * every `ret` and tail jump happens with rsp exactly at its entry value, on every path; two
    paths may join with different rsp only where another register holds the frame (rbp with
    alloca/VLAs, r11 in a stack-clash probe loop);
  * at every call rsp is 16-byte aligned;
  * nothing more than 128 bytes below rsp is touched, and nothing below rsp at all in a function
    that calls (gcc uses the red zone only in leaf functions);
  * nothing above the return address (the caller's frame) is read or written;
  * the caller's values of the callee-saved registers, and of the registers that carry no
    argument, are only saved and restored, never used (they would tell a harness from a caller).
Habits that cannot be decided statically are allowed only when the original has them too: an
access to the stack at an offset the analysis cannot bound (a variable index into a local array,
a pointer walking one), the red zone in a function that calls, a stack address stored to memory,
a read or write of the incoming stack arguments, a call on an unaligned stack (to the same callee), a copy
of the return address pushed for the unwinder, a use of an incoming register (%al in a variadic
function).

The analysis is a forward fixpoint over the CFG on a small abstract domain per register and per
exact stack slot (see Val); joins widen after a few rounds, so it always ends.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from gcc_wrapper.optimize.verify import elf

INF = float("inf")
RED_ZONE = 128
WIDEN_AFTER = 4  # joins into a block before its changing bounds are widened to infinity
MAX_TABLE = 1 << 16  # jump-table entries checked at most

CALLER_SAVED = ("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11")
PARAMS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")
# registers whose incoming value is none of the function's business: the caller's callee-saved
# values (to be saved and restored, never used) and registers that carry no argument (garbage,
# or a test harness's poison); %al carries the vector-register count of a variadic call
INCOMING = ("rbx", "rbp", "r12", "r13", "r14", "r15", "rax", "r10", "r11") + tuple(f"v{i}" for i in range(8, 16))

# Values (tuples, for cheap hashing and equality); a register absent from the state is "plain":
#   ("S", lo, hi, m, r)   a stack address: entry rsp + k, lo <= k <= hi, its absolute value = r mod m
#   ("B", lo, hi, w)      a number whose low w bits, unsigned, are in [lo, hi] (w = 64: the value)
#   ("A", m)              a number that is a multiple of m
#   ("P", i)              parameter register i, unchanged
#   ("M",)                loaded from memory the function did not write, or returned by a call
#   ("MU",)               loaded from its own table of function pointers with an index nothing bounds
#   ("TB", sec, off)      the address of sec+off in the function's read-only data (a table)
#   ("TE", sec, off, K)   a 4-byte entry 0..K of the table at sec+off, sign-extended
#   ("TT", sec, off, K, size)   a jump target taken from entries 0..K of a table
#   ("W",)                maybe the address of its RELRO table (on some path): any use rejects
TAINT = ("S", -INF, INF, 1, 0)
WT = ("W",)
ENTRY_RSP = ("S", 0, 0, 16, 8)
CALLABLE = ("M", "P", "MU")

_REG = {}
for _r in ("ax", "bx", "cx", "dx"):
    for _n in (f"r{_r}", f"e{_r}", _r, f"{_r[0]}l", f"{_r[0]}h"):
        _REG[_n] = (
            f"r{_r}",
            64 if _n[0] == "r" else 32 if _n[0] == "e" else 16 if len(_n) == 2 and _n[1] == "x" else 8,
        )
for _r in ("si", "di", "sp", "bp"):
    for _n, _w in ((f"r{_r}", 64), (f"e{_r}", 32), (_r, 16), (_r + "l", 8)):
        _REG[_n] = (f"r{_r}", _w)
for _i in range(8, 16):
    for _n, _w in ((f"r{_i}", 64), (f"r{_i}d", 32), (f"r{_i}w", 16), (f"r{_i}b", 8), (f"r{_i}l", 8)):
        _REG[_n] = (f"r{_i}", _w)
for _i in range(32):
    for _p, _w in (("xmm", 128), ("ymm", 256), ("zmm", 512)):
        _REG[f"{_p}{_i}"] = (f"v{_i}", _w)

_MEM = re.compile(
    r"^(?:%(?P<seg>[c-gs]s):)?(?P<disp>-?(?:0x[0-9a-f]+|\d+))?"
    r"(?:\((?P<base>%\w+)?(?:,(?P<index>%\w+)?(?:,(?P<scale>\d))?)?\))?$"
)
_SUFFIX = {"b": 8, "w": 16, "l": 32, "q": 64}
# mnemonics objdump -M suffix spells with a size suffix: base name -> kind
_GPR_BASES = {
    "mov",
    "add",
    "sub",
    "and",
    "or",
    "xor",
    "adc",
    "sbb",
    "cmp",
    "test",
    "lea",
    "push",
    "pop",
    "inc",
    "dec",
    "neg",
    "not",
    "imul",
    "mul",
    "div",
    "idiv",
    "shl",
    "shr",
    "sar",
    "sal",
    "rol",
    "ror",
    "rcl",
    "rcr",
    "xchg",
    "xadd",
    "cmpxchg",
    "call",
    "jmp",
    "ret",
    "leave",
    "bt",
    "bts",
    "btr",
    "btc",
    "bsf",
    "bsr",
    "popcnt",
    "lzcnt",
    "tzcnt",
    "movabs",
    "cmov",
    "stos",
    "lods",
    "movs",
    "cmps",
    "scas",
    "loop",
    "bswap",
    "shld",
    "shrd",
    "andn",
    "pushf",
    "popf",
    "nop",
    "sahf",
    "lahf",
    "crc32",
    "shlx",
    "shrx",
    "sarx",
    "rorx",
    "pdep",
    "pext",
    "bextr",
    "blsi",
    "blsr",
    "blsmsk",
    "bzhi",
    "mulx",
    "movbe",
    "adcx",
    "adox",
}
_NO_FLAGS = {
    "mov",
    "movabs",
    "lea",
    "push",
    "pop",
    "nop",
    "xchg",
    "bswap",
    "not",
    "movz",
    "movs",
    "cmov",
    "set",
    "cltq",
    "cwtl",
    "cbtw",
    "cqto",
    "cltd",
    "cwtd",
    "prefetch",
}
_COND = {
    "jo",
    "jno",
    "jb",
    "jnae",
    "jc",
    "jae",
    "jnb",
    "jnc",
    "je",
    "jz",
    "jne",
    "jnz",
    "jbe",
    "jna",
    "ja",
    "jnbe",
    "js",
    "jns",
    "jp",
    "jpe",
    "jnp",
    "jpo",
    "jl",
    "jnge",
    "jge",
    "jnl",
    "jle",
    "jng",
    "jg",
    "jnle",
    "jrcxz",
    "jecxz",
    "loop",
    "loope",
    "loopne",
    "loopz",
    "loopnz",
}
# instructions that write their destination without reading it
_WRITE_ONLY = {
    "mov",
    "movabs",
    "movz",
    "movsx",
    "set",
    "lea",
    "popcnt",
    "lzcnt",
    "tzcnt",
    "bsf",
    "bsr",
    "andn",
    "bzhi",
    "shlx",
    "shrx",
    "sarx",
    "rorx",
    "pdep",
    "pext",
    "bextr",
    "blsi",
    "blsr",
    "blsmsk",
    "mulx",
    "movbe",
}
# one-operand instructions that only read their memory operand
_READ_ONLY_1OP = (
    "push",
    "fld",
    "fild",
    "fbld",
    "call",
    "jmp",
    "mul",
    "imul",
    "div",
    "idiv",
    "ldmxcsr",
    "vldmxcsr",
    "fldcw",
    "fldenv",
    "frstor",
    "fxrstor",
    "prefetch",
    "nop",
    "clflush",
    "clwb",
    "fcom",
    "fucom",
    "ficom",
    "fadd",
    "fsub",
    "fmul",
    "fdiv",
    "fiadd",
    "fisub",
    "fimul",
    "fidiv",
    "cmp",
    "test",
    "bt",
)
# vector and x87 instructions that do write EFLAGS
_VEC_FLAG_WRITERS = (
    "comis",
    "ucomis",
    "vcomis",
    "vucomis",
    "ptest",
    "vptest",
    "vtest",
    "pcmpestr",
    "pcmpistr",
    "vpcmpestr",
    "vpcmpistr",
    "kortest",
    "ktest",
    "fcomi",
    "fucomi",
)
_STRING = re.compile(r"^(rep\w* )?(stos|lods|movs|cmps|scas)[bwlq]?$")

# Compiling position-independent code, gcc puts a table of addresses the dynamic linker must
# relocate (a computed goto's labels, `static void *const t[] = {&&a, &&b}`, as in Lua's and
# CPython's interpreters; function pointers) in .data.rel.ro: read-only only once relocated
# (RELRO), and writable for good in a program linked without RELRO. A candidate may have such a
# table when the original has one (static.directives, static.sections), holding only those
# addresses (relro_table_problem); its address may then only be loaded from, jumped through or
# copied between registers: never written through, stored, computed with or handed on (the "W"
# rules in Analyzer.relro_uses), so nothing can change where its jumps go.
RELRO_PREFIX = ".data.rel.ro"


def relro(section: str) -> bool:
    return section == RELRO_PREFIX or section.startswith(RELRO_PREFIX + ".")


def _relro_value(v: tuple | None) -> bool:
    """v is, or may be, the address of the function's RELRO table."""
    return bool(v) and (v[0] == "W" or (v[0] in ("TB", "TIDX") and relro(v[1])))


def relro_table_problem(path: Path) -> str | None:
    """What is wrong with the candidate's RELRO sections, if anything: each holds only addresses,
    one per 8 bytes, of its own instructions, of its own read-only data (gcc's tables of string
    pointers) or of symbols outside it; and nothing outside the code refers to one (its address
    kept in other data could be loaded and written through)."""
    obj = elf.read(path)
    for s in obj.sections.values():
        if relro(s.name):
            rel = {r.offset: r for r in s.relocs}
            if len(s.data) % 8 or len(rel) != len(s.relocs):
                return f"{s.name} is not a table of 8-byte addresses"
            for o in range(0, len(s.data), 8):
                r = rel.get(o)
                if r is None and s.data[o : o + 8] == bytes(8):
                    continue  # padding between two tables: a jump through it is refused (table_targets)
                target = obj.sections.get(r.sym.section) if r is not None and r.sym.section is not None else None
                own = target is not None and (target.code or not target.flags & elf.SHF_WRITE)
                outside = r is not None and r.sym.section is None and bool(r.sym.name)
                if r is None or r.type != elf.R_64 or not (own or outside):
                    return f"{s.name}+{o:#x} is not the address of its own code or read-only data or of another symbol"
        if not s.code:
            for r in s.relocs:
                if r.sym.section is not None and relro(r.sym.section) and not relro(s.name):
                    return f"{s.name}+{r.offset:#x} holds the address of {r.sym.section}"
    return None


@dataclass(frozen=True)
class Problem:
    kind: str  # "flow" | "stack"
    section: str
    offset: int
    message: str
    waiver: str = ""  # a habit the original may have too, which then allows it


@dataclass(frozen=True)
class Block:
    section: str
    start: int  # offset in the section of its first instruction
    end: int  # offset just past its last instruction
    nop_only: bool  # alignment padding: nothing to test


@dataclass(frozen=True)
class Analysis:
    blocks: tuple[Block, ...]  # reachable from the entry, in address order per section
    entry: tuple[str, int]  # (section, offset) of the function's symbol
    problems: tuple[Problem, ...]
    features: frozenset[str]  # waivable habits the code has
    targets: frozenset[str]  # symbols it calls or jumps to directly
    indirect_calls: bool
    error: str = ""  # the object could not be analyzed at all
    noreturn: frozenset[str] = frozenset()  # callees the original never returns from


@dataclass(frozen=True)
class Ins:
    section: str
    offset: int
    end: int
    mnem: str  # normalized: prefixes stripped, objdump's size suffix kept
    ops: tuple[str, ...]
    text: str
    rep: bool
    relocs: tuple[elf.Reloc, ...]

    def where(self) -> str:
        return (
            f"`{self.text}` at {self.section}+{self.offset:#x}"
            if self.section != ".text"
            else f"`{self.text}` at offset {self.offset:#x}"
        )


def split_operands(s: str) -> tuple[str, ...]:
    out, depth, cur = [], 0, ""
    for ch in s.split(" <")[0].split("#")[0].strip():
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return tuple(out)


@lru_cache(maxsize=4096)
def base_mnemonic(m: str) -> tuple[str, int | None]:
    """objdump -M suffix's mnemonic -> (base, operand width from the suffix, if any)."""
    if m in _GPR_BASES:
        return m, None
    if m[-1:] in _SUFFIX and m[:-1] in _GPR_BASES:
        return m[:-1], _SUFFIX[m[-1]]
    if m.startswith("cmov") and m[-1:] in _SUFFIX:
        return "cmov", _SUFFIX[m[-1]]
    if m.startswith("cmov"):
        return "cmov", None
    if m.startswith("set"):
        return "set", 8
    if re.match(r"^movz[bw][wlq]$", m):
        return "movz", _SUFFIX[m[-1]]
    if re.match(r"^movs[bwl][wlq]$", m):
        return "movsx", _SUFFIX[m[-1]]
    if m in ("cltq", "cwtl", "cbtw", "cqto", "cltd", "cwtd"):
        return m, None
    if m.startswith("prefetch"):
        return "prefetch", None
    return m, None


def imm(op: str, width: int | None = 64) -> int | None:
    """An immediate operand, signed at the operation's width (objdump prints $-16 as
    $0xfffffffffffffff0)."""
    try:
        v = int(op.lstrip("$"), 0)
    except ValueError:
        return None
    w = width or 64
    v &= (1 << w) - 1
    return v - (1 << w) if v >> (w - 1) else v


def reg(op: str) -> tuple[str, int] | None:
    return _REG.get(op[1:]) if op.startswith("%") else None


@lru_cache(maxsize=8192)
def mem_match(op: str):
    return _MEM.match(op.lstrip("*"))


@lru_cache(maxsize=8192)
def is_mem(op: str) -> bool:
    if not op or op[0] in "%$":
        return False
    return bool(_MEM.match(op.lstrip("*"))) and ("(" in op or op.lstrip("*-")[:1].isdigit() or ":" in op)


@lru_cache(maxsize=4096)
def access_size(base: str, width: int | None, mnem: str, ops: tuple[str, ...]) -> int:
    """Bytes a memory operand of this instruction covers (over- rather than underestimated)."""
    if width:
        return width // 8
    regs = [reg(o) for o in ops if reg(o)]
    vec = [w for (n, w) in regs if n.startswith("v")]
    if mnem.startswith(("fld", "fst", "fild", "fist", "fisttp")):
        return 10 if mnem.endswith("t") else 8
    if vec:
        if re.search(r"(ss|movd|insrd|extrd|broadcastss)$", mnem) or mnem in ("movd", "vmovd", "cvtss2sd", "vcvtss2sd"):
            return 4
        if re.search(r"(sd|movq|[lh]p[sd]|insrq|extrq|broadcastsd|ddup)$", mnem) or mnem.startswith(
            ("cvtsi2", "vcvtsi2")
        ):
            return 8
        return max(vec) // 8
    if regs:
        return max(w for _, w in regs) // 8
    return 8


def _sym_target(r: elf.Reloc, ins: Ins) -> tuple[str | None, int]:
    """Where a PC-relative relocation of ins points: (section or None, offset)."""
    return r.sym.section, r.sym.value + r.addend + (ins.end - r.offset)


@dataclass
class State:
    regs: dict[str, tuple] = field(default_factory=dict)
    slots: dict[int, tuple] = field(default_factory=dict)  # exact stack offset -> value stored there
    flags: tuple | None = (
        None  # ("cmp", reg, K, width) / ("cmpm", operand, K, width): the last compare with an immediate
    )
    mem: tuple | None = None  # (operand, bound): what a branch just proved about a memory operand
    # 8-byte slots of a realigned frame (`and $-32, %rsp`): keyed by the address's interval and
    # residue, which name one address (see canonical())
    rslots: dict[tuple, tuple] = field(default_factory=dict)
    dirty: bool = False  # a store at an unknown stack offset happened: no slot is known unwritten

    def copy(self) -> State:
        return State(dict(self.regs), dict(self.slots), self.flags, self.mem, dict(self.rslots), self.dirty)

    def unwritten(self) -> tuple:
        """What a slot the function did not write holds: the caller's memory (a value from
        memory), unless a store somewhere unknown may have been there."""
        return ("X",) if self.dirty else ("M",)

    def key(self) -> tuple:
        return (
            tuple(sorted(self.regs.items())),
            tuple(sorted(self.slots.items())),
            self.flags,
            self.mem,
            tuple(sorted(self.rslots.items())),
            self.dirty,
        )


def canonical(v: tuple) -> tuple | None:
    """A realigned stack address names one address although its offset is not known:
    ((entry rsp + k) & -a) + d is in [k + d - (a - 1), k + d] and is d mod a, and two such with
    the same interval and residue are equal (k is then the same modulo a). Joins never make this
    shape (their intervals are multiples of their modulus wide)."""
    if v[0] == "S" and v[1] != v[2] and v[1] != -INF and v[2] != INF and v[3] > 1 and v[2] - v[1] == v[3] - 1:
        return (v[1], v[2], v[3], v[4])
    return None


def same_frame(k: tuple, key: tuple) -> bool:
    """Two canonical() addresses of one realigned frame: their distance is known."""
    return k[2] == key[2] and (k[1] - k[3] - key[1] + key[3]) % key[2] == 0


def rslot_overlaps(k: tuple, a: tuple, size: int) -> bool:
    """Whether the 8-byte realigned slot k may overlap [a, a + size) (a a stack value)."""
    key = canonical(a)
    if key and same_frame(k, key):
        return k[1] < key[1] + size and key[1] < k[1] + 8
    return k[0] < a[2] + size and a[1] < k[1] + 8


def _pow2_dividing(x: int, cap: int) -> int:
    m = 1
    while m < cap and x % (m * 2) == 0:
        m *= 2
    return m


def shift(v: tuple, lo: float, hi: float) -> tuple:
    """A stack value plus an amount in [lo, hi]."""
    if lo == hi and lo != INF and lo != -INF:
        m = v[3]
        return ("S", v[1] + lo, v[2] + lo, m, int((v[4] + lo) % m))
    return ("S", v[1] + lo, v[2] + hi, 1, 0)


def zext(v: tuple | None, w: int) -> tuple:
    """The low w bits of v, zero-extended to 64."""
    if v and v[0] == "B" and v[3] >= w and v[2] < (1 << w):
        return ("B", v[1], v[2], 64)
    return ("B", 0, (1 << w) - 1, 64)


def add_const(v: tuple | None, c: int, w: int) -> tuple | None:
    """v + c in w-bit arithmetic (the result of a 32-bit operation is zero-extended)."""
    if w < 32:
        return None
    if not (v and v[0] == "B" and v[3] >= w):
        return zext(None, w) if w == 32 else None
    lo, hi, mod = v[1] + c, v[2] + c, 1 << w
    if lo >= mod and hi >= mod:
        lo, hi = lo - mod, hi - mod
    elif lo < 0 and hi < 0:
        lo, hi = lo + mod, hi + mod
    if lo < 0 or hi >= mod:
        return zext(None, w) if w == 32 else None
    return ("B", lo, hi, 64)


def align_down(v: tuple, a: int) -> tuple:
    """A stack value rounded down to a multiple of a (a power of two): exact when its residue
    modulo a is known."""
    if v[3] >= a:
        return shift(v, -(v[4] % a), -(v[4] % a))
    return ("S", v[1] - (a - 1), v[2], a, 0)


def join_val(a: tuple | None, b: tuple | None, widen: bool) -> tuple | None:
    if a == b:
        return a
    if _relro_value(a) or _relro_value(b):
        return WT  # its RELRO table's address on some path: no use of it allowed on any
    if a is None or b is None:
        other = a or b
        # the caller's value on some path: treated as the caller's on all
        return TAINT if other[0] == "S" else other if other[0] in ("C", "U") else None
    if a[0] == "S" and b[0] == "S":
        lo, hi = min(a[1], b[1]), max(a[2], b[2])
        if widen:
            lo = -INF if b[1] < a[1] else a[1]
            hi = INF if b[2] > a[2] else a[2]
        m = min(a[3], b[3])
        if lo != -INF or hi != INF:
            m = _pow2_dividing(abs(a[4] - b[4]), m) if a[4] != b[4] else m
        return ("S", lo, hi, m, a[4] % m)
    if "S" in (a[0], b[0]):
        return TAINT
    if a[0] == "C" or b[0] == "C":
        return ("C",)  # an address of its own code on some path: treated as one on all
    if a[0] == "U" or b[0] == "U":
        return a if a[0] == "U" else b
    if a[0] in CALLABLE and b[0] in CALLABLE:
        return ("MU",) if "MU" in (a[0], b[0]) else ("M",)
    if a[0] == "B" and b[0] == "B" and a[3] == b[3] and not widen:
        return ("B", min(a[1], b[1]), max(a[2], b[2]), a[3])
    if a[0] == "A" and b[0] == "A":
        return ("A", min(a[1], b[1]))
    return None


class Worklist:
    """Blocks to (re)visit, lowest address first: in gcc's layout that is close to reverse
    postorder, so the fixpoint needs few rounds."""

    def __init__(self, order: dict[str, int]):
        self.order, self.heap, self.members = order, [], set()

    def append(self, b: tuple[str, int]) -> None:
        if b not in self.members:
            self.members.add(b)
            heapq.heappush(self.heap, (self.order[b[0]], b[1], b[0]))

    def pop(self) -> tuple[str, int] | None:
        if not self.heap:
            return None
        _, off, sec = heapq.heappop(self.heap)
        self.members.discard((sec, off))
        return (sec, off)

    def __contains__(self, b) -> bool:
        return b in self.members


class Analyzer:
    def __init__(
        self,
        path: Path,
        name: str,
        insns: list,
        allowed: frozenset[str] | None,
        noreturn: frozenset[str] = frozenset(),
        callee_registers: dict[str, int] | None = None,
    ):
        self.name = name
        self.callee_registers = callee_registers or {}
        self.allowed = allowed  # symbols calls/tail jumps may go to; None: anything (analyzing the original)
        self.obj = elf.read(path)
        self.problems: dict[tuple, Problem] = {}
        self.features: set[str] = set()
        self.targets: set[str] = set()
        self.indirect_calls = False
        self.has_call = False
        self.noreturn = noreturn  # callees the original treats as not returning
        self.noreturn_calls: set[tuple[str, int]] = set()
        self.noreturn_found: set[str] = set()
        self.code: dict[str, list[Ins]] = {}
        by_sec: dict[str, list] = {}
        for i in insns:
            by_sec.setdefault(i.section, []).append(i)
        for sec, lst in by_sec.items():
            s = self.obj.sections.get(sec)
            if s is None or not s.code:
                continue
            out = []
            for k, i in enumerate(lst):
                end = lst[k + 1].offset if k + 1 < len(lst) else len(s.data)
                rel = tuple(r for r in s.relocs if i.offset <= r.offset < end)
                ops = split_operands(i.operands)
                out.append(
                    Ins(sec, i.offset, end, i.mnemonic, ops, i.text, any(p.startswith("rep") for p in i.prefixes), rel)
                )
            self.code[sec] = out
        self.at = {(i.section, i.offset): k for sec in self.code for k, i in enumerate(self.code[sec])}

    # -- problems --------------------------------------------------------------------------
    def problem(self, kind: str, ins: Ins, msg: str, waiver: str = "") -> None:
        if waiver:
            self.features.add(waiver)
        key = (kind, ins.section, ins.offset, waiver)
        if key not in self.problems:
            self.problems[key] = Problem(kind, ins.section, ins.offset, f"{ins.where()}: {msg}", waiver)

    # -- values ----------------------------------------------------------------------------
    def own(self, r: elf.Reloc) -> bool:
        """The relocation refers to this object's own sections (local labels, its data)."""
        return (
            r.sym.section is not None
            and r.sym.section in self.obj.sections
            and (r.sym.bind == 0 or r.sym.name == self.name)
        )

    def address(self, st: State, ins: Ins, op: str) -> tuple | None:
        """A memory operand's address as a value: ("S", ...) on the stack, ("TB", ...) in own
        read-only data, ("ABS",) elsewhere or unknown."""
        m = mem_match(op)
        if not m:
            return ("ABS",)
        disp = int(m.group("disp") or "0", 0)
        base, index = m.group("base"), m.group("index")
        scale = int(m.group("scale") or "1")
        if m.group("seg") in ("fs", "gs"):
            return ("ABS",)
        if base == "%rip" or (base is None and index is None) or (base is None and index):
            rel = next((r for r in ins.relocs), None)
            if (rel is None and base == "%rip") or (rel is not None and self.own(rel) and rel.sym.section in self.code):
                return ("CODE",)  # rip-relative into its own section, or a label of its code
            if (
                rel is not None
                and self.own(rel)
                and rel.sym.section in self.obj.sections
                and not self.obj.sections[rel.sym.section].code
            ):
                off = rel.sym.value + rel.addend + ((ins.end - rel.offset) if base == "%rip" else 0)
                if index:
                    return ("TIDX", rel.sym.section, off, st.regs.get(reg(index)[0]) if reg(index) else None, scale)
                return ("TB", rel.sym.section, off)
            if base is None and index and reg(index):
                iv = st.regs.get(reg(index)[0])
                if iv and iv[0] == "S":
                    return TAINT
            return ("ABS",)
        bv = st.regs.get(reg(base)[0]) if reg(base) else None
        iv = st.regs.get(reg(index)[0]) if index and reg(index) else None
        if (bv and bv[0] == "C") or (iv and iv[0] == "C"):
            return ("CODE",)
        if bv and bv[0] == "TB" and not disp and iv and iv[0] == "B" and iv[3] == 64:
            return ("TIDX", bv[1], bv[2], iv, scale)
        if not disp and scale == 1 and bv and iv and {bv[0], iv[0]} == {"TB", "BS"}:
            # gcc -O0: leaq 0(,%rax,4),%rdx; leaq .L4(%rip),%rax; movl (%rdx,%rax),%eax
            tb, bs = (bv, iv) if bv[0] == "TB" else (iv, bv)
            return ("TIDX", tb[1], tb[2], ("B", bs[1], bs[2], 64), bs[3])
        if bv and bv[0] == "S":
            if index is None:
                return shift(bv, disp, disp)
            if iv and iv[0] == "B" and iv[3] == 64:
                return shift(bv, disp + iv[1] * scale, disp + iv[2] * scale)
            return TAINT
        if iv and iv[0] == "S" or (bv and bv[0] == "S"):
            return TAINT
        return ("ABS",)

    def symbol_address(self, ins: Ins) -> bool:
        """ins's only relocation is the exact address of a symbol outside this object (leaq
        f(%rip) or movq $f): a function pointer, not arithmetic on one."""
        if len(ins.relocs) != 1:
            return False
        r = ins.relocs[0]
        if r.sym.section is not None or not r.sym.name:
            return False
        pcrel = r.type in (elf.R_PC32, elf.R_PLT32)
        return (r.addend + (ins.end - r.offset) == 0) if pcrel else r.addend == 0

    def pointer_table(self, a: tuple) -> bool:
        """Every entry a load from a (TB, or TIDX with a bounded index) can read is the exact
        address of a function other than this object's code."""
        s = self.obj.sections.get(a[1])
        if s is None or s.code:
            return False
        if a[0] == "TB":
            offs = [a[2]]
        elif a[3] and a[3][0] == "B" and a[3][3] == 64 and a[3][2] - a[3][1] < MAX_TABLE:
            offs = [a[2] + i * a[4] for i in range(a[3][1], a[3][2] + 1)]
        elif a[4] == 8:
            # an index nothing bounds (gcc: a loop over a static table of comparators): fine when
            # the whole section is function pointers, wherever the index lands; otherwise the
            # table is the run of them where it starts ("unchecked": only like the original)
            rel = {r.offset: r for r in s.relocs}
            if len(s.data) % 8 == 0 and all(self._fnptr(rel.get(o)) for o in range(0, len(s.data), 8)):
                return True
            return "unchecked" if self._fnptr(rel.get(a[2])) else False
        else:
            return False
        rel = {r.offset: r for r in s.relocs}
        return all(self._fnptr(rel.get(o)) for o in offs)

    def _fnptr(self, r: elf.Reloc | None) -> bool:
        return (
            r is not None
            and r.type == elf.R_64
            and r.addend == 0
            and (r.sym.section is None or r.sym.name == self.name)
        )

    def read_operand(self, st: State, ins: Ins, op: str, width: int) -> tuple | None:
        r = reg(op)
        if r:
            return st.regs.get(r[0]) if width == 64 and r[1] == 64 else None
        if op.startswith("$"):
            v = imm(op, width)
            return ("B", v, v, 64) if v is not None and 0 <= v < (1 << 31) else None
        return self.load(st, ins, op, width)

    def load(self, st: State, ins: Ins, op: str, width: int) -> tuple | None:
        a = self.address(st, ins, op)
        if a[0] == "S":
            if a[1] == a[2] and a[1] in st.slots and width == 64:
                return st.slots[a[1]]
            if canonical(a) and width == 64 and canonical(a) in st.rslots:
                return st.rslots[canonical(a)]
            return st.unwritten() if width == 64 else None
        if a[0] in ("TB", "TIDX"):
            # the function's own constants: callable only as a table of function pointers
            # (exact addresses of symbols, as `static void (*const ops[])(void) = {f, g}` gives)
            kind = self.pointer_table(a) if width == 64 else False
            return ("MU",) if kind == "unchecked" else ("M",) if kind else None
        if width == 64:
            return ("M",)
        return None

    # -- memory checks ---------------------------------------------------------------------
    def check_access(self, st: State, ins: Ins, op: str, size: int, write: bool, value: tuple | None = None) -> None:
        a = self.address(st, ins, op)
        if a[0] == "CODE":
            # its own code as data: the bytes a harness's breakpoints change, so a candidate
            # could tell it is being tested
            self.problem("flow", ins, "reads its own code as data")
            return
        if value and value[0] == "C":
            self.problem("flow", ins, "stores the address of its own code")
        if write and a[0] in ("TB", "TIDX"):
            self.problem("flow", ins, f"writes its own data ({a[1]})")
        if write and _relro_value(value) and not (a[0] == "S" and a[1] == a[2] and a[1] != -INF):
            self.problem("flow", ins, "stores its RELRO table's address")
        if a[0] != "S":
            if write and value and value[0] == "S":
                self.problem("stack", ins, "stores a stack address outside the stack frame", "stack_escape")
            return
        mm = mem_match(op)
        rel = None
        if mm and mm.group("base") == "%rsp":
            zero = State({**st.regs, "rsp": ("S", 0, 0, 1, 0)})
            r_ = self.address(zero, ins, op)
            rel = (r_[1], r_[2]) if r_[0] == "S" else None
        self.check_stack_range(st, ins, a, size, write, rel)
        if write and value and value[0] == "S" and not (a[1] == a[2] and a[1] != -INF):
            self.problem("stack", ins, "stores a stack address where the analysis cannot follow it", "stack_escape")

    def check_stack_range(
        self, st: State, ins: Ins, a: tuple, size: int, write: bool, rel: tuple | None = None
    ) -> None:
        """a: the accessed stack address (a stack value); rel: its offsets from the current rsp
        when the operand is rsp-based (known even when rsp itself is not)."""
        lo, hi = a[1], a[2]
        what = "writes" if write else "reads"
        if (
            not write
            and lo != -INF
            and hi != INF
            and (
                any(v == ("RA",) for k, v in st.slots.items() if k < hi + size and lo < k + 8)
                or any(v == ("RA",) for k, v in st.rslots.items() if rslot_overlaps(k, a, size))
            )
        ):
            self.problem("stack", ins, "reads its copy of the return address")
        if lo < 8 and hi + size > 0:
            if lo == hi:
                self.problem("stack", ins, f"{what} the return address (at entry rsp{int(lo):+d}, {size} bytes)")
            else:
                self.problem(
                    "stack", ins, "accesses the stack at an offset the analysis cannot pin down", "unknown_stack"
                )
            return
        if hi + size > 8:
            # above the return address is the caller's frame: only the incoming stack arguments
            # are the callee's, and only an original that touches them shows there are some (a
            # read there could also tell a test harness's canaries from a real caller)
            where = f"at entry rsp+{int(lo)}" if lo == hi else "at an offset the analysis cannot pin down"
            self.problem(
                "stack",
                ins,
                f"{what} the caller's frame above the return address ({where})",
                "caller_frame_write" if write else "caller_frame_read",
            )
        sp = st.regs.get("rsp")
        if rel is None and sp and sp[0] == "S" and sp[1] == sp[2]:
            rel = (lo - sp[1], hi - sp[1])
        if rel is None or rel[0] >= 0:
            return
        if rel[0] < -RED_ZONE:
            if rel[0] == rel[1]:
                self.problem("stack", ins, f"{what} {int(-rel[0])} bytes below rsp, beyond the 128-byte red zone")
            else:
                self.problem(
                    "stack", ins, "accesses the stack at an offset the analysis cannot pin down", "unknown_stack"
                )
        elif self.has_call:
            self.problem(
                "stack",
                ins,
                f"{what} below rsp (the red zone) in a function that calls: a callee may overwrite it",
                "red_zone_call",
            )

    # -- the transfer function -------------------------------------------------------------
    def set_reg(self, st: State, op: str, value: tuple | None, width: int | None = None) -> None:
        r = reg(op)
        if not r:
            return
        name, w = r
        w = width or w
        if name == "rsp":
            if value is None or value[0] != "S" or w != 64:
                self._rsp_lost(st)
                return
        if name.startswith("v"):
            old = st.regs.get(name)
            value = value if value and value[0] == "S" else (TAINT if old and old[0] == "S" and w < 128 else None)
        elif w < 32:
            old = st.regs.get(name)
            value = (
                TAINT
                if (old and old[0] == "S") or (value and value[0] == "S")
                else WT
                if _relro_value(old)
                else (value if value and value[0] == "B" and value[3] <= w else None)
            )
        elif w == 32:
            value = TAINT if value and value[0] == "S" else value if value and value[0] == "A" else zext(value, 32)
        if value is None:
            st.regs.pop(name, None)
        else:
            st.regs[name] = value

    def _rsp_lost(self, st: State) -> None:
        self._cur_problem = "rsp is set to a value the analysis cannot follow"
        st.regs["rsp"] = TAINT

    def step(self, st: State, ins: Ins) -> None:
        """Checks ins's memory accesses against st, then applies it to st. A compare's fact
        dies with the register it is about (or, for a memory operand, at anything but the
        branch right after it)."""
        for r_ in self._incoming_uses(st, ins):
            self.problem(
                "stack",
                ins,
                f"uses the value %{r_ if not r_.startswith('v') else 'xmm' + r_[1:]} had on entry "
                "(the caller's: a callee-saved register is only saved and restored, others carry nothing)",
                f"incoming:{r_}",
            )
        derived = self.relro_uses(st, ins)
        tainted = self._stack_sources(st, ins)
        code = self._code_sources(st, ins)
        self._step(st, ins)
        for d in derived:
            st.regs[d] = WT
        for d in code:
            if (st.regs.get(d) or (None,))[0] != "S":
                st.regs[d] = ("C",)
        if tainted:
            # whatever is computed from a stack address stays one, as far as the rules go: no
            # laundering through vector registers, halves, or a reload of a spilled copy
            for d in tainted:
                if (st.regs.get(d) or (None,))[0] != "S":
                    st.regs[d] = TAINT
        f = st.flags
        if f and f[0] == "cmpm" and ins.mnem not in _COND and base_mnemonic(ins.mnem)[0] != "cmp":
            st.flags = None
        elif f and f[0] in ("cmp", "cmpr") and base_mnemonic(ins.mnem)[0] != "cmp":
            written = set(_implicit_writes(base_mnemonic(ins.mnem)[0], ins.mnem, ins.ops))
            written |= (
                {reg(o)[0] for o in ins.ops if reg(o)}
                if len(ins.ops) > 1 or base_mnemonic(ins.mnem)[0] in ("pop", "inc", "dec", "neg", "not", "bswap")
                else set()
            )
            if base_mnemonic(ins.mnem)[0] in ("push", "pop", "call", "leave", "ret"):
                written.add("rsp")
            if f[1] in written or (f[0] == "cmpr" and f[2] in written):
                st.flags = None

    def relro_uses(self, st: State, ins: Ins) -> list[str]:
        """The address of its RELRO table may be loaded from, jumped through, copied to another
        register or a stack slot the analysis follows, compared, and moved by a constant (gcc
        walking a table of function pointers): the registers that then hold an address derived
        from it (returned: "W" after the instruction). Any other use of a register that holds it
        (or may, on some path) is a problem, as is any reference to the table but lea and a load."""
        base = base_mnemonic(ins.mnem)[0]
        ops = ins.ops
        if (
            any(r.sym.section is not None and relro(r.sym.section) for r in ins.relocs)
            and base != "lea"
            and not any(is_mem(o.lstrip("*")) for o in ops)
        ):
            self.problem("flow", ins, "refers to its RELRO table other than by a load or lea")
        held = {r for r, v in st.regs.items() if _relro_value(v)}
        if base == "nop" or base.startswith("prefetch"):
            return []  # a memory operand, no access
        derived: list[str] = []
        dreg = reg(ops[-1]) if ops else None
        for k, o in enumerate(ops):
            mm = mem_match(o.lstrip("*")) if is_mem(o.lstrip("*")) else None
            if not mm:
                continue
            # loading through it (or what may be it) reads, as through any pointer; writing or
            # computing an address from it could change where its jumps go
            a = self.address(st, ins, o.lstrip("*"))
            through = any(reg(x) and reg(x)[0] in held for x in (mm.group("base"), mm.group("index")) if x)
            if base == "lea" and through and not mm.group("index") and dreg and dreg[1] == 64:
                derived.append(dreg[0])  # its address plus a constant
            elif (through or _relro_value(a)) and ((base == "lea" and through) or _writes_operand(base, ops, k)):
                self.problem("flow", ins, "writes, or computes an address from, its RELRO table's address")
        if not held:
            return derived
        if (_STRING.match(ins.mnem) or base in ("stos", "lods", "movs", "cmps", "scas")) and held & {"rdi", "rsi"}:
            self.problem("flow", ins, "a string instruction on its RELRO table")
        copy = (
            base == "mov"
            and len(ops) == 2
            and reg(ops[0])
            and reg(ops[0])[1] == 64
            and ((reg(ops[1]) and reg(ops[1])[1] == 64) or self._exact_slot(st, ins, ops[1]))
        )
        compare = base in ("cmp", "test")  # flags only
        moved = base in ("add", "sub") and len(ops) == 2 and ops[0].startswith("$") and dreg and dreg[1] == 64
        if moved and dreg[0] in held:
            derived.append(dreg[0])
        for r_, w in _value_reads(ins):
            # its low byte or word alone cannot give the address back (gcc's `setl %r15b` on a
            # register that held it); 32 bits with another address's upper half could
            if r_ in held and not (copy or compare or moved) and w >= 32:
                self.problem("flow", ins, f"uses its RELRO table's address (in %{r_}) as a value")
        return derived

    def _exact_slot(self, st: State, ins: Ins, op: str) -> bool:
        """op is one stack slot the analysis follows (a spill there is reloaded as it was)."""
        if not is_mem(op):
            return False
        a = self.address(st, ins, op)
        return a[0] == "S" and a[1] == a[2] and a[1] != -INF

    def _relro_args(self, st: State, ins: Ins, callee: str) -> None:
        """A parameter register that holds (or may hold) its RELRO table's address at a call or
        tail jump: a callee that takes that parameter could write the table. gcc leaves the
        address in a register the callee does not take; the original doing the same at a call of
        the same callee, in the same register, shows that callee does not take it. A callee
        whose prototype says it takes fewer parameter registers does not see it either."""
        for i, p in enumerate(PARAMS):
            if _relro_value(st.regs.get(p)) and i < self.callee_registers.get(callee, 6):
                self.problem(
                    "flow",
                    ins,
                    f"calls {callee} with its RELRO table's address (maybe) in %{p}",
                    f"relro_arg:{callee}:{p}",
                )

    def _incoming_uses(self, st: State, ins: Ins) -> list[str]:
        """Registers whose value on entry ins uses for anything but saving it (push, a store, a
        copy to another register): a candidate that looks at them can tell a test harness (its
        canaries and poison) from a real caller."""
        base = base_mnemonic(ins.mnem)[0]
        ops = ins.ops
        if base in ("push", "pop", "nop", "leave", "ret", "call", "jmp") or ins.mnem in _COND:
            reads = []
        elif (
            base in ("mov", "movabs")
            and len(ops) == 2
            and reg(ops[0])
            and (is_mem(ops[1]) or reg(ops[1]))
            and reg(ops[0])[1] == 64
        ):
            reads = []  # saving it (a store, or a copy that stays the caller's value)
        else:
            reads = [r_ for r_, _ in _value_reads(ins)]
        for o in ops:  # registers that form an address are read whatever the instruction
            mm = mem_match(o) if is_mem(o) else None
            if mm:
                reads += [reg(x)[0] for x in (mm.group("base"), mm.group("index")) if x and reg(x)]
        return sorted({r for r in reads if (st.regs.get(r) or (None,))[0] == "U"})

    def _code_sources(self, st: State, ins: Ins) -> list[str]:
        """The registers ins writes, when a register it reads holds an address of its own code."""
        base = base_mnemonic(ins.mnem)[0]
        if base in ("cmp", "test", "bt", "push", "call", "jmp", "lea") or ins.mnem in _COND or len(ins.ops) < 2:
            return []
        if ins.ops[0] == ins.ops[-1] and base in ("xor", "sub", "pxor"):
            return []
        if not any((st.regs.get(reg(o)[0]) or (None,))[0] == "C" for o in ins.ops[:-1] if reg(o)):
            return []
        d = reg(ins.ops[-1])
        return list(_implicit_writes(base, ins.mnem, ins.ops)) + ([d[0]] if d and d[0] != "rsp" else [])

    def _stack_sources(self, st: State, ins: Ins) -> list[str]:
        """The registers ins writes, when something it reads is a stack address (a register, or
        a stack slot holding one); empty otherwise."""
        base = base_mnemonic(ins.mnem)[0]
        ops = ins.ops
        if (
            not ops
            or base
            in ("cmp", "test", "bt", "push", "pushf", "nop", "call", "jmp", "ret", "lea", "leave", "pop", "popf")
            or ins.mnem in _COND
            or base.startswith(_VEC_FLAG_WRITERS)
            or _STRING.match(ins.mnem)
        ):
            return []
        if (
            len(ops) == 2
            and ops[0] == ops[1]
            and base in ("xor", "sub", "pxor", "xorps", "xorpd", "vpxor", "vxorps", "vxorpd", "sbb")
        ):
            return []  # zeroing idiom: reads nothing
        dreg = reg(ops[-1])
        pure_write = base in ("mov", "movabs", "movz", "movsx", "set") or base.startswith(
            ("mov", "vmov", "cvt", "vcvt", "vpbroadcast", "vbroadcast")
        )
        srcs = ops[:-1] if (pure_write and len(ops) > 1) else ops
        hot = False
        for o in srcs:
            r = reg(o)
            if r and (st.regs.get(r[0]) or (None,))[0] == "S" and r[0] != "rsp":
                hot = True
            elif is_mem(o):
                a = self.address(st, ins, o)
                if a[0] == "S" and a[1] == a[2] and a[1] != -INF:
                    size = access_size(base, base_mnemonic(ins.mnem)[1], ins.mnem, ops)
                    hot |= any(v[0] == "S" for k, v in st.slots.items() if k < a[1] + size and a[1] < k + 8)
        if not hot:
            return []
        out = list(_implicit_writes(base, ins.mnem, ops))
        if dreg and dreg[0] != "rsp":
            out.append(dreg[0])
        return out

    def _step(self, st: State, ins: Ins) -> None:
        self._cur_problem = ""
        m, ops = ins.mnem, ins.ops
        # a bound on a memory operand lasts from the branch that proved it to the next instruction
        # (gcc: `cmpb $14, (%rdi); ja .L; movzbl (%rdi), %eax`)
        memfact, st.mem = st.mem, (st.mem if m in _COND else None)
        base, width = base_mnemonic(m)
        regs_w = [reg(o) for o in ops if reg(o)]
        if width is None and base in _GPR_BASES and regs_w and not regs_w[-1][0].startswith("v"):
            width = regs_w[-1][1]
        mems = [o for o in ops if is_mem(o)]
        dst = ops[-1] if ops else ""
        keep_flags = (
            (
                base in _NO_FLAGS
                or base.startswith(("j", "call", "set", "cmov", "v", "mov", "p", "cvt", "unpck", "shuf", "sqrt", "f"))
            )
            and base not in ("popf", "popcnt")
            and not base.startswith(_VEC_FLAG_WRITERS)
        )
        flags = st.flags if keep_flags else None
        rsp = st.regs.get("rsp")
        if rsp is None or rsp[0] != "S":
            rsp = TAINT

        # memory accesses of the explicit operands (not lea/nop/prefetch: no access)
        direct = (base in ("jmp", "call") or m in _COND) and not (ops and ops[0].startswith("*"))
        if (
            not direct
            and base not in ("lea", "nop", "prefetch")
            and not base.startswith(("prefetch", "clflush", "clwb", "clflushopt"))
        ):
            size = access_size(base, width, m, ops)
            for k, op in enumerate(ops):
                if base == "push" and is_mem(op) and self.address(st, ins, op)[:3] == ("S", 0, 0):
                    # gcc's dynamically realigned frames push a copy of the return address for
                    # the unwinder (leaq 8(%rsp),%r10; andq $-32,%rsp; pushq -8(%r10))
                    self.problem("stack", ins, "copies the return address", "ra_copy")
                    continue
                if is_mem(op):
                    write = _writes_operand(base, ops, k)
                    if write:
                        a = self.address(st, ins, op)
                        if a[0] == "S" and a[1] == a[2] and a[1] != -INF:
                            self._store_slot(st, a[1], size, ("X",))  # the transfer below may say better
                        elif a[0] == "S" and canonical(a):
                            self._store_rslot(st, a, size, ("X",))
                        elif a[0] == "S":
                            self._clobber_slots(st)
                    src = reg(ops[0]) if len(ops) > 1 else None
                    value = st.regs.get(src[0]) if src else None
                    self.check_access(st, ins, op, size, write or base == "xchg", value)
        if _STRING.match(m) or (base in ("stos", "lods", "movs", "cmps", "scas") and not mems):
            for r_ in ("rdi", "rsi"):
                v = st.regs.get(r_)
                if v and v[0] == "S":
                    if ins.rep:
                        self.check_stack_range(st, ins, TAINT, 8, True)
                    else:
                        self.check_stack_range(st, ins, v, (width or 64) // 8, True)
                    st.regs[r_] = TAINT if ins.rep else v
            if ins.rep:
                st.regs.pop("rcx", None)
            if base in ("lods", "scas"):
                st.regs.pop("rax", None)
            st.flags = None
            return

        if base in ("push", "pushf"):
            new = shift(rsp, -8, -8)
            val = self.read_operand(st, ins, ops[0], 64) if ops else None
            if ops and is_mem(ops[0]) and self.address(st, ins, ops[0])[:3] == ("S", 0, 0):
                val = ("RA",)
            st.regs["rsp"] = new
            if new[1] != -INF:
                self.check_stack_range(st, ins, new, 8, True, (0, 0))
            if new[1] == new[2] and new[1] != -INF:
                self._store_slot(st, new[1], 8, val)
            elif canonical(new):
                self._store_rslot(st, new, 8, val)
            st.flags = flags
            return
        if base in ("pop", "popf"):
            if rsp[1] != -INF:
                self.check_stack_range(st, ins, rsp, 8, False, (0, 0))
            val = (
                st.slots.get(rsp[1], st.unwritten())
                if rsp[1] == rsp[2] and rsp[1] != -INF
                else st.rslots.get(canonical(rsp), st.unwritten())
                if canonical(rsp)
                else st.unwritten()
            )
            st.regs["rsp"] = shift(rsp, 8, 8)
            if ops and reg(ops[0]):
                if reg(ops[0])[0] == "rsp":
                    self._rsp_lost(st)
                else:
                    self.set_reg(st, ops[0], val if width == 64 else None)
            elif ops:
                self.check_access(st, ins, ops[0], 8, True, val)
            st.flags = flags if base == "pop" else None
            return
        if base == "leave":
            fp = st.regs.get("rbp")
            if not fp or fp[0] != "S":
                self.problem("stack", ins, "leave without a frame pointer the analysis can follow")
                fp = TAINT
            if fp[1] != -INF:
                self.check_stack_range(st, ins, fp, 8, False)
            val = (
                st.slots.get(fp[1], st.unwritten())
                if fp[1] == fp[2] and fp[1] != -INF
                else st.rslots.get(canonical(fp), st.unwritten())
                if canonical(fp)
                else st.unwritten()
            )
            st.regs["rsp"] = shift(fp, 8, 8)
            if val is None:
                st.regs.pop("rbp", None)
            else:
                st.regs["rbp"] = val
            st.flags = flags
            return

        # writes to rsp other than push/pop/leave/call/ret
        dreg = reg(dst) if dst else None
        if dreg and dreg[0] == "rsp" and base not in ("cmp", "test", "bt", "call", "jmp", "ret"):
            new = None
            if dreg[1] != 64:
                new = None
            elif base in ("add", "sub") and ops[0].startswith("$"):
                d = imm(ops[0])
                new = shift(rsp, d if base == "add" else -d, d if base == "add" else -d)
            elif base == "sub" and reg(ops[0]):
                v = st.regs.get(reg(ops[0])[0])
                if v and v[0] == "B" and v[3] == 64:
                    new = shift(rsp, -v[2], -v[1])
                elif v and v[0] == "A":
                    m_ = min(rsp[3], v[1])
                    new = ("S", -INF, rsp[2], m_, rsp[4] % m_)
                elif v is None or v[0] in ("M", "P"):
                    new = ("S", -INF, rsp[2], 1, 0)
            elif base == "and" and ops[0].startswith("$"):
                d = imm(ops[0])
                if d < 0 and (-d & (-d - 1)) == 0:
                    new = align_down(rsp, -d)
            elif base == "mov" and reg(ops[0]):
                v = st.regs.get(reg(ops[0])[0])
                new = v if v and v[0] == "S" else None
            elif base == "lea" and mems:
                a = self.address(st, ins, ops[0])
                new = a if a[0] == "S" else None
            if new is None or new[0] != "S":
                self.problem("stack", ins, "changes rsp in a way the analysis cannot follow")
                new = TAINT
            st.regs["rsp"] = new
            st.flags = None
            return

        if base == "mov" or base == "movabs":
            src = ops[0]
            if dreg:
                if dreg[1] == 64 and src.startswith("$") and ins.relocs:
                    self.set_reg(st, dst, ("M",) if self.symbol_address(ins) else None)
                elif dreg[1] == 64:
                    a = self.address(st, ins, src) if is_mem(src) else None
                    if (
                        a
                        and a[0] == "TIDX"
                        and a[4] == 8
                        and a[3]
                        and a[3][0] == "B"
                        and a[3][3] == 64
                        and not self.pointer_table(a)
                    ):
                        # an 8-byte entry of a table of the function's own labels (non-PIC
                        # switch, computed goto): where the index bounds it, a jump target
                        self.set_reg(st, dst, ("TT", a[1], a[2], a[3][1], a[3][2], 8))
                    else:
                        self.set_reg(st, dst, self.read_operand(st, ins, src, 64))
                elif dreg[1] == 32:
                    a = self.address(st, ins, src) if is_mem(src) else None
                    if a and a[0] == "TIDX" and a[4] == 4 and a[3] and a[3][0] == "B" and a[3][3] == 64:
                        st.regs[dreg[0]] = ("TE32", a[1], a[2], a[3][1], a[3][2])  # sign-extended next (cltq)
                        st.flags = flags
                        return
                    v = (
                        st.regs.get(reg(src)[0])
                        if reg(src)
                        else self.read_operand(st, ins, src, 32)
                        if src.startswith("$")
                        else (memfact[1] if memfact and memfact[0] == src else None)
                    )
                    self.set_reg(st, dst, v if v and v[0] in ("B", "S") else None, 32)
                else:
                    v = st.regs.get(reg(src)[0]) if reg(src) else None
                    self.set_reg(st, dst, v if v and v[0] == "S" else None)
            elif is_mem(dst):
                a = self.address(st, ins, dst)
                val = st.regs.get(reg(src)[0]) if reg(src) and reg(src)[1] >= 64 else None
                if val and val[0] == "S" and reg(src)[1] > 64:
                    val = TAINT
                if a[0] == "S" and a[1] == a[2] and a[1] != -INF:
                    self._store_slot(st, a[1], access_size(base, width, m, ops), val)
                elif a[0] == "S" and canonical(a):
                    self._store_rslot(st, a, access_size(base, width, m, ops), val)
                elif a[0] == "S":
                    self._clobber_slots(st)
            st.flags = flags
            return
        if base == "movz" and dreg:
            sw = reg(ops[0])[1] if reg(ops[0]) else (8 if m.startswith("movzb") else 16)
            v = (
                st.regs.get(reg(ops[0])[0])
                if reg(ops[0])
                else (memfact[1] if memfact and memfact[0] == ops[0] else None)
            )
            z = zext(v, sw)
            if dreg[1] >= 32:
                st.regs[dreg[0]] = z
            else:
                self.set_reg(st, dst, ("B", z[1], z[2], dreg[1]))
            st.flags = flags
            return
        if base == "movsx" and dreg:
            sw = reg(ops[0])[1] if reg(ops[0]) else {"b": 8, "w": 16, "l": 32}[m[4]]
            v = st.regs.get(reg(ops[0])[0]) if reg(ops[0]) else None
            if v and v[0] == "TE32" and sw == 32 and dreg[1] == 64:
                st.regs[dreg[0]] = ("TE",) + v[1:]
                st.flags = flags
                return
            ok = v and v[0] == "B" and v[3] >= sw and v[2] < (1 << (sw - 1))
            if mems and m.startswith("movslq"):
                a = self.address(st, ins, mems[0])
                if a[0] == "TIDX" and a[4] == 4 and a[3] and a[3][0] == "B" and a[3][3] == 64:
                    st.regs[dreg[0]] = ("TE", a[1], a[2], a[3][1], a[3][2])
                    st.flags = flags
                    return
            self.set_reg(st, dst, ("B", v[1], v[2], 64) if ok else None, 64 if dreg[1] >= 32 else None)
            st.flags = flags
            return
        if base == "lea" and dreg:
            a = self.address(st, ins, ops[0])
            mm = mem_match(ops[0])
            bv = st.regs.get(reg(mm.group("base"))[0]) if mm and mm.group("base") and reg(mm.group("base")) else None
            if a[0] in ("S", "TB") and dreg[1] == 64:
                self.set_reg(st, dst, a)
            elif a[0] == "CODE":
                st.regs[dreg[0]] = ("C",)
            elif dreg[1] == 64 and self.symbol_address(ins):
                self.set_reg(st, dst, ("M",))
            elif (
                mm
                and not mm.group("base")
                and mm.group("index")
                and reg(mm.group("index"))
                and dreg[1] == 64
                and not int(mm.group("disp") or "0", 0)
                and (st.regs.get(reg(mm.group("index"))[0]) or (None,))[0] == "B"
                and st.regs[reg(mm.group("index"))[0]][3] == 64
            ):
                iv = st.regs[reg(mm.group("index"))[0]]
                st.regs[dreg[0]] = ("BS", iv[1], iv[2], int(mm.group("scale") or "1"))
            elif bv and bv[0] == "B" and not mm.group("index"):
                self.set_reg(st, dst, add_const(bv, int(mm.group("disp") or "0", 0), dreg[1]))
            else:
                self.set_reg(st, dst, None)
            st.flags = flags
            return
        if base in ("add", "sub") and dreg:
            w = dreg[1]
            d = st.regs.get(dreg[0])
            s = self.read_operand(st, ins, ops[0], 64) if w == 64 else None
            k = imm(ops[0], w) if ops[0].startswith("$") else None
            sign = 1 if base == "add" else -1
            new = None
            if d and d[0] == "S" and w == 64:
                if k is not None:
                    new = shift(d, sign * k, sign * k)
                elif s and s[0] == "B" and s[3] == 64:
                    new = shift(d, s[1], s[2]) if base == "add" else shift(d, -s[2], -s[1])
                elif not (s and s[0] == "S" and base == "sub"):  # stack minus stack: a plain number
                    new = TAINT
            elif s and s[0] == "S":
                new = TAINT
            elif base == "add" and d and s and {d[0], s[0]} == {"TB", "TE"}:
                tb, te = (d, s) if d[0] == "TB" else (s, d)
                new = ("TT", tb[1], tb[2], te[3], te[4], 4) if (tb[1], tb[2]) == (te[1], te[2]) else None
            elif k is not None:
                new = add_const(d, sign * k, w)
            self.set_reg(st, dst, new)
            st.flags = None
            return
        if base == "and" and dreg and ops[0].startswith("$"):
            k = imm(ops[0], dreg[1])
            d = st.regs.get(dreg[0])
            if d and d[0] == "S":
                self.set_reg(st, dst, align_down(d, -k) if k < 0 and (-k & (-k - 1)) == 0 and dreg[1] == 64 else TAINT)
            elif k >= 0:
                old = d if d and d[0] == "B" and d[3] >= dreg[1] and d[2] <= k else None
                self.set_reg(st, dst, old or (("B", 0, k, 64) if dreg[1] >= 32 else ("B", 0, k, dreg[1])))
            elif (-k & (-k - 1)) == 0 and dreg[1] == 64:
                self.set_reg(st, dst, ("A", -k))
            else:
                self.set_reg(st, dst, None)
            st.flags = None
            return
        if base == "cmp" and len(ops) == 2 and ops[0].startswith("$") and reg(ops[1]):
            r_ = reg(ops[1])
            k = imm(ops[0], r_[1])
            st.flags = ("cmp", r_[0], k & ((1 << r_[1]) - 1), r_[1]) if k is not None and r_[1] <= 64 else None
            return
        if base == "cmp" and len(ops) == 2 and reg(ops[0]) and reg(ops[1]) and reg(ops[0])[1] == reg(ops[1])[1] == 64:
            st.flags = ("cmpr", reg(ops[0])[0], reg(ops[1])[0], 64)
            return
        if base == "cmp" and len(ops) == 2 and ops[0].startswith("$") and is_mem(ops[1]) and width:
            k = imm(ops[0], width)
            st.flags = ("cmpm", ops[1], k & ((1 << width) - 1), width) if k is not None else None
            return
        if base == "xchg" and len(ops) == 2 and reg(ops[0]) and reg(ops[1]) and width == 64:
            a, b = reg(ops[0])[0], reg(ops[1])[0]
            va, vb = st.regs.get(a), st.regs.get(b)
            if "rsp" in (a, b):
                self.problem("stack", ins, "changes rsp in a way the analysis cannot follow")
                return
            self.set_reg(st, ops[0], vb)
            self.set_reg(st, ops[1], va)
            st.flags = flags
            return
        if base in ("call", "jmp", "ret") or m in _COND or m.startswith("j"):
            st.flags = flags
            return  # control transfers: successors() handles them

        if m == "cltq" and (st.regs.get("rax") or (None,))[0] == "TE32":
            st.regs["rax"] = ("TE",) + st.regs["rax"][1:]
            st.flags = flags
            return
        if m == "cltq" and (st.regs.get("rax") or (None,))[0] == "B":
            v = st.regs["rax"]  # a non-negative bound survives sign extension
            st.regs["rax"] = ("B", v[1], v[2], 64) if v[3] >= 32 and v[2] < (1 << 31) else None
            if st.regs["rax"] is None:
                del st.regs["rax"]
            st.flags = flags
            return

        # anything else: implicit writes, then the explicit destination
        for r_ in _implicit_writes(base, m, ops):
            if r_ == "rsp":
                self.problem("stack", ins, "changes rsp in a way the analysis cannot follow")
            st.regs.pop(r_, None)
        srcs_stack = any(st.regs.get(reg(o)[0], (None,))[0] == "S" for o in ops if reg(o))
        writes_dst = (
            len(ops) >= 2
            and not base.startswith(("cmp", "test", "bt", "ucomi", "comi", "vucomi", "vcomi", "ptest", "vptest"))
            or base in ("inc", "dec", "neg", "not", "set", "bswap", "pop")
        )
        if dreg and writes_dst:
            if dreg[0] == "rsp":
                self.problem("stack", ins, "changes rsp in a way the analysis cannot follow")
                return
            d = st.regs.get(dreg[0])
            if base in ("inc", "dec") and d and d[0] == "S" and dreg[1] == 64:
                st.regs[dreg[0]] = shift(d, 1 if base == "inc" else -1, 1 if base == "inc" else -1)
            elif base == "xor" and len(ops) == 2 and ops[0] == ops[1]:
                st.regs[dreg[0]] = ("B", 0, 0, 64) if dreg[1] >= 32 else None
                if dreg[1] < 32:
                    self.set_reg(st, dst, None)
            elif srcs_stack:
                st.regs[dreg[0]] = TAINT
            else:
                self.set_reg(st, dst, None)
        elif is_mem(dst) and writes_dst and not base.startswith(("cmp", "test")):
            a = self.address(st, ins, dst)
            if a[0] == "S" and a[1] == a[2] and a[1] != -INF:
                self._store_slot(st, a[1], access_size(base, width, m, ops), TAINT if srcs_stack else None)
            elif a[0] == "S" and canonical(a):
                self._store_rslot(st, a, access_size(base, width, m, ops), TAINT if srcs_stack else None)
            elif a[0] == "S":
                self._clobber_slots(st)
        st.flags = flags

    def _store_slot(self, st: State, off: float, size: int, val: tuple | None) -> None:
        """A store at entry rsp + off. What it overlaps becomes unknown ("X"), not forgotten:
        a forgotten slot would read as memory the function never wrote."""
        off = int(off)
        for k in [k for k in st.rslots if k[0] < off + size and off < k[1] + 8]:
            st.rslots[k] = ("X",)  # a realigned slot this may overlap
        for k in [k for k in st.slots if k < off + size and k + 8 > off]:
            st.slots[k] = ("X",)
        st.slots[off] = val if (val is not None and size == 8) else ("X",)

    def _clobber_slots(self, st: State) -> None:
        """A store at a stack offset the analysis cannot pin down (allowed only where the original
        makes one too: a variable index into a local array). The frame's saved stack addresses
        are kept: such a store could as well reach the return address itself, which is the
        residual risk of that waiver (docs/verification.md)."""
        for k in st.slots:
            if st.slots[k][0] not in ("S", "RA"):
                st.slots[k] = ("X",)
        for k in st.rslots:
            if st.rslots[k][0] not in ("S", "RA"):
                st.rslots[k] = ("X",)
        st.dirty = True

    def _store_rslot(self, st: State, a: tuple, size: int, val: tuple | None) -> None:
        """A store at a realigned address (canonical()). Another realigned slot of the same frame
        (same modulus, same k mod it) is at a known distance; anything else may overlap wherever
        the intervals do."""
        key = canonical(a)
        lo, hi = key[0], key[1] + size
        for k in [k for k in st.slots if k < hi and lo < k + 8]:
            st.slots[k] = ("X",)
        for k in list(st.rslots):
            if k != key and rslot_overlaps(k, a, size):
                st.rslots[k] = ("X",)
        st.rslots[key] = val if (val is not None and size == 8) else ("X",)

    # -- control flow --------------------------------------------------------------------
    def branch_target(self, ins: Ins) -> tuple[str, str | None, int]:
        """("internal", section, offset) | ("symbol", name, 0) | ("bad", why, 0)."""
        if ins.relocs:
            r = ins.relocs[-1]
            if not r.sym.name and r.sym.section is None:
                return ("bad", "jumps to an absolute address", 0)
            if r.sym.section is None:
                return ("symbol", r.sym.name, 0)
            if r.sym.section == "*ABS*" or r.sym.name == "" and r.sym.section is None:
                return ("bad", "jumps to an absolute address", 0)
            if r.sym.name == self.name and r.sym.bind != 0:
                return ("symbol", self.name, 0)
            if r.sym.section in self.code:
                sec, off = _sym_target(r, ins)
                return ("internal", sec, off)
            if r.sym.type == 0 and r.sym.section is not None and r.sym.section not in self.obj.sections:
                return ("bad", "jumps to an absolute address", 0)
            return ("bad", f"jumps into data ({r.sym.section})", 0)
        tok = ins.ops[0] if ins.ops else ""
        if tok.startswith("*"):
            return ("bad", "indirect", 0)
        try:
            return ("internal", ins.section, int(tok, 16))
        except ValueError:
            return ("bad", "has a target the analysis cannot read", 0)

    def boundary(self, sec: str, off: int) -> bool:
        return (sec, off) in self.at

    def table_targets(
        self, ins: Ins, tsec: str, toff: int, first: int, k: int, size: int
    ) -> list[tuple[str, int]] | None:
        """The jump targets of entries first..k of a table; None after reporting a problem.
        An index no compare bounds is what gcc emits when the switch's default is
        __builtin_unreachable(): allowed only where the original does it too, and then the
        table's entries are those up to the first word that is not one."""
        s = self.obj.sections.get(tsec)
        if s is None or s.code or (s.flags & elf.SHF_WRITE and not relro(tsec)):
            self.problem("flow", ins, f"its jump table at {tsec}+{toff:#x} is not in the function's read-only data")
            return None
        unchecked = k - first + 1 > MAX_TABLE or toff + (k + 1) * size > len(s.data)
        if unchecked:
            self.problem(
                "flow",
                ins,
                f"jumps through a table with an index not bounded by a compare on every path (up to {k})",
                "unchecked_table",
            )
            k = min(k, (len(s.data) - toff) // size - 1)
        rel = {r.offset: r for r in s.relocs}
        out = []
        for i in range(first, k + 1):
            r = rel.get(toff + i * size)
            where = f"entry {i} of the jump table at {tsec}+{toff:#x}"
            if size == 4 and r is not None and r.type == elf.R_PC32:
                sec, off = r.sym.section, r.sym.value + r.addend - 4 * i
            elif size == 8 and r is not None and r.type == elf.R_64:
                sec, off = r.sym.section, r.sym.value + r.addend
            elif unchecked and i > first:
                break  # past the table
            elif r is None:
                self.problem(
                    "flow", ins, f"{where} is not a label (no relocation: the index is not bounded by the table)"
                )
                return None
            else:
                self.problem("flow", ins, f"{where} has relocation type {r.type}, not a label")
                return None
            if sec not in self.code or not self.boundary(sec, off):
                if unchecked and i > first:
                    break
                tgt = r.sym.name or sec
                self.problem("flow", ins, f"{where} points outside the function's instructions ({tgt}{r.addend:+#x})")
                return None
            out.append((sec, off))
        return out

    def successors(self, st: State, ins: Ins) -> list[tuple[str, int, State]]:
        """Where control goes after ins, each with the state on that edge; checks calls and
        returns on the way."""
        m, ops = ins.mnem, ins.ops
        base, _ = base_mnemonic(m)
        nxt = (ins.section, ins.end)
        rsp = st.regs.get("rsp") or TAINT
        if base == "ret" or m in ("ret", "retq"):
            if _relro_value(st.regs.get("rax")):
                # gcc leaves it there at a return only where the function returns nothing
                self.problem("flow", ins, "returns with its RELRO table's address (maybe) in %rax", "relro_ret")
            if ops:
                self.problem("stack", ins, f"`ret {ops[0]}` pops the caller's stack")
            if not (rsp[1] == rsp[2] == 0):
                self.problem("stack", ins, f"returns with rsp at {_fmt_rsp(rsp)}, not its entry value")
            return []
        if m == "ud2" or m == "hlt":
            return []
        if base == "call":
            self.has_call = True
            if any((st.regs.get(p) or (None,))[0] == "C" for p in PARAMS):
                self.problem("flow", ins, "passes the address of its own code to a call")
            callee = "*" if ops and ops[0].startswith("*") else self.branch_target(ins)
            callee = callee if callee == "*" else callee[1] if callee[0] == "symbol" else self.name
            self._relro_args(st, ins, callee)
            if not (rsp[3] >= 16 and rsp[4] % 16 == 0):
                # gcc calls a same-unit function that needs no alignment unaligned (-fipa-stack-alignment)
                self.problem(
                    "stack", ins, f"calls with rsp at {_fmt_rsp(rsp)}: not 16-byte aligned", f"misaligned_call:{callee}"
                )
            if callee in self.noreturn:
                self.noreturn_calls.add((ins.section, ins.offset))
            if ops and ops[0].startswith("*"):
                self.indirect_calls = True
                op = ops[0][1:]
                if reg(op):
                    v = st.regs.get(reg(op)[0])
                else:
                    v = self.load(st, ins, op, 64)
                if self.allowed is not None and "indirect_call" not in self.allowed:
                    self.problem("flow", ins, "an indirect call, and the original makes none")
                elif not v or v[0] not in CALLABLE:
                    self.problem(
                        "flow",
                        ins,
                        "calls through a computed address (only pointers loaded from memory or passed as parameters may be called)",
                    )
                elif v[0] == "MU":
                    self.problem(
                        "flow",
                        ins,
                        "calls through its own table of function pointers with an index no compare bounds",
                        "unchecked_pointer_table",
                    )
            else:
                kind, what, off = self.branch_target(ins)
                if kind == "symbol":
                    self.targets.add(what)
                    if self.allowed is not None and what != self.name and what not in self.allowed:
                        self.problem("flow", ins, f"calls {what}, which the original does not call")
                elif kind == "internal":
                    if (what, off) != self.entry:
                        self.problem(
                            "flow",
                            ins,
                            f"calls into its own code at {what}+{off:#x} (only the function itself may be called)",
                        )
                else:
                    self.problem("flow", ins, f"calls: {what}")
            after = st.copy()
            for r_ in CALLER_SAVED:
                after.regs.pop(r_, None)
            for r_ in [r_ for r_ in after.regs if r_.startswith("v")]:
                del after.regs[r_]
            after.regs["rax"] = ("M",)
            after.flags = None
            if (ins.section, ins.offset) in self.noreturn_calls:
                return []
            # the callee writes below rsp, and may write what a stack address it is given reaches:
            # trusted to write only the object it is given, it leaves the frame's own saved stack
            # addresses alone (gcc's realigned frames reload rsp from one after calls)
            escaped = any((st.regs.get(p) or (None,))[0] == "S" for p in PARAMS)
            cr = canonical(rsp)

            def below(lo: float, hi: float, key: tuple | None) -> bool:
                if lo >= rsp[2]:
                    return False
                return not (cr and key and same_frame(key, cr) and key[1] >= cr[1])

            for k in list(after.slots):
                if below(k, k, None) or (escaped and after.slots[k][0] not in ("S", "RA")):
                    after.slots[k] = ("M",)
            for k in list(after.rslots):
                if below(k[0], k[1], k) or (escaped and after.rslots[k][0] not in ("S", "RA")):
                    after.rslots[k] = ("M",)
            return [(nxt[0], nxt[1], after)]
        if base == "jmp" or m in _COND:
            indirect = bool(ops) and ops[0].startswith("*")
            if indirect:
                op = ops[0][1:]
                v = st.regs.get(reg(op)[0]) if reg(op) else None
                if reg(op) is None and rsp[1] == rsp[2] == 0 and self.load(st, ins, op, 64) in (("M",), ("MU",)):
                    v = self.load(st, ins, op, 64)
                elif reg(op) is None:
                    a = self.address(st, ins, op)
                    if a[0] == "TIDX" and a[3] and a[3][0] == "B" and a[3][3] == 64 and a[4] == 8:
                        v = ("TT", a[1], a[2], a[3][1], a[3][2], 8)
                    elif a[0] == "TIDX":
                        self.problem(
                            "flow", ins, "jumps through a table with an index not bounded by a compare on every path"
                        )
                        return []
                if v and v[0] == "TT":
                    targets = self.table_targets(ins, *v[1:])
                    return [(s, o, st.copy()) for s, o in dict.fromkeys(targets or [])]
                if v is None and not reg(op) and self.address(st, ins, op)[0] not in ("TB", "TIDX"):
                    v = self.load(st, ins, op, 64)
                if v and v[0] in CALLABLE and rsp[1] == rsp[2] == 0:
                    # an indirect tail call (`return f(x)` through a pointer): a call, for the rules
                    self.indirect_calls = True
                    if v[0] == "MU":
                        self.problem(
                            "flow",
                            ins,
                            "tail-calls through its own table of function pointers with an index no compare bounds",
                            "unchecked_pointer_table",
                        )
                    if self.allowed is not None and "indirect_call" not in self.allowed:
                        self.problem("flow", ins, "an indirect (tail) call, and the original makes none")
                    self._relro_args(st, ins, "*")
                    return []
                if v and v[0] == "TE":
                    self.problem("flow", ins, "jumps to a table entry not added to its table's address")
                else:
                    self.problem(
                        "flow",
                        ins,
                        "an indirect jump that is not a bounds-checked jump through the function's own table",
                    )
                return []
            kind, what, off = self.branch_target(ins)
            out = []
            if kind == "symbol":
                self.targets.add(what)
                if self.allowed is not None and what != self.name and what not in self.allowed:
                    self.problem("flow", ins, f"jumps to {what}, which the original does not call")
                if not (rsp[1] == rsp[2] == 0):
                    self.problem("stack", ins, f"tail-jumps to {what} with rsp at {_fmt_rsp(rsp)}, not its entry value")
                self._relro_args(st, ins, what)
            elif kind == "internal":
                if not self.boundary(what, off):
                    inside = what in self.code and any(i.offset < off < i.end for i in self.code[what])
                    self.problem(
                        "flow",
                        ins,
                        f"jumps into the middle of an instruction ({what}+{off:#x})"
                        if inside
                        else f"jumps outside the function ({what}+{off:#x})",
                    )
                else:
                    taken = st.copy()
                    out.append((what, off, taken))
            else:
                self.problem("flow", ins, what)
            if m in _COND:
                fall = st.copy()
                if m.startswith(("loop", "jrcxz", "jecxz")):
                    for s_ in (fall, *(o[2] for o in out)):
                        s_.regs.pop("rcx", None) if m.startswith("loop") else None
                else:
                    _refine(m, st.flags, out[0][2] if out else None, fall)
                out.append((nxt[0], nxt[1], fall))
            return out
        return [(nxt[0], nxt[1], st)]

    # -- the fixpoint ---------------------------------------------------------------------
    def run(self) -> Analysis:
        fn = [s for s in self.obj.symbols if s.name == self.name and s.section in self.code and s.type in (0, 2)]
        if not fn:
            return Analysis((), ("", 0), (), frozenset(), frozenset(), False, f"no code for {self.name}")
        self.entry = (fn[0].section, fn[0].value)
        if not self.boundary(*self.entry):
            return Analysis(
                (), self.entry, (), frozenset(), frozenset(), False, f"{self.name} does not start on an instruction"
            )
        # calls first: whether the function calls decides the red-zone rule everywhere
        self.has_call = any(base_mnemonic(i.mnem)[0] == "call" for sec in self.code.values() for i in sec)
        entry = State(
            {"rsp": ENTRY_RSP, **{p: ("P", k) for k, p in enumerate(PARAMS)}, **{r: ("U", r) for r in INCOMING}}
        )
        states: dict[tuple[str, int], State] = {self.entry: entry}
        visits: dict[tuple[str, int], int] = {}
        self.order = {sec: k for k, sec in enumerate(self.code)}
        work = Worklist(self.order)
        work.append(self.entry)
        leaders: set[tuple[str, int]] = {self.entry} | self.static_leaders()
        while True:
            start = work.pop()
            if start is None:
                break
            st = states[start].copy()
            sec, k = start[0], self.at[start]
            code = self.code[sec]
            while True:
                ins = code[k]
                self.step(st, ins)
                if self._cur_problem:
                    self.problem("stack", ins, self._cur_problem)
                succ = self.successors(st, ins)
                ends = (
                    not (len(succ) == 1 and succ[0][:2] == (sec, ins.end))
                    or base_mnemonic(ins.mnem)[0] == "call"
                    or (sec, ins.end) in leaders
                )
                if not ends:
                    k += 1
                    if k >= len(code):
                        self.problem("flow", ins, "execution runs off the end of the function")
                        break
                    continue
                for tsec, toff, tst in succ:
                    tgt = (tsec, toff)
                    if tgt not in self.at:
                        if base_mnemonic(ins.mnem)[0] != "call":
                            self.problem("flow", ins, "execution runs off the end of the function")
                        continue
                    if tgt not in leaders:
                        leaders.add(tgt)
                        self._split(tgt, states, work)
                    self._merge(tgt, tst, states, visits, work, ins)
                    if (
                        self.allowed is None
                        and self._conflict
                        and base_mnemonic(ins.mnem)[0] == "call"
                        and tgt == (sec, ins.end)
                    ):
                        # gcc put no code after this call: it knows the callee does not return
                        callee = self.branch_target(ins)
                        if callee[0] == "symbol":
                            self.noreturn_found.add(callee[1])
                break
        blocks = self._blocks(leaders, states)
        return Analysis(
            tuple(blocks),
            self.entry,
            tuple(self.problems.values()),
            frozenset(self.features),
            frozenset(self.targets),
            self.indirect_calls,
        )

    def _split(self, tgt, states, work) -> None:
        """A new leader in the middle of a block already analyzed (a jump-table target): re-analyze
        the block that contains it, so its state reaches the new leader by a join."""
        before = [s for s in states if s[0] == tgt[0] and s[1] < tgt[1]]
        if before:
            work.append(max(before, key=lambda s: s[1]))

    def static_leaders(self) -> set[tuple[str, int]]:
        """Block starts known without the analysis: direct branch targets and what follows a
        branch, call or return (jump-table targets come as the analysis finds them)."""
        out = set()
        for sec, code in self.code.items():
            for i in code:
                b = base_mnemonic(i.mnem)[0]
                if b in ("jmp", "call", "ret") or i.mnem in _COND or i.mnem == "ud2":
                    out.add((sec, i.end))
                    if (b == "jmp" or i.mnem in _COND) and i.ops and not i.ops[0].startswith("*"):
                        kind, tsec, off = self.branch_target(i)
                        if kind == "internal":
                            out.add((tsec, off))
        return {x for x in out if x in self.at}

    def _merge(self, tgt, tst: State, states, visits, work, ins: Ins) -> None:
        self._conflict = False
        old = states.get(tgt)
        if old is None:
            states[tgt] = tst.copy()
            work.append(tgt)
            return
        visits[tgt] = visits.get(tgt, 0) + 1
        widen = visits[tgt] > WIDEN_AFTER
        new = State()
        for r_ in set(old.regs) | set(tst.regs):
            if r_ == "rsp":
                a, b = old.regs.get("rsp"), tst.regs.get("rsp")
                if a != b:
                    # allowed where another register holds the frame on both paths: rbp as a
                    # frame pointer (alloca in one branch), r11 in gcc's stack-clash probe loop
                    framed = any(
                        v[0] == "S" and v[1] == v[2] and r_ != "rsp" and tst.regs.get(r_) == v
                        for r_, v in old.regs.items()
                    )
                    if not framed and a and b and a[1] != -INF and b[1] != -INF:
                        self._conflict = True
                        if self.allowed is None and base_mnemonic(ins.mnem)[0] == "call":
                            return  # perhaps a call that does not return: run() decides
                        tins = self.code[tgt[0]][self.at[tgt]]
                        self.problem(
                            "stack", tins, f"paths join here with different rsp ({_fmt_rsp(a)} and {_fmt_rsp(b)})"
                        )
                v = join_val(a, b, widen)
            else:
                v = join_val(old.regs.get(r_), tst.regs.get(r_), widen)
            if v is not None:
                new.regs[r_] = v
        for k in set(old.slots) | set(tst.slots):
            v = join_val(old.slots.get(k, old.unwritten()), tst.slots.get(k, tst.unwritten()), widen)
            new.slots[k] = v if v is not None else ("X",)
        for k in set(old.rslots) | set(tst.rslots):
            v = join_val(old.rslots.get(k, old.unwritten()), tst.rslots.get(k, tst.unwritten()), widen)
            new.rslots[k] = v if v is not None else ("X",)
        new.dirty = old.dirty or tst.dirty
        new.flags = old.flags if old.flags == tst.flags else None
        new.mem = old.mem if old.mem == tst.mem else None
        if new.key() != old.key():
            states[tgt] = new
            if tgt not in work:
                work.append(tgt)

    def _blocks(self, leaders, states) -> list[Block]:
        out = []
        for sec, code in self.code.items():
            cur = None
            for k, i in enumerate(code):
                if (sec, i.offset) in leaders:
                    cur = (i.offset, [])
                    out.append(cur)
                if cur is not None and (sec, cur[0]) in states:
                    cur[1].append(i)
                    b = base_mnemonic(i.mnem)[0]
                    if b in ("ret", "jmp", "ud2") or i.mnem in ("ud2", "ret", "retq", "jmpq", "jmp"):
                        cur = None
            # blocks end where the next leader starts or at a terminator
        blocks = []
        for start, ins in out:
            if not ins:
                continue
            sec = ins[0].section
            blocks.append(Block(sec, start, ins[-1].end, all(_is_nop(i) for i in ins)))
        return sorted(blocks, key=lambda b: (b.section, b.start))


def _is_nop(i: Ins) -> bool:
    return i.mnem.startswith("nop") or i.text.replace(" ", "") in ("xchgw%ax,%ax", "xchg%ax,%ax")


_IDIOMS = (
    "xor",
    "sub",
    "sbb",
    "pxor",
    "xorps",
    "xorpd",
    "vpxor",
    "vxorps",
    "vxorpd",
    "pcmpeqd",
    "pcmpeqb",
    "pcmpeqw",
    "pcmpeqq",
    "vpcmpeqd",
)


def _writes_operand(base: str, ops: tuple[str, ...], k: int) -> bool:
    """Whether an instruction writes its operand k (a memory operand)."""
    return (
        k == len(ops) - 1
        and len(ops) > 1
        and not base.startswith(("cmp", "test", "bt", "ucomi", "comi", "vucomi", "vcomi", "ptest", "vptest"))
        or base in ("inc", "dec", "neg", "not", "set", "pop")
        or (len(ops) == 1 and not base.startswith(_READ_ONLY_1OP))
    )


def _value_reads(ins: Ins) -> list[tuple[str, int]]:
    """The registers ins reads for their values (not to form a memory address), with the width
    read."""
    base = base_mnemonic(ins.mnem)[0]
    ops = ins.ops
    if base in ("nop", "leave", "ret", "pop", "popf") or ins.mnem in _COND:
        return []
    if base in ("call", "jmp"):
        r_ = reg(ops[0][1:]) if ops and ops[0].startswith("*") else None
        return [r_] if r_ else []
    if len(ops) == 2 and ops[0] == ops[1] and base in _IDIOMS:
        return []  # zeroing (or all-ones) idiom: reads nothing
    pure = (
        base in _WRITE_ONLY
        or (base == "imul" and len(ops) == 3)
        or base.startswith(("mov", "vmov", "cvt", "vcvt", "vbroadcast", "vpbroadcast"))
    )
    srcs = ops[:-1] if pure and len(ops) > 1 else ops
    if len(ops) >= 3 and base.startswith("v"):
        srcs = ops[:-1]
    return [reg(o) for o in srcs if reg(o)] + [(r_, 64) for r_ in _implicit_reads(base, ins.mnem, ops)]


def _implicit_writes(base: str, m: str, ops: tuple[str, ...]) -> tuple[str, ...]:
    if m in ("cltq", "cwtl", "cbtw"):
        return ("rax",)
    if m in ("cqto", "cltd", "cwtd"):
        return ("rdx",)
    if base in ("mul", "div", "idiv") or (base == "imul" and len(ops) == 1):
        return ("rax", "rdx")
    if base == "cmpxchg" or m.startswith(("cmpxchg8b", "cmpxchg16b")):
        return ("rax", "rdx")
    if base in ("lahf",) or m.startswith(("fnstsw", "fstsw")):
        return ("rax",)
    if m.startswith("xlat"):
        return ("rax",)
    if base in ("xadd",) or m.startswith("mulx"):
        return tuple(reg(o)[0] for o in ops if reg(o))  # every register operand is written
    return ()


def _implicit_reads(base: str, m: str, ops: tuple[str, ...]) -> list[str]:
    if (
        m in ("cltq", "cwtl", "cbtw", "cqto", "cltd", "cwtd")
        or base in ("mul", "div", "idiv", "cmpxchg")
        or (base == "imul" and len(ops) == 1)
        or m.startswith(("stos", "scas", "xlat"))
    ):
        return ["rax"] + (["rbx"] if m.startswith("xlat") else [])
    return []


def _refine(m: str, flags, taken: State | None, fall: State) -> None:
    """After `cmp $K, %reg`: the unsigned range of reg's low w bits each edge proves."""
    if flags and flags[0] == "cmpr" and m in ("je", "jz", "jne", "jnz"):
        # equal registers: one holding an exact stack address gives it to the other (gcc's
        # stack-clash probe loop ends when rsp reaches the address in r11)
        st = taken if m in ("je", "jz") else fall
        if st is not None:
            a, b = st.regs.get(flags[1]), st.regs.get(flags[2])
            for x, y, name in ((a, b, flags[2]), (b, a, flags[1])):
                if x and x[0] == "S" and x[1] == x[2] and y and y[0] == "S":
                    st.regs[name] = x
        return
    if not flags or flags[0] not in ("cmp", "cmpm"):
        return
    kind, r_, k, w = flags
    top = (1 << w) - 1
    low, high = (0, k), (k + 1, top)  # reg <= K, reg > K
    below, atleast = (0, k - 1), (k, top)  # reg < K, reg >= K
    rules = {
        "ja": (high, low),
        "jnbe": (high, low),
        "jbe": (low, high),
        "jna": (low, high),
        "jae": (atleast, below),
        "jnb": (atleast, below),
        "jnc": (atleast, below),
        "jb": (below, atleast),
        "jnae": (below, atleast),
        "jc": (below, atleast),
    }
    if m not in rules:
        return
    for st, (lo, hi) in zip((taken, fall), rules[m]):
        if st is None or lo > hi:
            continue
        if kind == "cmpm":
            st.mem = (r_, ("B", lo, hi, w))
            continue
        old = st.regs.get(r_)
        if old and old[0] in ("S", "TB", "TE", "TT"):
            continue
        if old and old[0] == "B" and old[3] == 64 and old[2] <= top:  # the whole value is in the compared bits
            lo, hi = max(lo, old[1]), min(hi, old[2])
            if lo <= hi:
                st.regs[r_] = ("B", lo, hi, 64)
        else:
            st.regs[r_] = ("B", lo, hi, w)


def _fmt_rsp(v: tuple) -> str:
    if v[1] == v[2]:
        return f"entry{int(v[1]):+d}"
    lo = "-inf" if v[1] == -INF else f"{int(v[1]):+d}"
    hi = "+inf" if v[2] == INF else f"{int(v[2]):+d}"
    return f"entry{lo}..{hi}"


def analyze(
    obj: Path,
    name: str,
    insns: list,
    allowed: frozenset[str] | None = None,
    noreturn: frozenset[str] = frozenset(),
    callee_registers: tuple[tuple[str, int], ...] = (),
) -> Analysis:
    """allowed None: obj is the original, and what it does is learned rather than judged
    (which callees it treats as never returning, among them)."""
    try:
        an = Analyzer(obj, name, insns, allowed, noreturn, dict(callee_registers))
        a = an.run()
        if allowed is None and an.noreturn_found - noreturn:
            return analyze(obj, name, insns, None, noreturn | frozenset(an.noreturn_found), callee_registers)
        return a if allowed is not None else replace(a, noreturn=noreturn)
    except elf.ElfError as e:
        return Analysis((), ("", 0), (), frozenset(), frozenset(), False, str(e))


@lru_cache(maxsize=64)
def _baseline(path: str, mtime: float, name: str, insns: tuple | None, callee_registers: tuple = ()) -> Analysis:
    from gcc_wrapper.optimize.verify.static import disassemble

    return analyze(
        Path(path),
        name,
        list(insns) if insns is not None else disassemble(Path(path)),
        None,
        frozenset(),
        callee_registers,
    )


def baseline(
    obj: Path, name: str, insns: list | None = None, callee_registers: tuple[tuple[str, int], ...] = ()
) -> Analysis:
    """The original's analysis (what it calls, which habits it has), cached per object."""
    return _baseline(str(obj), obj.stat().st_mtime, name, tuple(insns) if insns is not None else None, callee_registers)


ORDER = ("flow", "stack")


def checks(
    name: str, cand_obj: Path, insns: list, base_obj: Path, callee_registers: tuple[tuple[str, int], ...] = ()
) -> tuple[list, Analysis]:
    """static.flow and static.stack of a candidate against its original: the Checks, up to the
    first failure, and the candidate's analysis (its blocks are what coverage must see run).
    callee_registers: (callee, how many parameter registers a call of it passes), for the
    callees whose prototypes say (dwarf.integer_registers)."""
    from gcc_wrapper.optimize.candidate import Check

    orig = baseline(base_obj, name, insns if base_obj == cand_obj else None, callee_registers)
    allowed = set(orig.targets)
    if orig.indirect_calls:
        allowed.add("indirect_call")
    a = analyze(cand_obj, name, insns, frozenset(allowed), orig.noreturn, callee_registers)
    out = []
    if a.error:
        out.append(Check("static.flow", False, a.error))
        return out, a
    habits = set(orig.features)
    if "caller_frame_write" in habits:
        habits.add("caller_frame_read")  # an original that writes its stack arguments has some
    for kind in ORDER:
        probs = [p for p in a.problems if p.kind == kind and not (p.waiver and p.waiver in habits)]
        probs.sort(key=lambda p: (p.section != a.entry[0], p.section, p.offset))
        name_ = f"static.{kind}"
        if probs:
            more = f" (and {len(probs) - 1} more)" if len(probs) > 1 else ""
            out.append(Check(name_, False, probs[0].message + more))
            return out, a
        if kind == "flow":
            out.append(
                Check(
                    name_,
                    True,
                    f"{len(a.blocks)} basic block{'s' if len(a.blocks) != 1 else ''}, every branch inside the function",
                )
            )
        else:
            waived = sorted(f for f in a.features if f in habits)
            out.append(
                Check(
                    name_,
                    True,
                    "rsp balanced on every path" + (f"; like the original: {', '.join(waived)}" if waived else ""),
                )
            )
    return out, a
