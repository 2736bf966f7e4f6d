"""Inputs for differential testing: what each parameter gets, generated from the prototype.

A Signature says how each C parameter reaches the function (integer or xmm register, a pointer
into a memory region, or a callback for a function pointer) and how to fill it; `generate` makes a
deterministic list of Inputs from a seed: first edge cases one parameter at a time (NULL for each
pointer, lengths at the limits of their C types), then random ones. `encode` writes them in the
binary format harness_main.c reads:

    header: u64 magic "LLMCIN2\0", u32 nparams, ninputs, nregions_max, ndet,
            u64 rax_mask, xmm0_mask, u32 ret_pointer, region_cap,
            f64 base_timeout, cand_factor, cand_min,
            u64 lazy_span (bytes of address space to reserve for lazily committed buffers),
            u32 lazy_pages (pages the original may commit per call), ncallbacks,
            f64 lazy_timeout (the original's time limit on an input with such a buffer),
            per parameter u8 kind (0 integer, 1 xmm, 2 pointer, 3 callback), u8 reg, 6 pad,
            per callback u8 nargs, ret (0 void, 1 int, 2 bool, 3 float, 4 double), ret_size,
            comparator, 4 pad, then per argument u8 class (0 int, 1 bool, 2 float, 3 double,
            4 pointer), size (pointer: bytes of the pointee it reads), signed, reg, 4 pad
    input:  u64 global_seed, u32 nregions, u32 pad,
            per region u64 nbytes, i32 placement (-1: against the trailing guard page, else the
            offset from the leading one), u8 flags (1 lazy, 2 const), u8 element kind (0 int,
            1 bool, 2 float, 3 double), u8 element size, u8 signed; then, unless lazy, the content
            padded to 8 bytes,
            per parameter u64 (register image; pointers region << 32 | byte offset, callbacks
            their index; NULL is all ones)

Register images follow the ABI only as far as callers are bound by it: arguments narrower than
32 bits are extended to 32 bits (gcc and clang both rely on that); the upper half of every
32-bit argument is garbage, as is the upper half of a float's register.

A lazily committed region holds no content here: the harness reserves its address range and fills
each page when the function first touches it, element i of n being min + floor(i * 2^bits / n)
for integers (an ascending ramp over the type's range), i - n/2 for floating point, i >= n/2 for
_Bool: sorted, so that a search goes deep.
"""

from __future__ import annotations

import math
import random
import re
import struct
from dataclasses import dataclass

from gcc_wrapper.optimize.source import CType, Layout, Prototype

REGION_CAP = 8192  # bytes per memory region (a multiple of the page size; reset and compared whole)
PAGE = 4096
MAX_INT_REGS = 6
MAX_XMM_REGS = 8
MAX_CALLBACKS = 4  # function-pointer parameters (the harness has this many callbacks)
# Lazily committed buffers for lengths at the limits of their C types: bytes per buffer and per
# input (reserved address space, not memory), and pages the original may touch per call before
# the input counts as one it cannot run in reasonable time (it reads every element).
LAZY_MAX_BUFFER = 1 << 42
LAZY_MAX_TOTAL = 1 << 44
LAZY_PAGES = 256
LAZY_TIMEOUT = 0.01  # seconds of CPU for the original on an input with a lazily committed buffer
NULL_SHARE = 0.01  # of random inputs, per pointer parameter
HUGE_SHARE = 0.02  # of random inputs, per length parameter that sizes buffers
LENGTH_NAME = re.compile(
    r"^(n|nn|m|k|len|length|size|sz|count|cnt|num|nelem|nelems|nmemb|nbytes|nitems|n\d|len\d)$"
    r"|(_?(len|length|size|count|cnt|num|nelem|nelems|nbytes)|_n)$",
    re.IGNORECASE,
)
MAX_LENGTH = 600  # elements; the random lengths stay well below, edge lengths reach it
EDGE_LENGTHS = (
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    8,
    9,
    15,
    16,
    17,
    31,
    32,
    33,
    63,
    64,
    65,
    127,
    128,
    129,
    255,
    256,
    257,
    511,
    512,
    513,
)


class Untestable(Exception):
    """The prototype cannot be modelled by the harness (the reason says why)."""


