"""Entry point of the `llmcc` command.

The first word decides: a reserved management word runs that subcommand; anything
else is a gcc command line and goes to the driver. This module stays tiny because
every compile of every build imports it: subcommands are imported only when used.
"""

from __future__ import annotations

import os
import sys

# protocol.ARGV0_ENV and START_ENV, spelled here so that a run need not import protocol to look
# (tests/driver/test_client_parity.py checks that they agree)
_ARGV0_ENV = "LLMCC_ARGV0"
_START_ENV = "LLMCC_START_SERVER"

# reserved first word -> "module:function" taking argv (the words after it) and returning a status
SUBCOMMANDS = {
    "stats": "cache.cli:stats_main",
    "cache": "cache.cli:main",
    "config": "gcc_wrapper.compile.config:main",
    "verify": "gcc_wrapper.optimize.verify.cli:main",
    "optimize": "gcc_wrapper.optimize.run:main",
    "profile": "gcc_wrapper.optimize.hot:profile_main",
    "report": "gcc_wrapper.tools.report:main",
    "bench": "gcc_wrapper.tools.bench:main",
    "serve": "gcc_wrapper.tools.serve_model:main",
    "compile-server": "gcc_wrapper.compile.server:cli_main",
    "batch": "gcc_wrapper.optimize.propose.batch:main",
}

HELP = """\
usage: llmcc [gcc arguments...]        compile exactly as gcc would, with faster hot functions
       llmcc COMMAND [options]

llmcc is a drop-in replacement for gcc. Use it as CC=llmcc, as a CMake toolchain
file (llmcc --print-toolchain-file), or as CMAKE_C_COMPILER_LAUNCHER=llmcc. It
compiles C with gcc -O3, has the embedded optimizer or a model served by vLLM
propose faster assembly for hot functions, verifies and measures every rewrite,
and caches the ones that are correct and faster.

commands:
  stats       cache and compile statistics (--json, --zero)
  config      effective configuration and where each value came from
  cache       list | show KEY | clear | prune | verify | export FILE | import FILE
  verify      check a candidate rewrite of one function: verify SOURCE.c FUNCTION CANDIDATE.s
  optimize    work the queue of hot functions (--tests CMD, --budget S, --jobs N)
  profile     record which functions are hot and their calls' arguments: profile [--no-arguments] -- CMD ARGS...
  report      what llmcc changed in this project (--html FILE)
  bench       speedups on a problem set: bench --dataset FILE --out DIR
  serve       start a vLLM model server for llmcc to use
  compile-server  the warm process that saves each compile Python's start-up: status | stop
  batch       offline: generate the queue's first-round rewrites with vllm.LLM in-process (GPU)
  help        this text

options of llmcc itself:
  --help                   this text (gcc's own help: llmcc --help=... or gcc --help)
  --print-toolchain-file   path of the CMake toolchain file that makes llmcc the C compiler

environment: LLMCC_DISABLE=1 (pure pass-through), LLMCC_MODE=sync|queue|off,
LLMCC_CC (real compiler), LLMCC_CACHE_DIR, LLMCC_DEBUG=1, LLMCC_COMPILE_SERVER=0 (no
compile server); see `llmcc config`.
gcc's --version, -v, -dumpversion, -dumpmachine, -print-* and -### answer as gcc does.
"""


def _run_subcommand(target: str, argv: list[str]) -> int:
    import importlib

    module, func = target.split(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        print(f"llmcc: this command is not available: {e}", file=sys.stderr)
        return 2
    return int(getattr(mod, func)(argv) or 0)


def main(argv: list[str] | None = None, in_place: bool = True) -> int:
    """Run one llmcc command line (`argv` with the program name). Not `in_place` (a compile
    server's worker, which must live on to report the status), where the Python llmcc would exec
    gcc it runs gcc and waits for it."""
    args = sys.argv if argv is None else argv
    prog, rest = args[0], args[1:]
    if _ARGV0_ENV in os.environ:
        prog = _native_client_handoff(prog, rest)
    if own_command(prog, rest):
        first = rest[0]
        if first in SUBCOMMANDS:
            return _run_subcommand(SUBCOMMANDS[first], rest[1:])
        if first == "--print-toolchain-file":
            from pathlib import Path

            print(Path(__file__).resolve().parent / "compile" / "llmcc-toolchain.cmake")
            return 0
        sys.stdout.write(HELP)
        return 0
    from gcc_wrapper.compile import compiler

    lk = compiler.Lookups()  # what this run learns about paths and compilers, for this run only
    if in_place:  # (in a compile server the driver is imported already: no shortcut to take)
        status = compiler.pass_through_early(prog, rest, lk)  # execs gcc unless llmcc compiles this
        if status is not None:
            return status
    from gcc_wrapper.compile import driver

    return driver.main(prog, rest, lk, in_place)


def own_command(prog: str, rest: list[str]) -> bool:
    """Whether this command line is llmcc's own (a management command, --help,
    --print-toolchain-file) rather than a gcc command line: main's rule, which the compile
    server also asks before taking a command line."""
    if not rest or _masquerading(prog):
        return False
    return rest[0] in SUBCOMMANDS or (len(rest) == 1 and rest[0] in ("help", "--help", "-h", "--print-toolchain-file"))


def _native_client_handoff(prog: str, rest: list[str]) -> str:
    """The native client (compile/client.c) ran us: take the name it was called by (masquerade mode
    and the recursion guard decide by it, as they would by a script's path), and start a compile
    server for the next compiles if it found none (not for a management command). Neither
    variable reaches gcc."""
    prog = os.environ.pop(_ARGV0_ENV) or prog
    sock = os.environ.pop(_START_ENV, None)
    if sys.argv:
        sys.argv[0] = prog
    if sock and not own_command(prog, rest):
        from gcc_wrapper.compile import server as compile_server

        compile_server.start(sock)
    return prog


def _masquerading(prog: str) -> bool:
    """Installed as gcc/cc through a symlink, every argument is gcc's."""
    name = os.path.basename(prog)
    return name in ("cc", "c89", "c99") or ("gcc" in name and not name.startswith("llmcc"))
