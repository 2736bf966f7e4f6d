"""Which gcc is the real one, and what it is.

`find_real_compiler` decides which program llmcc stands in for:

1. launcher mode: the first word is a compiler (CMake's CMAKE_C_COMPILER_LAUNCHER runs
   `llmcc /usr/bin/cc -c ...`); that compiler is the real one;
2. `$LLMCC_CC` or the config value `cc`;
3. otherwise the first program on PATH with the name llmcc was called by (when installed
   as gcc/cc through a symlink) or `gcc`, that is not llmcc itself.

Loops are impossible by construction: a candidate whose real path is llmcc's own is
skipped, and every compiler llmcc runs is remembered in `$LLMCC_SEEN` so that a wrapper
script that calls llmcc again (which realpath cannot see through) is skipped by the
nested llmcc.

`identity` and `expand_march_native` ask gcc once and keep the answer in a small JSON
file under the cache directory, keyed by the binary's path, size and mtime.
"""

from __future__ import annotations

import os
import sys

SEEN_ENV = "LLMCC_SEEN"
_CACHE_FILE = "compilers.json"


class CompilerNotFound(Exception):
    """No real compiler to run."""


class Lookups:
    """What one llmcc run learns about paths and compilers, remembered for that run only: real
    paths (a compile asks about the same few, llmcc and gcc, a dozen times, each answer costing a
    stat per path component), PATH searches, and the compiler-facts files read (`_load`). Passed
    explicitly to every function here that asks; made afresh for each compile (a compile server's
    worker keeps nothing of one compile for the next)."""

    __slots__ = ("real", "which", "loaded")

    def __init__(self) -> None:
        self.real: dict[str, str] = {}
        self.which: dict[str, list[str]] = {}
        self.loaded: dict[str, dict] = {}  # path -> its contents: the identity, `as` and -march=native share a file

    def realpath(self, path: str) -> str:
        got = self.real.get(path)
        if got is None:
            got = self.real[path] = os.path.realpath(path)
        return got

    def which_all(self, name: str) -> list[str]:
        """Every executable `name` on PATH, in order."""
        path = os.environ.get("PATH", os.defpath)
        key = f"{name}\0{path}"
        found = self.which.get(key)
        if found is None:
            found = self.which[key] = [
                p
                for d in path.split(os.pathsep)
                if os.path.isfile(p := os.path.join(d or ".", name)) and os.access(p, os.X_OK)
            ]
        return list(found)


def _self_paths(prog: str, lk: Lookups) -> set[str]:
    paths = {lk.realpath(sys.argv[0])} if sys.argv and sys.argv[0] else set()
    if os.sep in prog:
        paths.add(lk.realpath(prog))
    for name in ("llmcc", "llmcc-py"):  # the native client and the Python entry behind it
        paths.add(lk.realpath(os.path.join(os.path.dirname(sys.executable), name)))
    return paths


def _seen() -> set[str]:
    return {p for p in os.environ.get(SEEN_ENV, "").split(os.pathsep) if p}


def _resolve(name: str, lk: Lookups) -> str | None:
    if os.sep in name:
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    found = lk.which_all(name)
    return found[0] if found else None


def _is_compiler_word(word: str, self_paths: set[str], lk: Lookups) -> str | None:
    """The path of `word` if it names a compiler executable (launcher mode), else None."""
    if word.startswith("-") or word.startswith("@"):
        return None
    base = os.path.basename(word)
    if os.path.splitext(base)[1] in (".c", ".o", ".a", ".so", ".s", ".S", ".i"):
        return None
    if os.sep in word:
        if not (os.path.isfile(word) and os.access(word, os.X_OK)):
            return None
        if lk.realpath(word) in self_paths:
            return word
        return word if (_gcc_name(base) or _looks_like_compiler(base)) else None
    if not (_gcc_name(base) or _looks_like_compiler(base) or base == "llmcc"):
        return None
    return _resolve(word, lk)


