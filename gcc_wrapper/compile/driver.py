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

from gcc_wrapper.compile import args, compiler, options
from gcc_wrapper.compile import log as llmcc_log
from gcc_wrapper.compile.files import temp_beside, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing's own import would cost every compile)
    from cache.tu import Manifest

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


class Context:
    """One compile as it goes (ccache's Context): made by main() and passed to every step, so
    nothing a compile learns outlives it (a compile server's worker serves the next compile with
    none of it). `cfg` is None only when the configuration could not be read (then the compile
    falls back to gcc at once)."""

    __slots__ = ("cfg", "lk", "in_place", "_cache")

    def __init__(self, cfg, lk: compiler.Lookups, in_place: bool = True) -> None:
        self.cfg = cfg
        self.lk = lk  # what this compile learned about paths and compilers
        self.in_place = in_place  # "becoming gcc" is an exec (compiler.exec_compiler)
        self._cache = None

    @property
    def cache(self):
        """The cache, opened on first use (cheap: no I/O until read or written)."""
        if self._cache is None:
            from cache import open_cache

            self._cache = open_cache(self.cfg)
        return self._cache


class UnitState:
    """What the cache knows about the translation unit being compiled, from _baseline on.

    key: cache.key.tu_key ("" when the TU cache is off or the unit is not cacheable); entry: the
    TUEntry on a hit, None on a miss; fn_keys: function name -> cache.key.function_key of gcc's
    baseline ("" until computed; None until _prepare_keys ran on a miss); pending: on a miss, the
    TUEntry to store once the function keys are known; found: function key -> accepted Entry, for
    the functions of this unit (filled by _prepare_keys)."""

    __slots__ = ("key", "entry", "fn_keys", "pending", "found")

    def __init__(self, key: str = "", entry=None, fn_keys: dict | None = None, pending=None) -> None:
        self.key = key
        self.entry = entry
        self.fn_keys = fn_keys
        self.pending = pending
        self.found: dict | None = None

    def baseline_keys(self) -> dict[str, str]:
        """Function keys of gcc's baseline (before rewrites) computed so far; complete whenever
        the optimizer runs (see _prepare_keys)."""
        return {n: k for n, k in (self.fn_keys or {}).items() if k}


class Baseline:
    """gcc's own assembly for one source, what gcc printed while making it, and what the cache
    knows about the unit. (Plain classes: dataclasses costs every compile more than the rest of
    this module.)"""

    __slots__ = ("asm_text", "stderr", "unit")

    def __init__(self, asm_text: str, stderr: bytes = b"", unit: UnitState | None = None):
        self.asm_text = asm_text
        self.stderr = stderr
        self.unit = UnitState() if unit is None else unit


def main(prog: str, argv: list[str], lk: compiler.Lookups | None = None, in_place: bool = True) -> int:
    """Compile as gcc would (`argv` excludes the program name). Returns the exit status, or
    does not return at all when it execs the real gcc (only `in_place`: a compile server's
    worker runs gcc and waits for it instead)."""
    cfg, problem = _load_config()
    ctx = Context(cfg, compiler.Lookups() if lk is None else lk, in_place)
    try:
        cc, rest = compiler.find_real_compiler(prog, list(argv), cfg, ctx.lk)
    except compiler.CompilerNotFound as e:
        print(f"llmcc: error: {e}", file=sys.stderr)
        return 1
    if problem is not None:
        return _fallback(ctx, cc, rest, "config", problem)
    if cfg.disable:
        return _exec(ctx, cc, rest)
    try:
        inv = _plan(ctx, cc, rest)
        if inv is None:
            return _exec(ctx, cc, rest)
        return _compile(ctx, inv)
    except GccFailed as e:
        return e.status
    except KeyboardInterrupt:
        return 130  # as gcc: interrupted, nothing to add (gcc's children got the signal too)
    except Exception as e:  # noqa: BLE001 - any internal failure means "let gcc do it"
        return _fallback(ctx, cc, rest, _reason(e), _describe(e))


def _load_config():
    from gcc_wrapper.compile import config

    try:
        return config.load(), None
    except Exception as e:  # noqa: BLE001 - a broken config must not break the build
        return None, str(e)


