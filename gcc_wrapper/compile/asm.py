"""gcc's x86-64 assembly (GAS, AT&T syntax) as a translation unit of functions.

    parse(text) -> Unit          the whole .s file; Unit.render() gives it back byte for byte
    Unit.functions[name]         a Function: what gcc emitted for one C function
    Function.text()              that function as standalone assembly (the format of candidates
                                 and of cached rewrites)
    Function.normalized()        the same, stripped of everything that depends on where the
                                 function sat (file, directory, position), for hashing
    Unit.replace(name, asm)      a new Unit with one function swapped for other assembly
    Unit.replace_many(rewrites)  the same for several functions ({name: asm}), one parse
    parse_function(text, name)   a standalone function (a candidate) as a Function

A Unit is the list of the file's lines plus, for each function, the lines it owns:

  * its main span: the alignment and symbol directives before its label (.p2align, .globl,
    .hidden, .type ...), the label, the body with its local labels, CFI directives and jump tables
    (gcc puts them in .rodata in the middle of the body), up to and including `.size name, .-name`.
    gcc 12 emits the split-off cold part (`name.cold` in .text.unlikely) inside that span too;
  * extra spans: the `.size name.cold, .-name.cold` line that follows the main span, or a cold
    part emitted somewhere else;
  * the read-only constants only it references: `.LC*` blocks in .rodata*, and gcc's local
    read-only objects such as switch tables (`CSWTCH.8`), `__func__.1`, or the label table of a
    computed goto (`table.0`). Constants referenced from elsewhere stay top-level; text() carries
    a copy of them all the same, so that it stands alone.

Everything else (file header, data objects, aliases, trailers, debug sections, the .LCOLDB/.LHOTB
markers around split functions) is top-level and only ever rendered verbatim.

This module is on the compile path: it imports only re (hashlib when replacing),
and parsing is a single pass over the lines; ownership of constants is worked out the first time
it is needed.
"""

from __future__ import annotations

import re

__all__ = ["AsmError", "Function", "Unit", "parse", "parse_function"]


class AsmError(Exception):
    """The assembly cannot be modelled (callers fall back to plain gcc)."""


_LABEL = re.compile(r"([A-Za-z_.$][\w.$]*):[ \t]*(?:#.*)?$")
# An identifier; not a register (%rax) and not a relocation operator (foo@PLT: PLT).
_IDENT = re.compile(r"(?<![\w.$%@])[A-Za-z_.$][\w.$]*")
_BINDING = {".globl": "global", ".global": "global", ".weak": "weak", ".local": "local"}
_VISIBILITY = {".hidden", ".protected", ".internal"}
ALIGN = frozenset({".p2align", ".align", ".balign"})
# The data directives gcc writes for a C object (a table, a constant, a string): what the verifier
# lets a candidate's read-only data be made of (verify/harness.py, dispatch.py).
OBJECT_DATA = frozenset(
    {
        ".byte",
        ".value",
        ".short",
        ".word",
        ".long",
        ".int",
        ".quad",
        ".2byte",
        ".4byte",
        ".8byte",
        ".zero",
        ".skip",
        ".space",
        ".string",
        ".ascii",
        ".asciz",
        ".float",
        ".double",
        ".octa",
    }
)
# Every data directive, for telling data lines from the rest
_DATA = OBJECT_DATA | {".single", ".uleb128", ".sleb128", ".dc.a", ".slong"}
_STRINGS = {".string", ".ascii", ".asciz"}
_STRING_LINE = re.compile(r"^[ \t]*\.(?:string|ascii|asciz)[ \t].*$", re.MULTILINE)
_TEXT_COLD = re.compile(r"\.Ltext_cold\d+:")
_LABEL_LINE = re.compile(r"^[A-Za-z_.$][\w.$]*:[ \t]*$", re.MULTILINE)
_BLANKS = re.compile(r"[ \t]+")
_COMMA = re.compile(r" ?, ?")
# Prefixes of the most frequent directives that never change structure (most of a -g file).
_NOT_STRUCTURE = (
    ".loc",
    ".cfi_",
    ".uleb128",
    ".sleb128",
    ".byte",
    ".long",
    ".quad",
    ".value",
    ".string",
    ".ascii",
    ".8byte",
    ".4byte",
    ".2byte",
)
_SECTION_SWITCHES = {".section", ".text", ".data", ".bss", ".pushsection", ".popsection", ".previous"}
# Directives that only carry debug information: dropped from text() and normalized().
_DEBUG_ONLY = {".loc", ".file", ".loc_mark_labels"}
# Labels gcc emits only with -g, for debug information to point at (nothing in the code does).
_DEBUG_LABEL = re.compile(r"\.L(?:VL|BB|BE|BI)\d+:\s*$")
# Assembler programming that could read files or hide what a candidate defines; gcc never
# writes them (user inline asm may, and such a function is then simply not replaceable).
_FORBIDDEN = {".include", ".incbin", ".macro", ".irp", ".irpc", ".rept", ".purgem", ".altmacro"}
_SYMBOL_DEFINERS = {".set", ".equ", ".equiv", ".eqv", ".comm", ".lcomm", ".weakref", ".symver"}


# ---------------------------------------------------------------------------------------------
# sections


class _Section:
    """A section as one of gcc's directives selects it. `args` is what follows `.section`
    (name and, when given, flags); for .text/.data/.bss it is just the name. Equal (and hashed)
    by `args`. A plain class, not a dataclass: dataclasses imports inspect, ~10 ms on every
    compile."""

    __slots__ = ("args", "name")

    def __init__(self, args: str) -> None:
        self.args = args
        if args.startswith('"'):
            end = args.find('"', 1)
            self.name = args[1:end] if end > 0 else args
        else:
            self.name = args.split(",", 1)[0].strip()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Section) and other.args == self.args

    def __hash__(self) -> int:
        return hash(self.args)

    def __repr__(self) -> str:
        return f"_Section({self.args!r})"

    @property
    def is_debug(self) -> bool:
        return self.name.startswith(".debug")

    @property
    def is_readonly_data(self) -> bool:
        n = self.name
        return n.startswith((".rodata", ".data.rel.ro"))

    def directive(self) -> str:
        if self.args in (".text", ".data", ".bss"):
            return f"\t{self.args}\n"
        return f"\t.section\t{self.args}\n"


