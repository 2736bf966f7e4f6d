"""What a gcc command line asks for.

`parse(argv)` reads the words after the program name and decides whether llmcc
compiles them itself (kind "compile": C sources compiled with -c, -S, or
compiled and linked in one go) or hands them to the real gcc untouched (kind
"passthrough", with the reason). The rule is conservative: an option llmcc does
not know, an input it does not compile (assembler, C++, stdin, preprocessed
text, objects under -c), or an option whose side files gcc names after the
output (coverage, -fstack-usage, -save-temps, -gsplit-dwarf, dumps) all mean
pass-through. Getting a command line wrong costs a build; passing it through
costs only an optimization.

This module does no I/O except reading @response files.
"""

from __future__ import annotations

import os

from gcc_wrapper.compile import options

_C_EXT = (".c",)
# Inputs gcc compiles with something other than the C compiler proper (or that are already
# preprocessed): llmcc passes these through.
_OTHER_LANG_EXT = frozenset(
    ".i .ii .s .S .sx .cc .cp .cxx .cpp .CPP .c++ .C .m .mi .mm .M .mii .h .hh .hpp .hxx .H "
    ".tcc .f .for .ftn .F .FOR .fpp .FPP .FTN .f90 .f95 .f03 .f08 .F90 .F95 .F03 .F08 .go "
    ".d .di .dd .ads .adb .rs .cob .cbl .mod .brig".split()
)


class ResponseFileError(Exception):
    """An @file that cannot be read (gcc then takes the word as a file name)."""


class _Record:
    """An immutable record (what a frozen dataclass gives): keyword construction with defaults,
    `replace(**changes)`, equality, hashing and repr over the fields in `_fields`. Every llmcc
    process imports this module before it knows whether it compiles; `dataclasses` (with
    `inspect` behind it) would cost more than the rest of that decision."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _defaults: dict = {}

    def __init__(self, **values):
        for name in self._fields:
            if name in values:
                value = values.pop(name)
            elif name in self._defaults:
                value = self._defaults[name]
            else:
                raise TypeError(f"{type(self).__name__}: missing field {name!r}")
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}: unknown fields {sorted(values)}")

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable (use replace())")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple:
        return tuple(getattr(self, n) for n in self._fields)

    def replace(self, **changes):
        return type(self)(**{**dict(zip(self._fields, self._values())), **changes})

    def __eq__(self, other):
        return type(self) is type(other) and self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__name__}({inner})"


class DepOptions(_Record):
    """-MD/-MMD and their companions, as given by the user.

    kind: "-MD" or "-MMD"; file: -MF or None; targets: (("-MT"|"-MQ", target), ...) in order;
    phony: -MP; missing_ok: -MG.
    """

    _fields = ("kind", "file", "targets", "phony", "missing_ok")
    __slots__ = _fields
    kind: str
    file: str | None
    targets: tuple[tuple[str, str], ...]
    phony: bool
    missing_ok: bool


class Invocation(_Record):
    """A parsed gcc command line (`argv` excludes the program name).

    For kind "compile": `stage` is "c" (object files), "S" (assembly) or "link"
    (compile each C source, then link). `compile_flags` are the user's words
    minus inputs, -o, -c/-S, -x and dependency options, with the forced
    optimization level last: gcc -S with them behaves as the user's gcc would.
    `asm_flags` are the words gcc hands to the assembler (-m*, -g*, -Wa, ...).
    `code_flags` are the flags that change code or ABI (see `options.kind`), in
    order, ending with the forced level; `isa` is the last -march value.
    """

    _defaults = {
        "reason": "",
        "stage": "",
        "sources": (),
        "output": None,
        "compile_flags": (),
        "asm_flags": (),
        "code_flags": (),
        "isa": "x86-64",
        "deps": None,
        "forced_c": frozenset(),
        "link_args": (),
        "source_positions": (),
        "cc": "",
        "cc_name": "",
    }
    _fields = ("kind", "argv", *_defaults)
    __slots__ = _fields

    kind: str
    argv: tuple[str, ...]
    reason: str  # why pass-through
    stage: str
    sources: tuple[str, ...]
    output: str | None
    compile_flags: tuple[str, ...]
    asm_flags: tuple[str, ...]
    code_flags: tuple[str, ...]
    isa: str
    deps: DepOptions | None
    forced_c: frozenset[str]  # sources made C by -x c (extension is not .c)
    link_args: tuple[str, ...]  # stage "link": the expanded words; sources at source_positions
    source_positions: tuple[int, ...]
    # The real compiler, filled in by the driver (args knows nothing of the machine).
    cc: str
    cc_name: str  # argv[0] to run it with

    def output_for(self, src: str) -> str:
        """The path gcc would write for `src`: -o, else the source's basename with .o/.s in cwd."""
        if self.output is not None and self.stage != "link":
            return self.output
        return _replace_suffix(os.path.basename(src), ".s" if self.stage == "S" else ".o")

    def dep_args_for(self, src: str) -> list[str]:
        """Dependency options for a `gcc -S -o -` of `src` that make gcc write the file, targets
        and prerequisites `gcc -c` (or -S) with the user's words would write."""
        d = self.deps
        if d is None:
            return []
        out: list[str] = [d.kind]
        if d.missing_ok:
            out.append("-MG")
        if d.phony:
            out.append("-MP")
        if d.file is not None:
            dep_file = d.file
        elif self.output is not None:
            dep_file = _replace_suffix(self.output, ".d")
        else:
            dep_file = _replace_suffix(os.path.basename(src), ".d")
        out += ["-MF", dep_file]
        if d.targets:
            for opt, t in d.targets:
                out += [opt, t]
        elif self.output is not None:
            out += ["-MQ", self.output]
        else:
            # cpp's default target is the object name, whatever the stage
            out += ["-MQ", _replace_suffix(os.path.basename(src), ".o")]
        return out


