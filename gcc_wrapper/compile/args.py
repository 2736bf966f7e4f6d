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

# Options whose value is the next word (when not glued to the option).
_SEPARATE = frozenset(
    "-o -x -I -D -U -include -imacros -isystem -idirafter -iquote -iprefix -iwithprefix "
    "-iwithprefixbefore -isysroot -imultilib -MF -MT -MQ -L -l -T -Xlinker -Xassembler "
    "-Xpreprocessor -u -z -A --param -B --sysroot".split()
)

# gcc answers these without compiling anything, or they stop before object code,
# or they make gcc write files named after the output: always the real gcc's business.
_PASS_EXACT = frozenset(
    "-E -M -MM -fsyntax-only -v -### --version --help --target-help -dumpversion "
    "-dumpfullversion -dumpmachine -dumpspecs -save-temps -flto -fprofile-arcs -ftest-coverage "
    "--coverage -fbranch-probabilities -fstack-usage -frecord-gcc-switches -gsplit-dwarf "
    "-dumpbase -dumpbase-ext -dumpdir -aux-info -wrapper -Q -time -fpreprocessed "
    "-fdirectives-only -traditional-cpp -C -CC -P -no-canonical-prefixes".split()
)
_PASS_PREFIX = (
    "--help=", "-print-", "--print-", "-save-temps=", "-flto=", "-fprofile-generate",
    "-fprofile-use", "-fauto-profile", "-fcallgraph-info", "-fdump-", "-fplugin", "-specs",
    "--specs", "-time=", "-fprofile-dir", "-fprofile-update", "-fcoverage",
)

# -f options that change diagnostics, dependency output or debug paths but not code.
_F_NOT_CODE_PREFIX = (
    "-fdiagnostics-", "-fno-diagnostics-", "-fmessage-length=", "-fmax-errors=", "-ftabstop=",
    "-fopt-info", "-fdebug-prefix-map=", "-ffile-prefix-map=", "-fmacro-prefix-map=",
    "-fprofile-prefix-map=", "-fshow-column", "-fno-show-column", "-fworking-directory",
    "-fno-working-directory", "-fverbose-asm", "-fno-verbose-asm", "-fident", "-fno-ident",
    "-fpch-", "-fno-pch-", "-fcanonical-system-headers", "-fno-canonical-system-headers",
)

