"""Configuration: `LLMCC_*` environment variables, then `llmcc.toml` found by
walking up from the working directory, then `~/.config/llmcc/config.toml`,
then the defaults below (where the files are: config_files).

This module is on the compile path, so it imports only light standard-library modules
(no dataclasses or typing: together they cost more than the rest of a compile's imports; no
pathlib: ~10 ms with what it imports, so paths are strings inside and the Path-returning
functions import it when called) and reads a TOML file only when one exists.
"""

from __future__ import annotations

import os

from gcc_wrapper.compile import config_files

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# name -> (default, type, one-line description). The order is the order `llmcc config` prints.
SETTINGS: dict[str, tuple[object, type, str]] = {
    "cc": ("", str, "the real C compiler (default: first gcc on PATH that is not llmcc)"),
    "opt": ("O3", str, "optimization level forced last on the command line; 'keep' keeps the user's"),
    "disable": (False, bool, "pure pass-through to the real compiler"),
    "debug": (False, bool, "print llmcc's own problems to stderr"),
    "log": ("", str, "log file for fallbacks and errors (default: CACHE_DIR/llmcc.log)"),
    "cache_dir": ("", str, "local cache directory (default: $XDG_CACHE_HOME/llmcc or ~/.cache/llmcc)"),
    "max_size": ("2G", str, "local cache size limit, least recently used entries are evicted"),
    "tu_cache": (True, bool, "cache gcc's own output per translation unit"),
    "base_dir": (
        "",
        str,
        "paths under this absolute directory are hashed relative to the working directory (ccache's base_dir): other checkouts reuse the cache",
    ),
    "depend_mode": (
        True,
        bool,
        "key a translation unit by its source and headers from gcc's dependency output (no gcc -E); off: by its preprocessed text",
    ),
    "remote": ("", str, "shared cache tier, redis://host:port/db"),
    "remote_readonly": (False, bool, "only read from the shared tier"),
    "cache_secret": ("", str, "HMAC key that signs shared entries; unsigned remote entries are ignored"),
    "mode": (
        "sync",
        str,
        "sync: optimize hot functions while compiling; queue: record them; off: cached rewrites only",
    ),
    "budget": (
        60.0,
        float,
        "seconds of optimization per compiled file (sync mode); with a profile, a file gets its share of build_budget when that is more",
    ),
    "build_budget": (600.0, float, "seconds of optimization per build directory and hour (sync mode)"),
    "proposer": ("auto", str, "embedded | llm | file:PATH | auto (llm when a server is configured, else embedded)"),
    "isa": (
        "",
        str,
        "allowed instruction set: empty = the user's -march or the compiler default; 'native' opts in to the host's",
    ),
    "dispatch": (
        True,
        bool,
        "on: a rewrite may carry the function for higher x86-64 levels (v2-v4) behind a check of libgcc's CPU model; off: never",
    ),
    "hot": ([], list, "function names always optimized"),
    "hot_top": (
        3,
        int,
        "at most this many hot functions per file, by the static estimate (with a profile: every function with hot_min_share)",
    ),
    "hot_min_share": (0.02, float, "with a profile, ignore functions below this share of samples"),
    "threshold": (0.03, float, "a rewrite must be faster by at least this fraction, consistently"),
    "test": ("", str, "the project's test command, used to verify rewrites (e.g. 'make check')"),
    "bench": ("", str, "the project's benchmark command, for program-level measurement"),
    "allow_unsandboxed": (
        False,
        bool,
        "run model and file candidates even where the kernel allows the sandbox no isolation (no namespaces, no seccomp)",
    ),
    "server": ("", str, "OpenAI-compatible endpoint, e.g. http://host:8000/v1 (vLLM)"),
    "model": ("", str, "model name (default: the first one the server lists)"),
    "api_key": ("", str, "bearer token for the server"),
    "ca_bundle": ("", str, "PEM file of the certificate authorities for an https server (default: the system's)"),
    "tls_verify": (True, bool, "check an https server's certificate and name; false is insecure and warned about"),
    "n": (4, int, "samples per request"),
    "temperature": (0.7, float, "sampling temperature"),
    "top_p": (0.95, float, "nucleus sampling"),
    "max_tokens": (4096, int, "tokens per reply"),
    "seed": (-1, int, "sampling seed (-1: none)"),
    "concurrency": (8, int, "requests in flight at once"),
    "llm_replay": (
        "auto",
        str,
        "auto: replay recorded replies when the server is down; only: never connect; off: never replay",
    ),
    "llm_timeout": (300.0, float, "seconds to wait for one reply"),
    "llm_samples": (32, int, "model samples per function, over all rounds"),
}

# settings naming a path: in a file, a relative one is relative to the file's directory (a build
# compiles in many directories: all of them must find the same cache)
PATH_SETTINGS = ("cache_dir", "log", "base_dir")
ENV_PREFIX = "LLMCC_"
PROJECT_FILE = config_files.PROJECT_FILE


class ConfigError(Exception):
    """A configuration value that cannot be used; names the value and where it came from."""


