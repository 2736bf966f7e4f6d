"""gcc's options as llmcc sees them: the one table (ccache's compopt) that args, driver,
optimize.source and, word for word, the native client (client.c: link_or_query_word, kept equal
by tests/driver/test_client_parity.py) read.

What each list says about an option:

  TAKES_ARG          its value is the next word when not glued to it (`-o out`, `-I dir`)
  GLUED_ARG          it may also carry its value glued on (`-oout`, `-MFdeps.d`): these are
                     the ones the parser splits itself; the others it keeps as one word
  PASS_EXACT/PREFIX  gcc answers it without compiling, or it stops before object code, or makes
                     gcc write files named after the output: llmcc passes the command line through
  NOT_CODE_F_PREFIX  -f options that change diagnostics, dependency output or debug paths, not code
  LINK_EXACT         linker options: meaningful only when linking
  PREPROCESSOR_ONLY  options whose whole effect is on the preprocessed text (with the value as
                     the next word, or glued for PREPROCESSOR_ONLY_GLUED)
  CWD_PREFIXES       options reading or writing profile data relative to the working directory
  NOT_FOR_CPP        the words that do not belong on a `gcc -E` command line (outputs, dependency
                     files, modes), alone or with their value (NOT_FOR_CPP_WITH_ARG)
  LINK_OR_QUERY      words of a command line that links objects or asks gcc a question, never one
                     that compiles: the native client execs gcc itself for such a line

`kind(word)` is the classification of every other option (code, preproc, diag, debug, asm, link,
other; None: unknown, so pass-through). The compile path imports this module on every compile:
constants and string tests only.
"""

from __future__ import annotations

TAKES_ARG = frozenset(
    "-o -x -I -D -U -include -imacros -isystem -idirafter -iquote -iprefix -iwithprefix "
    "-iwithprefixbefore -isysroot -imultilib -MF -MT -MQ -L -l -T -Xlinker -Xassembler "
    "-Xpreprocessor -u -z -A --param -B --sysroot".split()
)
GLUED_ARG = ("-o", "-x", "-MF", "-MT", "-MQ")

PASS_EXACT = frozenset(
    "-E -M -MM -fsyntax-only -v -### --version --help --target-help -dumpversion "
    "-dumpfullversion -dumpmachine -dumpspecs -save-temps -flto -fprofile-arcs -ftest-coverage "
    "--coverage -fbranch-probabilities -fstack-usage -frecord-gcc-switches -gsplit-dwarf "
    "-dumpbase -dumpbase-ext -dumpdir -aux-info -wrapper -Q -time -fpreprocessed "
    "-fdirectives-only -traditional-cpp -C -CC -P -no-canonical-prefixes".split()
)
PASS_PREFIX = (
    "--help=",
    "-print-",
    "--print-",
    "-save-temps=",
    "-flto=",
    "-fprofile-generate",
    "-fprofile-use",
    "-fauto-profile",
    "-fcallgraph-info",
    "-fdump-",
    "-fplugin",
    "-specs",
    "--specs",
    "-time=",
    "-fprofile-dir",
    "-fprofile-update",
    "-fcoverage",
)

NOT_CODE_F_PREFIX = (
    "-fdiagnostics-",
    "-fno-diagnostics-",
    "-fmessage-length=",
    "-fmax-errors=",
    "-ftabstop=",
    "-fopt-info",
    "-fdebug-prefix-map=",
    "-ffile-prefix-map=",
    "-fmacro-prefix-map=",
    "-fprofile-prefix-map=",
    "-fshow-column",
    "-fno-show-column",
    "-fworking-directory",
    "-fno-working-directory",
    "-fverbose-asm",
    "-fno-verbose-asm",
    "-fident",
    "-fno-ident",
    "-fpch-",
    "-fno-pch-",
    "-fcanonical-system-headers",
    "-fno-canonical-system-headers",
)

LINK_EXACT = frozenset(
    "-static -static-libgcc -shared-libgcc -static-pie -shared -rdynamic -s -nostdlib "
    "-nostartfiles -nodefaultlibs -nolibc -pie -no-pie -r -symbolic".split()
)

PREPROCESSOR_PREFIX = (
    "-D",
    "-U",
    "-I",
    "-A",
    "-include",
    "-imacros",
    "-isystem",
    "-idirafter",
    "-iquote",
    "-iprefix",
    "-iwithprefix",
    "-isysroot",
    "-imultilib",
)
PREPROCESSOR_EXACT = frozenset("-nostdinc -undef -trigraphs -H -pthread -remap".split())
PREPROCESSOR_ONLY = frozenset(
    "-I -D -U -include -imacros -isystem -idirafter -iquote -iprefix -iwithprefix -iwithprefixbefore".split()
)
PREPROCESSOR_ONLY_GLUED = ("-I", "-D", "-U", "-isystem", "-idirafter", "-iquote")

