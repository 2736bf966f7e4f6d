"""The drop-in gcc: compile C sources through gcc's assembly, with accepted rewrites.

For each C source of a -c, -S or one-shot compile-and-link command line:

    gcc <user's words> -O3 -S -o - src      (gcc's diagnostics captured, shown once at the end)
      -> asm.parse -> _apply_rewrites -> _optimize -> render
      -> as ... -o <temp next to the output> -   (the command gcc -### names for the user's
         assembler words; gcc -c -x assembler when there is none)  -> rename

Everything else goes to the real gcc through exec, untouched (see args.py for the rule).
A failure inside llmcc never fails a build: it is logged (log.py), counted in the cache
statistics as fallback.<reason>, and the real gcc is exec'd with the original words, so the
user sees exactly what gcc would have printed. Only gcc's own errors fail a compile.

Test hook: LLMCC_FAULT=parse|assemble|exception makes that step fail on purpose, so tests
can check the fallback. (assemble feeds the real assembler a bad line, so the assembler's
error path is the one exercised.)

The module imports only the standard library and llmcc's compile-path modules, lazily.
"""

from __future__ import annotations

import os
import sys

from gcc_wrapper.compile import args, compiler
from gcc_wrapper.compile import log as llmcc_log
from gcc_wrapper.compile.files import temp_beside, write_atomic

FAULT_ENV = "LLMCC_FAULT"


class GccFailed(Exception):
    """gcc itself rejected the source: its status and stderr are the compile's result."""

    def __init__(self, status: int, stderr: bytes):
        super().__init__(f"gcc exited with status {status}")
        self.status = status
        self.stderr = stderr


class AssembleError(Exception):
    """The assembler rejected assembly that llmcc produced."""


class InjectedFault(Exception):
    """Raised by the LLMCC_FAULT test hook."""


class Baseline:
    """gcc's own assembly for one source, and what gcc printed while making it. (A plain class:
    dataclasses costs every compile more than the rest of this module.)"""

    __slots__ = ("asm_text", "stderr")

    def __init__(self, asm_text: str, stderr: bytes = b""):
        self.asm_text = asm_text
        self.stderr = stderr


def main(prog: str, argv: list[str]) -> int:
    """Compile as gcc would (`argv` excludes the program name). Returns the exit status, or
    does not return at all when it execs the real gcc."""
    cfg, problem = _load_config()
    try:
        cc, rest = compiler.find_real_compiler(prog, list(argv), cfg)
    except compiler.CompilerNotFound as e:
        print(f"llmcc: error: {e}", file=sys.stderr)
        return 1
    if problem is not None:
        return _fallback(cfg, cc, rest, "config", problem)
    if cfg.disable:
        return _exec(cc, rest)
    try:
        inv = _plan(cc, rest, cfg)
        if inv is None:
            return _exec(cc, rest)
        return _compile(inv, cfg)
    except GccFailed as e:
        return e.status
    except KeyboardInterrupt:
        return 130  # as gcc: interrupted, nothing to add (gcc's children got the signal too)
    except Exception as e:  # noqa: BLE001 - any internal failure means "let gcc do it"
        return _fallback(cfg, cc, rest, _reason(e), _describe(e))


def _load_config():
    from gcc_wrapper.compile import config

    try:
        return config.load(), None
    except Exception as e:  # noqa: BLE001 - a broken config must not break the build
        return None, str(e)


def _plan(cc: str, rest: list[str], cfg) -> args.Invocation | None:
    """The Invocation to compile, or None for pass-through."""
    if not compiler.is_gcc(cc):
        return None
    if "DEPENDENCIES_OUTPUT" in os.environ or "SUNPRO_DEPENDENCIES" in os.environ:
        return None  # dependency output named after gcc's own -o: leave it to gcc
    inv = args.parse(rest, opt=str(cfg.opt))
    if inv.kind != "compile":
        return None
    outputs = [inv.output or "a.out"] if inv.stage == "link" else [inv.output_for(s) for s in inv.sources]
    for dest in outputs:
        # gcc refuses to overwrite an input, and says why; a missing directory is its error too
        if any(_same_file(dest, src) for src in inv.sources):
            return None
        if not os.path.isdir(os.path.dirname(dest) or "."):
            return None
    if inv.stage != "link":
        for src in inv.sources:
            dest = inv.output_for(src)
            # /dev/null, and symlinks under -S: gcc writes through them, a rename would replace
            # them (under -c the assembler replaces a symlink too, as the rename does)
            if (inv.stage == "S" and os.path.islink(dest)) or (os.path.lexists(dest) and not os.path.isfile(dest)):
                return None
    return inv.replace(cc=cc, cc_name=compiler.run_name(cc))