class Config:
    """Effective settings as attributes (cfg.mode), and where each came from (cfg.source("mode"))."""

    def __init__(self, values: dict[str, object], sources: dict[str, str] | None = None):
        self.values = values
        self.sources = sources or {}

    def __repr__(self) -> str:
        return f"Config({self.values!r})"

    def __getattr__(self, name: str) -> object:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")

    @property
    def cache_path(self) -> Path:
        from pathlib import Path

        return Path(self.cache_path_str)

    @property
    def cache_path_str(self) -> str:
        """cache_path as a string (for the compile path, which does without pathlib)."""
        if self.values["cache_dir"]:
            return os.path.expanduser(str(self.values["cache_dir"]))
        xdg = os.environ.get("XDG_CACHE_HOME")
        return os.path.join(xdg if xdg else os.path.join(os.path.expanduser("~"), ".cache"), "llmcc")

    @property
    def log_path(self) -> Path:
        from pathlib import Path

        return Path(self.log_path_str)

    @property
    def log_path_str(self) -> str:
        """log_path as a string."""
        if self.values["log"]:
            return os.path.expanduser(str(self.values["log"]))
        return os.path.join(self.cache_path_str, "llmcc.log")

    @property
    def max_size_bytes(self) -> int:
        return parse_size(str(self.values["max_size"]))


def parse_size(text: str) -> int:
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _coerce(name: str, raw: object, where: str) -> object:
    _, typ, _ = SETTINGS[name]
    try:
        if typ is bool:
            if isinstance(raw, bool):
                return raw
            s = str(raw).strip().lower()
            if s in ("1", "true", "yes", "on"):
                return True
            if s in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if typ is list:
            if isinstance(raw, list):
                return [str(x) for x in raw]
            return [x for x in str(raw).replace(",", " ").split() if x]
        return typ(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {name} = {raw!r} is not a valid {typ.__name__}") from None


def find_project_file(start: str | os.PathLike | None = None) -> Path | None:
    from pathlib import Path

    f = config_files.project_file(start)
    return Path(f) if f is not None else None


def user_file() -> Path:
    from pathlib import Path

    return Path(config_files.user_file())


def _read_toml(path: str | os.PathLike) -> dict[str, object]:
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from None
    # Accept both a flat file and one with an [llmcc] table.
    if isinstance(data.get("llmcc"), dict):
        data = data["llmcc"]
    return data


def load(cwd: str | os.PathLike | None = None, environ: dict[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    values = {k: (list(v[0]) if isinstance(v[0], list) else v[0]) for k, v in SETTINGS.items()}
    sources: dict[str, str] = {}
    files = [config_files.user_file(), config_files.project_file(cwd)]
    for path in files:  # lowest precedence first
        if path is None or not os.path.isfile(path):
            continue
        for k, raw in _read_toml(path).items():
            if k not in SETTINGS:
                raise ConfigError(f"{path}: unknown setting {k!r}")
            values[k] = _coerce(k, raw, str(path))
            if k in PATH_SETTINGS:
                values[k] = _beside(str(values[k]), path)
            elif k == "proposer" and str(values[k]).startswith("file:"):
                values[k] = "file:" + _beside(str(values[k])[5:], path)
            sources[k] = str(path)
    for k in SETTINGS:
        raw = env.get(ENV_PREFIX + k.upper())
        if raw is not None:
            values[k] = _coerce(k, raw, ENV_PREFIX + k.upper())
            sources[k] = ENV_PREFIX + k.upper()
    return Config(values, sources)


def _beside(value: str, config_file: str) -> str:
    """A path setting's value from `config_file`: a relative path (not "~...") joined to the file's
    directory, normalized; empty and absolute values as they are."""
    if not value or value.startswith("~") or os.path.isabs(value):
        return value
    return os.path.normpath(os.path.join(os.path.dirname(config_file), value))


def main(argv: list[str]) -> int:
    """`llmcc config [--json]`: the effective values and where each came from."""
    import json

    try:
        cfg = load()
    except ConfigError as e:
        import sys

        print(f"llmcc: config: {e}", file=sys.stderr)
        return 2
    if argv and argv[0] in ("-h", "--help"):
        print(
            "usage: llmcc config [--json]\n\nPrint every setting, its effective value and its source, then the sandbox\n"
            "layers this machine's kernel allows for candidates' runs."
        )
        return 0
    if argv and argv[0] != "--json":
        import sys

        print(f"llmcc config: unknown argument {argv[0]!r} (try --json)", file=sys.stderr)
        return 2
    # which sandbox layers the kernel allows: probed here, never on the compile path
    from gcc_wrapper.optimize.verify import sandbox

    layers = sandbox.probe()
    if argv:
        out = {k: {"value": cfg.values[k], "source": cfg.source(k)} for k in SETTINGS}
        out["cache_dir"]["effective"] = str(cfg.cache_path)
        out["sandbox"] = layers.to_json()
        print(json.dumps(out, indent=2))
        return 0
    width = max(len(k) for k in SETTINGS)
    for k, (_, _, doc) in SETTINGS.items():
        v = cfg.values[k]
        if k == "api_key" or k == "cache_secret":
            v = "***" if v else ""
        if k == "cache_dir" and not v:
            v = f"{cfg.cache_path} (derived)"
        print(f"{k:<{width}}  {v!s:<30}  [{cfg.source(k)}]  {doc}")
    print("\nsandbox (what this machine's kernel allows, probed now):")
    for layer, state in layers.describe(bool(cfg.allow_unsandboxed)):
        print(f"  {layer:<26}{state}")
    return 0