def _plan(ctx: Context, cc: str, rest: list[str]) -> args.Invocation | None:
    """The Invocation to compile, or None for pass-through."""
    if not compiler.is_gcc(cc, ctx.lk):
        return None
    if "DEPENDENCIES_OUTPUT" in os.environ or "SUNPRO_DEPENDENCIES" in os.environ:
        return None  # dependency output named after gcc's own -o: leave it to gcc
    inv = args.parse(rest, opt=str(ctx.cfg.opt))
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
    return inv.replace(cc=cc, cc_name=compiler.run_name(cc, ctx.lk))


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


def _compile(ctx: Context, inv: args.Invocation) -> int:
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
                base = _baseline(ctx, inv, src)
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
            stderr.append(base.stderr + _emit(ctx, inv, src, base, dest, fault == "assemble"))
        _write_stderr(b"".join(stderr))
        if status or tmpdir is None:
            return status
        return _link(ctx, inv, objects)
    finally:
        if tmpdir is not None:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)


def _emit(ctx: Context, inv: args.Invocation, src: str, base: Baseline, dest: str, inject_fault: bool) -> bytes:
    """Write `dest` (assembly under -S, else the object) from gcc's baseline with the cached
    rewrites (and the optimizer's, in sync mode); the assembler's stderr."""
    unit = _prepare_keys(ctx, base, inv)
    if inv.stage != "S" and _reuse_object(ctx, base.unit, inv, dest):
        return b""
    if unit is None and not base.unit.found and str(ctx.cfg.mode) == "off":
        text = base.asm_text  # nothing to replace, nothing to optimize: gcc's text as it is
        optimized = unit
    else:
        unit = _parse(base.asm_text) if unit is None else unit
        unit = _apply_rewrites(ctx, base.unit, unit, inv)
        optimized = _optimize(ctx, base.unit, unit, inv, src)
        text = optimized.render()
    if inv.stage == "S":
        write_atomic(dest, text.encode("utf-8", "surrogateescape"))
        return b""
    err = _assemble(ctx, inv, text, dest, inject_fault)
    if optimized is unit:  # the object is a function of the TU and the cached rewrites
        _keep_object(ctx, base.unit, inv, dest)
    return err


class _Lookup:
    """How the TU cache looks for one source: the words and files that key it, and the direct
    mode manifest found under `mkey` (see _baseline)."""

    __slots__ = (
        "started",
        "ident",
        "cwd",
        "base",
        "deps_path",
        "dep_key",
        "lang",
        "relativized",
        "mkey",
        "manifest",
        "env",
        "dep_args",
    )
    started: float  # when the lookup began: files changed since are not trusted (cache.tu.record_files)
    ident: str  # compiler.identity
    cwd: str
    base: str  # base_dir, or ""
    dep_args: list[str]  # the dependency options gcc -S is given (Invocation.dep_args_for)
    deps_path: str | None  # the dependency file they name
    dep_key: list[str]  # dep_args less the file's name
    lang: list[str]
    relativized: bool  # base_dir made words relative
    mkey: str  # the manifest's key
    manifest: Manifest | None
    env: list[str]  # llmcc's version and the environment that changes gcc's output


def _baseline(ctx: Context, inv: args.Invocation, src: str) -> Baseline:
    """gcc's assembly for `src`: from the translation-unit cache when it has it (direct mode:
    the manifest of the source and its headers; else depend mode or preprocessor mode),
    otherwise gcc -S with the user's words and the forced level. Raises GccFailed when gcc
    rejects the source. The Baseline's `unit` says what the cache knows about the unit."""
    cfg, cache = ctx.cfg, ctx.cache
    cache.bump("compiles")
    if not cfg.tu_cache:
        return _gcc_baseline(ctx, inv, src)
    look = _lookup(ctx, inv, src)
    if look is None:
        return _gcc_baseline(ctx, inv, src)  # gcc says what is wrong with the source
    hit = _direct_hit(ctx, look)
    if hit is not None:
        return hit
    # depend mode needs the whole list (-MD, not -MMD) and must not disturb dependency options
    # it does not manage (-Wp,-MD,file writes its own file, and a second -MD would retarget it)
    if (
        cfg.depend_mode
        and (look.deps_path is None or look.dep_args[0] == "-MD")
        and not any(w.startswith(("-M", "-Wp,")) for w in inv.compile_flags)
    ):
        return _depend_baseline(ctx, inv, src, look)
    return _preprocessor_baseline(ctx, inv, src, look)


