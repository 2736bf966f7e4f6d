"""Cache keys: what goes into each hash, and nothing else.

Every key is a BLAKE2b-160 digest (40 hex digits, like ccache's) over a domain name, the cache
format version and a sequence of length-prefixed fields, so that no two different inputs can
produce the same byte stream ("ab" + "c" and "a" + "bc" hash differently).

    function_key  -- an accepted rewrite of one function (shared across files, directories, machines)
    tu_key        -- gcc's assembly for one preprocessed translation unit (preprocessor mode)
    manifest_key  -- the direct-mode manifest of one source file compiled one way
    object_key    -- the final object: a TU key plus the rewrites that were substituted into it

docs/cache.md says why each field is there.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # collections.abc imports collections: ~2 ms of a warm compile
    from collections.abc import Iterable, Sequence

try:  # hashlib's own import starts OpenSSL (3-10 ms of every compile); BLAKE2 does not need it
    from _blake2 import blake2b
except ImportError:  # another Python implementation
    from hashlib import blake2b

# Bump when the meaning of a key or the layout of an entry changes: old entries then simply miss.
FORMAT = 1


class Hasher:
    """Length-prefixed fields into one BLAKE2b-160 digest."""

    def __init__(self, domain: str) -> None:
        self._h = blake2b(digest_size=20)
        self.add(f"llmcc/{FORMAT}/{domain}")

    def add(self, field: str | bytes) -> Hasher:
        data = field.encode() if isinstance(field, str) else field
        self._h.update(len(data).to_bytes(8, "little"))
        self._h.update(data)
        return self

    def add_all(self, fields: Iterable[str | bytes]) -> Hasher:
        items = list(fields)
        self.add(str(len(items)))
        for f in items:
            self.add(f)
        return self

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def function_key(normalized_asm: str, compiler_id: str, code_flags: Sequence[str], isa: str) -> str:
    """Key of a function's accepted rewrite.

    normalized_asm: asm.Function.normalized() of gcc's baseline (no file names, positions or
    label numbers, so the same function in another file or directory has the same key);
    compiler_id: compiler.identity(cc); code_flags: the flags that change code or ABI, in the
    order given (order can matter: the last -march wins); isa: the allowed instruction set, with
    the levels a rewrite may dispatch to (dispatch_isa)."""
    return Hasher("function").add(normalized_asm).add(compiler_id).add_all(code_flags).add(isa).hexdigest()


# How a function key's isa field says that rewrites may dispatch to higher x86-64 levels
# (the `dispatch` setting): "x86-64+dispatch:x86-64-v2,x86-64-v3,x86-64-v4". A rewrite that
# dispatches is stored only under such a key, so a build with dispatch off never finds one; with
# dispatch off the field is the plain ISA, as before the setting existed.
_DISPATCH = "+dispatch:"


def dispatch_isa(isa: str, levels: Sequence[str]) -> str:
    """The isa field of function keys for a build whose rewrites may dispatch to `levels`."""
    return f"{isa}{_DISPATCH}{','.join(levels)}" if levels else isa


def split_dispatch_isa(isa: str) -> tuple[str, tuple[str, ...]]:
    """dispatch_isa's inverse: the ISA and the levels (none when it does not dispatch)."""
    base, sep, levels = isa.partition(_DISPATCH)
    return (base, tuple(levels.split(","))) if sep and levels else (isa, ())


def tu_key(compiler_id: str, preprocessed: bytes, code_args: Sequence[str]) -> str:
    """Key of gcc's output for a translation unit: the preprocessed text (which already reflects
    -I, -D and the headers' contents) and the arguments that affect code generation."""
    return Hasher("tu").add(compiler_id).add(preprocessed).add_all(code_args).hexdigest()


def manifest_key(compiler_id: str, source: bytes, args: Sequence[str], cwd: str, env: Sequence[str] = ()) -> str:
    """Key of a direct-mode manifest: the source file's bytes, every argument that can change the
    preprocessed text or the code (everything except output and dependency-file names; paths
    under base_dir relative to the working directory), the working directory when the output
    depends on it in a way no file names show (profile data; "" otherwise: -g's directory is
    seen in gcc's output, see tu.names_location and bound_key) and the environment variables the
    preprocessor reads (CPATH, C_INCLUDE_PATH, ...)."""
    return Hasher("manifest").add(compiler_id).add(source).add_all(args).add(cwd).add_all(env).hexdigest()


def depend_tu_key(manifest_key: str, files: Sequence[tuple[str, str]]) -> str:
    """Depend mode's TU key: everything the manifest key covers (compiler, source, arguments,
    working directory, environment) plus each file the compile read, with its content hash."""
    return Hasher("tu-depend").add(manifest_key).add_all(f"{p}\0{h}" for p, h in files).hexdigest()


def bound_key(tu_key: str, cwd: str) -> str:
    """Key of a TU entry whose output names the directory it was compiled in (-g's comp_dir,
    __FILE__ of an absolute path): the TU key made specific to that directory."""
    return Hasher("tu-at").add(tu_key).add(cwd).hexdigest()


def object_key(tu: str, rewrites: Sequence[str], assembler_args: Sequence[str]) -> str:
    """Key of a final object: the TU key, the checksums of the rewrite entries substituted into it
    (sorted: order of lookup does not matter) and the arguments that reach the assembler. A newly
    accepted rewrite changes this key, so it takes effect on the next build."""
    return Hasher("object").add(tu).add_all(sorted(rewrites)).add_all(assembler_args).hexdigest()


def content_hash(data: bytes) -> str:
    """Hash of a file's contents, as recorded in manifests."""
    return blake2b(data, digest_size=20).hexdigest()