@dataclass(frozen=True)
class CallbackArg:
    """One parameter of a callback. kind: int | bool | float | double | pointer."""

    kind: str
    size: int  # scalar width; for a pointer, the bytes of its pointee the callback reads (1 if unknown)
    signed: bool = False
    reg: int = 0  # index among the integer or the xmm argument registers


@dataclass(frozen=True)
class Callback:
    """The type of a function-pointer parameter: the harness passes a callback of this shape,
    deterministic and pure (its result a hash of its arguments), that records every call."""

    text: str
    args: tuple[CallbackArg, ...]
    ret: str  # void | int | bool | float | double
    ret_size: int = 0
    comparator: bool = False  # two arguments of one type, an integer result: a consistent order


@dataclass(frozen=True)
class Arg:
    """How one parameter is fed. kind: int | bool | float | double | buffer | string | callback."""

    name: str
    kind: str
    size: int  # scalar width, or element size for buffer/string
    signed: bool = False
    elem: str = ""  # buffer element kind: int | bool | float | double | struct
    reg: int = 0  # integer register index (int/bool/buffer/string) or xmm index (float/double)
    length: int | None = None  # buffer: index of the parameter holding its element count
    writable: bool = False
    restrict: bool = False
    is_length: bool = False
    layout: Layout | None = None  # elem "struct": its members
    count: int = 0  # declared array length (int a[16]), used when no length parameter says
    callback: Callback | None = None  # kind callback: its type


@dataclass(frozen=True)
class Signature:
    name: str
    args: tuple[Arg, ...]
    ret: str  # void | int | bool | float | double | pointer
    ret_size: int = 0
    ret_signed: bool = False

    @property
    def callbacks(self) -> tuple[Callback, ...]:
        """The callback types, in parameter order (a callback parameter's value is its index)."""
        return tuple(a.callback for a in self.args if a.callback is not None)

    @property
    def rax_mask(self) -> int:
        if self.ret in ("int", "bool", "pointer"):
            return (1 << (8 * self.ret_size)) - 1
        return 0

    @property
    def xmm0_mask(self) -> int:
        return {"float": 0xFFFFFFFF, "double": (1 << 64) - 1}.get(self.ret, 0)


@dataclass(frozen=True)
class Region:
    content: bytes
    placement: int  # -1: the last byte touches the trailing guard page; else offset from the leading one
    const: bool = False  # every pointer into it points to const: mapped read-only during the call
    lazy: int = 0  # bytes of a lazily committed buffer (content then empty): see the module doc
    ramp: tuple[str, int, bool] = ("int", 1, False)  # lazy: element kind, size, signedness

    @property
    def nbytes(self) -> int:
        return self.lazy or len(self.content)


@dataclass(frozen=True)
class Input:
    """values: per parameter an int (int/bool), a float (float/double), (region, offset) for
    pointers, a callback's index; None is a NULL pointer or callback."""

    values: tuple
    regions: tuple[Region, ...]
    gseed: int  # seed of the writable globals' initial content


def _scalar(t: CType) -> tuple[str, int, bool] | None:
    if t.kind in ("int", "bool", "float", "double") and t.size in (1, 2, 4, 8):
        return t.kind, t.size, t.signed
    return None


