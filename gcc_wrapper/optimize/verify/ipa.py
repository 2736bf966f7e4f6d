"""The contract callers in the same unit rely on (gcc's -fipa-ra and -fipa-stack-alignment).

At -O2 and above gcc allocates registers interprocedurally: when a function calls another
function of the same translation unit directly, it only assumes the registers that callee
actually writes are clobbered, and keeps values in the other caller-saved registers across the
call. A rewrite that is perfectly ABI-conforming but writes one more caller-saved register (say
%rsi) silently corrupts such callers. Differential testing of the function alone cannot see it.

    check(ctx, cand_insns) -> Check | None

applies when another function of ctx.unit_asm calls (or tail-calls) ctx.name directly and the
flags do not contain -fno-ipa-ra: every caller-saved register the candidate may write must be
one the original certainly writes (or clobbers through the calls it makes). The candidate's side
is over-approximated (every register operand that is not provably only read, plus implicit
writes), the original's under-approximated (only destinations and known implicit writes), so
the check can reject a correct rewrite but not accept a breaking one. An extra register is
still fine when no function of the unit that calls ctx.name, directly or through other callers,
mentions it at all: holding a value across a call means writing it before and reading it after.

The contract belongs to a unit, not to a function: the driver checks it again (check_text) when it
substitutes a cached rewrite into a unit, whose callers may differ from the ones verified.

The same callers may also call it with a stack that is not 16-byte aligned when gcc saw that the
original does not need alignment (-fipa-stack-alignment). So a candidate that may need an aligned
stack (it calls something, or uses an alignment-checking vector access on the stack) is only
allowed when the original certainly needed one too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gcc_wrapper.optimize.candidate import Check, Context

GPR = {
    "rax": ("rax", "eax", "ax", "al", "ah"),
    "rcx": ("rcx", "ecx", "cx", "cl", "ch"),
    "rdx": ("rdx", "edx", "dx", "dl", "dh"),
    "rsi": ("rsi", "esi", "si", "sil"),
    "rdi": ("rdi", "edi", "di", "dil"),
    "r8": ("r8", "r8d", "r8w", "r8b"),
    "r9": ("r9", "r9d", "r9w", "r9b"),
    "r10": ("r10", "r10d", "r10w", "r10b"),
    "r11": ("r11", "r11d", "r11w", "r11b"),
}
_ALIAS = {alias: full for full, aliases in GPR.items() for alias in aliases}
for _i in range(16):
    for _p in ("xmm", "ymm", "zmm"):
        _ALIAS[f"{_p}{_i}"] = f"xmm{_i}"
CALLER_SAVED = frozenset(GPR) | frozenset(f"xmm{i}" for i in range(16))

# Mnemonics (after removing a size suffix where it applies) that write no register operand.
_NO_WRITE = re.compile(
    r"^(cmp[bwlq]?|test[bwlq]?|bt[lqw]?|v?u?comis[sd]|v?ptest|vtestp[sd]|push\w*|j\w+|call\w*|ret\w*|nop\w*|"
    r"prefetch\w*|endbr64|ud2|[lsm]fence|pause|cld|clc|stc|cmc|ldmxcsr|fldcw|emms|clflush\w*|v?pcmp[ei]str[im]|"
    r"k?ortest\w*|ktest\w*|maskmovdqu|vmaskmovdqu)$"
)
_STRING = re.compile(r"^(movs|stos|lods|scas|cmps|ins|outs)[bwlq]?$")
# Implicit register writes of instructions whose operands do not show them.
_IMPLICIT = {
    "cltq": {"rax"},
    "cwtl": {"rax"},
    "cbtw": {"rax"},
    "cqto": {"rdx"},
    "cltd": {"rdx"},
    "cwtd": {"rdx"},
    "cdqe": {"rax"},
    "cqo": {"rdx"},
    "cdq": {"rdx"},
    "lahf": {"rax"},
    "xlat": {"rax"},
    "xlatb": {"rax"},
    "loop": {"rcx"},
    "loope": {"rcx"},
    "loopne": {"rcx"},
    "pcmpistri": {"rcx"},
    "pcmpestri": {"rcx"},
    "vpcmpistri": {"rcx"},
    "vpcmpestri": {"rcx"},
    "pcmpistrm": {"xmm0"},
    "pcmpestrm": {"xmm0"},
    "vpcmpistrm": {"xmm0"},
    "vpcmpestrm": {"xmm0"},
}
_MULDIV = re.compile(r"^(mul|imul|div|idiv)[bwlq]?$")


def _operands(text: str) -> list[str]:
    """Split AT&T operands on the commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _reg(op: str) -> str | None:
    """The register an operand names directly (not as an address), normalized."""
    op = op.strip().lstrip("*")
    if op.startswith("%") and "(" not in op and ":" not in op:
        return _ALIAS.get(op[1:].split("{")[0])
    return None


