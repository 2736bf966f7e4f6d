"""The C side of a function: its prototype and the source a prompt needs, from pycparser.

The file is preprocessed with the real gcc and the real headers, with a few defines that turn
GNU extensions pycparser does not know into plain C (attributes, asm labels, __extension__,
__int128...). The headers are told the compiler is an old GCC, so they avoid the newest builtins.
Results are cached in memory per (file, mtime, flags).

    prototype(path, name, cflags, cwd=None) -> Prototype   what the test harness needs
    parse_declaration(text, name) -> Prototype              the same from a declaration alone
    function_source(path, name, cflags, cwd=None) -> str   the function and what it uses, for prompts
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from gcc_wrapper.compile import options

# What pycparser cannot parse, turned into something it can; the types only need to keep their
# size class for the harness (an __int128 function is refused later as "other").
SHIMS = (
    "-D__attribute__(x)=",
    "-D__extension__=",
    "-D__asm__(x)=",
    "-D__asm(x)=",
    "-D__restrict=restrict",
    "-D__restrict__=restrict",
    "-D__inline=inline",
    "-D__inline__=inline",
    "-D__builtin_va_list=int",
    "-D__int128=__llmcc_int128",
    "-D__float128=__llmcc_float128",
    "-D__typeof__(x)=int",
    "-D__signed__=signed",
    "-D__volatile__=volatile",
    "-D__const=const",
    "-D_Noreturn=",
    "-D__thread=",
    "-U__GNUC__",
    "-D__GNUC__=4",
    "-U__GNUC_MINOR__",
    "-D__GNUC_MINOR__=2",
)
PRELUDE = "typedef struct { long _a, _b; } __llmcc_int128;\ntypedef struct { long _a, _b; } __llmcc_float128;\n"


class SourceError(Exception):
    """The source cannot be preprocessed or parsed, or has no such function."""


@dataclass(frozen=True)
class CType:
    """A C type reduced to what a test harness needs.

    kind: "int" | "bool" | "float" | "double" | "pointer" | "void" | "struct" | "funcptr" | "other"
    size: bytes in a register or in memory (pointers: 8); signed for integers;
    pointee: for pointers, the pointed-to type (None for funcptr);
    func: for funcptr, the pointed-to function's return and parameter types;
    const/restrict: qualifiers of this level (for a pointer: restrict on the pointer, const on
    the pointee is pointee.const)."""

    kind: str
    size: int
    text: str
    signed: bool = False
    const: bool = False
    restrict: bool = False
    pointee: CType | None = None
    layout: Layout | None = None  # structs pointed to by a parameter: the members, from gcc
    count: int = 0  # an array parameter's declared length (int a[16]), 0 if none
    note: str = ""  # why a struct has no layout (pointer, bit-field or union members...)
    func: FuncType | None = None  # funcptr: what it points to


@dataclass(frozen=True)
class FuncType:
    """The type of the function a function pointer points to."""

    ret: CType
    params: tuple[CType, ...]
    variadic: bool


@dataclass(frozen=True)
class Field:
    """A scalar member (or array of scalars) of a struct, at its place in memory."""

    path: str  # member designator: "x", "pos.y", "v"
    offset: int
    kind: str  # int | bool | float | double
    size: int  # of one element
    signed: bool
    count: int  # 1, or the array's length


@dataclass(frozen=True)
class Layout:
    size: int
    align: int
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Param:
    name: str
    type: CType


@dataclass(frozen=True)
class Prototype:
    name: str
    ret: CType
    params: tuple[Param, ...]
    variadic: bool
    static: bool
    text: str  # "long sum(const int *restrict a, size_t n)"
    declared_only: bool = False  # dwarf.prototypes: a function the unit calls but does not define

    @property
    def restrict(self) -> tuple[bool, ...]:
        return tuple(p.type.restrict for p in self.params)


def _cpp_flags(cflags: Sequence[str]) -> list[str]:
    return options.cpp_words(cflags)


@lru_cache(maxsize=64)
def _parse_cached(path: str, mtime: float, cflags: tuple[str, ...], cwd: str | None, cc: str):
    from pycparser import c_parser

    cmd = [cc, "-E", *_cpp_flags(cflags), *SHIMS, "-include", "/dev/stdin", path]
    try:
        r = subprocess.run(cmd, cwd=cwd, input=PRELUDE, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SourceError(f"cannot preprocess {path}: {e}") from None
    if r.returncode != 0:
        raise SourceError(f"cannot preprocess {path}: {r.stderr.strip()[:500]}")
    try:
        ast = c_parser.CParser().parse(r.stdout, path)
    except Exception as e:  # noqa: BLE001 - pycparser raises ParseError and, on odd input, plain errors
        raise SourceError(f"cannot parse {path}: {e}") from None
    return ast


def _parse(path: str, cflags: Sequence[str], cwd: str | None):
    full = os.path.join(cwd or os.getcwd(), path)
    try:
        mtime = os.stat(full).st_mtime
    except OSError as e:
        raise SourceError(f"{path}: {e.strerror}") from None
    cc = os.environ.get("LLMCC_CC") or "gcc"
    return _parse_cached(os.path.abspath(full), mtime, tuple(cflags), cwd, cc)


def _find_def(ast, name: str):
    from pycparser import c_ast

    found = None
    for ext in ast.ext:
        if isinstance(ext, c_ast.FuncDef) and ext.decl.name == name:
            found = ext
    if found is None:
        raise SourceError(f"no function named {name!r} is defined in this file")
    return found


_INT_SIZES = {"char": 1, "short": 2, "int": 4, "long": 8}


def _typedefs(ast) -> dict:
    from pycparser import c_ast

    return {e.name: e.type for e in ast.ext if isinstance(e, c_ast.Typedef)}


def _ctype(node, typedefs: dict, gen) -> CType:
    """Reduce a pycparser type node (TypeDecl / PtrDecl / ArrayDecl / FuncDecl) to a CType."""
    from pycparser import c_ast

    text = gen.visit(node) if not isinstance(node, c_ast.TypeDecl) else gen.visit(node.type)
    quals = getattr(node, "quals", None) or []
    if isinstance(node, (c_ast.PtrDecl, c_ast.ArrayDecl)):
        inner = node.type
        if isinstance(inner, c_ast.FuncDecl):
            return CType("funcptr", 8, text, func=_functype(inner, typedefs, gen))
        pointee = _ctype(inner, typedefs, gen)
        if pointee.kind == "funcptr" and isinstance(node, c_ast.PtrDecl):
            if _names_function_type(inner, typedefs):  # cmp_t *f with typedef int cmp_t(int, int)
                return CType("funcptr", 8, text, func=pointee.func)
            pointee = CType("other", 0, pointee.text)
        restrict = "restrict" in quals or "restrict" in (getattr(node, "dim_quals", None) or [])
        count = 0
        dim = getattr(node, "dim", None)
        if isinstance(dim, c_ast.Constant) and dim.type == "int":
            try:
                count = int(dim.value.rstrip("uUlL"), 0)
            except ValueError:
                count = 0
        return CType("pointer", 8, text, const="const" in quals, restrict=restrict, pointee=pointee, count=count)
    if isinstance(node, c_ast.FuncDecl):  # a parameter of function type: a function pointer
        return CType("funcptr", 8, text, func=_functype(node, typedefs, gen))
    if isinstance(node, c_ast.TypeDecl):
        const = "const" in (node.quals or [])
        t = node.type
        if isinstance(t, c_ast.IdentifierType):
            names = [n for n in t.names if n not in ("signed",)]
            words = list(t.names)
            if len(names) == 1 and names[0] in typedefs and names[0] not in _INT_SIZES:
                base = _ctype(typedefs[names[0]], typedefs, gen)
                return CType(
                    base.kind,
                    base.size,
                    names[0],
                    base.signed,
                    const or base.const,
                    base.restrict,
                    base.pointee,
                    func=base.func,
                )
            unsigned = "unsigned" in words
            core = [n for n in names if n != "unsigned"]
            if core == ["void"]:
                return CType("void", 0, text, const=const)
            if core == ["_Bool"]:
                return CType("bool", 1, text, const=const)
            if core == ["float"]:
                return CType("float", 4, text, const=const)
            if core == ["double"]:
                return CType("double", 8, text, const=const)
            if "double" in core or "_Complex" in core or "__llmcc_int128" in core:
                return CType("other", 16, text, const=const)
            size = 4
            for w in ("char", "short", "long"):
                if w in core:
                    size = _INT_SIZES[w]
            return CType("int", size, text, signed=not unsigned, const=const)
        if isinstance(t, c_ast.Enum):
            return CType("int", 4, text, signed=False, const=const)
        if isinstance(t, (c_ast.Struct, c_ast.Union)):
            return CType("struct", 0, text, const=const)
    return CType("other", 0, text)


def _functype(node, typedefs: dict, gen) -> FuncType | None:
    """The return and parameter types of a c_ast.FuncDecl (None if pycparser's tree is not what
    this expects: the parameter is then not modelled, and the prototype still read)."""
    try:
        return _functype_of(node, typedefs, gen)
    except (AttributeError, TypeError, ValueError, RecursionError):
        return None


def _functype_of(node, typedefs: dict, gen) -> FuncType:
    from pycparser import c_ast

    params: list[CType] = []
    variadic = False
    args = node.args.params if node.args is not None else []
    for p in args:
        if isinstance(p, c_ast.EllipsisParam):
            variadic = True
            continue
        if isinstance(p, (c_ast.Typename, c_ast.Decl)):
            t = _ctype(p.type, typedefs, gen)
        else:  # an old-style identifier list: its types are unknown
            t = CType("other", 0, gen.visit(p))
        if t.kind == "void" and len(args) == 1:  # (void)
            continue
        params.append(t)
    return FuncType(_ctype(node.type, typedefs, gen), tuple(params), variadic)


def _names_function_type(node, typedefs: dict) -> bool:
    """Whether a TypeDecl names (through typedefs) a function type, not a function pointer."""
    from pycparser import c_ast

    seen = 0
    while isinstance(node, c_ast.TypeDecl) and isinstance(node.type, c_ast.IdentifierType) and seen < 32:
        names = node.type.names
        if len(names) != 1 or names[0] not in typedefs:
            return False
        node = typedefs[names[0]]
        seen += 1
    return isinstance(node, c_ast.FuncDecl)


def prototype(path: str, name: str, cflags: Sequence[str] = (), cwd: str | None = None) -> Prototype:
    """The prototype of the function `name` defined in the C file at path."""
    from pycparser import c_generator

    try:
        ast = _parse(path, cflags, cwd)
    except SourceError as e:
        # GNU C pycparser cannot read (computed goto, statement expressions...): gcc's own reading
        from gcc_wrapper.optimize import dwarf

        try:
            return dwarf.prototype(path, name, cflags, cwd)
        except SourceError:
            raise e from None
    fdef = _find_def(ast, name)
    gen = c_generator.CGenerator()
    typedefs = _typedefs(ast)

    def layout(t: CType, node) -> CType:
        return _with_layout(t, node, ast, typedefs, gen, path, cflags, cwd)

    return _prototype_of(fdef.decl, typedefs, gen, layout)


def _prototype_of(decl, typedefs: dict, gen, layout=None) -> Prototype:
    """The Prototype of a function's c_ast.Decl. layout(type, pointee node), when given, completes
    the type of a parameter that points to a struct (prototype() asks gcc for its members)."""
    from pycparser import c_ast

    fdecl = decl.type
    ret = _ctype(fdecl.type, typedefs, gen)
    params: list[Param] = []
    variadic = False
    args = fdecl.args.params if fdecl.args is not None else []
    for i, p in enumerate(args):
        if isinstance(p, c_ast.EllipsisParam):
            variadic = True
            continue
        if not isinstance(p, (c_ast.Decl, c_ast.Typename)):  # an old-style identifier list: its types are unknown
            params.append(Param(gen.visit(p), CType("other", 0, gen.visit(p))))
            continue
        ptype = p.type
        t = _ctype(ptype, typedefs, gen)
        if layout is not None and t.kind == "pointer" and t.pointee is not None and t.pointee.kind == "struct":
            t = layout(t, ptype.type)
        if t.kind == "void" and len(args) == 1:  # f(void)
            continue
        params.append(Param(p.name or f"arg{i}", t))
    static = "static" in (decl.storage or [])
    return Prototype(decl.name, ret, tuple(params), variadic, static, gen.visit(decl))


# The typedefs of the standard headers (stddef.h, stdint.h, stdbool.h, sys/types.h) on x86-64
# Linux that a declaration read on its own (parse_declaration) may use; any other type name in it
# is unknown there.
STANDARD_TYPEDEFS = {
    "size_t": "unsigned long",
    "ssize_t": "long",
    "ptrdiff_t": "long",
    "intptr_t": "long",
    "uintptr_t": "unsigned long",
    "bool": "_Bool",
    "int8_t": "signed char",
    "int16_t": "short",
    "int32_t": "int",
    "int64_t": "long",
    "uint8_t": "unsigned char",
    "uint16_t": "unsigned short",
    "uint32_t": "unsigned int",
    "uint64_t": "unsigned long",
}


@lru_cache(maxsize=256)
def parse_declaration(text: str, name: str) -> Prototype:
    """The Prototype of the function `name` from its declaration alone, such as Context.prototype
    (`static long sum(const int *restrict a, size_t n)`; a trailing `;` or `{` is allowed): read as
    prototype() reads it in its file, with comments removed and GNU spellings handled as SHIMS
    handle them there. The only type names known are C's own and STANDARD_TYPEDEFS. A struct
    parameter's members are not known (no layout). Raises SourceError."""
    from pycparser import c_ast, c_generator, c_parser

    body = _plain_c(text).strip().rstrip(";{ \t\n")
    typedefs_c = "".join(f"typedef {base} {n};\n" for n, base in STANDARD_TYPEDEFS.items())
    try:
        ast = c_parser.CParser().parse(PRELUDE + typedefs_c + body + ";\n", "<declaration>")
    except Exception as e:  # noqa: BLE001 - pycparser raises ParseError and, on odd input, plain errors
        unknown = _unknown_type(body)
        why = f"unknown type name {unknown!r}" if unknown else str(e)
        raise SourceError(f"cannot read the declaration {text.strip()!r}: {why}") from None
    decls = [e for e in ast.ext if not isinstance(e, c_ast.Typedef)]
    if (
        len(decls) != 1
        or not isinstance(decls[0], c_ast.Decl)
        or not isinstance(decls[0].type, c_ast.FuncDecl)
        or decls[0].name != name
    ):
        raise SourceError(f"{text.strip()!r} is not a declaration of the function {name}")
    return _prototype_of(decls[0], _typedefs(ast), c_generator.CGenerator())