def _lookup(ctx: Context, inv: args.Invocation, src: str) -> _Lookup | None:
    """The direct-mode key of `src` (its content, the words, the compiler, the environment that
    matters) and the manifest stored under it; None when the source cannot be read."""
    import time

    from cache import key as ckey

    look = _Lookup()
    look.started = time.time()
    look.ident = compiler.identity(inv.cc, cache_dir=ctx.cfg.cache_path_str, lk=ctx.lk)
    look.cwd = cwd = os.getcwd()
    look.base = base = _base_dir(ctx.cfg)
    look.dep_args = dep_args = inv.dep_args_for(src)
    look.deps_path = dep_args[dep_args.index("-MF") + 1] if "-MF" in dep_args else None
    look.dep_key = [w for w in dep_args if w != look.deps_path]  # targets and kind matter, the file name not
    look.lang = ["-x", "c"] if src in inv.forced_c else []
    try:
        with open(src, "rb") as f:
            source = f.read()
    except OSError:
        return None
    # TU entries remember their functions' keys: a new llmcc (another normalization) must not reuse
    # them, and neither must a build whose settings make other keys (_key_flags: isa, dispatch)
    from gcc_wrapper import __version__

    look.env = [
        f"llmcc={__version__}",
        f"isa={ctx.cfg.isa}",
        f"dispatch={ctx.cfg.dispatch}",
        *(f"{k}={os.environ[k]}" for k in _KEY_ENV if k in os.environ),
    ]
    words = plain_words = [*inv.compile_flags, *_color_flags(inv), *look.dep_key, *look.lang, src]
    if base:
        from cache.tu import relative_words

        words = relative_words(words, base, cwd)
    look.relativized = words != plain_words
    # the directory is hashed only where the output depends on it with no file name to show it
    # (profile data read or written relative to it); elsewhere gcc's output tells (_bound)
    where = cwd if any(w.startswith(options.CWD_PREFIXES) for w in inv.compile_flags) else ""
    look.mkey = ckey.manifest_key(look.ident, source, words, where, look.env)
    look.manifest = ctx.cache.get_manifest(look.mkey)
    return look


def _direct_hit(ctx: Context, look: _Lookup) -> Baseline | None:
    """The baseline stored for the manifest's record whose files are as they are now, if any."""
    cache = ctx.cache
    tkey = look.manifest.lookup(look.cwd) if look.manifest is not None else None
    entry = cache.get_tu(tkey, count=False) if tkey else None
    if entry is None or not tkey:
        return None
    cache.bump("tu.hit")
    cache.bump("direct.hit")
    _write_deps(look.deps_path, entry.deps, look.cwd)
    return Baseline(
        entry.asm, entry.stderr.encode("utf-8", "surrogateescape"), UnitState(tkey, entry, dict(entry.functions))
    )