_TEXT = _Section(".text")


def _split_directive(s: str) -> tuple[str, str]:
    """'.type\tf, @function' -> ('.type', 'f, @function')."""
    parts = s.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], (parts[1] if len(parts) > 1 else "")


def _strip_comment(s: str) -> str:
    """Drop a trailing `# comment`, leaving `#` inside string literals alone."""
    if "#" not in s:
        return s
    if '"' not in s:
        return s[: s.index("#")].rstrip()
    in_str = esc = False
    for i, ch in enumerate(s):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "#":
            return s[:i].rstrip()
    return s


def _first_operand(rest: str) -> str:
    return rest.split(",", 1)[0].strip()


# ---------------------------------------------------------------------------------------------
# the model


class _Block:
    """A constant: optional alignment/.type/.size lines, its label, its data lines. Or an
    alias of another constant (gcc writes `.set .LC2,.LC0` when one constant is a prefix of
    another): then `label` is the `.set` line and the block is that line alone."""

    __slots__ = ("alias", "end", "label", "section", "start", "symbol")

    def __init__(self, symbol: str, start: int, label: int, end: int, section: _Section, alias: bool = False) -> None:
        self.symbol = symbol
        self.start = start
        self.label = label
        self.end = end  # exclusive
        self.section = section
        self.alias = alias

    def __repr__(self) -> str:
        return f"_Block({self.symbol!r}, lines {self.start}-{self.end}, {self.section.name})"

    @property
    def data(self) -> range:
        """The lines that can refer to other symbols."""
        return range(self.label if self.alias else self.label + 1, self.end)


class Function:
    """What gcc emitted for one C function (see the module docstring for what it owns)."""

    def __init__(
        self, unit: Unit, name: str, label: int, spans: tuple[tuple[int, int], ...], section: _Section, binding: str
    ):
        self._unit = unit
        self.name = name
        self.binding = binding
        self.section = section.name
        self._section = section
        self._label = label
        self.spans = spans  # (start, end) line ranges; spans[0] is the main span

    def __repr__(self) -> str:
        return f"Function({self.name!r}, {self.binding}, {self.section}, lines {self.spans})"

    # -- what it owns and references

    def _lines(self) -> list[int]:
        return [i for a, b in self.spans for i in range(a, b)]

    def constants(self) -> list[str]:
        """Constant blocks it references, transitively, in order of first reference."""
        return self._unit._constants_of(self)

    def owned_constants(self) -> list[str]:
        """The constants only this function references (they go where it goes)."""
        return [c for c in self.constants() if self._unit._owner(c) == self.name]

    # -- the standalone form

    def _standalone(self) -> list[str]:
        u = self._unit
        out: list[str] = []
        for sym in self.constants():
            blk = u._blocks[sym]
            out.append(u._best(blk.section).directive())
            out.extend(ln if ln.endswith("\n") else ln + "\n" for ln in u.lines[blk.start : blk.end])
        cur = None
        used: set[str] | None = None  # names the code refers to, when needed
        for n, (a, b) in enumerate(self.spans):
            sec = u._best(u._section_at(a) if n else self._section)
            if sec != cur:
                out.append(sec.directive())
            cur = u._best(u._section_at(b - 1))
            if n and self._cold_type_elsewhere(a, b):
                out.append(f"\t.type\t{self.name}.cold, @function\n")
            depth = 0  # .pushsection nesting inside the function (inline asm)
            for i in range(a, b):
                line = u.lines[i]
                s = line.strip()
                if s.startswith(".L") and _DEBUG_LABEL.match(s):
                    if used is None:
                        used = _referenced([u.lines[j] for j in self._lines()])
                    if s.split(":", 1)[0] not in used:
                        continue
                if s.startswith("."):
                    d = _split_directive(s)[0]
                    if d in _DEBUG_ONLY:
                        continue
                    if d == ".pushsection":
                        depth += 1
                    elif d == ".popsection" and depth:
                        depth -= 1
                    elif d in (".section", ".text", ".data", ".bss", ".popsection", ".previous"):
                        # the first mention carries the flags, so a copy must carry them too; a
                        # pop or .previous that reaches outside the function says where it lands
                        line = u._best(u._section_at(i)).directive()
                if not line.endswith("\n"):
                    line += "\n"
                out.append(line)
        return out

    def _cold_type_elsewhere(self, a: int, b: int) -> bool:
        """A cold part in span [a, b) whose `.type` line is not in it (so a copy must add one)."""
        cold = self.name + ".cold"
        u = self._unit
        return a <= u._labels.get(cold, -1) < b and not any(_is_symbol_directive(u.lines[i], cold) for i in range(a, b))

    def text(self) -> str:
        """Standalone assembly: its constants (with their sections), its section directive,
        symbol directives, label, body, .size and cold part. Assembles on its own with `as`."""
        return "".join(self._standalone())

    def normalized(self) -> str:
        """Text for hashing: independent of file name, directory and position in the file.

        Dropped: comments, .loc/.file (and their view numbers), CFI directives, and local labels
        nothing in the function refers to (.LFB/.LFE/.LVL...). Renamed by first appearance:
        local labels (.L0, .L1, ...) and constants (.LC0, ... with gcc's local objects such as
        CSWTCH.8). Kept: every instruction, directive, alignment, global symbol name and
        constant byte, and section directives with their flags."""
        u = self._unit
        lines, best_at = u.lines, u._best_at
        cur = u._best(self._section)
        kept: list[str] = [cur.directive().strip()]
        labels: list[int] = []  # positions in kept of local label definitions
        defined: set[str] = set()  # local names it defines otherwise
        switches: set[int] = set()  # positions in kept of section switches
        extra = {a: b for a, b in self.spans[1:]}
        for i in self._lines():
            if i in extra and self._cold_type_elsewhere(i, extra[i]):
                sec = best_at(i)  # as text() writes it: the section, then the .type
                if sec is not cur:
                    switches.add(len(kept))
                    kept.append(sec.directive().strip())
                    cur = sec
                kept.append(f".type {self.name}.cold,@function")
            s = lines[i].strip()
            if not s or s[0] == "#":
                continue
            if s[0] == ".":
                d = s.split(None, 1)[0]
                if d in _DEBUG_ONLY or d.startswith(".cfi_"):
                    continue
                if d in _SECTION_SWITCHES:
                    # only the effect counts (see _effective_switches)
                    sec = best_at(i)
                    if sec is not cur:
                        switches.add(len(kept))
                        kept.append(sec.directive().strip())
                        cur = sec
                    continue
            sec = best_at(i)
            if sec is not cur:  # the start of a cold part or its .size, elsewhere in the file
                switches.add(len(kept))
                kept.append(sec.directive().strip())
                cur = sec
            if "#" in s:
                s = _strip_comment(s)
                if not s:
                    continue
            if s[-1] == ":" and s.startswith(".L"):
                labels.append(len(kept))
            elif s.startswith((".set", ".equ")):
                defined.add(_first_operand(_split_directive(s)[1]))
            kept.append(s)
        consts = self.constants()
        blocks = u._blocks
        # local labels nothing refers to (by the body or by its constants) are dropped
        label_set = set(labels)
        refs = set(_IDENT.findall(_STRING_LINE.sub("", "\n".join(s for k, s in enumerate(kept) if k not in label_set))))
        for c in consts:
            blk = blocks[c]
            refs.update(_IDENT.findall(_STRING_LINE.sub("", "".join([lines[j] for j in blk.data]))))
        defined.update(kept[k][:-1] for k in labels)
        for k in labels:
            if kept[k][:-1] not in refs:
                kept[k] = ""
        canon = _Canon(set(consts), defined)
        out = _canonical_lines(_effective_switches(kept, switches, kept[0]), canon)
        # constants in the order the code first names them
        for c in consts:
            if c not in canon.names:
                canon(c)
        for c in sorted(consts, key=lambda c: int(canon.names[c][3:])):
            blk = blocks[c]
            block = [u._best(blk.section).directive().strip()]
            block.extend(t for t in (_strip_comment(ln.strip()) for ln in lines[blk.start : blk.end]) if t)
            out += "\n" + _canonical_lines(block, canon)
        return out + "\n"