def _plain_c(text: str) -> str:
    """A declaration's text without comments, SHIMS applied as the preprocessor applies them to a
    file (a function-like one takes its balanced parentheses with it)."""
    import re

    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    for shim in SHIMS:
        if not shim.startswith("-D"):
            continue
        macro, _, value = shim[2:].partition("=")
        if not macro.endswith("(x)"):
            text = re.sub(rf"\b{re.escape(macro)}\b", value, text)
            continue
        out, pos = [], 0
        for m in re.finditer(rf"\b{re.escape(macro[:-3])}\s*\(", text):
            if m.start() < pos:
                continue
            depth, end = 1, m.end()
            while end < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            out += [text[pos : m.start()], f" {value} "]
            pos = end
        text = "".join(out) + text[pos:]
    return text


_C_WORDS = {
    "void",
    "char",
    "short",
    "int",
    "long",
    "float",
    "double",
    "signed",
    "unsigned",
    "_Bool",
    "_Complex",
    "const",
    "volatile",
    "restrict",
    "static",
    "extern",
    "inline",
    "register",
    "auto",
    "struct",
    "union",
    "enum",
}


def _unknown_type(body: str) -> str:
    """The first word of a declaration that stands where a type name must (before a name or a
    `*`) and is not one: why pycparser could not read it, in words a user understands."""
    import re

    for m in re.finditer(r"(?<![\w.])(struct\s+|union\s+|enum\s+)?([A-Za-z_]\w*)\b\s*(?=[*A-Za-z_])", body):
        word = m.group(2)
        if not m.group(1) and word not in _C_WORDS and word not in STANDARD_TYPEDEFS:
            return word
    return ""


