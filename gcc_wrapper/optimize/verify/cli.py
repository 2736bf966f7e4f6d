"""`llmcc verify`: check a candidate rewrite of one function.

    llmcc verify [--cflags "FLAGS"] [--isa native|x86-64|...] [--tests CMD] [--states DIR|none]
                 [--build CMD --run EXE --inputs GLOB] [--json] SOURCE.c FUNCTION CANDIDATE.s

The candidate is checked against FUNCTION as `gcc -O3 FLAGS` compiles it from SOURCE.c, on
generated inputs and, when `llmcc profile` recorded calls of FUNCTION from a workload run here
(or in a directory above or below), on those calls (--states picks a recording or turns them off).
Exit 0 accepted, 1 rejected, 2 could not verify (bad input, or nothing semantic could run).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys

USAGE = (
    "llmcc verify [--cflags FLAGS] [--isa ISA] [--tests CMD] [--states DIR|none] [--build CMD --run EXE --inputs GLOB] "
    "[--json] SOURCE.c FUNCTION CANDIDATE.s"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too, but with its own wording
        print(f"llmcc verify: {message}\nusage: {USAGE}", file=sys.stderr)
        raise SystemExit(2)


def _fail(msg: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"verdict": "error", "reason": msg, "checks": []}))
    print(f"llmcc verify: {msg}", file=sys.stderr)
    return 2


def _march(flags: list[str]) -> str:
    isa = ""
    for f in flags:
        if f.startswith("-march="):
            isa = f.split("=", 1)[1]
    return isa


def main(argv: list[str]) -> int:
    p = _Parser(
        prog="llmcc verify", usage=USAGE, description="Check a candidate rewrite of one function against gcc -O3."
    )
    p.add_argument("--cflags", default="", help="flags SOURCE.c is compiled with (besides -O3)")
    p.add_argument(
        "--isa",
        default=None,
        help="allowed instruction set: an -march value, or 'native' (default: -march in FLAGS, else the compiler's default)",
    )
    p.add_argument(
        "--tests",
        default=None,
        help="the project's test command, run with the candidate built in (default: config 'test')",
    )
    p.add_argument("--build", default=None, help="program-level test: the command that builds the program")
    p.add_argument("--run", default=None, help="program-level test: the executable it builds (path in the project)")
    p.add_argument(
        "--inputs",
        default=None,
        help="program-level test: stdin files (a glob); stdout and exit status must match the original's",
    )
    p.add_argument(
        "--states",
        default=None,
        help="a recording of the workload's calls (a directory under the cache's states/), "
        "or 'none'; default: the newest one made by `llmcc profile` here, above or below that has calls of FUNCTION",
    )
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.add_argument("source")
    p.add_argument("function")
    p.add_argument("candidate")
    # FLAGS start with "-": glue option values on so argparse does not take them for options
    glued: list[str] = []
    it = iter(argv)
    for w in it:
        glued.append(
            f"{w}={next(it, '')}"
            if w in ("--cflags", "--tests", "--isa", "--states", "--build", "--run", "--inputs")
            else w
        )
    a = p.parse_args(glued)

    from gcc_wrapper.compile import asm, config
    from gcc_wrapper.optimize.candidate import Candidate, Context
    from gcc_wrapper.optimize.verify import verify

    try:
        cfg = config.load()
    except config.ConfigError as e:
        return _fail(str(e), a.json)
    for path in (a.source, a.candidate):
        if not os.path.isfile(path):
            return _fail(f"{path}: no such file", a.json)
    try:
        flags = shlex.split(a.cflags)
    except ValueError as e:
        return _fail(f"--cflags: {e}", a.json)
    cc = cfg.cc or "gcc"
    opt = [] if cfg.opt == "keep" else [f"-{cfg.opt}"]
    cflags = [*flags, *opt]
    r = subprocess.run([cc, *cflags, "-S", "-o", "-", a.source], capture_output=True, text=True)
    if r.returncode != 0:
        return _fail(f"{a.source} does not compile: {r.stderr.strip()[:1000]}", a.json)
    try:
        unit = asm.parse(r.stdout)
    except asm.AsmError as e:
        return _fail(f"cannot parse gcc's assembly of {a.source}: {e}", a.json)
    if a.function not in unit.functions:
        have = ", ".join(unit.functions) or "none"
        return _fail(f"{a.source} has no function {a.function!r} in gcc's output (it has: {have})", a.json)
    with open(a.candidate, errors="replace") as f:
        text = f.read()
    if not text.strip():
        return _fail(f"{a.candidate} is empty", a.json)
    try:
        asm.parse_function(text, a.function)
    except asm.AsmError as e:
        return _fail(f"{a.candidate}: {e}", a.json)
    isa = a.isa if a.isa is not None else (cfg.isa or _march(flags) or "x86-64")
    from gcc_wrapper.optimize.states import store

    states = ""
    if a.states is None:
        rec = store.find(cfg.cache_path, os.getcwd(), a.function)
        states = str(rec.dir) if rec is not None else ""
    elif a.states != "none":
        try:
            rec = store.load(os.path.abspath(a.states))
        except store.StoreError as e:
            return _fail(f"--states: {e}", a.json)
        if not rec.functions.get(a.function) or not rec.functions[a.function].states:
            return _fail(f"--states: {a.states} has no recorded calls of {a.function}", a.json)
        states = str(rec.dir)
    ctx = Context(
        name=a.function,
        source_path=os.path.abspath(a.source),
        cflags=tuple(cflags),
        baseline_asm=unit.functions[a.function].text(),
        unit_asm=r.stdout,
        isa=isa,
        compiler=cc,
        cwd=os.getcwd(),
        states=states,
    )
    tests = a.tests if a.tests is not None else (cfg.test or None)
    programs = None
    if a.build or a.run or a.inputs:
        if not (a.build and a.run and a.inputs):
            return _fail("--build, --run and --inputs go together", a.json)
        import glob

        files = sorted(os.path.abspath(f) for f in glob.glob(a.inputs) if os.path.isfile(f))
        if not files:
            return _fail(f"--inputs {a.inputs}: no such files", a.json)
        from gcc_wrapper.optimize.verify.project_tests import Programs

        programs = Programs(a.build, a.run, tuple(files))
    v = verify(ctx, Candidate(text, f"file:{a.candidate}"), tests=tests, programs=programs)
    try:
        _print(v, a.json)
    except BrokenPipeError:  # `llmcc verify ... | head`
        pass
    return {"accept": 0, "reject": 1}.get(v.verdict, 2)


def _print(v, as_json: bool) -> None:
    if as_json:
        print(json.dumps(v.to_json(), indent=2))
    else:
        print(f"{v.verdict}: {v.reason}")
        if v.counterexample:
            print(f"  counterexample: {v.counterexample}")
        if v.inputs_tried:
            print(f"  inputs tried: {v.inputs_tried}")
        if v.states_tried:
            print(f"  recorded calls tried: {v.states_tried}")
        for c in v.checks:
            print(f"  [{'ok' if c.passed else 'FAIL'}] {c.name}{': ' + c.detail if c.detail else ''}")
