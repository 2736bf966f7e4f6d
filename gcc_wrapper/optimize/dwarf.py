"""Prototypes from gcc's own debugging information, for C that pycparser cannot read.

    prototype(path, name, cflags, cwd) -> source.Prototype

pycparser reads ISO C; real projects use GNU C (computed goto, statement expressions, attributes
in odd places, `__typeof__`...). gcc reads all of it: the unit is compiled once more with `-g -O0`
(every function kept, no clones), and the function's DWARF entry gives its return and parameter
types with their sizes, signedness, qualifiers and, for structs, their members' offsets: the same
source.Prototype that pycparser's reading produces, so the harness and the replay's return-value
check work the same way. pyelftools reads the DWARF (a pure-Python, well-kept library; parsing
`readelf --debug-dump` text would be ours to maintain).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Sequence
from functools import lru_cache

from gcc_wrapper.optimize.source import CType, Field, FuncType, Layout, Param, Prototype, SourceError, _cpp_flags

_DROP = {"-g", "-g0", "-g1", "-g2", "-g3", "-ggdb", "-gdwarf", "-flto", "-fprofile-use"}


def prototype(path: str, name: str, cflags: Sequence[str] = (), cwd: str | None = None) -> Prototype:
    protos = prototypes(path, cflags, cwd)
    if name not in protos or protos[name].declared_only:
        raise SourceError(f"no function named {name!r} is defined in this file (gcc's debugging information)")
    return protos[name]


def prototypes(path: str, cflags: Sequence[str] = (), cwd: str | None = None) -> dict[str, Prototype]:
    """Every function the unit defines or calls, by name (raises SourceError)."""
    full = os.path.join(cwd or os.getcwd(), path)
    try:
        mtime = os.stat(full).st_mtime
    except OSError as e:
        raise SourceError(f"{path}: {e.strerror}") from None
    flags = tuple(f for f in _cpp_flags(cflags) if f not in _DROP and not f.startswith(("-O", "-flto", "-fprofile")))
    protos = _unit(os.path.abspath(full), mtime, flags, cwd, os.environ.get("LLMCC_CC") or "gcc")
    if isinstance(protos, str):
        raise SourceError(protos)
    return protos


def integer_registers(p: Prototype) -> int | None:
    """How many of rdi, rsi, rdx, rcx, r8, r9 a call of p passes arguments in, counted high where
    unsure (a struct as two, a hidden pointer for a struct result); None for a variadic function,
    whose calls pass as many as each call needs."""
    if p.variadic:
        return None
    n = 1 if p.ret.kind in ("struct", "other") else 0
    for x in p.params:
        n += (
            0
            if x.type.kind in ("float", "double")
            else 1
            if x.type.kind in ("int", "bool", "pointer", "funcptr") and x.type.size <= 8
            else 2
        )
    return min(n, 6)


@lru_cache(maxsize=16)
def _unit(path: str, mtime: float, flags: tuple[str, ...], cwd: str | None, cc: str) -> dict[str, Prototype] | str:
    import tempfile

    from gcc_wrapper.optimize.native import work_root

    h = hashlib.blake2b(f"{path}\0{mtime}\0{flags}\0{cc}".encode(), digest_size=10).hexdigest()
    with tempfile.TemporaryDirectory(prefix="llmcc-dwarf-", dir=work_root()) as tmp:
        obj = os.path.join(tmp, f"{h}.o")
        cmd = [cc, *flags, "-g", "-O0", "-fkeep-static-functions", "-fkeep-inline-functions", "-c", path, "-o", obj]
        try:
            r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"gcc cannot compile {path} for its debugging information: {e}"
        if r.returncode != 0:
            return f"gcc cannot compile {path} for its debugging information: {r.stderr.strip()[:300]}"
        try:
            return _read(obj)
        except Exception as e:  # noqa: BLE001 - malformed or unexpected DWARF: no prototype from it
            return f"cannot read gcc's debugging information of {path}: {type(e).__name__}: {e}"


def _read(obj: str) -> dict[str, Prototype]:
    from elftools.elf.elffile import ELFFile

    out: dict[str, Prototype] = {}
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        if not elf.has_dwarf_info():
            return out
        dwarf = elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            for die in cu.get_top_DIE().iter_children():
                defined = "DW_AT_low_pc" in die.attributes
                # declarations of the functions it calls come too (gcc describes every callee):
                # flow.py asks how many parameter registers a callee takes
                if die.tag != "DW_TAG_subprogram" or not (defined or "DW_AT_declaration" in die.attributes):
                    continue
                name = _name(die)
                if not name or (not defined and name in out):
                    continue
                params: list[Param] = []
                variadic = False
                for child in die.iter_children():
                    if child.tag == "DW_TAG_formal_parameter":
                        params.append(Param(_name(child) or f"arg{len(params)}", _ctype(child)))
                    elif child.tag == "DW_TAG_unspecified_parameters":
                        variadic = True
                ret = _ctype(die)
                static = "DW_AT_external" not in die.attributes
                text = (
                    f"{'static ' if static else ''}{_spell(ret)} {name}("
                    + (", ".join(f"{_spell(p.type)} {p.name}" for p in params) or "void")
                    + (", ..." if variadic else "")
                    + ")"
                )
                out[name] = Prototype(name, ret, tuple(params), variadic, static, text, declared_only=not defined)
    return out


def _name(die) -> str:
    a = die.attributes.get("DW_AT_name")
    return a.value.decode(errors="replace") if a is not None else ""


def _target(die):
    """The DIE of die's DW_AT_type, or None (void)."""
    if "DW_AT_type" not in die.attributes:
        return None
    return die.get_DIE_from_attribute("DW_AT_type")