class _NotModelled(Exception):
    pass


def _struct_node(node, ast, typedefs):
    """The c_ast.Struct with members that a (typedef'd or tagged) type node names."""
    from pycparser import c_ast

    t = node.type if isinstance(node, c_ast.TypeDecl) else node
    seen = 0
    while isinstance(t, c_ast.IdentifierType) and len(t.names) == 1 and t.names[0] in typedefs and seen < 32:
        td = typedefs[t.names[0]]
        t = td.type if isinstance(td, c_ast.TypeDecl) else td
        seen += 1
    if isinstance(t, c_ast.Union):
        raise _NotModelled("it is a union")
    if not isinstance(t, c_ast.Struct):
        raise _NotModelled("not a struct")
    if t.decls is not None:
        return t
    found = []

    class V(c_ast.NodeVisitor):
        def visit_Struct(self, n):
            if n.name == t.name and n.decls is not None:
                found.append(n)
            self.generic_visit(n)

    V().visit(ast)
    if not found:
        raise _NotModelled(f"struct {t.name} is incomplete here")
    return found[0]


def _members(struct, ast, typedefs, gen, prefix: str) -> list[tuple[str, CType, bool]]:
    """(designator, scalar type, is_array) for every scalar member, nested structs flattened."""
    from pycparser import c_ast

    out: list[tuple[str, CType, bool]] = []
    for d in struct.decls:
        if d.bitsize is not None:
            raise _NotModelled("it has bit-fields")
        if d.name is None:
            raise _NotModelled("it has anonymous members")
        path = prefix + d.name
        t, is_array = d.type, False
        if isinstance(t, c_ast.ArrayDecl):
            if t.dim is None:
                raise _NotModelled("it has a flexible array member")
            t, is_array = t.type, True
            if isinstance(t, c_ast.ArrayDecl):
                raise _NotModelled("it has multi-dimensional arrays")
        ct = _ctype(t, typedefs, gen)
        if ct.kind in ("int", "bool", "float", "double"):
            out.append((path, ct, is_array))
        elif ct.kind == "struct" and not is_array:
            out.extend(_members(_struct_node(t, ast, typedefs), ast, typedefs, gen, path + "."))
        else:
            raise _NotModelled(f"member {path} is {ct.kind} ({ct.text})")
    return out