def _remove_failed_output(path: str) -> None:
    """gcc -S deletes the assembly file of a compilation that failed, even an old one (under -c
    the old object stays: the assembler never ran)."""
    try:
        if os.path.isfile(path) and not os.path.islink(path):
            os.unlink(path)
    except OSError:
        pass


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _compile(inv: args.Invocation, cfg) -> int:
    fault = os.environ.get(FAULT_ENV, "")
    if fault == "exception":
        raise InjectedFault("exception")
    tmpdir = None
    if inv.stage == "link":
        import tempfile

        tmpdir = tempfile.mkdtemp(prefix="llmcc-")
    try:
        stderr: list[bytes] = []
        status = 0
        objects: dict[int, str] = {}
        for i, src in enumerate(inv.sources):
            try:
                base = _baseline(inv, src, cfg)
            except GccFailed as e:
                stderr.append(e.stderr)
                status = max(status, e.status)
                if inv.stage == "S":
                    _remove_failed_output(inv.output_for(src))
                continue
            if fault == "parse":
                raise InjectedFault("parse")
            if tmpdir is not None:
                stem = os.path.splitext(os.path.basename(src))[0]
                dest = os.path.join(tmpdir, f"{i}-{stem}.o")
                objects[inv.source_positions[i]] = dest
            else:
                dest = inv.output_for(src)
            unit = _prepare_keys(base.asm_text, inv, cfg)
            if inv.stage != "S" and _reuse_object(inv, dest, cfg):
                stderr.append(base.stderr)
                continue
            if unit is None and not _tu.found and str(cfg.mode) == "off":
                text = base.asm_text  # nothing to replace, nothing to optimize: gcc's text as it is
                optimized = unit
            else:
                unit = _parse(base.asm_text) if unit is None else unit
                unit = _apply_rewrites(unit, inv, cfg)
                optimized = _optimize(unit, inv, src, cfg)
                text = optimized.render()
            if inv.stage == "S":
                write_atomic(dest, text.encode("utf-8", "surrogateescape"))
                stderr.append(base.stderr)
                continue
            stderr.append(base.stderr + _assemble(inv, text, dest, fault == "assemble", cfg))
            if optimized is unit:  # the object is a function of the TU and the cached rewrites
                _keep_object(inv, dest, cfg)
        _write_stderr(b"".join(stderr))
        if status or tmpdir is None:
            return status
        return _link(inv, objects)
    finally:
        if tmpdir is not None:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)