def _replace_suffix(path: str, suffix: str) -> str:
    """gcc's %b/%.d rule: drop the last .ext of the file name (not of a directory), add suffix."""
    head, tail = os.path.split(path)
    dot = tail.rfind(".")
    if dot > 0:
        tail = tail[:dot]
    return os.path.join(head, tail + suffix)


def _passthrough(argv: tuple[str, ...], reason: str) -> Invocation:
    return Invocation(kind="passthrough", argv=argv, reason=reason)


def parse(argv: list[str] | tuple[str, ...], *, opt: str = "O3") -> Invocation:
    """Classify a gcc command line. `opt` is the level llmcc forces last ("O3"; "keep" forces none)."""
    given = tuple(argv)
    try:
        words = expand_response_files(list(given))
    except ResponseFileError as e:
        return _passthrough(given, f"response file: {e}")
    seen = _Words(opt)
    i, n = 0, len(words)
    while i < n:
        w = words[i]
        pos = i
        i += 1
        if w == "-":
            return _passthrough(given, "stdin input")
        if not w.startswith("-"):
            why = seen.input(w, pos)
        else:
            # split "-o file" / "-ofile" style options into (opt, value)
            opt_name, value = w, None
            if w in options.TAKES_ARG:
                if i >= n:
                    return _passthrough(given, f"missing argument to {w}")
                value = words[i]
                i += 1
            else:
                for s in options.GLUED_ARG:
                    if w.startswith(s) and len(w) > len(s):
                        opt_name, value = s, w[len(s) :]
                        break
            why = seen.option(w, opt_name, value)
        if why:
            return _passthrough(given, why)
    why = seen.finish()
    if why:
        return _passthrough(given, why)
    return seen.invocation(given, words)


