"""Helpers for the verification tests: a Context for a function of a C file, compiled as
`llmcc verify` compiles it (gcc -O3, asm.parse)."""

from __future__ import annotations

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