def _baseline(inv: args.Invocation, src: str, cfg) -> Baseline:
    """gcc's assembly for `src`: from the translation-unit cache when it has it (direct mode:
    the manifest of the source and its headers; else preprocessor mode: `gcc -E` hashed),
    otherwise gcc -S with the user's words and the forced level. Raises GccFailed when gcc
    rejects the source. Leaves what the cache knows about this unit in `_tu`."""
    global _tu
    _tu = None
    cache = _cache(cfg)
    cache.bump("compiles")
    if not cfg.tu_cache:
        return _gcc_baseline(inv, src)
    import time

    from cache import key as ckey
    from cache.tu import Manifest, make_record

    started = time.time()
    ident = compiler.identity(inv.cc, cache_dir=cfg.cache_path_str)
    cwd = os.getcwd()
    dep_args = inv.dep_args_for(src)
    deps_path = dep_args[dep_args.index("-MF") + 1] if "-MF" in dep_args else None
    dep_key = [w for w in dep_args if w != deps_path]  # targets and kind matter, the file name not
    lang = ["-x", "c"] if src in inv.forced_c else []
    try:
        with open(src, "rb") as f:
            source = f.read()
    except OSError:
        return _gcc_baseline(inv, src)  # gcc says what is wrong with it
    # TU entries remember their functions' keys: a new llmcc (another normalization) must not reuse
    # them, and neither must a build whose settings make other keys (_key_flags: isa, dispatch)
    from gcc_wrapper import __version__

    env = [f"llmcc={__version__}", f"isa={cfg.isa}", f"dispatch={cfg.dispatch}",
           *(f"{k}={os.environ[k]}" for k in _KEY_ENV if k in os.environ)]
    mkey = ckey.manifest_key(ident, source, [*inv.compile_flags, *_color_flags(inv), *dep_key, *lang, src], cwd, env)
    manifest = cache.get_manifest(mkey)
    tkey = manifest.lookup(cwd) if manifest is not None else None
    entry = cache.get_tu(tkey, count=False) if tkey else None
    if entry is not None:
        cache.bump("tu.hit")
        cache.bump("direct.hit")
        _write_deps(deps_path, entry.deps)
        _tu = _TU(tkey, entry, dict(entry.functions))
        return Baseline(asm_text=entry.asm, stderr=entry.stderr.encode("utf-8", "surrogateescape"))

    # depend mode needs the whole list (-MD, not -MMD) and must not disturb dependency options
    # it does not manage (-Wp,-MD,file writes its own file, and a second -MD would retarget it)
    if cfg.depend_mode and (deps_path is None or dep_args[0] == "-MD") and not any(
        w.startswith(("-M", "-Wp,")) for w in inv.compile_flags
    ):
        return _depend_baseline(inv, src, cache, mkey, manifest, deps_path, cwd, started)
    cmd = [inv.cc_name, *inv.compile_flags, "-E", *lang, src]
    pre, _, status = _run(inv.cc, cmd)
    if status != 0:
        return _gcc_baseline(inv, src)  # gcc -S reports the error as the user's gcc would
    code_args = [*_code_args(inv.compile_flags), *_color_flags(inv), *dep_key, *lang]
    tkey = ckey.tu_key(ident, pre, code_args + env)
    entry = cache.get_tu(tkey, count=False)
    if entry is not None:
        cache.bump("tu.hit")
        _write_deps(deps_path, entry.deps)
        base = Baseline(asm_text=entry.asm, stderr=entry.stderr.encode("utf-8", "surrogateescape"))
        _tu = _TU(tkey, entry, dict(entry.functions))
    else:
        cache.bump("tu.miss")
        base = _gcc_baseline(inv, src)
        deps = ""
        if deps_path is not None:
            try:
                with open(deps_path, encoding="utf-8", errors="surrogateescape") as f:
                    deps = f.read()
            except OSError:
                deps = None
        if deps is not None:  # (a dependency file gcc did not write: do not cache this TU)
            from cache import TUEntry

            pending = TUEntry(base.asm_text, deps, base.stderr.decode("utf-8", "surrogateescape"))
            _tu = _TU(tkey, None, None, pending)
    record = make_record([src, *_included_files(pre)], tkey, cwd, started)
    if record is not None:
        cache.put_manifest(mkey, (manifest or Manifest()).with_record(record))
    return base