_QUALIFIERS = (
    "DW_TAG_const_type",
    "DW_TAG_volatile_type",
    "DW_TAG_restrict_type",
    "DW_TAG_atomic_type",
    "DW_TAG_typedef",
)


def _strip(die) -> tuple[object, bool, bool, str]:
    """(the underlying type DIE, const, restrict, the outermost typedef's name) through qualifiers."""
    const = restrict = False
    alias = ""
    seen = 0
    while die is not None and die.tag in _QUALIFIERS and seen < 64:
        const |= die.tag == "DW_TAG_const_type"
        restrict |= die.tag == "DW_TAG_restrict_type"
        if die.tag == "DW_TAG_typedef" and not alias:
            alias = _name(die)
        die = _target(die)
        seen += 1
    return die, const, restrict, alias


def _ctype(die, depth: int = 0) -> CType:
    """The CType of die's DW_AT_type (a function's return type, a parameter's type)."""
    t, const, restrict, alias = _strip(_target(die))
    return _describe(t, const, restrict, alias, depth)


def _describe(t, const: bool, restrict: bool, alias: str, depth: int) -> CType:
    if t is None:
        return CType("void", 0, "void", const=const)
    size = int(t.attributes["DW_AT_byte_size"].value) if "DW_AT_byte_size" in t.attributes else 0
    text = alias or _name(t)
    if t.tag == "DW_TAG_base_type":
        enc = t.attributes["DW_AT_encoding"].value
        if enc == 0x02:  # DW_ATE_boolean
            return CType("bool", size, text or "_Bool", const=const)
        if enc == 0x04:  # DW_ATE_float
            kind = {4: "float", 8: "double"}.get(size, "other")
            return CType(kind, size, text, const=const)
        if enc in (0x05, 0x06, 0x07, 0x08):  # signed, signed char, unsigned, unsigned char
            return CType("int", size, text, signed=enc in (0x05, 0x06), const=const)
        return CType("other", size, text, const=const)
    if t.tag == "DW_TAG_enumeration_type":
        under = _target(t)
        signed = True
        if under is not None:
            u, *_ = _strip(under)
            signed = u is not None and u.attributes["DW_AT_encoding"].value in (0x05, 0x06)
        return CType("int", size or 4, text or f"enum {_name(t)}", signed=signed, const=const)
    if t.tag == "DW_TAG_pointer_type":
        inner, iconst, irestrict, ialias = _strip(_target(t))
        if inner is not None and inner.tag == "DW_TAG_subroutine_type":
            params = tuple(_ctype(c, depth + 1) for c in inner.iter_children() if c.tag == "DW_TAG_formal_parameter")
            variadic = any(c.tag == "DW_TAG_unspecified_parameters" for c in inner.iter_children())
            fn = FuncType(_ctype(inner, depth + 1), params, variadic)
            spelled = f"{_spell(fn.ret)} (*)({', '.join(_spell(x) for x in params) or 'void'})"
            return CType("funcptr", 8, alias or spelled, const=const, restrict=restrict, func=fn)
        pointee = _describe(inner, iconst, irestrict, ialias, depth + 1) if depth < 2 else CType("other", 0, "...")
        return CType("pointer", 8, alias or f"{_spell(pointee)} *", const=const, restrict=restrict, pointee=pointee)
    if t.tag == "DW_TAG_structure_type":
        layout, note = _layout(t) if depth <= 1 else (None, "nested too deep")
        return CType(
            "struct",
            size,
            text and (text if alias else f"struct {text}") or "struct",
            const=const,
            layout=layout,
            note=note,
        )
    if t.tag == "DW_TAG_union_type":
        return CType("other", size, text and f"union {text}" or "union", const=const, note="it is a union")
    if t.tag == "DW_TAG_array_type":
        return CType("other", size, text or "array", const=const)
    return CType("other", size, text or t.tag, const=const)