def _referenced(lines: list[str]) -> set[str]:
    """Names these lines refer to (label definitions and string literals do not count)."""
    text = _LABEL_LINE.sub("", _STRING_LINE.sub("", "".join(lines)))
    return set(_IDENT.findall(text))


def _effective_switches(kept: list[str], switches: set[int], first: str) -> list[str]:
    """The kept lines (dropped ones are empty) with only the section switches that matter: not
    one followed directly by another (a visit to a section that leaves nothing there, like
    -g's `.Ltext_cold0` marker once its label is gone), not one to the section in effect, not
    one at the end."""
    out: list[str] = []
    cur = first
    pending: str | None = None
    for k, s in enumerate(kept):
        if not s:
            continue
        if k in switches:
            pending = s
            continue
        if pending is not None:
            if pending != cur:
                out.append(pending)
                cur = pending
            pending = None
        out.append(s)
    return out  # a switch at the very end has nothing to act on


def _canonical_lines(lines: list[str], canon: _Canon) -> str:
    """Canonical names and whitespace, a run of lines at a time (lines with string literals
    one by one: nothing inside a literal changes)."""
    out: list[str] = []
    run: list[str] = []
    for s in lines:
        if '"' in s:
            if run:
                out.append(_squeeze_run(canon("\n".join(run))))
                run = []
            d, rest = _split_directive(canon(s))
            out.append(f"{d} {rest}" if rest else d)
        else:
            run.append(s)
    if run:
        out.append(_squeeze_run(canon("\n".join(run))))
    return "\n".join(out)


def _squeeze_run(text: str) -> str:
    return _COMMA.sub(",", _BLANKS.sub(" ", text))


def _idents(s: str) -> list[str]:
    if '"' in s:
        d = s.split(None, 1)[0]
        if d in _STRINGS:
            return []
    return _IDENT.findall(s)


class _Canon:
    """Canonical names for local labels (.L0, .L1, ...) and constants (.LC0, ...), allotted
    by first appearance. Local names defined elsewhere (not by the function, not one of its
    constants) keep their names: which one it is matters."""

    def __init__(self, consts: set[str], labels: set[str]):
        self.consts = consts
        self.labels = labels
        self.names: dict[str, str] = {}
        self.n_labels = self.n_consts = 0
        # only tokens that may be renamed call back into Python: .L names, and gcc's local
        # objects by name (an identifier pattern would call back for every mnemonic)
        others = sorted((c for c in consts if not c.startswith(".L")), key=len, reverse=True)
        alts = [r"\.L[\w.$]*"] + [re.escape(c) for c in others]
        self.pattern = re.compile(r"(?<![\w.$%])(?:" + "|".join(alts) + r")(?![\w.$])")

    def _sub(self, m: re.Match[str]) -> str:
        tok = m.group(0)
        new = self.names.get(tok)
        if new is None:
            if tok in self.consts:
                new = f".LC{self.n_consts}"
                self.n_consts += 1
            elif tok in self.labels:
                new = f".L{self.n_labels}"
                self.n_labels += 1
            else:
                return tok
            self.names[tok] = new
        return new

    def __call__(self, s: str) -> str:
        if '"' in s and s.split(None, 1)[0] in _STRINGS:
            return s
        return self.pattern.sub(self._sub, s)