def _depend_baseline(inv: args.Invocation, src: str, cache, mkey: str, manifest, deps_path: str | None,
                     cwd: str, started: float) -> Baseline:
    """Depend mode (ccache's name for it), on a direct-mode miss: no preprocessor run. gcc -S
    also writes the dependency list (into the user's -MD file, else a private one), and the TU
    key is the manifest key plus the content of every file in that list, so the next compile of
    the same source and headers finds it through the manifest. (Preprocessor mode, depend_mode =
    false, pays a `gcc -E` per miss to also hit when the same preprocessed text comes from
    another directory.) A user's -MMD file leaves system headers out, so that case never gets here."""
    global _tu
    from cache import key as ckey
    from cache.tu import Manifest, ManifestRecord, parse_depfile, record_files

    private = None
    if deps_path is None:
        tmp_dir = os.path.join(cache.root_str, "tmp")
        try:
            os.makedirs(tmp_dir, exist_ok=True)
        except OSError:
            cache.bump("tu.miss")
            return _gcc_baseline(inv, src)  # nowhere to put the list: compile uncached
        private = temp_beside(os.path.join(tmp_dir, "deps"))
    try:
        base = _gcc_baseline(inv, src, [] if private is None else ["-MD", "-MF", private])
        try:
            with open(private or deps_path, encoding="utf-8", errors="surrogateescape") as f:
                deps = f.read()
        except OSError:
            deps = None
    finally:
        if private is not None and os.path.lexists(private):
            os.unlink(private)
    cache.bump("tu.miss")
    files = record_files(parse_depfile(deps), cwd, started) if deps is not None else None
    if files is None:  # a header changed during the compile, or __DATE__ and friends: not a function of the files
        return base
    from cache import TUEntry

    tkey = ckey.depend_tu_key(mkey, files)
    cache.put_manifest(mkey, (manifest or Manifest()).with_record(ManifestRecord(files, tkey)))
    stored = "" if private is not None else deps
    _tu = _TU(tkey, None, None, TUEntry(base.asm_text, stored, base.stderr.decode("utf-8", "surrogateescape")))
    return base


def _gcc_baseline(inv: args.Invocation, src: str, extra: list[str] | None = None) -> Baseline:
    """gcc -S of `src` with the user's words and the forced level (and `extra` words)."""
    cmd = [inv.cc_name, *inv.compile_flags, *_color_flags(inv), *inv.dep_args_for(src), *(extra or ()), "-S", "-o", "-"]
    if src in inv.forced_c:
        cmd += ["-x", "c"]
    cmd.append(src)
    out, err, status = _run(inv.cc, cmd)
    if status != 0:
        raise GccFailed(status, err)
    return Baseline(asm_text=out.decode("utf-8", "surrogateescape"), stderr=err)


def _prepare_keys(asm_text: str, inv: args.Invocation, cfg):
    """Make _tu.fn_keys hold the key of every function of the unit that could have a cached
    rewrite, and _tu.found the rewrites found for them. Runs on every compile, translation-unit
    hit or not, so a rewrite accepted since the last build takes effect now. Returns the parsed
    unit when it had to parse gcc's assembly, else None.

    Keys map names to "" until computed: with no shared tier and no optimizer (mode off), only
    the functions whose names are in the cache's names index can have a rewrite, so only those
    are normalized and hashed (most files of a build have none, and skip asm parsing entirely).
    A translation-unit entry keeps the keys computed so far; a later hit computes the rest when
    their names turn up in the index."""
    global _tu
    cache = _cache(cfg)
    st = _tu
    if st is None:
        st = _tu = _TU("", None, None)
    keys = dict(st.fn_keys) if st.fn_keys is not None else dict.fromkeys(_function_names(asm_text), "")
    wanted = None if str(cfg.mode) != "off" or cfg.remote else cache.function_names()
    unit = None
    missing = [n for n, k in keys.items() if not k and (wanted is None or n in wanted)]
    if missing or (wanted is None and not keys):
        unit = _parse(asm_text)
        for name in unit.functions:
            keys.setdefault(name, "")
        missing = [n for n, k in keys.items() if not k and (wanted is None or n in wanted) and n in unit.functions]
        keys.update(function_keys(unit, inv, cfg, only=missing))
    if st.pending is not None:
        p = st.pending
        cache.put_tu(st.key, type(p)(p.asm, p.deps, p.stderr, keys))
        st.pending = None
    elif st.entry is not None and missing and st.key:
        e = st.entry
        cache.put_tu(st.key, type(e)(e.asm, e.deps, e.stderr, keys))  # the next hit need not parse
    st.fn_keys = keys
    wanted_keys = [k for k in dict.fromkeys(keys.values()) if k]
    st.found = cache.get_functions(wanted_keys) if wanted_keys else {}
    return unit