def signature(proto: Prototype) -> Signature:
    """How the harness calls this function; raises Untestable when it cannot."""
    if proto.variadic:
        raise Untestable("variadic function")
    r = proto.ret
    if r.kind == "void":
        ret, ret_size = "void", 0
    elif r.kind == "pointer":
        ret, ret_size = "pointer", 8
    elif _scalar(r):
        ret, ret_size = r.kind, r.size
    else:
        raise Untestable(f"return type {r.text} is not modelled")
    args: list[Arg] = []
    nint = nxmm = 0
    for p in proto.params:
        t = p.type
        if t.kind in ("int", "bool"):
            if t.size not in (1, 2, 4, 8):
                raise Untestable(f"parameter {p.name}: type {t.text}")
            is_len = t.kind == "int" and bool(LENGTH_NAME.search(p.name))
            args.append(Arg(p.name, t.kind, t.size, t.signed, reg=nint, is_length=is_len))
            nint += 1
        elif t.kind in ("float", "double"):
            args.append(Arg(p.name, t.kind, t.size, reg=nxmm))
            nxmm += 1
        elif t.kind == "pointer":
            pt = t.pointee
            assert pt is not None
            layout = None
            if pt.kind == "void":
                elem: tuple[str, int, bool] | None = ("int", 1, False)
            elif pt.kind == "struct" and pt.layout is not None and 0 < pt.layout.size <= REGION_CAP // 4:
                elem, layout = ("struct", pt.layout.size, False), pt.layout
            else:
                elem = _scalar(pt)
            if elem is None:
                why = f" ({pt.note})" if pt.note else ""
                raise Untestable(f"parameter {p.name}: pointer to {pt.text} is not modelled{why}")
            ek, es, esigned = elem
            args.append(
                Arg(
                    p.name,
                    "buffer",
                    es,
                    esigned,
                    elem=ek,
                    reg=nint,
                    writable=not pt.const,
                    restrict=t.restrict,
                    layout=layout,
                    count=t.count,
                )
            )
            nint += 1
        elif t.kind == "funcptr":
            args.append(Arg(p.name, "callback", 8, reg=nint, callback=_callback(p.name, t)))
            nint += 1
        else:
            raise Untestable(f"parameter {p.name}: type {t.text} is not modelled (passed by value)")
    if nint > MAX_INT_REGS or nxmm > MAX_XMM_REGS:
        raise Untestable("arguments passed on the stack")
    if sum(a.kind == "callback" for a in args) > MAX_CALLBACKS:
        raise Untestable(f"more than {MAX_CALLBACKS} function-pointer parameters")
    # Each buffer takes its length from the next length-like integer parameter, else the one before.
    lengths = [i for i, a in enumerate(args) if a.is_length]
    out = []
    for i, a in enumerate(args):
        if a.kind == "buffer":
            after = [j for j in lengths if j > i]
            before = [j for j in lengths if j < i]
            ln = after[0] if after else (before[-1] if before else None)
            if a.count:  # int a[16]: the declaration says how many
                ln = None
            if ln is None and a.elem == "int" and a.size == 1 and not a.count:
                a = Arg(a.name, "string", 1, a.signed, "int", a.reg, None, a.writable, a.restrict)
            else:
                a = Arg(
                    a.name,
                    a.kind,
                    a.size,
                    a.signed,
                    a.elem,
                    a.reg,
                    ln,
                    a.writable,
                    a.restrict,
                    layout=a.layout,
                    count=a.count,
                )
        out.append(a)
    return Signature(proto.name, tuple(out), ret, ret_size, r.signed)


def _callback(name: str, t: CType) -> Callback:
    """The callback shape for function-pointer parameter `name`; Untestable when the harness
    cannot be that function."""
    f = t.func
    if f is None:
        raise Untestable(f"parameter {name}: function pointer of unknown type")
    if f.variadic:
        raise Untestable(f"parameter {name}: pointer to a variadic function")
    r = f.ret
    if r.kind == "void":
        ret, ret_size = "void", 0
    elif r.kind in ("int", "bool", "float", "double") and r.size in (1, 2, 4, 8):
        ret, ret_size = r.kind, r.size
    else:
        raise Untestable(f"parameter {name}: a function returning {r.text} is not modelled")
    cargs: list[CallbackArg] = []
    nint = nxmm = 0
    for q in f.params:
        if q.kind in ("int", "bool") and q.size in (1, 2, 4, 8):
            cargs.append(CallbackArg(q.kind, q.size, q.signed, nint))
            nint += 1
        elif q.kind in ("float", "double"):
            cargs.append(CallbackArg(q.kind, q.size, False, nxmm))
            nxmm += 1
        elif q.kind == "pointer":
            pt = q.pointee
            size = pt.size if pt is not None and pt.kind in ("int", "bool", "float", "double") and pt.size else 1
            cargs.append(CallbackArg("pointer", size, False, nint))
            nint += 1
        else:
            raise Untestable(f"parameter {name}: a function taking {q.text} is not modelled")
    if nint > MAX_INT_REGS or nxmm > MAX_XMM_REGS:
        raise Untestable(f"parameter {name}: a function with arguments on the stack is not modelled")
    comparator = (
        len(cargs) == 2
        and ret == "int"
        and (cargs[0].kind, cargs[0].size, cargs[0].signed) == (cargs[1].kind, cargs[1].size, cargs[1].signed)
    )
    return Callback(t.text, tuple(cargs), ret, ret_size, comparator)


# ---------------------------------------------------------------- value generators