def _all_regs(text: str) -> set[str]:
    return {_ALIAS[r] for r in re.findall(r"%(\w+)", text) if r in _ALIAS}


def insn_writes(prefix_and_mnemonic: str, operands: str, *, over: bool) -> set[str]:
    """Caller-saved registers one instruction writes: over=True may say too many, over=False too
    few (never a register it does not write)."""
    words = prefix_and_mnemonic.split()
    rep = any(w.startswith("rep") for w in words[:-1])
    mnem = words[-1] if words else ""
    ops = _operands(operands)
    out: set[str] = set(_IMPLICIT.get(mnem, ()))
    if _STRING.match(mnem):
        base = mnem.rstrip("bwlq") if len(mnem) > 4 else mnem
        out |= {
            "movs": {"rsi", "rdi"},
            "stos": {"rdi"},
            "lods": {"rax", "rsi"},
            "scas": {"rdi"},
            "cmps": {"rsi", "rdi"},
            "ins": {"rdi"},
            "outs": {"rsi"},
        }.get(base, set())
        if rep:
            out.add("rcx")
        return out
    if mnem in ("vzeroupper", "vzeroall"):
        return out | ({f"xmm{i}" for i in range(16)} if over else set())
    if _MULDIV.match(mnem) and len(ops) == 1:
        return out | {"rax", "rdx"}
    if _NO_WRITE.match(mnem):
        return out
    regs = [_reg(o) for o in ops]
    if mnem.startswith(("xchg", "xadd", "mulx")):
        out |= {r for r in regs if r}
    elif mnem.startswith("cmpxchg"):
        out |= {r for r in regs[-1:] if r} | ({"rax", "rdx"} if over else set())
    elif regs and regs[-1]:
        out.add(regs[-1])
    if over and mnem.startswith(("vgather", "vpgather")):
        out |= {r for r in regs if r}  # the mask register is written too
    return out & CALLER_SAVED


_TARGET = re.compile(r"^\s*(call|jmp)\w*\s+(\*?)([A-Za-z_][\w.$]*|\S+)(@PLT)?\s*$")


def calls(asm_text: str) -> tuple[set[str], bool]:
    """Direct call and tail-call targets (symbols, not .L labels) in gcc-style text, and whether
    there is an indirect one."""
    targets, indirect = set(), False
    for line in asm_text.splitlines():
        m = _TARGET.match(line.split("#")[0])
        if not m:
            continue
        if m.group(2) == "*" or m.group(3).startswith("%"):
            indirect = True
        elif not m.group(3).startswith(".L"):
            targets.add(m.group(3))
    return targets, indirect


def text_writes(asm_text: str, *, over: bool) -> set[str]:
    """Writes of every instruction line of gcc-style assembly text."""
    out: set[str] = set()
    for head, rest in text_insns(asm_text):
        out |= insn_writes(head, rest, over=over)
    return out


def clobbers(
    name: str, text: str, unit_functions: dict[str, str], *, over: bool, seen: frozenset[str] = frozenset()
) -> set[str]:
    """What calling this code clobbers: its own writes and its callees'. A callee outside the
    unit, or an indirect call, clobbers every caller-saved register (gcc assumes so too)."""
    out = text_writes(text, over=over)
    targets, indirect = calls(text)
    if indirect:
        return set(CALLER_SAVED)
    for t in targets - {name} - seen:
        if t in unit_functions:
            out |= clobbers(t, unit_functions[t], unit_functions, over=over, seen=seen | {name})
        else:
            return set(CALLER_SAVED)
    return out


# Vector instructions with a memory operand that do not fault on a misaligned address.
_UNALIGNED_OK = re.compile(
    r"^(movups|movupd|movdqu|lddqu|movss|movsd|movq|movd|movlp[sd]|movhp[sd]|movddup|pinsr\w|pextr\w|"
    r"pmov[sz]x\w+|insertps|cvtdq2pd|cvtps2pd|cvtpi2p[sd]|\w+s[sd])$"
)
_ALIGNED_VEX = re.compile(r"^vmov(ap[sd]|dqa\w*|nt\w+)$")


def _aligned_stack_access(mnem: str, ops: str) -> bool:
    if not re.search(r"\(%r[sb]p", ops) or not re.search(r"%[xyz]mm", ops):
        return False
    if mnem.startswith("v"):
        return bool(_ALIGNED_VEX.match(mnem))
    return not _UNALIGNED_OK.match(mnem)


def _base_needs_alignment(
    name: str, text: str, unit_functions: dict[str, str], seen: frozenset[str] = frozenset()
) -> bool:
    """The original certainly needs a 16-byte aligned stack (so gcc aligns its call sites): it
    calls outside the unit or indirectly, or does an aligned vector access on the stack."""
    targets, indirect = calls(text)
    if indirect:
        return True
    for line in text.splitlines():
        w = line.split("#")[0].split(None, 1)
        if len(w) == 2 and w[0] in ("movaps", "movapd", "movdqa") and re.search(r"\(%r[sb]p", w[1]):
            return True
    for t in targets - {name} - seen:
        if t not in unit_functions or _base_needs_alignment(t, unit_functions[t], unit_functions, seen | {name}):
            return True
    return False