class _Plan:
    """A rewrite of one function, ready to insert: `body` is its lines (renamed, with the
    original's symbol directives), `at` the index of its label in them."""

    __slots__ = ("at", "body", "new", "old")

    def __init__(self, old: Function, new: Function, body: list[str], at: int) -> None:
        self.old = old
        self.new = new
        self.body = body
        self.at = at


class Unit:
    """A parsed .s file. Immutable: replace() returns a new Unit."""

    def __init__(self, lines: list[str], assume_function: str | None = None):
        self.lines = lines
        self._assume = assume_function
        self.functions: dict[str, Function] = {}
        self._sections: list[_Section] = []
        self._sec_idx: list[int] = []
        self._full: dict[str, _Section] = {}
        self._labels: dict[str, int] = {}
        self._bindings: dict[str, str] = {}
        self._objects: set[str] = set()
        self._aliases: dict[str, int] = {}  # `.set .LCn,...` lines
        self._other_defs: set[str] = set()  # symbols defined by .comm, .set, ...
        self._ownership: dict[str, str | None] | None = None
        self._users_cache: dict[str, set[str]] | None = None
        self._block_cache: dict[str, _Block] | None = None
        self._refs_cache: dict[str, list[str]] = {}
        self._scan()

    # -- parsing

    def _scan(self) -> None:
        lines = self.lines
        sec_ids: dict[_Section, int] = {}
        sec_idx = self._sec_idx

        def enter(sec: _Section) -> int:
            k = sec_ids.get(sec)
            if k is None:
                k = sec_ids[sec] = len(self._sections)
                self._sections.append(sec)
            name = sec.name
            have = self._full.get(name)
            if have is None or ("," in sec.args and "," not in have.args):
                self._full[name] = sec
            return k

        cur = prev = enter(_TEXT)
        stack: list[tuple[int, int]] = []
        func_types: list[str] = []
        sizes: dict[str, int] = {}
        labels = self._labels
        for i, line in enumerate(lines):
            s = line.strip()
            c = s[:1]
            if c and c != "#" and ":" in s:
                m = _LABEL.match(s)
                if m:
                    labels.setdefault(m.group(1), i)
                    c = ""
            if c == "." and not s.startswith(_NOT_STRUCTURE):
                d, rest = _split_directive(s)
                if d == ".section" or d == ".pushsection":
                    new = enter(_Section(rest.split("#", 1)[0].strip()))
                    if d == ".pushsection":
                        stack.append((cur, prev))
                    prev, cur = cur, new
                elif d in (".text", ".data", ".bss"):
                    prev, cur = cur, enter(_Section(d))
                elif d == ".popsection":
                    if stack:
                        cur, prev = stack.pop()
                elif d == ".previous":
                    cur, prev = prev, cur
                elif d == ".type":
                    sym, _, kind = rest.partition(",")
                    kind = kind.strip()
                    if kind in ("@function", "%function", "STT_FUNC"):
                        func_types.append(sym.strip())
                    elif kind in ("@object", "%object", "STT_OBJECT"):
                        self._objects.add(sym.strip())
                elif d == ".size":
                    sizes[_first_operand(rest)] = i
                elif d in (".set", ".equ") and rest.startswith(".L"):
                    self._aliases.setdefault(_first_operand(rest), i)
                elif d in _SYMBOL_DEFINERS:
                    self._other_defs.add(_first_operand(rest))
                elif d in _BINDING:
                    for sym in rest.split(","):
                        self._bindings[sym.strip()] = _BINDING[d]
            sec_idx.append(cur)
        if self._assume is not None and self._assume in labels and self._assume not in func_types:
            func_types.append(self._assume)  # a candidate that forgot (or mistyped) its .type
        self._best_of = [self._full[sec.name] for sec in self._sections]
        self._find_functions(func_types, sizes)

    def _find_functions(self, func_types: list[str], sizes: dict[str, int]) -> None:
        lines, labels = self.lines, self._labels
        names = [n for n in dict.fromkeys(func_types) if n in labels]
        is_fn = set(names)
        starts: dict[str, int] = {}
        for n in names:
            starts[n] = self._head_start(n, labels[n])
        ordered = sorted(names, key=lambda n: labels[n])
        next_start = {
            n: (starts[ordered[k + 1]] if k + 1 < len(ordered) else len(lines)) for k, n in enumerate(ordered)
        }
        main: dict[str, tuple[int, int]] = {}
        for n in ordered:
            lab = labels[n]
            s = sizes.get(n)
            end = s + 1 if s is not None and s > lab else self._fallback_end(lab, next_start[n])
            main[n] = (starts[n], end)
        claimed: list[tuple[int, int, str]] = []
        result: list[tuple[int, str, tuple[tuple[int, int], ...]]] = []
        for n in ordered:
            base = n[:-5] if n.endswith(".cold") else None
            if base is not None and base in is_fn:
                continue
            spans = [main[n]]
            cold = n + ".cold"
            if cold in is_fn:
                a, b = main[n]
                if a <= labels[cold] < b:
                    sz = sizes.get(cold)
                    if sz is not None and not a <= sz < b:
                        spans.append((sz, sz + 1))
                else:
                    spans.append(main[cold])
            for a, b in spans:
                claimed.append((a, b, n))
            result.append((labels[n], n, tuple(spans)))
        claimed.sort()
        for (a1, b1, n1), (a2, b2, n2) in zip(claimed, claimed[1:]):  # noqa: RUF007 (no itertools)
            if a2 < b1:
                raise AsmError(f"functions {n1} and {n2} overlap (lines {a1 + 1}-{b1}, {a2 + 1}-{b2})")
        for lab, n, fn_spans in sorted(result):
            self.functions[n] = Function(
                self, n, lab, fn_spans, self._sections[self._sec_idx[lab]], self._bindings.get(n, "local")
            )

    def _head_start(self, name: str, label: int) -> int:
        """First line of the directives that belong to the function's label.

        With -g, gcc may put a visit to another section between the alignment and the symbol
        directives (`.p2align 4` / `.section .text.unlikely` / `.Ltext_cold0:` / `.text` /
        `.globl f`). Nothing is emitted in the function's section meanwhile, so the alignment
        is still the function's: the head reaches over such a visit when an alignment follows."""
        i = start = label
        while i > 0:
            s = self.lines[i - 1].strip()
            if not s.startswith("."):
                break
            d, rest = _split_directive(s)
            if d in ALIGN:
                start = i - 1
            elif d in _BINDING or d in _VISIBILITY or d == ".type":
                if _first_operand(rest) != name:
                    break
                start = i - 1
            elif d in (".text", ".section") and self._sec_idx[i - 1] == self._sec_idx[label]:
                k = i - 3  # gcc's visit is exactly: a section switch, .Ltext_coldN:, back
                if (
                    k < 0
                    or not _TEXT_COLD.fullmatch(self.lines[k + 1].strip())
                    or _split_directive(self.lines[k].strip())[0] not in (".text", ".section")
                    or self._sec_idx[k] == self._sec_idx[label]
                ):
                    break
                i = k + 1  # continue above the visit; `start` moves only if an alignment is there
            else:
                break
            i -= 1
        return start

    def _fallback_end(self, label: int, limit: int) -> int:
        """End of a function that has no `.size`: the next function, or the file's trailer."""
        for i in range(label + 1, limit):
            s = self.lines[i].strip()
            if s.startswith(".ident") or (s.startswith(".section") and ".note" in s):
                return i
            if self._sections[self._sec_idx[i]].is_debug:
                return i
        return limit

    # -- constants and their owners (computed on first use)

    def _section_at(self, i: int) -> _Section:
        return self._sections[self._sec_idx[i]]

    def _best_at(self, i: int) -> _Section:
        """The fullest directive for the section line i is in."""
        return self._best_of[self._sec_idx[i]]

    def _best(self, sec: _Section) -> _Section:
        """The fullest directive seen for this section's name (the first one carries flags)."""
        return self._full.get(sec.name, sec)

    @property
    def _blocks(self) -> dict[str, _Block]:
        if self._block_cache is None:
            self._block_cache = self._find_blocks()
        return self._block_cache

    def _find_blocks(self) -> dict[str, _Block]:
        in_fn = bytearray(len(self.lines))
        for f in self.functions.values():
            for a, b in f.spans:
                in_fn[a:b] = b"\x01" * (b - a)
        blocks: dict[str, _Block] = {}
        for sym, i in self._labels.items():
            if in_fn[i]:
                continue
            sec = self._section_at(i)
            if not sec.is_readonly_data:
                continue
            # besides .L constants, gcc's local read-only objects (CSWTCH.8, __func__.1, table.0)
            if not sym.startswith(".L") and (sym not in self._objects or self._bindings.get(sym, "local") != "local"):
                continue
            start = i
            while start > 0 and not in_fn[start - 1]:
                s = self.lines[start - 1].strip()
                if not s.startswith("."):
                    break
                d, rest = _split_directive(s)
                if d in ALIGN or (d in (".type", ".size") and _first_operand(rest) == sym):
                    start -= 1
                else:
                    break
            end = i + 1
            while end < len(self.lines) and not in_fn[end]:
                s = self.lines[end].strip()
                if not s.startswith(".") or _split_directive(s)[0] not in _DATA:
                    break
                end += 1
            blocks[sym] = _Block(sym, start, i, end, sec)
        # An alias is a constant when what it names is one. gcc writes the `.set` lines wherever
        # it happens to be (after the last function, in .text, or among the constants), and an
        # alias may name another alias, so this runs until nothing changes.
        pending: dict[str, tuple[int, list[str]]] = {}
        for sym, i in self._aliases.items():
            if not in_fn[i] and sym not in self._labels:
                expr = _split_directive(self.lines[i].strip())[1].split(",", 1)
                names = _IDENT.findall(_strip_comment(expr[1])) if len(expr) == 2 else []
                if names:
                    pending[sym] = (i, names)
        found = True
        while found:
            found = False
            for sym, (i, names) in list(pending.items()):
                if all(n in blocks for n in names):
                    # the alias lives where its target does, whatever section the `.set` sits in
                    blocks[sym] = _Block(sym, i, i, i + 1, blocks[names[0]].section, alias=True)
                    del pending[sym]
                    found = True
        return blocks

    def _refs(self, idx: range | list[int]) -> list[str]:
        """Constant symbols referenced by these lines, in order of first reference."""
        blocks = self._blocks
        if not blocks:
            return []
        text = _STRING_LINE.sub("", "".join([self.lines[i] for i in idx]))
        return [t for t in dict.fromkeys(_IDENT.findall(text)) if t in blocks]

    def _constants_of(self, f: Function) -> list[str]:
        got = self._refs_cache.get(f.name)
        if got is None:
            got = self._refs(f._lines())
            k = 0
            while k < len(got):  # constants referring to constants
                blk = self._blocks[got[k]]
                for tok in self._refs(blk.data):
                    if tok not in got:
                        got.append(tok)
                k += 1
            self._refs_cache[f.name] = got
        return got

    def _owner(self, sym: str) -> str | None:
        if self._ownership is None:
            self._ownership = self._compute_ownership()
        return self._ownership.get(sym)

    def _constant_users(self) -> dict[str, set[str]]:
        """Who refers to each constant: "f:NAME" (a function), "b:SYM" (another constant) or
        "top" (anything else but debug information)."""
        if self._users_cache is not None:
            return self._users_cache
        blocks = self._blocks
        users: dict[str, set[str]] = {b: set() for b in blocks}
        self._users_cache = users
        if not blocks:
            return users
        lines = self.lines
        taken = bytearray(len(lines))

        def note(who: str, idx: range | list[int], own: str | None = None) -> None:
            text = _STRING_LINE.sub("", "".join([lines[i] for i in idx]))
            for tok in set(_IDENT.findall(text)):
                u = users.get(tok)
                if u is not None and tok != own:
                    u.add(who)

        for f in self.functions.values():
            for a, b in f.spans:
                taken[a:b] = b"\x01" * (b - a)
            note("f:" + f.name, f._lines())
        for blk in blocks.values():
            taken[blk.start : blk.end] = b"\x01" * (blk.end - blk.start)
            note("b:" + blk.symbol, range(blk.start, blk.end), own=blk.symbol)
        debug = [sec.is_debug for sec in self._sections]
        sec_idx = self._sec_idx
        note("top", [i for i in range(len(lines)) if not taken[i] and not debug[sec_idx[i]]])
        return users

    def _compute_ownership(self) -> dict[str, str | None]:
        """A constant belongs to a function when nothing but that function (and constants that
        belong to it, and debug information) refers to it."""
        users = self._constant_users()
        owner: dict[str, str | None] = {}
        for sym, us in users.items():
            fs = {u[2:] for u in us if u.startswith("f:")}
            owner[sym] = next(iter(fs)) if len(fs) == 1 and "top" not in us else None
        changed = True
        while changed:  # a constant used only by constants of one function belongs to it too
            changed = False
            for sym, us in users.items():
                via: set[str | None] = set()
                ok = "top" not in us
                for u in us:
                    if u.startswith("f:"):
                        via.add(u[2:])
                    elif u.startswith("b:"):
                        o = owner.get(u[2:])
                        if o is None:
                            ok = False
                        via.add(o)
                new = next(iter(via)) if ok and len(via) == 1 else None
                if new != owner[sym]:
                    owner[sym] = new
                    changed = True
        return owner

    def _removable(self, names: set[str]) -> set[str]:
        """The constants that nothing but these functions (and constants removable with them,
        and debug information) refers to: they go when all of these functions are replaced."""
        users = self._constant_users()
        out = {
            c
            for n in names
            for c in self.functions[n].constants()
            if users[c] and "top" not in users[c] and all(u[2:] in names for u in users[c] if u[0] == "f")
        }
        changed = True
        while changed:  # a constant still used by a constant that stays, stays
            changed = False
            for c in list(out):
                if any(u[0] == "b" and u[2:] not in out for u in users[c]):
                    out.discard(c)
                    changed = True
        return out

    # -- output

    def render(self) -> str:
        return "".join(self.lines)

    def replace(self, name: str, asm: str) -> Unit:
        """A new Unit with `name` replaced by `asm` (standalone assembly of one function, as
        Function.text() makes it). The rewrite's local labels and constants are renamed with a
        suffix derived from its text, so they cannot clash with the unit's; the old function's
        cold part and the constants only it used are dropped; the original binding, visibility
        and type directives are kept. Labels of the old function that debug information still
        refers to are re-pointed into the new code, so a -g unit still assembles (the debug
        information of a rewritten function is approximate)."""
        return self.replace_many({name: asm})

    def replace_many(self, rewrites: dict[str, str]) -> Unit:
        """replace() for several functions at once, with one parse of the result (the driver
        swaps in every cache hit of a file). Each rewrite is checked as replace() checks it, and
        the first one refused raises its AsmError. The result is what replacing them one after
        the other gives, except for which AsmError a set of rewrites that refer to each other's
        old parts (gcc's `f.cold` of another function) raises."""
        if not rewrites:
            return self
        plans = [self._plan(name, asm) for name, asm in rewrites.items()]
        names = set(rewrites)

        # Lines that go: the old functions (the unit's .file lines inside them stay: later .locs
        # need them) and the constants only they used, except constants a rewrite refers to by
        # name without carrying them (one of gcc's local objects another function's rewrite
        # still uses), and what those refer to in turn.
        own = {c for p in plans for c in p.old.owned_constants()}
        consts = own | self._removable(names)
        keep: set[str] = set()
        wanted = [t for p in plans for ln in p.body for t in _idents(ln.strip()) if t in consts]
        while wanted:
            c = wanted.pop()
            if c not in keep:
                keep.add(c)
                wanted.extend(t for t in self._refs(self._blocks[c].data) if t in consts)
        consts -= keep
        lines = self.lines
        span_lines: dict[str, set[int]] = {
            p.old.name: {i for a, b in p.old.spans for i in range(a, b) if not lines[i].lstrip().startswith(".file")}
            for p in plans
        }
        removed: set[int] = set().union(*span_lines.values())
        for c in consts:
            removed.update(range(self._blocks[c].start, self._blocks[c].end))
        redefined = {m.group(1) for p in plans for ln in p.body if (m := _LABEL.match(ln.strip()))}
        # each constant that goes is one function's to re-point for debug information: its
        # owner's or, shared by several of them, the last one's that uses it (as one replace
        # after the other would)
        goes_with: dict[str, list[str]] = {p.old.name: [] for p in plans}
        for c in consts:
            by = next((p for p in plans if c in p.old.owned_constants()), None) or next(
                p for p in reversed(plans) if c in p.old.constants()
            )
            goes_with[by.old.name].append(c)

        bodies: dict[int, list[str]] = {}
        for k, p in enumerate(plans):
            old = p.old
            mine = span_lines[old.name]
            single = mine | {
                i for c in old.owned_constants() for i in range(self._blocks[c].start, self._blocks[c].end)
            }
            actual = mine | {i for c in goes_with[old.name] for i in range(self._blocks[c].start, self._blocks[c].end)}
            elsewhere = {n for n, i in self._labels.items() if i in removed and i not in single and n not in redefined}
            self._check_references(old, p.new, sorted(single), elsewhere)
            others = [ln for q in plans[:k] + plans[k + 1 :] for ln in q.body]
            body = self._repoint(old, sorted(actual), list(p.body), p.at, removed, others)
            a0, b0 = old.spans[0]
            body.append(self._best(self._section_at(b0 - 1)).directive())
            bodies[a0] = body

        out: list[str] = []
        for i, line in enumerate(lines):
            here = bodies.get(i)
            if here is not None:
                if out and not out[-1].endswith("\n"):
                    out[-1] += "\n"
                out.extend(here)
            if i not in removed:
                out.append(line)
        return parse("".join(out))

    def _plan(self, name: str, asm: str) -> _Plan:
        """The rewrite of `name` parsed, its local names renamed, the original's symbol
        directives in front of its label: the lines to insert, before the checks against the
        unit."""
        old = self.functions.get(name)
        if old is None:
            raise AsmError(f"no function {name!r} in this unit")
        new = parse_function(asm, name)
        nu = new._unit
        import hashlib  # only here: OpenSSL's module costs milliseconds to import

        suffix = "_" + hashlib.blake2b((name + "\0" + asm).encode(), digest_size=4).hexdigest()

        # what the rewrite defines locally: renamed
        local = {s for s in nu._labels if s.startswith(".L")}
        local.update(c for c in new.constants() if not c.startswith(".L"))
        for line in nu.lines:
            s = line.strip()
            if s.startswith("."):
                d, rest = _split_directive(s)
                if d in (".set", ".equ") and _first_operand(rest).startswith(".L"):
                    local.add(_first_operand(rest))
        body = [
            ln for ln in new._standalone() if not _is_symbol_directive(ln, name) and not _is_binding(ln, name + ".cold")
        ]
        used = set()
        for ln in body:
            used.update(_idents(ln.strip()))
        missing = sorted(t for t in used - local if t.startswith(".L"))
        if missing:
            raise AsmError(f"{name}: refers to local symbols it does not define: {', '.join(missing[:5])}")
        rename = {s: s + suffix for s in local}
        body = [_rename_exact(ln, rename) for ln in body]

        # the original's binding and type, just before the label
        head = [self.lines[i] for i in range(old.spans[0][0], old._label) if _is_symbol_directive(self.lines[i], name)]
        if not any(_split_directive(h.strip())[0] == ".type" for h in head):
            head.append(f"\t.type\t{name}, @function\n")
        if not any(_is_size_of(ln, name) for ln in body):
            # symbol sizes matter to profilers and to where the function ends when parsed again
            body += [new._section.directive(), f"\t.size\t{name}, .-{name}\n"]
        at = next(k for k, ln in enumerate(body) if ln.strip().split(":")[0] == name and _LABEL.match(ln.strip()))
        body[at:at] = [h if h.endswith("\n") else h + "\n" for h in head]
        return _Plan(old, new, body, at + len(head))

    def _check_references(
        self, old: Function, new: Function, removed: list[int], elsewhere: set[str] | None = None
    ) -> None:
        """A rewrite may refer only to symbols it defines, that the unit defines (and keeps), or
        that the unit already refers to. Anything else would be a new undefined symbol: a
        static function or variable of the unit the rewrite was made in (gcc's `calls.1`,
        `f.part.0`, or a `static` helper that this unit inlined away) fails to link, or
        worse, links to someone else's global of that name. `elsewhere`: the unit's symbols
        that other rewrites done at the same time remove."""
        elsewhere = elsewhere or set()
        nu = new._unit
        wanted = _symbol_refs([ln for a, b in new.spans for ln in nu.lines[a:b]])
        for c in new.constants():
            blk = nu._blocks[c]
            wanted |= _symbol_refs(nu.lines[blk.label : blk.end])
        wanted -= set(nu._labels) | nu._other_defs
        if not wanted:
            return
        removed_set = set(removed)
        gone = {n for n, i in self._labels.items() if i in removed_set} | elsewhere
        wanted -= (set(self._labels) - gone) | self._other_defs | _RUNTIME
        wanted -= _symbol_refs([self.lines[i] for a, b in old.spans for i in range(a, b)]) - gone
        if not wanted:
            return
        debug = [sec.is_debug for sec in self._sections]
        code = _STRING_LINE.sub(
            "", "".join([ln for i, ln in enumerate(self.lines) if i not in removed_set and not debug[self._sec_idx[i]]])
        )
        present = set(_IDENT.findall(code)) - elsewhere
        unknown = sorted(wanted - present)
        if unknown:
            raise AsmError(f"{old.name}: refers to {', '.join(unknown[:5])}, which this unit neither defines nor uses")

    def _repoint(
        self, old: Function, removed: list[int], body: list[str], at: int, gone: set[int], others: list[str]
    ) -> list[str]:
        """Define again, inside the new code, the old function's symbols (its `removed` lines)
        that the rest of the unit still refers to. Only debug information may do that: anything
        else means the function cannot be replaced on its own. The rest of the unit is its lines
        but the `gone` ones, and the `others` lines that other rewrites insert."""
        defined: dict[str, int] = {}
        views: set[str] = set()
        removed_set = gone
        for i in removed:
            s = self.lines[i].strip()
            m = _LABEL.match(s)
            if m:
                defined[m.group(1)] = i
            elif s.startswith((".set", ".equ")):
                defined[_first_operand(_split_directive(s)[1])] = i
            elif s.startswith(".loc") and " view " in s:
                v = s.rsplit(" view ", 1)[1].strip()
                if v.startswith(".L"):
                    views.add(v)
        for ln in body:  # names the new code defines itself (its label, its cold part)
            m = _LABEL.match(ln.strip())
            if m:
                defined.pop(m.group(1), None)
        if not defined and not views:
            return body
        wanted = set(defined) | views
        debug = [sec.is_debug for sec in self._sections]
        rest = [i for i in range(len(self.lines)) if i not in removed_set]
        code = [i for i in rest if not debug[self._sec_idx[i]]]
        outside = wanted & set(_IDENT.findall(_STRING_LINE.sub("", "".join([self.lines[i] for i in code]))))
        if outside:
            hit = min(outside)
            where = next(i for i in code if hit in _idents(self.lines[i].strip()))
            raise AsmError(f"{old.name}: {hit} is used outside the function (line {where + 1})")
        outside = wanted & set(_IDENT.findall(_STRING_LINE.sub("", "".join(others))))
        if outside:
            raise AsmError(f"{old.name}: {min(outside)} is used by another rewrite")
        text = _STRING_LINE.sub("", "".join([self.lines[i] for i in rest if debug[self._sec_idx[i]]]))
        dangling = [t for t in dict.fromkeys(_IDENT.findall(text)) if t in wanted]
        if not dangling:
            return body
        start: list[str] = []
        end: list[str] = []
        other: dict[_Section, list[str]] = {}
        after: list[str] = []
        for sym in dangling:
            if sym in views and sym not in defined:
                # a view number; the new code has no line information, so no views either
                after.append(f"\t.set\t{sym}, 0\n")
                continue
            sec = self._section_at(defined[sym])
            if sec.name == old.section:
                (end if re.match(r"\.L(FE|HOTE)\d+$", sym) else start).append(f"{sym}:\n")
            else:
                other.setdefault(self._best(sec), []).append(f"{sym}:\n")
        body = body[: at + 1] + start + body[at + 1 :]
        size_at = next((k for k, ln in enumerate(body) if _is_size_of(ln, old.name)), None)
        if size_at is None:
            size_at = at + 1 + len(start)
        body[size_at:size_at] = end
        for sec, labs in other.items():
            body.append(f"\t.pushsection\t{sec.args}\n")
            body.extend(labs)
            body.append("\t.popsection\n")
        return body + after