def _layout(struct) -> tuple[Layout | None, str]:
    """Scalar members (and arrays of them, and nested structs flattened), as source._probe_layout
    gives them; or why the struct is not modelled (the harness's rules, source._members)."""
    if "DW_AT_declaration" in struct.attributes:
        return None, f"struct {_name(struct)} is incomplete here"
    fields: list[Field] = []

    def walk(s, base: int, prefix: str) -> str:
        for m in s.iter_children():
            if m.tag != "DW_TAG_member":
                continue
            name = _name(m)
            if not name:
                return "it has anonymous members"
            if "DW_AT_bit_size" in m.attributes:
                return "it has bit-fields"
            loc = m.attributes.get("DW_AT_data_member_location")
            off = base + (int(loc.value) if loc is not None and isinstance(loc.value, int) else 0)
            t, _, _, _ = _strip(_target(m))
            count = 1
            if t is not None and t.tag == "DW_TAG_array_type":
                dims = [c for c in t.iter_children() if c.tag == "DW_TAG_subrange_type"]
                if len(dims) != 1 or "DW_AT_upper_bound" not in dims[0].attributes:
                    return "it has a flexible or multi-dimensional array member"
                count = int(dims[0].attributes["DW_AT_upper_bound"].value) + 1
                t, _, _, _ = _strip(_target(t))
            if t is None:
                return f"member {prefix}{name} is void"
            if t.tag == "DW_TAG_structure_type" and count == 1:
                why = walk(t, off, prefix + name + ".")
                if why:
                    return why
                continue
            ct = _describe(t, False, False, "", 3)
            if ct.kind not in ("int", "bool", "float", "double"):
                return f"member {prefix}{name} is {ct.kind} ({ct.text})"
            fields.append(Field(prefix + name, off, ct.kind, ct.size, ct.signed, count))
        return ""

    why = walk(struct, 0, "")
    if why:
        return None, why
    size = int(struct.attributes["DW_AT_byte_size"].value) if "DW_AT_byte_size" in struct.attributes else 0
    align = (
        int(struct.attributes["DW_AT_alignment"].value)
        if "DW_AT_alignment" in struct.attributes
        else max((f.size for f in fields), default=1)
    )
    return Layout(size, align, tuple(fields)), ""


def _spell(t: CType) -> str:
    return ("const " if t.const and t.kind != "pointer" else "") + t.text