def _preprocessor_baseline(ctx: Context, inv: args.Invocation, src: str, look: _Lookup) -> Baseline:
    """Preprocessor mode, on a direct-mode miss: the TU key is the hash of `gcc -E`'s output (so
    the same preprocessed text from another directory hits), and the manifest records the files
    it read for the next direct-mode lookup."""
    from cache import key as ckey
    from cache.tu import Manifest, ManifestRecord, record_files

    cache, cwd, base, deps_path = ctx.cache, look.cwd, look.base, look.deps_path
    cmd = [inv.cc_name, *inv.compile_flags, "-E", *look.lang, src]
    pre, _, status = _run(ctx, inv.cc, cmd)
    if status != 0:
        return _gcc_baseline(ctx, inv, src)  # gcc -S reports the error as the user's gcc would
    code_args = [*options.code_words(inv.compile_flags), *_color_flags(inv), *look.dep_key, *look.lang]
    tkey = ckey.tu_key(look.ident, pre, code_args + look.env)
    file_macro: list[str] = []
    paths = [src, *_included_files(pre)]
    files = record_files(paths, cwd, look.started, base, file_macro)
    relativized = look.relativized or (files is not None and any(f[0] != p for f, p in zip(files, paths)))
    entry = cache.get_tu(tkey, count=False)
    bound = False
    if entry is None:  # one whose output names its directory (_bound): this directory's, if any
        entry = cache.get_tu(ckey.bound_key(tkey, cwd), count=False)
        bound = entry is not None
    if entry is not None:
        cache.bump("tu.hit")
        _write_deps(deps_path, entry.deps, cwd)
        base_out = Baseline(
            entry.asm,
            entry.stderr.encode("utf-8", "surrogateescape"),
            UnitState(ckey.bound_key(tkey, cwd) if bound else tkey, entry, dict(entry.functions)),
        )
    else:
        cache.bump("tu.miss")
        base_out = _gcc_baseline(ctx, inv, src)
        deps: str | None = ""
        if deps_path is not None:
            try:
                with open(deps_path, encoding="utf-8", errors="surrogateescape") as df:
                    deps = df.read()
            except OSError:
                deps = None
        if deps is not None:  # (a dependency file gcc did not write: do not cache this TU)
            from cache import TUEntry

            deps = _portable_deps(deps, base, cwd)
            bound = _bound(base_out.asm_text, deps, base_out.stderr, base, cwd, bool(file_macro) and relativized)
            pending = TUEntry(base_out.asm_text, deps, base_out.stderr.decode("utf-8", "surrogateescape"))
            base_out.unit = UnitState(ckey.bound_key(tkey, cwd) if bound else tkey, None, None, pending)
    if files is not None:
        cache.put_manifest(look.mkey, (look.manifest or Manifest()).with_record(ManifestRecord(files, tkey, bound)))
    return base_out


def _base_dir(cfg) -> str:
    """base_dir as a normal absolute path, or "" (unset, or not absolute: ccache ignores that too)."""
    base = os.path.expanduser(str(cfg.base_dir))
    return os.path.normpath(base) if os.path.isabs(base) else ""


def _portable_deps(deps: str, base: str, cwd: str) -> str:
    if not base:
        return deps
    from cache.tu import portable_deps

    return portable_deps(deps, base, cwd)


def _bound(asm_text: str, deps: str, stderr: bytes, base: str, cwd: str, file_macro: bool = False) -> bool:
    """Whether gcc's output for this TU is true of this directory only (cache.tu.names_location:
    it names base_dir or the working directory, as gcc or $PWD spell it), or could be without
    showing it: __FILE__ in a compile whose paths base_dir made relative."""
    if file_macro:
        return True
    from cache.tu import names_location

    roots = [base, cwd, os.environ.get("PWD", "")]
    return names_location([asm_text, deps, stderr.decode("utf-8", "surrogateescape")], roots)