def _function_names(asm_text: str) -> list[str]:
    """The names gcc gave `.type NAME, @function`, found without parsing the assembly (a
    superset of asm.Unit.functions: cold parts are typed as functions too)."""
    names = []
    at = asm_text.find(".type\t")
    while at >= 0:
        end = asm_text.find("\n", at)
        line = asm_text[at + 6 : end if end >= 0 else len(asm_text)]
        sym, _, kind = line.partition(",")
        if kind.strip() == "@function":
            names.append(sym.strip())
        at = asm_text.find(".type\t", at + 6)
    return names


def _apply_rewrites(unit, inv: args.Invocation, cfg):
    """Replace the functions that have accepted rewrites in the cache (_tu.found, filled by
    _prepare_keys: local, then the shared tier)."""
    cache = _cache(cfg)
    st = _tu
    keys = st.fn_keys
    from gcc_wrapper.compile.asm import AsmError

    rewrites: dict[str, str] = {}
    funcs: dict[str, str] | None = None  # the unit's functions as text, for the callers' contract
    for name, k in keys.items():
        entry = st.found.get(k) if k else None
        if entry is None or entry.function != name or name not in unit.functions:
            continue
        if funcs is None:
            funcs = {n: f.text() for n, f in unit.functions.items()}
        if not _safe_for_callers(funcs, name, entry.asm, inv):
            cache.bump("rewrite.ipa_unsafe")
            continue
        rewrites[name] = entry.asm
    if not rewrites:
        return unit
    try:
        return unit.replace_many(rewrites)  # one parse of the result for all of them
    except AsmError:
        pass
    for name, text in rewrites.items():  # find the one that cannot be used, keep the others
        try:
            unit = unit.replace(name, text)
        except AsmError:
            cache.bump("rewrite.unusable")
    return unit


def _safe_for_callers(funcs: dict[str, str], name: str, rewrite: str, inv: args.Invocation) -> bool:
    """A rewrite was verified with the callers of the unit it was found in; this unit's callers
    (funcs: name -> Function.text()) may keep values in registers across the call (gcc -fipa-ra)
    or call it with an unaligned stack (-fipa-stack-alignment). Check that contract for this unit."""
    from gcc_wrapper.optimize.verify import ipa

    verdict = ipa.check_text(funcs, name, rewrite, inv.compile_flags)
    return verdict is None or verdict.passed


# ---- helpers of the optimization cache (cache/) ------------------------------------------------

# Environment variables that change what the preprocessor reads or what gcc prints.
_KEY_ENV = (
    "CPATH", "C_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH", "SOURCE_DATE_EPOCH",
    "LANG", "LC_ALL", "LC_MESSAGES", "LC_CTYPE", "GCC_COLORS",
)
# Options whose whole effect is on the preprocessed text (already hashed in preprocessor mode).
_PP_ONLY_SEPARATE = frozenset("-I -D -U -include -imacros -isystem -idirafter -iquote -iprefix -iwithprefix -iwithprefixbefore".split())
_PP_ONLY_GLUED = ("-I", "-D", "-U", "-isystem", "-idirafter", "-iquote")

_cache_instance = None


class _TU:
    """What the cache knows about the translation unit being compiled (one at a time).

    key: cache.key.tu_key ("" when the TU cache is off); entry: the TUEntry on a hit, None on a
    miss; fn_keys: function name -> cache.key.function_key of gcc's baseline; pending: on a miss,
    the TUEntry to store once the function keys are known; found: function key -> accepted
    Entry, for the functions of this unit."""

    __slots__ = ("key", "entry", "fn_keys", "pending", "found")

    def __init__(self, key: str, entry, fn_keys: dict | None, pending=None) -> None:
        self.key = key
        self.entry = entry
        self.fn_keys = fn_keys
        self.pending = pending
        self.found: dict | None = None


_tu: _TU | None = None


def forget() -> None:
    """Drop the cache and the unit this process used: a compile server's worker starts each
    compile afresh."""
    global _cache_instance, _tu
    _cache_instance = None
    _tu = None