def int_range(size: int, signed: bool) -> tuple[int, int]:
    bits = 8 * size
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def int_edges(size: int, signed: bool) -> list[int]:
    lo, hi = int_range(size, signed)
    vals = {0, 1, 2, 3, hi, hi - 1, lo, lo + 1, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256}
    if signed:
        vals |= {-1, -2, -3, -8, -16, -64, -128, -100}
    for k in range(3, 8 * size - (1 if signed else 0), 5):
        vals |= {1 << k, (1 << k) - 1, (1 << k) + 1}
    return sorted(v for v in vals if lo <= v <= hi)


FLOAT_SPECIALS = (0.0, -0.0, 1.0, -1.0, 0.5, -2.0, math.inf, -math.inf, math.nan, 3.0, 1e-3, -1e10)


def _specials(kind: str) -> list[float | int]:
    """Special floating-point values; ints are raw bit patterns (NaN payloads, denormals)."""
    if kind == "float":
        return [
            *FLOAT_SPECIALS,
            0x7FC00000,
            0xFFC00000,
            0x7F800001,
            0x00000001,
            0x007FFFFF,
            0x00800000,
            0x7F7FFFFF,
            0xFF7FFFFF,
        ]
    return [
        *FLOAT_SPECIALS,
        0x7FF8000000000000,
        0xFFF8000000000000,
        0x7FF0000000000001,
        0x0000000000000001,
        0x000FFFFFFFFFFFFF,
        0x0010000000000000,
        0x7FEFFFFFFFFFFFFF,
        0xFFEFFFFFFFFFFFFF,
    ]


def float_bits(kind: str, v: float) -> int:
    """The IEEE bits of v (an int is already bits)."""
    if isinstance(v, int):
        return v
    if kind == "float":
        return struct.unpack("<I", struct.pack("<f", v))[0]
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def _rand_float(rng: random.Random, kind: str, specials: bool) -> float | int:
    x = rng.random()
    if specials and x < 0.15:
        return rng.choice(_specials(kind))
    if specials and x < 0.25:
        return rng.getrandbits(32 if kind == "float" else 64)
    span = 20 if kind == "float" else 60
    v = rng.uniform(1.0, 2.0) * 2.0 ** rng.randint(-span, span)
    return -v if rng.random() < 0.5 else v


def _rand_int(rng: random.Random, size: int, signed: bool) -> int:
    lo, hi = int_range(size, signed)
    x = rng.random()
    if x < 0.2:
        return rng.choice(int_edges(size, signed))
    if x < 0.5:
        return max(lo, min(hi, rng.randint(-16 if signed else 0, 64)))
    return rng.randint(lo, hi)


