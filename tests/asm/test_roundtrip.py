"""Rendering an untouched unit gives back gcc's output byte for byte; every function's text()
stands alone and normalizes like the function it came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from asm_helpers import CORPUS, assemble, c_files, gcc_s, undefined_locals

from gcc_wrapper.compile import asm

FLAG_SETS = [
    ["-O0"],
    ["-O0", "-g"],
    ["-O2"],
    ["-O3"],
    ["-O3", "-g"],
    ["-O2", "-g", "-fPIC"],
    ["-O3", "-ffunction-sections"],
    ["-O3", "-fPIC", "-ffunction-sections", "-g"],
]


def _id(p: Path) -> str:
    return str(p.relative_to(CORPUS.parents[2]))


# Every dimension (levels, -g, -fPIC, -ffunction-sections) in fewer compiles, for the C files of
# other areas: there are many, and more keep coming.
FEWER_FLAG_SETS = [["-O0"], ["-O2", "-g", "-fPIC"], ["-O3"], ["-O3", "-g", "-ffunction-sections"]]


@pytest.mark.parametrize("src", c_files(), ids=_id)
def test_round_trip_every_c_file(src: Path) -> None:
    compiled = 0
    for flags in FLAG_SETS if CORPUS in src.parents else FEWER_FLAG_SETS:
        text = gcc_s(src, flags)
        if text is None:
            continue
        compiled += 1
        unit = asm.parse(text)
        assert unit.render() == text, f"{src} {flags}: render differs from input"
        for f in unit.functions.values():
            again = asm.parse_function(f.text(), f.name)
            assert again.normalized() == f.normalized(), f"{src} {flags}: {f.name}"
    if not compiled:
        pytest.skip(f"gcc cannot compile {src.name} on its own")


def test_corpus_is_found() -> None:
    names = {p.name for p in c_files()}
    assert {"dispatch.c", "numeric.c", "symbols.c", "loops.c"} <= names


@pytest.mark.parametrize(
    "flags", [["-O3"], ["-O2", "-g", "-fPIC"], ["-O3", "-ffunction-sections", "-g"], ["-O0"]], ids=" ".join
)
def test_every_corpus_function_assembles_alone(flags: list[str], tmp_path: Path) -> None:
    checked = 0
    for src in sorted(CORPUS.glob("*.c")):
        text = gcc_s(src, flags)
        assert text is not None
        unit = asm.parse(text)
        assert unit.functions, src
        for f in unit.functions.values():
            obj = tmp_path / f"{src.stem}.{f.name}.o"
            r = assemble(f.text(), obj)
            assert r.returncode == 0, f"{src.name} {f.name}:\n{r.stderr}\n{f.text()}"
            assert undefined_locals(obj) == [], f"{src.name} {f.name}:\n{f.text()}"
            checked += 1
    assert checked >= 40


def test_functions_found_with_binding_and_section(compile_s) -> None:
    unit = asm.parse(compile_s(CORPUS / "symbols.c", "-O3"))
    fns = unit.functions
    assert fns["bump_tls"].binding == "global"
    assert fns["weak_hook"].binding == "weak"
    assert fns["helper"].binding == "local"
    assert fns["setup"].binding == "local" and fns["setup"].section == ".text.startup"
    assert fns["in_section"].section == ".text.mysection"
    assert fns["hot_fn"].section == ".text.hot"
    assert fns["cold_fn"].section == ".text.unlikely"
    # data objects, aliases and TLS variables are not functions
    for name in ("tls_counter", "common_var", "table_ro", "names", "alias_impl", "calls.0"):
        assert name not in fns
    # file order
    assert list(fns).index("bump_tls") < list(fns).index("get_initialized")

    main = asm.parse(compile_s(CORPUS / "dispatch.c", "-O3")).functions["main"]
    assert main.section == ".text.startup"