def _with_layout(t: CType, node, ast, typedefs, gen, path, cflags, cwd) -> CType:
    from dataclasses import replace

    assert t.pointee is not None
    try:
        members = _members(_struct_node(node, ast, typedefs), ast, typedefs, gen, "")
        layout = _probe_layout(path, t.pointee.text, members, tuple(cflags), cwd)
    except _NotModelled as e:
        return replace(t, pointee=replace(t.pointee, note=str(e)))
    except (OSError, subprocess.TimeoutExpired) as e:
        return replace(t, pointee=replace(t.pointee, note=f"gcc cannot tell its layout: {e}"))
    return replace(t, pointee=replace(t.pointee, size=layout.size, layout=layout))


def _probe_layout(path: str, type_text: str, members, cflags: tuple[str, ...], cwd) -> Layout:
    """Ask gcc itself for sizeof, alignof and every member's offset and size: no layout rules
    (packing, alignment attributes) are re-implemented here."""
    exprs = [f"sizeof({type_text})", f"__alignof__({type_text})"]
    for m, _, _ in members:
        exprs += [f"__builtin_offsetof({type_text}, {m})", f"sizeof((({type_text} *)0)->{m})"]
    full = os.path.abspath(os.path.join(cwd or os.getcwd(), path))
    probe = f'#include "{full}"\nconst unsigned long __llmcc_layout[] = {{ {", ".join(exprs)} }};\n'
    cc = os.environ.get("LLMCC_CC") or "gcc"
    r = subprocess.run(
        [cc, *_cpp_flags(cflags), "-O0", "-S", "-x", "c", "-o", "-", "-"],
        input=probe,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if r.returncode != 0:
        raise _NotModelled(f"gcc cannot tell its layout: {r.stderr.strip()[:200]}")
    vals: list[int] = []
    on = False
    for line in r.stdout.splitlines():
        w = line.split()
        if line.startswith("__llmcc_layout:"):
            on = True
        elif on and w and w[0] == ".quad":
            vals.append(int(w[1]))
        elif on and w and not w[0].startswith(".") or on and w and w[0] in (".size", ".text", ".section", ".ident"):
            break
    if len(vals) != len(exprs):
        raise _NotModelled("gcc cannot tell its layout")
    fields = []
    for i, (m, ct, is_array) in enumerate(members):
        off, size = vals[2 + 2 * i], vals[3 + 2 * i]
        fields.append(Field(m, off, ct.kind, ct.size, ct.signed, size // ct.size if is_array else 1))
    return Layout(vals[0], vals[1], tuple(fields))


def function_source(path: str, name: str, cflags: Sequence[str] = (), cwd: str | None = None) -> str:
    """The function's C text, preceded by the declarations of this file (not of system headers)
    that it uses: typedefs, struct/union/enum definitions, globals, and the functions it calls,
    transitively."""
    from pycparser import c_ast, c_generator

    ast = _parse(path, cflags, cwd)  # no C text of a file pycparser cannot read (prompts go without)
    fdef = _find_def(ast, name)
    main_file = os.path.abspath(os.path.join(cwd or os.getcwd(), path))

    def own(ext) -> bool:
        f = ext.coord.file if ext.coord is not None else ""
        return bool(f) and os.path.abspath(os.path.join(cwd or os.getcwd(), f)) == main_file

    # Index this file's top-level declarations by the names they define.
    defines: dict[str, list[int]] = {}
    for i, ext in enumerate(ast.ext):
        if not own(ext):
            continue
        for n in _defined_names(ext):
            defines.setdefault(n, []).append(i)

    wanted: set[int] = set()
    todo = [fdef]
    while todo:
        node = todo.pop()
        for n in _used_names(node):
            for i in defines.get(n, ()):
                if i not in wanted and ast.ext[i] is not fdef:
                    wanted.add(i)
                    todo.append(ast.ext[i])
    gen = c_generator.CGenerator()
    parts = [gen.visit(ast.ext[i]) + (";" if not isinstance(ast.ext[i], c_ast.FuncDef) else "") for i in sorted(wanted)]
    parts.append(gen.visit(fdef))
    return "\n\n".join(parts) + "\n"


def _defined_names(ext) -> list[str]:
    from pycparser import c_ast

    names = []
    if isinstance(ext, c_ast.FuncDef):
        names.append(ext.decl.name)
    elif isinstance(ext, (c_ast.Decl, c_ast.Typedef)):
        if ext.name:
            names.append(ext.name)
        t = ext.type
        while isinstance(t, (c_ast.PtrDecl, c_ast.ArrayDecl, c_ast.TypeDecl)):
            t = t.type
        if isinstance(t, (c_ast.Struct, c_ast.Union, c_ast.Enum)) and t.name:
            names.append("tag:" + t.name)
        if isinstance(t, c_ast.Enum) and t.values is not None:
            names.extend(e.name for e in t.values.enumerators)
    return names


def _used_names(node) -> set[str]:
    from pycparser import c_ast

    used: set[str] = set()

    class V(c_ast.NodeVisitor):
        def visit_ID(self, n):
            used.add(n.name)

        def visit_IdentifierType(self, n):
            used.update(n.names)

        def visit_Struct(self, n):
            if n.name:
                used.add("tag:" + n.name)
            self.generic_visit(n)

        visit_Union = visit_Struct

        def visit_Enum(self, n):
            if n.name:
                used.add("tag:" + n.name)
            self.generic_visit(n)

    V().visit(node)
    return used
