"""Helpers for the verification tests: a Context for a function of a C file, compiled as
`llmcc verify` compiles it (gcc -O3, asm.parse)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize.candidate import Context

CORPUS = Path(__file__).resolve().parent / "corpus"


def make_context(
    src: Path, name: str, cflags: tuple[str, ...] = ("-O3",), isa: str = "x86-64", dispatch: tuple[str, ...] = ()
) -> Context:
    unit = subprocess.run(
        ["gcc", *cflags, "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True
    ).stdout
    return Context(
        name,
        str(src),
        cflags,
        asm.parse(unit).functions[name].text(),
        unit,
        isa=isa,
        cwd=str(src.parent),
        dispatch=dispatch,
    )


def case_context(d: Path, meta: dict) -> Context:
    """The Context a corpus case (tests/verify/corpus/<case>) is verified in: its function as gcc
    -O3 compiles src.c, with the dispatch levels the case allows (recorded states: record_case)."""
    return make_context(d / "src.c", meta["function"], dispatch=tuple(meta.get("dispatch", ())))


def record_case(d: Path, meta: dict, workdir: Path, limits) -> str:
    """A case with a workload: src.c and main.c built into the program in workdir, its calls of
    the function recorded (states/record.py) within `limits`; the recording's directory."""
    from gcc_wrapper.optimize.states import record

    for f in ("src.c", "main.c"):
        shutil.copy(d / f, workdir / f)
    subprocess.run(["gcc", "-O3", "-o", "prog", "src.c", "main.c"], cwd=workdir, check=True)
    rec, note = record.record(
        ["./prog", *meta["workload"]["args"]], str(workdir), [meta["function"]], workdir / "cache", limits=limits
    )
    assert rec is not None and rec.functions[meta["function"]].states >= 8, note
    return str(rec.dir)
