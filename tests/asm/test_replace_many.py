"""Unit.replace_many: several functions replaced with one parse, as replacing them one after the
other would, with the same checks per function."""

from __future__ import annotations

from pathlib import Path

import pytest
from asm_helpers import CORPUS, gcc_s, run

from gcc_wrapper.compile import asm

PROGRAM = CORPUS.parent / "program"
SOURCES = [*sorted(CORPUS.glob("*.c")), PROGRAM / "lib.c"]


def _variants(src: Path, flags: list[str]) -> tuple[asm.Unit, dict[str, str]]:
    """The unit at `flags`, and the -O1 text of each function that one replace accepts."""
    unit = asm.parse(gcc_s(src, flags))
    other = asm.parse(gcc_s(src, ["-O1", *flags[1:]]))
    rewrites = {}
    for name in unit.functions:
        if name in other.functions:
            try:
                unit.replace(name, other.functions[name].text())
            except asm.AsmError:
                continue  # e.g. a static helper that -O3 inlined away
            rewrites[name] = other.functions[name].text()
    return unit, rewrites


@pytest.mark.parametrize("flags", [["-O3"], ["-O3", "-g"], ["-O2", "-fPIC", "-ffunction-sections"]], ids=" ".join)
def test_same_as_one_after_the_other(flags: list[str]) -> None:
    replaced = 0
    for src in SOURCES:
        unit, rewrites = _variants(src, flags)
        before = unit.render()
        one_by_one = unit
        for name, text in rewrites.items():
            one_by_one = one_by_one.replace(name, text)
        batched = unit.replace_many(rewrites)
        assert batched.render() == one_by_one.render(), f"{src.name} {flags}"
        assert unit.render() == before  # pure
        replaced += len(rewrites)
    assert replaced >= 40


def test_program_runs_the_same(tmp_path: Path) -> None:
    flags = ["-O3", "-fno-ipa-ra"]
    base = gcc_s(PROGRAM / "lib.c", flags)
    unit, rewrites = _variants(PROGRAM / "lib.c", flags)
    assert {"walk", "interpret", "poly", "use_k1", "use_k2"} <= set(rewrites)
    outputs = []
    for tag, text in (("base", base), ("many", unit.replace_many(rewrites).render())):
        (tmp_path / f"{tag}.s").write_text(text)
        run(["gcc", "-c", f"{tag}.s", "-o", f"{tag}.o"], tmp_path)
        run(["gcc", "-O1", str(PROGRAM / "main.c"), f"{tag}.o", "-o", tag], tmp_path)
        outputs.append(run([f"./{tag}"], tmp_path))
    assert "walk" in outputs[0] and outputs[0] == outputs[1]


def test_each_rewrite_is_checked_like_replace() -> None:
    unit, rewrites = _variants(PROGRAM / "lib.c", ["-O3"])
    bad = "\t.text\n\t.type\tadd3, @function\nadd3:\n\tjmp\t.Lnowhere\n"
    with pytest.raises(asm.AsmError) as alone:
        unit.replace("add3", bad)
    with pytest.raises(asm.AsmError) as together:
        unit.replace_many({**rewrites, "add3": bad})
    assert str(together.value) == str(alone.value)
    with pytest.raises(asm.AsmError, match="no function 'nosuch'"):
        unit.replace_many({"add3": rewrites["add3"], "nosuch": bad})
    assert unit.replace_many({}) is unit


UNIT = """\
\t.text
\t.section\t.rodata
\t.align 4
\t.type\ttable.0, @object
\t.size\ttable.0, 8
table.0:
\t.long\t1
\t.long\t2
\t.text
\t.globl\tf
\t.type\tf, @function
f:
\ttestl\t%edi, %edi
\tjs\tf.cold
\tmovl\ttable.0(%rip), %eax
\tret
\t.section\t.text.unlikely
\t.type\tf.cold, @function
f.cold:
\tmovl\t$-1, %eax
\tret
\t.text
\t.size\tf, .-f
\t.section\t.text.unlikely
\t.size\tf.cold, .-f.cold
\t.text
\t.globl\tg
\t.type\tg, @function
g:
\tmovl\t$5, %eax
\tret
\t.size\tg, .-g
"""
MAIN = '#include <stdio.h>\nint f(int), g(void);\nint main(void){printf("%d %d %d\\n", f(1), f(-1), g());}\n'


def test_a_rewrite_may_use_what_another_rewrite_no_longer_needs(tmp_path: Path) -> None:
    """g's rewrite reads f's table; f's rewrite does not: the table stays (as when g is replaced
    before f, one after the other). f.cold, gone with f's rewrite, may not be used."""
    unit = asm.parse(UNIT)
    assert unit.functions["f"].owned_constants() == ["table.0"]
    new_f = "\t.text\n\t.type\tf, @function\nf:\n\tmovl\t$1, %eax\n\tret\n\t.size\tf, .-f\n"
    new_g = "\t.text\n\t.type\tg, @function\ng:\n\tmovl\ttable.0+4(%rip), %eax\n\tret\n"
    many = unit.replace_many({"f": new_f, "g": new_g})
    assert many.render() == unit.replace("g", new_g).replace("f", new_f).render()
    assert "f.cold" not in many.render() and "table.0:" in many.render()
    (tmp_path / "u.s").write_text(many.render())
    (tmp_path / "main.c").write_text(MAIN)
    run(["gcc", "main.c", "u.s", "-o", "prog"], tmp_path)
    assert run(["./prog"], tmp_path) == "1 1 2\n"
    # replacing f first removes its table, and then g's rewrite has nothing to read
    with pytest.raises(asm.AsmError, match=r"table\.0"):
        unit.replace("f", new_f).replace("g", new_g)

    jumps_to_cold = "\t.text\n\t.type\tg, @function\ng:\n\tjmp\tf.cold\n"
    unit.replace("g", jumps_to_cold)  # alone, f.cold is still there
    with pytest.raises(asm.AsmError, match=r"f\.cold"):
        unit.replace_many({"f": new_f, "g": jumps_to_cold})
    with pytest.raises(asm.AsmError, match=r"f\.cold"):
        unit.replace_many({"g": jumps_to_cold, "f": new_f})