def direct_callers(unit_functions: dict[str, str], name: str) -> list[str]:
    return sorted(f for f, text in unit_functions.items() if f != name and name in calls(text)[0])


def ancestors(unit_functions: dict[str, str], name: str) -> list[str]:
    """Functions of the unit that reach `name` through direct calls or tail calls."""
    callees = {f: calls(text)[0] for f, text in unit_functions.items()}
    found: list[str] = []
    todo = [name]
    while todo:
        target = todo.pop()
        for f, cs in callees.items():
            if f != name and f not in found and target in cs:
                found.append(f)
                todo.append(f)
    return sorted(found)


def text_insns(asm_text: str) -> list[tuple[str, str]]:
    """(prefix and mnemonic, operands) of each instruction line of gcc-style text."""
    out: list[tuple[str, str]] = []
    for line in asm_text.splitlines():
        s = line.split("#")[0].strip()
        if not s or s.startswith(".") or s.endswith(":"):
            continue
        words = s.split(None, 1)
        head, rest = words[0], words[1] if len(words) > 1 else ""
        if head.startswith("rep") or head in ("lock", "notrack"):
            more = rest.split(None, 1)
            head, rest = f"{head} {more[0]}" if more else head, more[1] if len(more) > 1 else ""
        out.append((head, rest))
    return out


def check_text(unit_functions: dict[str, str], name: str, cand_asm: str, cflags: Iterable[str]) -> Check | None:
    """The contract for a rewrite given as text, in a unit given as name -> Function.text():
    what the driver asks before it substitutes a cached rewrite. None when nothing calls it."""
    if name not in unit_functions:
        return None
    return _contract(unit_functions, name, unit_functions[name], text_insns(cand_asm), set(cflags))


def check(ctx: Context, cand_insns: Iterable[tuple[str, str]]) -> Check | None:
    """cand_insns: (prefix and mnemonic, operands) of the candidate's disassembly."""
    if not ctx.unit_asm or ("-fno-ipa-ra" in ctx.cflags and "-fno-ipa-stack-alignment" in ctx.cflags):
        return None
    from gcc_wrapper.compile import asm

    try:
        unit = asm.parse(ctx.unit_asm)
    except asm.AsmError:
        return Check("static.ipa", False, "cannot parse the unit to see who calls the function")
    funcs = {n: f.text() for n, f in unit.functions.items()}
    return _contract(funcs, ctx.name, ctx.baseline_asm, list(cand_insns), set(ctx.cflags))


def _contract(
    funcs: dict[str, str], name: str, baseline_asm: str, cand_insns: list[tuple[str, str]], cflags: set[str]
) -> Check | None:
    if "-fno-ipa-ra" in cflags and "-fno-ipa-stack-alignment" in cflags:
        return None
    callers = direct_callers(funcs, name)
    if not callers:
        return None
    if "-fno-ipa-ra" in cflags:
        allowed = set(CALLER_SAVED)
    else:
        allowed = clobbers(name, baseline_asm, funcs, over=False)
    writes: set[str] = set()
    needs = [
        f"{h} {o}" for h, o in cand_insns if h.split()[-1].startswith("call") or _aligned_stack_access(h.split()[-1], o)
    ]
    if needs and "-fno-ipa-stack-alignment" not in cflags and not _base_needs_alignment(name, baseline_asm, funcs):
        return Check(
            "static.ipa",
            False,
            f"`{needs[0].strip()}` needs a 16-byte aligned stack, but the original does not, and its "
            f"callers in this unit ({', '.join(callers[:3])}) call it without aligning (gcc -fipa-stack-alignment)",
        )
    for head, ops in cand_insns:
        writes |= insn_writes(head, ops, over=True)
        # Direct calls can only go to symbols the original references (static.symbols), whose
        # clobbers are in `allowed`; an indirect call may go anywhere.
        if head.split()[-1].startswith(("call", "jmp")) and ops.lstrip().startswith("*"):
            writes |= CALLER_SAVED
    extra = sorted(writes - allowed, key=lambda r: (len(r), r))
    if extra:
        mentioned: set[str] = set()
        for f in ancestors(funcs, name):
            mentioned |= _all_regs(funcs[f])
        extra = [r for r in extra if r in mentioned]
    if extra:
        return Check(
            "static.ipa",
            False,
            f"writes {', '.join('%' + r for r in extra)}, which the original leaves alone and "
            f"its callers in this unit ({', '.join(callers[:3])}) keep values in (gcc -fipa-ra)",
        )
    return Check(
        "static.ipa",
        True,
        f"writes no register its callers in this unit ({', '.join(callers[:3])}) may keep values in across the call",
    )
