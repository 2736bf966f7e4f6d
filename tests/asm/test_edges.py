"""Edge cases of gcc's output, and input the model cannot or should not make sense of."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asm_helpers import CORPUS, assemble, gcc_s, run
from hypothesis import given, settings
from hypothesis import strategies as st

from gcc_wrapper.compile import asm


def _unit(name: str, *flags: str) -> tuple[str, asm.Unit]:
    text = gcc_s(CORPUS / name, list(flags) or ["-O3"])
    assert text is not None
    return text, asm.parse(text)


def test_function_without_size(tmp_path: Path) -> None:
    text, _ = _unit("loops.c")
    cut = re.sub(r"^\t\.size\tfib, \.-fib\n", "", text, flags=re.MULTILINE)
    assert cut != text
    unit = asm.parse(cut)
    assert unit.render() == cut
    fib = unit.functions["fib"]
    assert "fib:" in fib.text() and ".size\tfib" not in fib.text()
    # it ends before the next function
    nxt = unit.functions["byte_hist"]
    assert fib.spans[0][1] <= nxt.spans[0][0]
    assert assemble(fib.text(), tmp_path / "fib.o").returncode == 0
    new = unit.replace("fib", _unit("loops.c", "-O1")[1].functions["fib"].text())
    assert assemble(new.render(), tmp_path / "all.o").returncode == 0


def test_alias_stays_and_follows_the_replacement(tmp_path: Path) -> None:
    text, unit = _unit("symbols.c")
    assert re.search(r"\.set\talias_impl,real_impl", text)
    cand = (
        "\t.text\n\t.globl\treal_impl\n\t.type\treal_impl, @function\nreal_impl:\n"
        "\tleal\t100(%rdi), %eax\n\tret\n\t.size\treal_impl, .-real_impl\n"
    )
    new = unit.replace("real_impl", cand)
    assert ".set\talias_impl,real_impl" in new.render()
    assert assemble(new.render(), tmp_path / "s.o").returncode == 0
    (tmp_path / "m.c").write_text(
        '#include <stdio.h>\nint alias_impl(int);\nint main(void){printf("%d\\n", alias_impl(1));}\n'
    )
    run(["gcc", "-c", "m.c"], tmp_path)
    run(["gcc", "m.o", "s.o", "-o", "m"], tmp_path)
    assert run(["./m"], tmp_path).strip() == "101"


def test_inline_asm_with_its_own_sections(tmp_path: Path) -> None:
    for flags in (["-O3"], ["-O2", "-g"]):
        _, unit = _unit("inline.c", *flags)
        f = unit.functions["with_note"]
        assert ".pushsection" in f.text() and ".byte 7" in f.text()
        assert unit.functions["toplevel_asm"].section == ".text"
        # the functions after the inline asm are still in .text
        assert unit.functions["barrier_sum"].section == ".text"
        new = unit.replace("with_note", f.text())
        assert assemble(new.render(), tmp_path / "i.o").returncode == 0
        assert new.functions["barrier_sum"].normalized() == unit.functions["barrier_sum"].normalized()


def test_objects_are_not_functions_and_shared_objects_stay() -> None:
    _, unit = _unit("inline.c")
    assert "ops" not in unit.functions
    apply = unit.functions["apply"]
    # `ops` is a named local object in .data.rel.ro.local: read-only, owned by apply
    assert "ops" in apply.owned_constants()
    assert "inc:" not in apply.text()


def test_overlapping_functions_cannot_be_modelled() -> None:
    bad = (
        "\t.text\n\t.type\tf, @function\nf:\n\tnop\n\t.type\tg, @function\ng:\n\tret\n"
        "\t.size\tf, .-f\n\t.size\tg, .-g\n"
    )
    with pytest.raises(asm.AsmError):
        asm.parse(bad)


def test_unclassified_lines_render_verbatim() -> None:
    weird = (
        "garbage that is not assembly\n\t.weird_directive 1,2\nlabel_only:\n"
        '\t.text\n\t.type\tf, @function\nf:\n\tret\n\t.size\tf, .-f\n\t.ident\t"x"'
    )
    unit = asm.parse(weird)
    assert unit.render() == weird
    assert list(unit.functions) == ["f"]
    assert unit.functions["f"].text().endswith(".size\tf, .-f\n")


def test_crlf_and_missing_final_newline_round_trip() -> None:
    text, _ = _unit("loops.c")
    crlf = text.replace("\n", "\r\n").rstrip("\r\n")
    unit = asm.parse(crlf)
    assert unit.render() == crlf
    assert set(unit.functions) == set(asm.parse(text).functions)


ASM_LINE = st.sampled_from(
    [
        "\t.text\n",
        "\t.section\t.rodata\n",
        "\t.section\t.text.unlikely\n",
        "\t.popsection\n",
        "\t.pushsection\t.data\n",
        "\t.previous\n",
        "\t.p2align 4\n",
        "\t.globl\tf\n",
        "\t.type\tf, @function\n",
        "\t.type\tf.cold, @function\n",
        "\t.type\tg, @function\n",
        "f:\n",
        "f.cold:\n",
        "g:\n",
        ".L1:\n",
        ".LC0:\n",
        "\t.long\t.L1-.L2\n",
        "\tjmp\t.L1\n",
        "\tleaq\t.LC0(%rip), %rax\n",
        "\t.size\tf, .-f\n",
        "\t.size\tf.cold, .-f.cold\n",
        "\t.size\tg, .-g\n",
        "\tret\n",
        "# c\n",
        '\t.string\t"#x"\n',
        "\t.loc 1 2 3 view .LVU1\n",
        "\t.set\tg, f\n",
        "\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(ASM_LINE, max_size=40))
def test_any_line_soup_round_trips_or_is_refused(lines: list[str]) -> None:
    text = "".join(lines)
    try:
        unit = asm.parse(text)
    except asm.AsmError:
        return
    assert unit.render() == text
    for f in unit.functions.values():
        f.normalized()
        try:
            again = asm.parse_function(f.text(), f.name)
        except asm.AsmError:
            continue
        assert again.normalized() == f.normalized()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_round_trips_or_is_refused(text: str) -> None:
    try:
        unit = asm.parse(text)
    except asm.AsmError:
        return
    assert unit.render() == text


MORE_FLAGS = [
    ["-O2", "-fcf-protection"],
    ["-O3", "-mavx2", "-g"],
    ["-O3", "-fverbose-asm"],
    ["-O1", "-fexceptions", "-g"],
    ["-O2", "-pg"],
    ["-O3", "-fno-pie"],
    ["-O3", "-fopenmp"],
    ["-O3", "-fstack-protector-strong", "-fno-asynchronous-unwind-tables"],
]


@pytest.mark.parametrize("flags", MORE_FLAGS, ids=" ".join)
def test_other_code_generation_flags(flags: list[str], tmp_path: Path) -> None:
    """Round trip, standalone text, and each function replaced by its own text still assembles."""
    for name in ("dispatch.c", "numeric.c", "inline.c"):
        text, unit = _unit(name, *flags)
        assert unit.render() == text
        for fname, f in unit.functions.items():
            r = assemble(f.text(), tmp_path / "f.o")
            assert r.returncode == 0, f"{name} {fname}: {r.stderr}"
            new = unit.replace(fname, f.text())
            assert new.functions[fname].normalized() == f.normalized()
            r = assemble(new.render(), tmp_path / "u.o")
            assert r.returncode == 0, f"{name} {fname}: {r.stderr}"


def test_constant_aliases_travel_with_their_target() -> None:
    """gcc -mavx2 writes `.set .LC2,.LC0` when one vector constant is a prefix of another."""
    text, unit = _unit("inline.c", "-O3", "-mavx2")
    m = re.search(r"^\t\.set\t(\.LC\d+),(\.LC\d+)$", text, re.MULTILINE)
    assert m, "gcc no longer aliases constants here; find another example"
    alias, target = m.groups()
    users = [f for f in unit.functions.values() if alias in f.constants()]
    assert users and all(target in f.constants() for f in users)
    standalone = users[0].text()
    assert f".set\t{alias},{target}" in standalone and f"{target}:" in standalone


def test_labels_used_outside_the_function_refuse_replacement() -> None:
    """Under ASan the computed-goto label table is writable data outside the function; replacing
    the function alone would leave it pointing at labels that no longer exist."""
    text, unit = _unit("dispatch.c", "-O2", "-fsanitize=address")
    assert unit.render() == text
    f = unit.functions["interpret"]
    with pytest.raises(asm.AsmError, match="outside"):
        unit.replace("interpret", f.text())


CAND_LINE = st.sampled_from(
    [
        "\t.text\n",
        "\t.section\t.rodata\n",
        "\t.section\t.text.unlikely\n",
        "\t.popsection\n",
        "\t.pushsection\t.rodata\n",
        "\t.p2align 4\n",
        "\t.globl\tadd3\n",
        "\t.type\tadd3, @function\n",
        "\t.type\tadd3.cold, @function\n",
        "add3:\n",
        "add3.cold:\n",
        ".L1:\n",
        ".LC0:\n",
        "\t.long\t.L1-.LC0\n",
        "\tjmp\t.L1\n",
        "\tleaq\t.LC0(%rip), %rax\n",
        "\t.size\tadd3, .-add3\n",
        "\t.size\tadd3.cold, .-add3.cold\n",
        "\tret\n",
        "\tcall\tfprintf@PLT\n",
        "\tcall\tnowhere\n",
        '\t.string\t"x"\n',
        "\t.loc 1 2 3 view .LVU1\n",
        "\t.set\t.L2, .L1\n",
        "\t.quad\tadd3\n",
        "\tmovl\t$7, %eax\n",
        "# comment\n",
        "\n",
        "other:\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CAND_LINE, max_size=25))
def test_any_candidate_is_replaced_or_refused(lines: list[str]) -> None:
    """Whatever a model sends, replace either refuses it with AsmError or gives a unit that still
    has the function once and leaves the other functions alone."""
    unit = _replace_unit()
    try:
        new = unit.replace("add3", "".join(lines))
    except asm.AsmError:
        return
    assert list(new.functions).count("add3") == 1
    for name, f in unit.functions.items():
        if name != "add3":
            assert new.functions[name].normalized() == f.normalized(), name


_REPLACE_UNIT: list[asm.Unit] = []


def _replace_unit() -> asm.Unit:
    if not _REPLACE_UNIT:
        text = gcc_s(CORPUS.parent / "program" / "lib.c", ["-O3"])
        assert text is not None
        _REPLACE_UNIT.append(asm.parse(text))
    return _REPLACE_UNIT[0]