def _depend_baseline(ctx: Context, inv: args.Invocation, src: str, look: _Lookup) -> Baseline:
    """Depend mode (ccache's name for it), on a direct-mode miss: no preprocessor run. gcc -S
    also writes the dependency list (into the user's -MD file, else a private one), and the TU
    key is the manifest key plus the content of every file in that list, so the next compile of
    the same source and headers finds it through the manifest. (Preprocessor mode, depend_mode =
    false, pays a `gcc -E` per miss to also hit when the same preprocessed text comes from
    another directory.) A user's -MMD file leaves system headers out, so that case never gets here.
    With base_dir, the list's paths under it are stored relative (cache.tu.portable_deps)."""
    from cache import key as ckey
    from cache.tu import Manifest, ManifestRecord, parse_depfile, record_files

    cache, cwd, base, deps_path = ctx.cache, look.cwd, look.base, look.deps_path
    private = None
    if deps_path is None:
        tmp_dir = os.path.join(cache.root_str, "tmp")
        try:
            os.makedirs(tmp_dir, exist_ok=True)
        except OSError:
            cache.bump("tu.miss")
            return _gcc_baseline(ctx, inv, src)  # nowhere to put the list: compile uncached
        private = temp_beside(os.path.join(tmp_dir, "deps"))
    try:
        base_out = _gcc_baseline(ctx, inv, src, [] if private is None else ["-MD", "-MF", private])
        try:
            with open(str(private or deps_path), encoding="utf-8", errors="surrogateescape") as f:
                deps = f.read()
        except OSError:
            deps = None
    finally:
        if private is not None and os.path.lexists(private):
            os.unlink(private)
    cache.bump("tu.miss")
    file_macro: list[str] = []
    files = record_files(parse_depfile(deps), cwd, look.started, base, file_macro) if deps is not None else None
    if files is None:  # a header changed during the compile, or __DATE__ and friends: not a function of the files
        return base_out
    from cache import TUEntry

    stored = "" if private is not None else _portable_deps(deps or "", base, cwd)
    relativized = look.relativized or any(f[0] != p for f, p in zip(files, dict.fromkeys(parse_depfile(deps or ""))))
    bound = _bound(base_out.asm_text, stored, base_out.stderr, base, cwd, bool(file_macro) and relativized)
    tkey = ckey.depend_tu_key(look.mkey, files)
    cache.put_manifest(look.mkey, (look.manifest or Manifest()).with_record(ManifestRecord(files, tkey, bound)))
    key = ckey.bound_key(tkey, cwd) if bound else tkey
    pending = TUEntry(base_out.asm_text, stored, base_out.stderr.decode("utf-8", "surrogateescape"))
    base_out.unit = UnitState(key, None, None, pending)
    return base_out


def _gcc_baseline(ctx: Context, inv: args.Invocation, src: str, extra: list[str] | None = None) -> Baseline:
    """gcc -S of `src` with the user's words and the forced level (and `extra` words)."""
    cmd = [inv.cc_name, *inv.compile_flags, *_color_flags(inv), *inv.dep_args_for(src), *(extra or ()), "-S", "-o", "-"]
    if src in inv.forced_c:
        cmd += ["-x", "c"]
    cmd.append(src)
    out, err, status = _run(ctx, inv.cc, cmd)
    if status != 0:
        raise GccFailed(status, err)
    return Baseline(asm_text=out.decode("utf-8", "surrogateescape"), stderr=err)


def _prepare_keys(ctx: Context, base: Baseline, inv: args.Invocation):
    """Make base.unit.fn_keys hold the key of every function of the unit that could have a cached
    rewrite, and base.unit.found the rewrites found for them. Runs on every compile, translation-unit
    hit or not, so a rewrite accepted since the last build takes effect now. Returns the parsed
    unit when it had to parse gcc's assembly, else None.

    Keys map names to "" until computed: with no shared tier and no optimizer (mode off), only
    the functions whose names are in the cache's names index can have a rewrite, so only those
    are normalized and hashed (most files of a build have none, and skip asm parsing entirely).
    A translation-unit entry keeps the keys computed so far; a later hit computes the rest when
    their names turn up in the index."""
    cfg, cache, st, asm_text = ctx.cfg, ctx.cache, base.unit, base.asm_text
    keys = dict(st.fn_keys) if st.fn_keys is not None else dict.fromkeys(_function_names(asm_text), "")
    wanted = None if str(cfg.mode) != "off" or cfg.remote else cache.function_names()
    unit = None
    missing = [n for n, k in keys.items() if not k and (wanted is None or n in wanted)]
    if missing or (wanted is None and not keys):
        unit = _parse(asm_text)
        for name in unit.functions:
            keys.setdefault(name, "")
        missing = [n for n, k in keys.items() if not k and (wanted is None or n in wanted) and n in unit.functions]
        keys.update(function_keys(unit, inv, cfg, only=missing, lk=ctx.lk))
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