# Functions gcc calls on its own (block moves, checks, math errno paths): a rewrite may call them
# where the unit did not. Their names are reserved to the C library, never a unit's statics.
# __cpu_features2 is libgcc's CPU model, which a rewrite that dispatches on the CPU reads
# (optimize/dispatch.py): reserved to the implementation too.
_RUNTIME = {
    "memcpy",
    "memmove",
    "memset",
    "memcmp",
    "strlen",
    "abort",
    "__stack_chk_fail",
    "sqrt",
    "sqrtf",
    "sqrtl",
    "__cpu_features2",
}
# Instruction prefixes: the mnemonic is the word after them.
_PREFIXES = {
    "rep",
    "repe",
    "repz",
    "repne",
    "repnz",
    "lock",
    "notrack",
    "bnd",
    "data16",
    "addr32",
    "rex",
    "rex64",
    "xacquire",
    "xrelease",
    "{vex}",
    "{vex3}",
    "{evex}",
}
# Directives whose operands name symbols.
_REFERRING = _DATA - _STRINGS | {".set", ".equ", ".weakref"}
_NOT_OPERAND = re.compile(r'"(?:[^"\\]|\\.)*"|\{[^}]*\}')


def _symbol_refs(lines: list[str]) -> set[str]:
    """Names of symbols (not local .L labels, mnemonics, sections or relocation operators)
    that these lines refer to."""
    out: set[str] = set()
    for line in lines:
        for stmt in _strip_comment(line.strip()).split(";"):
            s = stmt.strip()
            if not s or _LABEL.match(s):
                continue
            if s[0] == ".":
                d, rest = _split_directive(s)
                if d not in _REFERRING:
                    continue
            else:
                words = s.split(None, 1)
                while len(words) == 2 and words[0] in _PREFIXES:
                    words = words[1].split(None, 1)
                if len(words) < 2:
                    continue
                rest = words[1]
            for t in _IDENT.findall(_NOT_OPERAND.sub(" ", rest)):
                t = t.lstrip("$")  # an immediate: $8, or $sym (the address of sym)
                if t and t[0] != "." and not t[0].isdigit():
                    out.add(t)
    return out