def _scalars(rng: random.Random, kind: str, size: int, signed: bool, n: int, mode: float, specials: bool) -> bytes:
    if kind == "bool":
        return bytes(rng.randint(0, 1) for _ in range(n))
    if kind in ("float", "double"):
        fmt = "<I" if kind == "float" else "<Q"
        return b"".join(struct.pack(fmt, float_bits(kind, _rand_float(rng, kind, specials))) for _ in range(n))
    lo, hi = int_range(size, signed)
    out = bytearray()
    for _ in range(n):
        if mode < 0.5:
            v = rng.randint(lo, hi)
        elif mode < 0.8:
            v = max(lo, min(hi, rng.randint(-10, 10)))
        else:
            v = _rand_int(rng, size, signed)
        out += (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    return bytes(out)


def _elements(rng: random.Random, a: Arg, n: int) -> bytes:
    mode, specials = rng.random(), rng.random() < 0.3
    if a.layout is not None:
        # member by member; padding stays zero (C leaves it unspecified: a rewrite that copies
        # whole structs and one that copies members must both see the same bytes there)
        out = bytearray(a.size * n)
        for k in range(n):
            for f in a.layout.fields:
                at = k * a.size + f.offset
                out[at : at + f.size * f.count] = _scalars(rng, f.kind, f.size, f.signed, f.count, mode, specials)
        return bytes(out)
    return _scalars(rng, a.elem, a.size, a.signed, n, mode, specials)


def _string(rng: random.Random, length: int) -> bytes:
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;-_\t\n\x7f\x80\xc3\xa9\xff\x01"
    return bytes(rng.choice(alphabet) for _ in range(length)) + b"\0"


def _placement(rng: random.Random, nbytes: int, align: int) -> int:
    x = rng.random()
    if x < 0.45:
        return -1
    off = 0 if x < 0.7 else align * rng.randint(1, max(1, 31 // align))
    return off if off + nbytes <= REGION_CAP else -1


PRODUCT_EDGES = (0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33)


def _random_length(rng: random.Random, signed: bool, sizing: str = "linear") -> int:
    x = rng.random()
    if signed and x < 0.03:
        return rng.choice((-1, -2, -8))
    if sizing == "product":  # n*n elements: keep n small
        return rng.choice(PRODUCT_EDGES[:12]) if x < 0.35 else rng.randint(0, 20)
    if x < 0.35:
        return rng.choice(EDGE_LENGTHS[:18])
    if x < 0.85:
        return rng.randint(0, 48)
    return rng.randint(49, 300)


def sizing_lengths(sig: Signature) -> list[int]:
    """The parameters that size buffers."""
    return sorted({a.length for a in sig.args if a.kind == "buffer" and a.length is not None})


def huge_lengths(sig: Signature, i: int) -> list[int]:
    """Lengths at the limits of parameter i's C type, for the buffers it sizes (lazily committed):
    up to 2^31-1 for int, beyond 2^32 for 64-bit lengths as far as the buffers fit in the reserved
    address space. Empty when a buffer it sizes holds structs (no ramp models them)."""
    a = sig.args[i]
    sized = [b for b in sig.args if b.kind == "buffer" and b.length == i]
    if not a.is_length or not sized or any(b.layout is not None for b in sized):
        return []
    hi = int_range(a.size, a.signed)[1]
    if a.size <= 4:
        vals = [hi, hi - 1, (hi >> 1) + 1, hi - (hi >> 2)]
    else:
        vals = [(1 << 31) + 1, (1 << 32) + 1, (3 << 31) + 1, (1 << 33) + 3, (1 << 36) + 1, (1 << 40) - 1]
    out = []
    for v in vals:
        each = [v * b.size for b in sized]
        if v > MAX_LENGTH and v <= hi and max(each) <= LAZY_MAX_BUFFER and sum(each) <= LAZY_MAX_TOTAL and v not in out:
            out.append(v)
    return out


def lazy_span(inputs: list[Input]) -> int:
    """The address space the harness reserves for the lazily committed buffers of any one input
    (each with a guard page after it, the first with one before)."""

    def span(x: Input) -> int:
        return sum((max(r.placement, 0) + r.lazy + PAGE - 1) // PAGE * PAGE + PAGE for r in x.regions if r.lazy)

    most = max((span(x) for x in inputs), default=0)
    return most + PAGE if most else 0


def _build(rng: random.Random, sig: Signature, fixed: dict[int, object], sizing: str = "linear") -> Input:
    """One input; `fixed` pins some parameters (edge cases; None: a NULL pointer). sizing
    "linear": a buffer holds as many elements as its length parameter says (a length beyond
    MAX_LENGTH, at its type's limit, makes its buffers lazily committed); "product": the product
    of all the length parameters that size buffers (n*n for a matrix, m*n for two)."""
    values: list = [None] * len(sig.args)
    sized = {a.length for a in sig.args if a.kind == "buffer"}
    ncallbacks = 0
    for i, a in enumerate(sig.args):
        if i in fixed:
            values[i] = fixed[i]
        elif a.kind == "callback":
            values[i] = None if rng.random() < NULL_SHARE else ncallbacks
        elif a.is_length and (i in sized or rng.random() < 0.85):
            huge = huge_lengths(sig, i) if sizing == "linear" and i in sized and rng.random() < HUGE_SHARE else []
            # A count: small values; one that no buffer depends on still sees the full range.
            lo, hi = int_range(a.size, a.signed)
            values[i] = rng.choice(huge) if huge else max(lo, min(hi, _random_length(rng, a.signed, sizing)))
        elif a.kind in ("int",):
            values[i] = _rand_int(rng, a.size, a.signed)
        elif a.kind == "bool":
            values[i] = rng.randint(0, 1)
        elif a.kind in ("float", "double"):
            values[i] = _rand_float(rng, a.kind, True)
        ncallbacks += a.kind == "callback"
    regions: list[Region] = []
    pointers = [
        i
        for i, a in enumerate(sig.args)
        if a.kind in ("buffer", "string")
        and not (i in fixed and fixed[i] is None)
        and not (i not in fixed and rng.random() < NULL_SHARE)
    ]
    counts: dict[int, int] = {}
    lazy: set[int] = set()
    for i in pointers:
        a = sig.args[i]
        if a.kind == "string":
            counts[i] = rng.choice((0, 1, 2, 7, 15, 16, 17, 31, 32, 33, rng.randint(0, 80), rng.randint(0, 80)))
        elif a.count:
            counts[i] = min(a.count, (REGION_CAP - 64) // a.size)
        elif a.length is not None:
            n = int(values[a.length])
            if sizing == "linear" and n > MAX_LENGTH and a.layout is None:
                counts[i] = n
                lazy.add(i)
                continue
            if sizing == "product" and n > 0:
                sizes = [max(0, int(values[j])) for j in sizing_lengths(sig)]
                n = sizes[0] * sizes[0] if len(sizes) == 1 else math.prod(sizes)
            counts[i] = max(0, min(n, (REGION_CAP - 64) // a.size))
        else:
            counts[i] = min(rng.choice((1, 2, 4, 8, 16, 64)), (REGION_CAP - 64) // a.size)
    # Two pointers to the same element type may alias unless one is restrict.
    alias: tuple[int, int, int] | None = None
    cands = [
        (i, j)
        for i in pointers
        for j in pointers
        if i < j
        and sig.args[i].kind == sig.args[j].kind == "buffer"
        and i not in lazy
        and j not in lazy
        and (sig.args[i].elem, sig.args[i].size, sig.args[i].layout)
        == (sig.args[j].elem, sig.args[j].size, sig.args[j].layout)
        and not (sig.args[i].restrict or sig.args[j].restrict)
        and (sig.args[i].writable or sig.args[j].writable)
    ]
    if cands and rng.random() < 0.2:
        i, j = rng.choice(cands)
        alias = (i, j, rng.choice((0, 0, 1, -1, 2, -2, 3, -3, 4, -4, 7, -7, 8, -8)))
    for i in pointers:
        a = sig.args[i]
        if alias and i == alias[1]:
            continue
        # read-only during the call unless a pointer to non-const memory shares it
        const = not a.writable and not (alias and i == alias[0] and sig.args[alias[1]].writable)
        if i in lazy:
            values[i] = (len(regions), 0)
            regions.append(Region(b"", rng.choice((-1, 0)), const, counts[i] * a.size, (a.elem, a.size, a.signed)))
            continue
        if a.kind == "string":
            content = _string(rng, counts[i])
            off = 0
        elif alias and i == alias[0]:
            _, j, d = alias
            oi, oj = max(0, -d) * a.size, max(0, d) * a.size
            nbytes = max(oi + counts[i] * a.size, oj + counts[j] * a.size)
            if nbytes > REGION_CAP:  # large elements: share the same start instead
                oi = oj = 0
                nbytes = max(counts[i], counts[j]) * a.size
            content = _elements(rng, a, nbytes // a.size)
            off = oi
            values[j] = (len(regions), oj)
        else:
            content = _elements(rng, a, counts[i])
            off = 0
        values[i] = (len(regions), off)
        regions.append(Region(content, _placement(rng, len(content), a.size), const))
    return Input(tuple(values), tuple(regions), rng.getrandbits(63))


def generate(sig: Signature, n: int, seed: int = 1, sizing: str = "linear") -> list[Input]:
    """Edge cases for each scalar parameter in turn, NULL for each pointer, lengths at the limits
    of their types, then random inputs, n in all."""
    rng = random.Random(seed)
    zero = {
        i: (0 if a.kind in ("int", "bool") else 0.0)
        for i, a in enumerate(sig.args)
        if a.kind in ("int", "bool", "float", "double")
    }
    out: list[Input] = [_build(rng, sig, zero, sizing)]
    for i, a in enumerate(sig.args):
        if a.is_length:
            ladder = PRODUCT_EDGES if sizing == "product" else [v for v in EDGE_LENGTHS if v <= MAX_LENGTH]
            hi = int_range(a.size, a.signed)[1]
            edges: list = [v for v in ladder if v <= hi] + ([-1] if a.signed else [])
        elif a.kind == "int":
            edges = int_edges(a.size, a.signed)
        elif a.kind == "bool":
            edges = [0, 1]
        elif a.kind in ("float", "double"):
            edges = _specials(a.kind)
        else:
            continue
        for v in edges:
            out.append(_build(rng, sig, {i: v}, sizing))
    for i, a in enumerate(sig.args):
        if a.kind in ("buffer", "string", "callback"):
            out.append(_build(rng, sig, {i: None}, sizing))
            for j in sizing_lengths(sig) if a.kind == "buffer" else ():
                out.append(_build(rng, sig, {i: None, j: 0}, sizing))  # the usual guard: if (!p || !n)
    if sizing == "linear":
        for i in range(len(sig.args)):
            for v in huge_lengths(sig, i):
                out.append(_build(rng, sig, {i: v}, sizing))
    while len(out) < n:
        out.append(_build(rng, sig, {}, sizing))
    return out[:n]


# ---------------------------------------------------------------- encoding


def register_image(a: Arg, v, garbage: int) -> int:
    """The 64-bit register content that passes v as parameter a."""
    g = garbage & 0xFFFFFFFF00000000
    if a.kind in ("float", "double"):
        bits = float_bits(a.kind, v)
        return g | (bits & 0xFFFFFFFF) if a.kind == "float" else bits & ((1 << 64) - 1)
    if a.size == 8:
        return int(v) & ((1 << 64) - 1)
    x = int(v) & ((1 << (8 * a.size)) - 1)
    if a.signed and x >> (8 * a.size - 1):
        x |= 0xFFFFFFFF & ~((1 << (8 * a.size)) - 1)  # sign-extended to 32 bits
    return g | x


_KIND_CODE = {"int": 0, "bool": 1, "float": 2, "double": 3}
_CB_RET = {"void": 0, "int": 1, "bool": 2, "float": 3, "double": 4}
_CB_ARG = {"int": 0, "bool": 1, "float": 2, "double": 3, "pointer": 4}
NULL_IMAGE = (1 << 64) - 1


def _param_kind(a: Arg) -> int:
    if a.kind in ("float", "double"):
        return 1
    return {"buffer": 2, "string": 2, "callback": 3}.get(a.kind, 0)


def encode(
    sig: Signature,
    inputs: list[Input],
    *,
    ndet: int,
    base_timeout: float,
    cand_factor: float,
    cand_min: float,
    seed: int = 7,
) -> bytes:
    rng = random.Random(seed)
    nregions = max([len(x.regions) for x in inputs] + [1])
    out = bytearray(b"LLMCIN2\0")
    out += struct.pack("<IIII", len(sig.args), len(inputs), nregions, min(ndet, len(inputs)))
    out += struct.pack("<QQII", sig.rax_mask, sig.xmm0_mask, sig.ret == "pointer", REGION_CAP)
    out += struct.pack("<ddd", base_timeout, cand_factor, cand_min)
    out += struct.pack("<QIId", lazy_span(inputs), LAZY_PAGES, len(sig.callbacks), LAZY_TIMEOUT)
    for a in sig.args:
        out += struct.pack("<BB6x", _param_kind(a), a.reg)
    for cb in sig.callbacks:
        out += struct.pack("<BBBB4x", len(cb.args), _CB_RET[cb.ret], cb.ret_size, cb.comparator)
        for c in cb.args:
            out += struct.pack("<BBBB4x", _CB_ARG[c.kind], c.size, c.signed, c.reg)
    for x in inputs:
        out += struct.pack("<QII", x.gseed, len(x.regions), 0)
        for r in x.regions:
            kind, size, signed = r.ramp
            out += struct.pack(
                "<QiBBBB", r.nbytes, r.placement, bool(r.lazy) | r.const << 1, _KIND_CODE[kind], size, signed
            )
            if not r.lazy:
                out += r.content + b"\0" * (-len(r.content) % 8)
        for a, v in zip(sig.args, x.values):
            if a.kind in ("buffer", "string", "callback") and v is None:
                out += struct.pack("<Q", NULL_IMAGE)
            elif a.kind in ("buffer", "string"):
                region, off = v
                out += struct.pack("<Q", region << 32 | off)
            elif a.kind == "callback":
                out += struct.pack("<Q", v)
            else:
                out += struct.pack("<Q", register_image(a, v, rng.getrandbits(64)))
    return bytes(out)


# ---------------------------------------------------------------- describing inputs and results


def _fmt_scalar(kind: str, size: int, signed: bool, bits: int) -> str:
    if kind in ("float", "double"):
        width = 32 if kind == "float" else 64
        bits &= (1 << width) - 1
        v = struct.unpack("<f" if kind == "float" else "<d", struct.pack("<I" if kind == "float" else "<Q", bits))[0]
        if math.isnan(v):  # sign and payload matter: comparisons are bit for bit
            return f"{'-' if bits >> (width - 1) else ''}nan({bits:#x})"
        return repr(v)
    bits &= (1 << (8 * size)) - 1
    if signed and bits >> (8 * size - 1):
        bits -= 1 << (8 * size)
    return str(bits)


def format_element(a: Arg, data: bytes) -> str:
    """One element of a buffer parameter, as C would show it."""
    if a.layout is None:
        return _fmt_scalar(a.elem, a.size, a.signed, int.from_bytes(data[: a.size], "little"))
    parts = []
    for f in a.layout.fields:
        vals = [
            _fmt_scalar(
                f.kind,
                f.size,
                f.signed,
                int.from_bytes(data[f.offset + k * f.size : f.offset + (k + 1) * f.size], "little"),
            )
            for k in range(f.count)
        ]
        parts.append(f"{f.path}={vals[0] if f.count == 1 else '[' + ', '.join(vals) + ']'}")
    return "{" + ", ".join(parts) + "}"


def describe_value(kind: str, size: int, signed: bool, v) -> str:
    if kind in ("float", "double"):
        return _fmt_scalar(kind, size, signed, float_bits(kind, v))
    return str(v)


def describe_input(sig: Signature, x: Input, limit: int = 16) -> str:
    """f(a=[3 x int: 1, 2, 3] (against the end), n=3)"""
    parts = []
    for a, v in zip(sig.args, x.values):
        if a.kind in ("buffer", "string", "callback") and v is None:
            parts.append(f"{a.name}=NULL")
        elif a.kind == "callback":
            parts.append(f"{a.name}=<callback {a.callback.text if a.callback else ''}>")
        elif a.kind == "buffer" and x.regions[v[0]].lazy:
            r = x.regions[v[0]]
            where = "against the end guard page" if r.placement < 0 else "against the leading guard page"
            parts.append(
                f"{a.name}=[{r.lazy // a.size} x {a.elem}{a.size * 8}, an ascending ramp, committed page by page "
                f"when touched] ({where})"
            )
        elif a.kind == "string":
            region, off = v
            s = x.regions[region].content[off:].split(b"\0")[0]
            parts.append(f"{a.name}={s[:64]!r}")
        elif a.kind == "buffer":
            region, off = v
            r = x.regions[region]
            data = r.content[off:]
            n = len(data) // a.size
            elems = [
                format_element(a, data[k * a.size : (k + 1) * a.size])
                for k in range(min(n, limit if a.layout is None else 4))
            ]
            where = "against the end guard page" if r.placement < 0 else f"at page offset {r.placement}"
            shared = [
                b.name
                for b, w in zip(sig.args, x.values)
                if b is not a and b.kind == "buffer" and isinstance(w, tuple) and w[0] == region
            ]
            alias = f", shares memory with {shared[0]}" if shared else ""
            what = f"{a.elem}{a.size * 8}" if a.layout is None else f"struct of {a.size} bytes"
            parts.append(
                f"{a.name}=[{n} x {what}: {', '.join(elems)}{', ...' if n > len(elems) else ''}] ({where}{alias})"
            )
        else:
            parts.append(f"{a.name}={describe_value(a.kind, a.size, a.signed, v)}")
    return f"{sig.name}({', '.join(parts)})"


def describe_return(sig: Signature, rax: int, xmm0: int) -> str:
    if sig.ret in ("float", "double"):
        bits = xmm0
        return f"{_fmt_scalar(sig.ret, sig.ret_size, False, bits)} (bits {bits:#x})"
    if sig.ret == "pointer":
        return f"{rax:#x}"
    return _fmt_scalar("int", sig.ret_size or 8, sig.ret_signed, rax)


def same_result(sig: Signature, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """The comparison the harness makes on return registers (rax, low xmm0): the meaningful width
    only, floating point bit for bit."""
    return (a[0] & sig.rax_mask) == (b[0] & sig.rax_mask) and (a[1] & sig.xmm0_mask) == (b[1] & sig.xmm0_mask)