def _apply_rewrites(ctx: Context, st: UnitState, unit, inv: args.Invocation):
    """Replace the functions that have accepted rewrites in the cache (st.found, filled by
    _prepare_keys: local, then the shared tier)."""
    cache = ctx.cache
    assert st.fn_keys is not None and st.found is not None  # _prepare_keys ran
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
    "CPATH",
    "C_INCLUDE_PATH",
    "GCC_EXEC_PREFIX",
    "COMPILER_PATH",
    "SOURCE_DATE_EPOCH",
    "LANG",
    "LC_ALL",
    "LC_MESSAGES",
    "LC_CTYPE",
    "GCC_COLORS",
)


def function_keys(unit, inv: args.Invocation, cfg, only=None, lk: compiler.Lookups | None = None) -> dict[str, str]:
    """name -> cache key of each function of a unit as gcc made it (asm.Function.normalized(),
    compiler identity, the code/ABI flags with -march=native expanded, the allowed ISA); of the
    functions named in `only`, when given. The one definition of a function's key: the
    optimizer stores accepted rewrites under these. (`lk`: the compile's lookups, if any.)"""
    from cache.key import function_key

    if only is not None and not only:
        return {}
    lk = compiler.Lookups() if lk is None else lk
    ident = compiler.identity(inv.cc, cache_dir=cfg.cache_path_str, lk=lk)
    flags, isa = _key_flags(inv, cfg, lk)
    fns = unit.functions.items() if only is None else ((n, unit.functions[n]) for n in only)
    return {name: function_key(fn.normalized(), ident, flags, isa) for name, fn in fns}


def _key_flags(inv: args.Invocation, cfg, lk: compiler.Lookups) -> tuple[list[str], str]:
    """The code flags and allowed ISA that go into function keys; "native" means this host's CPU,
    so it is replaced by what gcc says it means here."""
    native = None
    flags: list[str] = []
    for w in inv.code_flags:
        if w in ("-march=native", "-mtune=native", "-mcpu=native"):
            if native is None:
                native = compiler.expand_march_native(inv.cc, cache_dir=cfg.cache_path_str, lk=lk)
                flags += native
        else:
            flags.append(w)
    isa = str(cfg.isa or inv.isa)
    if isa == "native":
        if native is None:
            native = compiler.expand_march_native(inv.cc, cache_dir=cfg.cache_path_str, lk=lk)
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
    return DISPATCH_LEVELS[DISPATCH_LEVELS.index(isa) + 1 :]


def _included_files(pre: bytes) -> list[str]:
    """The files the preprocessor read, from the line markers of its output."""
    import re

    seen: dict[bytes, None] = {}
    for m in re.finditer(rb'^# \d+ "((?:[^"\\]|\\.)*)"', pre, re.M):
        name = m.group(1)
        # <built-in>, <command-line>, and the working directory ("/dir//") that -g records
        if name.startswith(b"<") or name.endswith(b"//") or name in seen:
            continue
        seen[name] = None
    return [re.sub(r"\\(.)", r"\1", n.decode("utf-8", "surrogateescape")) for n in seen]


def _write_deps(path: str | None, text: str, cwd: str) -> None:
    if path is not None:
        if "\0" in text:  # paths under base_dir, stored relative: this checkout's (cache.tu.portable_deps)
            from cache.tu import local_deps

            text = local_deps(text, cwd)
        write_atomic(path, text.encode("utf-8", "surrogateescape"))


def _reuse_object(ctx: Context, st: UnitState, inv: args.Invocation, dest: str) -> bool:
    """On a translation-unit hit, write the object built earlier from the same TU and the same
    cached rewrites, if there is one. In sync mode only once the optimizer has finished with the
    unit (_finished_marker exists): until then it must see the unit again."""
    if st.entry is None or st.fn_keys is None or st.found is None:
        return False
    cfg, cache = ctx.cfg, ctx.cache
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


def _keep_object(ctx: Context, st: UnitState, inv: args.Invocation, dest: str) -> None:
    """Store the object just assembled under its TU and the rewrites that were looked up."""
    if not st.key or st.found is None:
        return
    from cache.key import object_key

    try:
        with open(dest, "rb") as f:
            data = f.read()
    except OSError:
        return
    ctx.cache.put_object(object_key(st.key, [e.digest for e in st.found.values()], inv.asm_flags), data)