def _is_symbol_directive(line: str, name: str) -> bool:
    s = line.strip()
    if not s.startswith("."):
        return False
    d, rest = _split_directive(s)
    return (d in _BINDING or d in _VISIBILITY or d == ".type") and _first_operand(rest) == name


def _is_size_of(line: str, name: str) -> bool:
    s = line.strip()
    return s.startswith(".size") and _first_operand(_split_directive(s)[1]) == name


def _is_binding(line: str, name: str) -> bool:
    s = line.strip()
    if not s.startswith("."):
        return False
    d, rest = _split_directive(s)
    return (d in _BINDING or d in _VISIBILITY) and _first_operand(rest) == name


def _rename_exact(line: str, rename: dict[str, str]) -> str:
    s = line.strip()
    if '"' in s and s.split(None, 1)[0] in _STRINGS:
        return line
    return _IDENT.sub(lambda m: rename.get(m.group(0), m.group(0)), line)


def parse(text: str) -> Unit:
    """Parse gcc's assembly for one translation unit."""
    if "\0" in text:
        raise AsmError("NUL byte in assembly")
    return Unit(text.splitlines(keepends=True))


def parse_function(text: str, name: str) -> Function:
    """Parse standalone assembly that must define exactly the function `name` (with, at most,
    its cold part, local labels and its own constants)."""
    if "\0" in text:
        raise AsmError("NUL byte in assembly")
    u = Unit(text.splitlines(keepends=True), assume_function=name)
    if set(u.functions) != {name}:
        found = ", ".join(sorted(u.functions)) or "none"
        raise AsmError(f"expected exactly one function {name!r}, found: {found}")
    f = u.functions[name]
    allowed = {name, name + ".cold"} | set(f.constants())
    for sym in u._labels:
        if not sym.startswith(".L") and sym not in allowed:
            raise AsmError(f"{name}: defines another symbol {sym!r}")
    for line in u.lines:
        s = line.strip()
        if not s.startswith("."):
            if "=" in s and not s.startswith("#"):
                sym = s.split("=", 1)[0].strip()
                if _IDENT.fullmatch(sym) and not sym.startswith(".L"):
                    raise AsmError(f"{name}: defines another symbol {sym!r}")
            continue
        d, rest = _split_directive(s)
        if d in _FORBIDDEN:
            raise AsmError(f"{name}: {d} is not accepted in a function's assembly")
        if d in _SYMBOL_DEFINERS or d in _BINDING:
            sym = _first_operand(rest)
            if not sym.startswith(".L") and sym not in allowed:
                raise AsmError(f"{name}: {d} of another symbol {sym!r}")
    return f