def _cache(cfg):
    """The cache, opened once per process (cheap: no I/O until used)."""
    global _cache_instance
    if _cache_instance is None:
        from cache import open_cache

        _cache_instance = open_cache(cfg)
    return _cache_instance


def function_keys(unit, inv: args.Invocation, cfg, only=None) -> dict[str, str]:
    """name -> cache key of each function of a unit as gcc made it (asm.Function.normalized(),
    compiler identity, the code/ABI flags with -march=native expanded, the allowed ISA); of the
    functions named in `only`, when given. The one definition of a function's key: the
    optimizer stores accepted rewrites under these."""
    from cache.key import function_key

    if only is not None and not only:
        return {}
    ident = compiler.identity(inv.cc, cache_dir=cfg.cache_path_str)
    flags, isa = _key_flags(inv, cfg)
    fns = unit.functions.items() if only is None else ((n, unit.functions[n]) for n in only)
    return {name: function_key(fn.normalized(), ident, flags, isa) for name, fn in fns}


def baseline_keys() -> dict[str, str]:
    """Function keys of the translation unit being compiled (gcc's baseline, before rewrites);
    complete whenever the optimizer runs (see _prepare_keys)."""
    if _tu is None or _tu.fn_keys is None:
        return {}
    return {n: k for n, k in _tu.fn_keys.items() if k}


def _key_flags(inv: args.Invocation, cfg) -> tuple[list[str], str]:
    """The code flags and allowed ISA that go into function keys; "native" means this host's CPU,
    so it is replaced by what gcc says it means here."""
    native = None
    flags: list[str] = []
    for w in inv.code_flags:
        if w in ("-march=native", "-mtune=native", "-mcpu=native"):
            if native is None:
                native = compiler.expand_march_native(inv.cc, cache_dir=cfg.cache_path_str)
                flags += native
        else:
            flags.append(w)
    isa = str(cfg.isa or inv.isa)
    if isa == "native":
        if native is None:
            native = compiler.expand_march_native(inv.cc, cache_dir=cfg.cache_path_str)
        isa = "native:" + " ".join(native)
    levels = dispatch_levels(isa, inv.code_flags, cfg)
    if levels:
        from cache.key import dispatch_isa

        isa = dispatch_isa(isa, levels)
    return flags, isa


# The x86-64 levels, in order: a rewrite may carry bodies for the levels above the build's own
# behind a dispatcher (optimize/dispatch.py), when the `dispatch` setting allows it.
DISPATCH_LEVELS = ("x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4")
# Code flags that leave dispatch possible (and -m64): anything else that starts with -m (-mno-sse,
# -mgeneral-regs-only, -mcmodel=..., -mno-red-zone, -mavx2 ...) says the user controls the
# instruction set or the environment, and so does -ffreestanding.
_DISPATCH_SAFE_M = ("-march=", "-mtune=")


def dispatch_levels(isa: str, flags, cfg) -> tuple[str, ...]:
    """The levels a rewrite of this build may dispatch to: none when the setting is off, the
    build's ISA is not an x86-64 level (native, a CPU name) or its code flags (as the user wrote
    them) rule it out. From x86-64-v3 up the ISA has FMA, which the build may fuse a*b+c with
    and the bodies never do (dispatch.level_flags): only with -ffp-contract=off (or =on, which gcc
    treats as off) do they compute the same."""
    if not cfg.dispatch or isa not in DISPATCH_LEVELS:
        return ()
    contract = "fast"
    for w in flags:
        if w == "-ffreestanding" or (w.startswith("-m") and w != "-m64" and not w.startswith(_DISPATCH_SAFE_M)):
            return ()
        if w.startswith("-ffp-contract="):
            contract = w.split("=", 1)[1]
    if DISPATCH_LEVELS.index(isa) >= DISPATCH_LEVELS.index("x86-64-v3") and contract not in ("off", "on"):
        return ()
    return DISPATCH_LEVELS[DISPATCH_LEVELS.index(isa) + 1:]


def _code_args(flags: tuple[str, ...]) -> list[str]:
    """The words that matter for a TU key in preprocessor mode: all but preprocessor-only ones."""
    out: list[str] = []
    skip = False
    for w in flags:
        if skip:
            skip = False
        elif w in _PP_ONLY_SEPARATE:
            skip = True
        elif not w.startswith(_PP_ONLY_GLUED):
            out.append(w)
    return out