def _optimize(ctx: Context, st: UnitState, unit, inv: args.Invocation, src: str):
    """Optimize or queue the hot functions of `unit` (the optimizer's sync and queue modes);
    returns the unit to render. An optimizer failure costs the rewrites, never the build."""
    cfg = ctx.cfg
    if str(cfg.mode) not in ("sync", "queue"):
        return unit
    try:
        finished = None
        if st.key:
            finished = _finished_marker(ctx.cache.root_str, st.key, cfg)
            if str(cfg.mode) == "sync" and os.path.exists(finished):
                return unit  # done with this unit (as _reuse_object trusts): no optimizer to load (~0.1 s)
        from gcc_wrapper.optimize import run as optimize

        keys = st.baseline_keys() or function_keys(unit, inv, cfg, lk=ctx.lk)
        flags, isa = _key_flags(inv, cfg, ctx.lk)
        job = optimize.UnitJob(os.path.abspath(src), os.getcwd(), inv.cc, tuple(inv.compile_flags), tuple(flags), isa)
        return optimize.optimize_unit(unit, job, cfg, keys, finished=finished)[0]
    except Exception as e:  # noqa: BLE001 - keep gcc's (and the cache's) unit
        llmcc_log.write(cfg, "optimize", _reason(e), _describe(e), list(inv.argv))
        return unit


def _parse(text: str):
    from gcc_wrapper.compile import asm

    return asm.parse(text)


def _assemble(ctx: Context, inv: args.Invocation, text: str, dest: str, inject_fault: bool = False) -> bytes:
    """Assemble `text` into `dest` (atomically) as gcc -c would: with the `as` command gcc would
    run (compiler.assembler_command), else through the gcc driver. Returns the assembler's stderr."""
    data = text.encode("utf-8", "surrogateescape")
    if inject_fault:
        data += b"\t.llmcc_injected_fault\n"
    tmp = temp_beside(dest)
    direct = compiler.assembler_command(inv.cc, inv.asm_flags, cache_dir=ctx.cfg.cache_path_str, lk=ctx.lk)
    try:
        if direct is not None:
            cmd = [tmp if w == compiler._AS_OUTPUT else w for w in direct]
            _, err, status = _run(ctx, inv.cc, cmd, stdin=data, program=cmd[0])
        else:
            cmd = [inv.cc_name, *inv.asm_flags, "-c", "-x", "assembler", "-o", tmp, "-"]
            _, err, status = _run(ctx, inv.cc, cmd, stdin=data)
        if status != 0:
            raise AssembleError(err.decode("utf-8", "replace").strip()[-2000:])
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return err


def _link(ctx: Context, inv: args.Invocation, objects: dict[int, str]) -> int:
    from gcc_wrapper.compile import spawn

    words = [objects.get(i, w) for i, w in enumerate(inv.link_args)]
    sys.stdout.flush()
    sys.stderr.flush()
    return spawn.call([inv.cc_name, *words], inv.cc, compiler.child_env(inv.cc, ctx.lk))


def _run(
    ctx: Context, cc: str, cmd: list[str], stdin: bytes | None = None, program: str | None = None
) -> tuple[bytes, bytes, int]:
    """Run `program` (default: the compiler `cc`) with argv `cmd`; (stdout, stderr, status)."""
    from gcc_wrapper.compile import spawn

    return spawn.run(cmd, program or cc, compiler.child_env(cc, ctx.lk), stdin)


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


def _exec(ctx: Context, cc: str, rest: list[str]) -> int:
    """Become the real gcc: same argv, stdin, stdout, stderr and exit status."""
    return compiler.exec_compiler(cc, rest, ctx.lk, ctx.in_place)


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


def _fallback(ctx: Context, cc: str, rest: list[str], reason: str, detail: str) -> int:
    """Log and count an internal failure, then let the real gcc do the whole job."""
    llmcc_log.write(ctx.cfg, "fallback", reason, detail, rest)
    if ctx.cfg is not None:
        try:
            cache = ctx.cache
            cache.bump(f"fallback.{reason}")
            cache.close()  # exec replaces the process: atexit would never flush
        except Exception:  # noqa: BLE001 - statistics are best effort
            pass
    return _exec(ctx, cc, rest)