CWD_PREFIXES = ("-fprofile", "-fauto-profile", "-fbranch-probabilities", "--coverage", "-ftest-coverage", "-fcoverage")

NOT_FOR_CPP_WITH_ARG = frozenset(("-o", "-MF", "-MT", "-MQ"))
NOT_FOR_CPP = frozenset("-c -S -E -M -MM -MD -MMD -MG -MP -pipe".split())

# The native client's list (client.c: link_or_query_word), exact words and prefixes that need
# something after them; -W and -f words are taken with the exceptions below.
LINK_OR_QUERY_EXACT = (
    "--version",
    "-dumpversion",
    "-dumpfullversion",
    "-dumpmachine",
    "-dumpspecs",
    "-pthread",
    "-shared",
    "-static",
    "-rdynamic",
    "-s",
    "-pie",
    "-no-pie",
    "-static-libgcc",
    "-nostdlib",
    "-nostartfiles",
    "-nodefaultlibs",
)
LINK_OR_QUERY_PREFIX = ("-print-", "-l", "-L", "-Wl,", "-O", "-g", "-m", "-std=", "-D", "-U", "-I")
LINK_OR_QUERY_NOT_W = ("-Wa,", "-Wp,")
LINK_OR_QUERY_NOT_F = ("-fsyntax-only", "-flto", "-fdump")
LINK_INPUT_SUFFIXES = (".o", ".a", ".so")


def passes_through(word: str) -> bool:
    """Whether `word` alone makes llmcc leave the command line to gcc."""
    return word in PASS_EXACT or word.startswith(PASS_PREFIX)


def kind(w: str) -> str | None:
    """code | preproc | diag | debug | asm | link | other, or None when unknown.

    The code-flag rule (what goes into an Invocation's code_flags, hence into cache keys): -O*,
    -m*, -std=*, -ansi, -p/-pg, --param, and every -f option except those that only change
    diagnostics, dependency output, debug paths or assembly comments. Not code: -D/-U/-I and
    other preprocessor options (they change the preprocessed text, which the key sees through
    the assembly), warnings, -g* (debug directives are stripped before hashing), assembler and
    linker options.
    """
    if w.startswith("-O"):
        return "code"
    if w.startswith("-f"):
        return "diag" if w.startswith(NOT_CODE_F_PREFIX) else "code"
    if w.startswith("-Wa,") or w == "-Xassembler":
        return "asm"
    if w.startswith("-Wl,") or w == "-Xlinker" or w in LINK_EXACT:
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
    if w.startswith(PREPROCESSOR_PREFIX) or w in PREPROCESSOR_EXACT:
        return "preproc"
    if w.startswith(("-B", "--sysroot")):
        return "other"
    return None


def goes_to_assembler(w: str, kind_of_w: str) -> bool:
    """Whether gcc hands option `w` (of kind `kind_of_w`) to the assembler as well."""
    return (
        kind_of_w in ("asm", "debug")
        or (kind_of_w == "code" and w.startswith("-m"))
        or w.startswith(("-fdebug-prefix-map=", "-ffile-prefix-map=", "-B", "--sysroot"))
    )


def _without(flags, with_value, alone=frozenset(), glued: tuple[str, ...] = ()) -> list[str]:
    """The words of `flags` but the options in `with_value` (and the value word after each), those
    in `alone`, and those starting with one of `glued`."""
    out: list[str] = []
    skip = False
    for w in flags:
        if skip:
            skip = False
        elif w in with_value:
            skip = True
        elif w not in alone and not w.startswith(glued):
            out.append(w)
    return out


def code_words(flags) -> list[str]:
    """The words of `flags` that are not preprocessor-only (with their values): what keys a
    translation unit whose preprocessed text is hashed already."""
    return _without(flags, PREPROCESSOR_ONLY, glued=PREPROCESSOR_ONLY_GLUED)


def cpp_words(flags) -> list[str]:
    """The words of `flags` that belong on a `gcc -E` command line (no outputs, dependency files
    or modes)."""
    return _without(flags, NOT_FOR_CPP_WITH_ARG, NOT_FOR_CPP, ("-MF", "-MT", "-MQ"))


def link_or_query_word(w: str) -> bool:
    """A word of a command line that links objects or asks gcc a question, never one that
    compiles (the native client's test, which client.c repeats)."""
    if w in LINK_OR_QUERY_EXACT:
        return True
    if not w.startswith("-"):  # an input: only objects and libraries
        return any(len(w) > len(s) and w.endswith(s) for s in LINK_INPUT_SUFFIXES) or ".so." in w
    if any(w.startswith(p) and len(w) > len(p) for p in LINK_OR_QUERY_PREFIX):
        return True
    if w.startswith("-W") and not w.startswith(LINK_OR_QUERY_NOT_W):
        return len(w) > 2
    # -f options, but not those that change what the driver does with its inputs
    return w.startswith("-f") and len(w) > 2 and not w.startswith(LINK_OR_QUERY_NOT_F)