# Linker options: meaningful only when linking; gcc ignores them under -c/-S.
_LINK_EXACT = frozenset(
    "-static -static-libgcc -shared-libgcc -static-pie -shared -rdynamic -s -nostdlib "
    "-nostartfiles -nodefaultlibs -nolibc -pie -no-pie -r -symbolic".split()
)

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
    `code_flags` are the flags that change code or ABI (see `_is_code_flag`), in
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

    stage = ""
    output: str | None = None
    lang: str | None = None  # current -x language
    saw_x = False
    sources: list[str] = []
    source_positions: list[int] = []
    forced_c: set[str] = set()
    other_inputs: list[str] = []
    compile_flags: list[str] = []
    asm_flags: list[str] = []
    code_flags: list[str] = []
    isa = "x86-64"
    dep_kind: str | None = None
    dep_file: str | None = None
    dep_targets: list[tuple[str, str]] = []
    dep_phony = dep_missing = False

    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        pos = i
        i += 1
        if w == "-":
            return _passthrough(given, "stdin input")
        if not w.startswith("-"):
            if lang is None:
                ext = os.path.splitext(w)[1]
                if ext in _C_EXT:
                    sources.append(w)
                    source_positions.append(pos)
                elif ext in _OTHER_LANG_EXT:
                    return _passthrough(given, f"not a C source: {w}")
                else:
                    other_inputs.append(w)
            elif lang == "c":
                sources.append(w)
                source_positions.append(pos)
                if not w.endswith(".c"):
                    forced_c.add(w)
            else:
                return _passthrough(given, f"-x {lang}")
            continue

        # split "-o file" / "-ofile" style options into (opt, value)
        opt_name, value = w, None
        if w in _SEPARATE:
            if i >= n:
                return _passthrough(given, f"missing argument to {w}")
            value = words[i]
            i += 1
        else:
            for s in ("-o", "-x", "-MF", "-MT", "-MQ"):
                if w.startswith(s) and len(w) > len(s):
                    opt_name, value = s, w[len(s):]
                    break

        if w in _PASS_EXACT or w.startswith(_PASS_PREFIX):
            return _passthrough(given, f"option {w}")
        if opt_name == "-o":
            if value == "-":
                return _passthrough(given, "output to stdout")
            output = value
            continue
        if opt_name == "-x":
            saw_x = True
            lang = None if value == "none" else value
            continue
        if w == "-c":
            stage = stage or "c"
            continue
        if w == "-S":
            stage = "S"
            continue
        if w in ("-MD", "-MMD"):
            dep_kind = w
            continue
        if opt_name == "-MF":
            dep_file = value
            continue
        if opt_name in ("-MT", "-MQ"):
            dep_targets.append((opt_name, value or ""))
            continue
        if w == "-MP":
            dep_phony = True
            continue
        if w == "-MG":
            dep_missing = True
            continue
        if w == "-pipe":
            continue

        words_here = [w] if value is None else [w, value]
        kind = _option_kind(w)
        if kind is None:
            return _passthrough(given, f"unknown option {w}")
        compile_flags += words_here
        if kind == "code":
            if w.startswith("-O") and opt != "keep":
                pass  # overridden by the forced level
            else:
                code_flags += words_here
            if w.startswith("-march="):
                isa = w[len("-march="):]
        if kind in ("asm", "debug") or (kind == "code" and w.startswith("-m")) or w.startswith(
            ("-fdebug-prefix-map=", "-ffile-prefix-map=", "-B", "--sysroot")
        ):
            asm_flags += words_here

    if dep_kind is None and (dep_file or dep_targets or dep_phony or dep_missing):
        # -MF/-MT without -MD only mean something with -M/-MM, which pass through already
        return _passthrough(given, "dependency options without -MD/-MMD")
    if not sources:
        return _passthrough(given, "no C source")
    if not stage:
        stage = "link"
        if saw_x:
            return _passthrough(given, "-x while linking")
        if dep_kind:
            return _passthrough(given, "dependency file while linking")
    elif other_inputs:
        return _passthrough(given, f"linker input under -{stage}: {other_inputs[0]}")
    if stage != "link" and output is not None and len(sources) > 1:
        return _passthrough(given, "-o with several sources")

    if opt != "keep":
        level = opt if opt.startswith("-") else "-" + opt
        compile_flags.append(level)
        code_flags.append(level)

    deps = None
    if dep_kind:
        deps = DepOptions(kind=dep_kind, file=dep_file, targets=tuple(dep_targets), phony=dep_phony,
                          missing_ok=dep_missing)
    return Invocation(
        kind="compile",
        argv=given,
        stage=stage,
        sources=tuple(sources),
        output=output,
        compile_flags=tuple(compile_flags),
        asm_flags=tuple(asm_flags),
        code_flags=tuple(code_flags),
        isa=isa,
        deps=deps,
        forced_c=frozenset(forced_c),
        link_args=tuple(words) if stage == "link" else (),
        source_positions=tuple(source_positions) if stage == "link" else (),
    )


def _option_kind(w: str) -> str | None:
    """code | preproc | diag | debug | asm | link | other, or None when unknown.

    The code-flag rule (what goes into `code_flags`, hence into cache keys): -O*, -m*, -std=*,
    -ansi, -p/-pg, --param, and every -f option except those that only change diagnostics,
    dependency output, debug paths or assembly comments. Not code: -D/-U/-I and other
    preprocessor options (they change the preprocessed text, which the key sees through the
    assembly), warnings, -g* (debug directives are stripped before hashing), assembler and
    linker options.
    """
    if w.startswith("-O"):
        return "code"
    if w.startswith("-f"):
        return "diag" if w.startswith(_F_NOT_CODE_PREFIX) else "code"
    if w.startswith("-Wa,") or w == "-Xassembler":
        return "asm"
    if w.startswith("-Wl,") or w == "-Xlinker" or w in _LINK_EXACT:
        return "link"
    if w.startswith(("-l", "-L", "-T", "-u", "-z")) and w not in ("-undef",):
        return "link"
    if w.startswith("-Wp,") or w == "-Xpreprocessor":
        return "preproc"
    if w.startswith("-W") or w in ("-w", "-pedantic", "-pedantic-errors"):
        return "diag"
    if w.startswith("-m"):
        return "code"
    if w.startswith("-std=") or w in ("-ansi", "-p", "-pg") or w.startswith("--param"):
        return "code"
    if w.startswith("-g"):
        return "debug"
    if w.startswith(("-D", "-U", "-I", "-A", "-include", "-imacros", "-isystem", "-idirafter",
                     "-iquote", "-iprefix", "-iwithprefix", "-isysroot", "-imultilib")):
        return "preproc"
    if w in ("-nostdinc", "-undef", "-trigraphs", "-H", "-pthread", "-remap"):
        return "preproc"
    if w.startswith(("-B", "--sysroot")):
        return "other"
    return None


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