class _Words:
    """What parse() has read of a command line so far. `input` and `option` take one word (an
    option with its value); each returns the reason for pass-through, or ""."""

    def __init__(self, opt: str) -> None:
        self.opt = opt
        self.stage = ""
        self.output: str | None = None
        self.lang: str | None = None  # current -x language
        self.saw_x = False
        self.sources: list[str] = []
        self.source_positions: list[int] = []
        self.forced_c: set[str] = set()
        self.other_inputs: list[str] = []
        self.compile_flags: list[str] = []
        self.asm_flags: list[str] = []
        self.code_flags: list[str] = []
        self.isa = "x86-64"
        self.dep_kind: str | None = None
        self.dep_file: str | None = None
        self.dep_targets: list[tuple[str, str]] = []
        self.dep_phony = self.dep_missing = False

    def input(self, w: str, pos: int) -> str:
        if self.lang is None:
            ext = os.path.splitext(w)[1]
            if ext in _C_EXT:
                self.sources.append(w)
                self.source_positions.append(pos)
            elif ext in _OTHER_LANG_EXT:
                return f"not a C source: {w}"
            else:
                self.other_inputs.append(w)
        elif self.lang == "c":
            self.sources.append(w)
            self.source_positions.append(pos)
            if not w.endswith(".c"):
                self.forced_c.add(w)
        else:
            return f"-x {self.lang}"
        return ""

    def option(self, w: str, opt_name: str, value: str | None) -> str:
        if options.passes_through(w):
            return f"option {w}"
        if opt_name == "-o":
            if value == "-":
                return "output to stdout"
            self.output = value
        elif opt_name == "-x":
            self.saw_x = True
            self.lang = None if value == "none" else value
        elif w == "-c":
            self.stage = self.stage or "c"
        elif w == "-S":
            self.stage = "S"
        elif w in ("-MD", "-MMD"):
            self.dep_kind = w
        elif opt_name == "-MF":
            self.dep_file = value
        elif opt_name in ("-MT", "-MQ"):
            self.dep_targets.append((opt_name, value or ""))
        elif w == "-MP":
            self.dep_phony = True
        elif w == "-MG":
            self.dep_missing = True
        elif w != "-pipe":
            return self._flag(w, value)
        return ""

    def _flag(self, w: str, value: str | None) -> str:
        """An option that stays on gcc's command line: into the flags it belongs to."""
        words_here = [w] if value is None else [w, value]
        kind = options.kind(w)
        if kind is None:
            return f"unknown option {w}"
        self.compile_flags += words_here
        if kind == "code":
            if not (w.startswith("-O") and self.opt != "keep"):  # else overridden by the forced level
                self.code_flags += words_here
            if w.startswith("-march="):
                self.isa = w[len("-march=") :]
        if options.goes_to_assembler(w, kind):
            self.asm_flags += words_here
        return ""

    def finish(self) -> str:
        """After the last word: the reason for pass-through the whole line gives, or ""."""
        if self.dep_kind is None and (self.dep_file or self.dep_targets or self.dep_phony or self.dep_missing):
            # -MF/-MT without -MD only mean something with -M/-MM, which pass through already
            return "dependency options without -MD/-MMD"
        if not self.sources:
            return "no C source"
        if not self.stage:
            self.stage = "link"
            if self.saw_x:
                return "-x while linking"
            if self.dep_kind:
                return "dependency file while linking"
        elif self.other_inputs:
            return f"linker input under -{self.stage}: {self.other_inputs[0]}"
        if self.stage != "link" and self.output is not None and len(self.sources) > 1:
            return "-o with several sources"
        return ""

    def invocation(self, given: tuple[str, ...], words: list[str]) -> Invocation:
        if self.opt != "keep":
            level = self.opt if self.opt.startswith("-") else "-" + self.opt
            self.compile_flags.append(level)
            self.code_flags.append(level)
        deps = None
        if self.dep_kind:
            deps = DepOptions(
                kind=self.dep_kind,
                file=self.dep_file,
                targets=tuple(self.dep_targets),
                phony=self.dep_phony,
                missing_ok=self.dep_missing,
            )
        link = self.stage == "link"
        return Invocation(
            kind="compile",
            argv=given,
            stage=self.stage,
            sources=tuple(self.sources),
            output=self.output,
            compile_flags=tuple(self.compile_flags),
            asm_flags=tuple(self.asm_flags),
            code_flags=tuple(self.code_flags),
            isa=self.isa,
            deps=deps,
            forced_c=frozenset(self.forced_c),
            link_args=tuple(words) if link else (),
            source_positions=tuple(self.source_positions) if link else (),
        )


def expand_response_files(words: list[str], depth: int = 0) -> list[str]:
    """Replace each @file by the words in it, as gcc (libiberty's expandargv) does: whitespace
    separates, '...' and "..." quote, backslash escapes; nested @files are expanded."""
    if not any(w.startswith("@") and len(w) > 1 for w in words):
        return words
    if depth > 10:
        raise ResponseFileError("nested too deeply")
    out: list[str] = []
    for w in words:
        if not (w.startswith("@") and len(w) > 1):
            out.append(w)
            continue
        try:
            with open(w[1:], encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except OSError as e:
            raise ResponseFileError(f"{w[1:]}: {e.strerror}") from None
        out += expand_response_files(_split_response(text), depth + 1)
    return out


def _split_response(text: str) -> list[str]:
    words: list[str] = []
    cur: list[str] = []
    have = False
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        i += 1
        if c == "\\" and i < len(text):
            cur.append(text[i])
            i += 1
            have = True
        elif quote:
            if c == quote:
                quote = ""
            else:
                cur.append(c)
        elif c in "'\"":
            quote = c
            have = True
        elif c.isspace():
            if have or cur:
                words.append("".join(cur))
            cur, have = [], False
        else:
            cur.append(c)
    if have or cur:
        words.append("".join(cur))
    return words