def _compiler_kind(base: str) -> str:
    """The compiler a program name names: "gcc|cc|c89|c99|clang|g++|c++", optionally after a
    "target-" prefix and before a "-version" suffix (x86_64-linux-gnu-gcc-12, clang-15), or "".
    (String work rather than a regular expression: this runs before llmcc knows it compiles.)"""
    name = base
    head, dash, tail = name.rpartition("-")
    if dash and tail and all(part.isdigit() for part in tail.split(".")):
        name = head
    name = name.rpartition("-")[2]
    return name if name in ("gcc", "cc", "c89", "c99", "clang", "g++", "c++") else ""


def _gcc_name(base: str) -> bool:
    return _compiler_kind(base) in ("gcc", "cc", "c89", "c99")


def _looks_like_compiler(base: str) -> bool:
    """Another compiler a launcher may be given (llmcc passes its command lines through)."""
    return _compiler_kind(base) in ("clang", "g++", "c++")


def find_real_compiler(prog: str, argv: list[str], cfg, lk: Lookups | None = None) -> tuple[str, list[str]]:
    """(path of the real compiler, the words to give it). Raises CompilerNotFound."""
    lk = Lookups() if lk is None else lk
    selves = _self_paths(prog, lk)
    seen = _seen()
    # launcher mode (possibly `llmcc llmcc ...` when CMAKE_C_COMPILER is llmcc as well)
    while argv:
        cc = _is_compiler_word(argv[0], selves, lk)
        if cc is None:
            break
        argv = argv[1:]
        if lk.realpath(cc) not in selves:
            return cc, argv
    configured = str(getattr(cfg, "cc", "") or "") if cfg is not None else os.environ.get("LLMCC_CC", "")
    if configured:
        cc = _resolve(configured, lk)
        if cc is None:
            raise CompilerNotFound(f"the configured compiler {configured!r} was not found")
        if lk.realpath(cc) not in selves and lk.realpath(cc) not in seen:
            return cc, argv
    names = []
    base = os.path.basename(prog)
    if _gcc_name(base):
        names.append(base)
    names.append("gcc")
    for name in names:
        for cc in lk.which_all(name):
            real = lk.realpath(cc)
            if real in selves or real in seen or cc in seen:
                continue
            return cc, argv
    raise CompilerNotFound("no gcc on PATH other than llmcc itself (set LLMCC_CC)")


def pass_through_early(prog: str, argv: list[str], lk: Lookups) -> int | None:
    """Exec the real gcc at once when llmcc will not compile this command line and no
    configuration file could change that or which gcc runs; otherwise return None (the driver
    takes over), or 127 when the compiler cannot be run. It decides exactly as the driver would
    (args.parse, find_real_compiler, LLMCC_CC, LLMCC_DISABLE) but loads neither the driver nor
    the configuration, so `--version`, -E, -M and link lines cost one interpreter start-up."""
    try:
        if _config_files_exist(lk):
            return None
        cc, rest = find_real_compiler(prog, argv, None, lk)
        if not _truthy(os.environ.get("LLMCC_DISABLE", "")) and is_gcc(cc, lk):
            from gcc_wrapper.compile import args

            if args.parse(rest).kind == "compile":
                return None
    except Exception:  # noqa: BLE001 - CompilerNotFound or worse: the driver says or falls back
        return None
    return exec_compiler(cc, rest, lk)


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")  # as config.py reads booleans


def _config_files_exist(lk: Lookups) -> bool:
    """Whether config.load would read a file (config_files' rule, without importing config)."""
    from gcc_wrapper.compile import config_files

    return config_files.any_exists(lk.realpath)