def _included_files(pre: bytes) -> list[str]:
    """The files the preprocessor read, from the line markers of its output."""
    import re

    seen: dict[str, None] = {}
    for m in re.finditer(rb'^# \d+ "((?:[^"\\]|\\.)*)"', pre, re.M):
        name = m.group(1)
        # <built-in>, <command-line>, and the working directory ("/dir//") that -g records
        if name.startswith(b"<") or name.endswith(b"//") or name in seen:
            continue
        seen[name] = None
    return [re.sub(r"\\(.)", r"\1", n.decode("utf-8", "surrogateescape")) for n in seen]


def _write_deps(path: str | None, text: str) -> None:
    if path is not None:
        write_atomic(path, text.encode("utf-8", "surrogateescape"))


def _reuse_object(inv: args.Invocation, dest: str, cfg) -> bool:
    """On a translation-unit hit, write the object built earlier from the same TU and the same
    cached rewrites, if there is one. In sync mode only once the optimizer has finished with the
    unit (_finished_marker exists): until then it must see the unit again."""
    st = _tu
    if st is None or st.entry is None or st.fn_keys is None:
        return False
    cache = _cache(cfg)
    if str(cfg.mode) == "sync" and not os.path.exists(_finished_marker(cache.root_str, st.key, cfg)):
        return False
    from cache.key import object_key

    data = cache.get_object(object_key(st.key, [e.digest for e in st.found.values()], inv.asm_flags))
    if data is None:
        return False
    write_atomic(dest, data)
    cache.bump("object.hit")
    return True


def _finished_marker(root: str, tu_key: str, cfg) -> str:
    """The file by which the optimizer (optimize.optimize_unit, sync mode) says it has finished
    with a translation unit: every function hot.select picks has a rewrite, was tried, or is
    queued. Keyed by the TU and by what decides which functions are hot (the hot settings and the
    recorded profiles), so a new profile or another hot_top makes the optimizer look again."""
    from cache.key import Hasher

    try:
        profiles = sorted(os.listdir(os.path.join(root, "profiles")))
    except OSError:
        profiles = []
    h = Hasher("optimized-unit").add(tu_key).add_all([str(n) for n in cfg.hot])
    k = h.add(str(cfg.hot_top)).add(str(cfg.hot_min_share)).add_all(profiles).hexdigest()
    return os.path.join(root, "optimized", k[:2], k[2:])


def _keep_object(inv: args.Invocation, dest: str, cfg) -> None:
    """Store the object just assembled under its TU and the rewrites that were looked up."""
    st = _tu
    if st is None or not st.key or st.found is None:
        return
    from cache.key import object_key

    try:
        with open(dest, "rb") as f:
            data = f.read()
    except OSError:
        return
    _cache(cfg).put_object(object_key(st.key, [e.digest for e in st.found.values()], inv.asm_flags), data)


def _optimize(unit, inv: args.Invocation, src: str, cfg):
    """Optimize or queue the hot functions of `unit` (the optimizer's sync and queue modes);
    returns the unit to render. An optimizer failure costs the rewrites, never the build."""
    if str(cfg.mode) not in ("sync", "queue"):
        return unit
    try:
        finished = None
        if _tu is not None and _tu.key:
            finished = _finished_marker(_cache(cfg).root_str, _tu.key, cfg)
            if str(cfg.mode) == "sync" and os.path.exists(finished):
                return unit  # done with this unit (as _reuse_object trusts): no optimizer to load (~0.1 s)
        from gcc_wrapper.optimize import run as optimize

        keys = baseline_keys() or function_keys(unit, inv, cfg)
        flags, isa = _key_flags(inv, cfg)
        job = optimize.UnitJob(os.path.abspath(src), os.getcwd(), inv.cc, tuple(inv.compile_flags), tuple(flags), isa)
        return optimize.optimize_unit(unit, job, cfg, keys, finished=finished)[0]
    except Exception as e:  # noqa: BLE001 - keep gcc's (and the cache's) unit
        llmcc_log.write(cfg, "optimize", _reason(e), _describe(e), list(inv.argv))
        return unit