def exec_compiler(cc: str, rest: list[str], lk: Lookups, in_place: bool = True) -> int:
    """Become the real gcc: same argv, stdin, stdout, stderr and exit status. Returns (127) only
    when it cannot be run, having said why. Not `in_place` (a compile server's worker, which must
    live on to report the status), "becoming gcc" means running it on our streams and waiting."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if not in_place:
            from gcc_wrapper.compile import spawn

            return spawn.call([run_name(cc, lk), *rest], cc, child_env(cc, lk))
        os.execve(cc, [run_name(cc, lk), *rest], child_env(cc, lk))
    except OSError as e:
        print(f"llmcc: error: cannot run {cc}: {e.strerror}", file=sys.stderr)
    return 127


def run_name(cc: str, lk: Lookups) -> str:
    """argv[0] to run `cc` with: its bare name when a PATH search for that name finds it (so gcc
    reports itself, e.g. COLLECT_GCC in -v, exactly as when the user runs it), else the path."""
    base = os.path.basename(cc)
    if os.sep in cc and _resolve(base, lk) == cc:
        return base
    return cc


def child_env(cc: str, lk: Lookups) -> dict[str, str]:
    """The environment for running `cc`: ours, with `cc` remembered in $LLMCC_SEEN."""
    env = dict(os.environ)
    seen = env.get(SEEN_ENV, "")
    real = lk.realpath(cc)
    if real not in seen.split(os.pathsep):
        env[SEEN_ENV] = seen + os.pathsep + real if seen else real
    return env


def is_gcc(cc: str, lk: Lookups | None = None) -> bool:
    """Whether `cc` is a GNU C compiler driver (not g++, clang, ...), judged by its real name."""
    return _gcc_name(os.path.basename((lk or Lookups()).realpath(cc)))


# --- facts about a compiler, cached on disk ---------------------------------------------------


def _stat_key(path: str, lk: Lookups) -> str:
    real = lk.realpath(path)
    st = os.stat(real)
    return f"{real}:{st.st_size}:{st.st_mtime_ns}"


def _cache_file(cache_dir: str | os.PathLike | None) -> str:
    if cache_dir is None:
        from gcc_wrapper.compile import config

        cache_dir = config.load().cache_path_str
    return os.path.join(cache_dir, _CACHE_FILE)


def _load(path: str, lk: Lookups) -> dict:
    """The compiler-facts file at `path`, read once per compile: a compile asks for the
    identity, the assembler command and maybe -march=native, and each answer is in the same file."""
    if path not in lk.loaded:
        lk.loaded[path] = _read(path)
    return lk.loaded[path]


def _read(path: str) -> dict:
    # not json: it imports re, which a warm compile does without
    from cache.json_light import loads

    try:
        with open(path) as f:
            data = loads(f.read())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _store(path: str, answers: dict, lk: Lookups) -> None:
    """Merge answers (key -> value) into the cache file (temp + rename; a lost race only costs a
    re-ask)."""
    from cache.json_light import dumps_compact
    from gcc_wrapper.compile.files import write_atomic

    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        data = _read(path)  # what other processes stored since this one read it
        data.update(answers)
        lk.loaded[path] = data
        write_atomic(path, dumps_compact(data))  # (json would import re: ~3 ms on a first compile)
    except OSError:
        pass


def _run(cc: str, args: list[str], lk: Lookups) -> tuple[int, str, str]:
    from gcc_wrapper.compile import spawn

    out, err, status = spawn.run([cc, *args], cc, child_env(cc, lk))
    return status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def _file_digest(path: str) -> str:
    """The binary's GNU build ID (a hash the linker computed over its contents; cheap to read)
    or, for a binary without one, a hash of its contents."""
    build_id = _elf_build_id(path)
    if build_id:
        return "build-id:" + build_id
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _elf_build_id(path: str) -> str | None:
    """NT_GNU_BUILD_ID from the PT_NOTE segments of a 64-bit little-endian ELF file."""
    import struct

    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            phoff = struct.unpack_from("<Q", head, 0x20)[0]
            phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            for i in range(phnum):
                p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", table, i * phentsize)
                if p_type != 4 or p_filesz > 1 << 16:  # PT_NOTE
                    continue
                f.seek(p_offset)
                notes = f.read(p_filesz)
                pos = 0
                while pos + 12 <= len(notes):
                    namesz, descsz, n_type = struct.unpack_from("<III", notes, pos)
                    name_at = pos + 12
                    desc_at = name_at + ((namesz + 3) & ~3)
                    if n_type == 3 and notes[name_at : name_at + namesz] == b"GNU\x00":
                        return notes[desc_at : desc_at + descsz].hex()
                    pos = desc_at + ((descsz + 3) & ~3)
    except (OSError, struct.error):
        return None
    return None


def identity(cc: str, *, cache_dir: str | os.PathLike | None = None, lk: Lookups | None = None) -> str:
    """A string that changes whenever the code `cc` generates may change:
    "gcc <full version> <target> <digest of the driver's and cc1's build IDs>". It is the same
    on every machine with the same gcc build, so shared cache entries match across machines."""
    lk = Lookups() if lk is None else lk
    path = _cache_file(cache_dir)
    key = "identity " + _stat_key(cc, lk)
    cached = _load(path, lk).get(key)
    if isinstance(cached, dict) and _cc1_unchanged(cached.get("cc1", ""), lk):
        return str(cached["identity"])
    version, machine, cc1, assembler = _describe(cc, lk)
    parts = [_file_digest(lk.realpath(cc))]
    if os.sep in cc1 and os.path.isfile(cc1):
        parts.append(_file_digest(cc1))
        cc1_key = _stat_key(cc1, lk)
    else:
        cc1_key = ""
    import hashlib

    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=8).hexdigest()
    ident = f"gcc {version} {machine} {digest}"
    answers: dict[str, object] = {key: {"identity": ident, "cc1": cc1_key}}
    # what assembler_command(cc, ()) would ask gcc (which it asks nothing when these move `as`)
    if assembler and "GCC_EXEC_PREFIX" not in os.environ and "COMPILER_PATH" not in os.environ:
        answers[_assembler_key(cc, (), lk)] = assembler
    _store(path, answers, lk)
    return ident


def _describe(cc: str, lk: Lookups) -> tuple[str, str, str, list[str]]:
    """(full version, target, cc1's path, assembler command) of `cc`: what -dumpfullversion,
    -dumpmachine and -print-prog-name=cc1 print, read from one `-###` run (the first compile into
    a new cache pays one gcc start instead of four), else asked one by one. The assembler command
    is the one this run shows, reading from stdin: gcc runs the same `as` for assembly read from
    stdin as for the assembly cc1 wrote (the same spec), so it answers assembler_command for a
    command line with no assembler options; [] when the run does not show exactly one."""
    status, _, err = _run(cc, ["-###", "-x", "c", "-c", os.devnull, "-o", _AS_OUTPUT], lk)
    version = machine = cc1 = ""
    commands = []
    for line in err.splitlines():
        if line.startswith("Target: "):
            machine = line[8:].strip()
        elif line.startswith("gcc version ") and len(line.split()) >= 3:
            version = line.split()[2]
        elif line.startswith(" "):
            commands.append(line)
            first = line.split()[0].strip('"')
            if os.path.basename(first) == "cc1" and not cc1:
                cc1 = first
    if status == 0 and version and machine and cc1:
        assembler = []
        if len(commands) == 2:
            words = _split_verbose(commands[1])
            if words and words[-1].endswith(".s") and _is_assembler(words, words[-1]):
                assembler = [*words[:-1], "-"]
        return version, machine, cc1, assembler
    return (
        _run(cc, ["-dumpfullversion"], lk)[1].strip(),
        _run(cc, ["-dumpmachine"], lk)[1].strip(),
        _run(cc, ["-print-prog-name=cc1"], lk)[1].strip(),
        [],
    )


def _is_assembler(words: list[str], source: str) -> bool:
    """Whether a command gcc -### shows is one `as` reading `source` and writing _AS_OUTPUT."""
    prog = os.path.basename(words[0]) if words else ""
    return (prog == "as" or prog.endswith("-as")) and words[-1] == source and words.count(_AS_OUTPUT) == 1


def _cc1_unchanged(cc1_key: str, lk: Lookups) -> bool:
    if not cc1_key:
        return True
    path = cc1_key.rsplit(":", 2)[0]
    try:
        return _stat_key(path, lk) == cc1_key
    except OSError:
        return False


_AS_OUTPUT = "/llmcc-assembler-output.o"  # stands for the object path in a cached command


def assembler_command(
    cc: str, asm_flags, *, cache_dir: str | os.PathLike | None = None, lk: Lookups | None = None
) -> list[str] | None:
    """The assembler command `cc <asm_flags> -c -x assembler - -o OUT` runs, as gcc -### shows
    it, with OUT as `_AS_OUTPUT`; None when gcc would run more or other than one `as` (then the
    gcc driver assembles). Running it directly saves a process per compile; the answer is
    cached per compiler and flags."""
    if "GCC_EXEC_PREFIX" in os.environ or "COMPILER_PATH" in os.environ:
        return None  # they move where gcc finds as: let gcc look
    lk = Lookups() if lk is None else lk
    path = _cache_file(cache_dir)
    key = _assembler_key(cc, asm_flags, lk)
    cached = _load(path, lk).get(key)
    if isinstance(cached, list):
        return [str(w) for w in cached] or None
    status, _, err = _run(cc, [*asm_flags, "-###", "-c", "-x", "assembler", "-", "-o", _AS_OUTPUT], lk)
    cmd: list[str] = []
    lines = [ln for ln in err.splitlines() if ln.startswith(" ")]
    if status == 0 and len(lines) == 1:
        words = _split_verbose(lines[0])
        if _is_assembler(words, "-"):
            cmd = words
    _store(path, {key: cmd}, lk)
    return cmd or None


def _assembler_key(cc: str, asm_flags, lk: Lookups) -> str:
    return f"as {_stat_key(cc, lk)} " + "\x1f".join(asm_flags)


def _split_verbose(line: str) -> list[str]:
    """The words of a command as gcc -### prints it: bare, or in double quotes with `"`, `\\`
    and `$` escaped by a backslash (gcc.cc's rule). shlex would do, but it imports re: ~5 ms on
    the first compile into a new cache."""
    words: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] == " ":
            i += 1
            continue
        word = []
        if line[i] == '"':
            i += 1
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                word.append(line[i])
                i += 1
            i += 1
        else:
            while i < n and line[i] != " ":
                word.append(line[i])
                i += 1
        words.append("".join(word))
    return words


def _host_cpu() -> str:
    import hashlib

    try:
        with open("/proc/cpuinfo") as f:
            lines = [
                ln
                for ln in f.read().split("\n\n", 1)[0].splitlines()
                if ln.startswith(("model name", "flags", "vendor_id", "cpu family", "model\t"))
            ]
    except OSError:
        lines = []
    return hashlib.blake2b("\n".join(lines).encode(), digest_size=8).hexdigest()


def expand_march_native(cc: str, *, cache_dir: str | os.PathLike | None = None, lk: Lookups | None = None) -> list[str]:
    """What -march=native means for `cc` on this host: ["-march=znver3", "-mmmx", ...,
    "--param", "l1-cache-size=32", ..., "-mtune=znver3"], as the driver hands them to cc1."""
    lk = Lookups() if lk is None else lk
    path = _cache_file(cache_dir)
    key = f"native {_stat_key(cc, lk)} {_host_cpu()}"
    cached = _load(path, lk).get(key)
    if isinstance(cached, list):
        return [str(x) for x in cached]
    _, _, err = _run(cc, ["-march=native", "-E", "-v", "-x", "c", os.devnull], lk)
    flags: list[str] = []
    for line in err.splitlines():
        words = line.split()
        if words and os.path.basename(words[0]) == "cc1" and any(w.startswith("-march=") for w in words):
            i = 0
            while i < len(words):
                w = words[i]
                if w.startswith("-m") and (w.startswith(("-march=", "-mtune=")) or len(w) > 2):
                    flags.append(w)
                elif w == "--param" and i + 1 < len(words):
                    flags += [w, words[i + 1]]
                    i += 1
                i += 1
            break
    # -m64/-mtune=generic style words before -march= are the default target, not "native"
    if flags:
        start = next(i for i, w in enumerate(flags) if w.startswith("-march="))
        flags = flags[start:]
        _store(path, {key: flags}, lk)
    return flags