def _parse(text: str):
    from gcc_wrapper.compile import asm

    return asm.parse(text)


def _assemble(inv: args.Invocation, text: str, dest: str, inject_fault: bool = False, cfg=None) -> bytes:
    """Assemble `text` into `dest` (atomically) as gcc -c would: with the `as` command gcc would
    run (compiler.assembler_command), else through the gcc driver. Returns the assembler's stderr."""
    data = text.encode("utf-8", "surrogateescape")
    if inject_fault:
        data += b"\t.llmcc_injected_fault\n"
    tmp = temp_beside(dest)
    direct = compiler.assembler_command(inv.cc, inv.asm_flags, cache_dir=cfg.cache_path_str) if cfg else None
    try:
        if direct is not None:
            cmd = [tmp if w == compiler._AS_OUTPUT else w for w in direct]
            _, err, status = _run(inv.cc, cmd, stdin=data, program=cmd[0])
        else:
            cmd = [inv.cc_name, *inv.asm_flags, "-c", "-x", "assembler", "-o", tmp, "-"]
            _, err, status = _run(inv.cc, cmd, stdin=data)
        if status != 0:
            raise AssembleError(err.decode("utf-8", "replace").strip()[-2000:])
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return err


def _link(inv: args.Invocation, objects: dict[int, str]) -> int:
    from gcc_wrapper.compile import spawn

    words = [objects.get(i, w) for i, w in enumerate(inv.link_args)]
    sys.stdout.flush()
    sys.stderr.flush()
    return spawn.call([inv.cc_name, *words], inv.cc, compiler.child_env(inv.cc))


def _run(cc: str, cmd: list[str], stdin: bytes | None = None, program: str | None = None) -> tuple[bytes, bytes, int]:
    """Run `program` (default: the compiler `cc`) with argv `cmd`; (stdout, stderr, status)."""
    from gcc_wrapper.compile import spawn

    return spawn.run(cmd, program or cc, compiler.child_env(cc), stdin)


def _color_flags(inv: args.Invocation) -> list[str]:
    """gcc colours diagnostics only on a terminal; its stderr is a pipe here, so ask for colour
    when ours is a terminal and gcc would have chosen it."""
    if any(w.startswith(("-fdiagnostics-color", "-fno-diagnostics-color")) for w in inv.compile_flags):
        return []
    if os.environ.get("TERM", "dumb") == "dumb" or os.environ.get("GCC_COLORS") == "":
        return []
    try:
        return ["-fdiagnostics-color=always"] if os.isatty(2) else []
    except OSError:
        return []


def _write_stderr(data: bytes) -> None:
    if data:
        sys.stderr.flush()
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()


def _exec(cc: str, rest: list[str]) -> int:
    """Become the real gcc: same argv, stdin, stdout, stderr and exit status."""
    return compiler.exec_compiler(cc, rest)


def _reason(e: BaseException) -> str:
    if isinstance(e, InjectedFault):
        return str(e)
    if isinstance(e, AssembleError):
        return "assemble"
    if type(e).__name__ == "AsmError":
        return "parse"
    if isinstance(e, OSError):
        return "os"
    return "exception"


def _describe(e: BaseException) -> str:
    import traceback

    where = ""
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        last = tb[-1]
        where = f" at {os.path.basename(last.filename)}:{last.lineno}"
    return f"{type(e).__name__}: {e}{where}"


def _fallback(cfg, cc: str, rest: list[str], reason: str, detail: str) -> int:
    """Log and count an internal failure, then let the real gcc do the whole job."""
    llmcc_log.write(cfg, "fallback", reason, detail, rest)
    if cfg is not None:
        try:
            cache = _cache(cfg)
            cache.bump(f"fallback.{reason}")
            cache.close()  # exec replaces the process: atexit would never flush
        except Exception:  # noqa: BLE001 - statistics are best effort
            pass
    return _exec(cc, rest)
