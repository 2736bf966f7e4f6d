"""Unit.replace keeps the unit assemblable and the program behaving: checked by assembling the
result with gcc, linking it with a main and running it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from asm_helpers import ROOT, gcc_s, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcc_wrapper.compile import asm

PROGRAM = Path(__file__).resolve().parent / "program"
LIB = PROGRAM / "lib.c"


def _build(tmp: Path, lib_asm: str, tag: str, flags: list[str]) -> str:
    """Assemble lib_asm, link with main.c, run: the program's output."""
    s = tmp / f"lib-{tag}.s"
    s.write_text(lib_asm)
    run(["gcc", *flags, "-c", str(s), "-o", str(tmp / f"lib-{tag}.o")], tmp)
    run(["gcc", *flags, "-c", str(PROGRAM / "main.c"), "-o", str(tmp / "main.o")], tmp)
    exe = tmp / f"prog-{tag}"
    run(["gcc", *flags, str(tmp / "main.o"), str(tmp / f"lib-{tag}.o"), "-o", str(exe)], tmp)
    return run([str(exe)], tmp)


def _rename_symbol(text: str, old: str, new: str) -> str:
    """A function's text() under another name (its cold part follows)."""
    return re.sub(rf"(?<![\w.$]){re.escape(old)}(?=\.cold\b|(?![\w.$]))", new, text)


@pytest.mark.parametrize("flags", [["-O3"], ["-O3", "-g", "-fPIC"], ["-O2", "-ffunction-sections"]], ids=" ".join)
def test_every_function_replaced_by_its_O2_variant(flags: list[str], tmp_path: Path) -> None:
    base_text = gcc_s(LIB, flags)
    variant = asm.parse(gcc_s(LIB, ["-O2", *flags[1:]]))
    unit = asm.parse(base_text)
    expected = _build(tmp_path, base_text, "base", flags)
    assert "walk" in expected and "interpret" in expected
    collisions = 0
    for name in unit.functions:
        text = variant.functions[name].text()
        collisions += bool(set(re.findall(r"\.L\w+", text)) & set(re.findall(r"\.L\w+", unit.render())))
        unit = unit.replace(name, text)
        assert list(unit.functions).count(name) == 1
    assert collisions > 3  # the variants' labels do collide with the unit's before renaming
    assert _build(tmp_path, unit.render(), "replaced", flags) == expected


def test_swapped_bodies_change_behaviour_as_expected(tmp_path: Path) -> None:
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    expected = _build(tmp_path, unit.render(), "base", ["-O3"])
    assert "add3 13 sub3 7" in expected
    swapped = unit.replace("add3", _rename_symbol(unit.functions["sub3"].text(), "sub3", "add3"))
    swapped = swapped.replace("sub3", _rename_symbol(unit.functions["add3"].text(), "add3", "sub3"))
    out = _build(tmp_path, swapped.render(), "swapped", ["-O3"])
    assert "add3 7 sub3 13" in out
    assert out.replace("add3 7 sub3 13", "add3 13 sub3 7") == expected
    # use_k1 and use_k2 share a constant: giving use_k1 use_k2's code keeps use_k2 working
    k = unit.replace("use_k1", _rename_symbol(unit.functions["use_k2"].text(), "use_k2", "use_k1"))
    out = _build(tmp_path, k.render(), "k", ["-O3"])
    lines = dict(line.split(" ", 1) for line in out.splitlines() if line.startswith("k "))
    k1, k2 = (float(v) for v in lines["k"].split())
    assert abs(k1 - (2.718281828459045 + 1.4142135623730951 - 2.718281828459045)) < 1e-5
    assert abs(k2 - (3 * 2.718281828459045 + 1.4142135623730951 - 2.718281828459045)) < 1e-5


def test_cold_part_and_owned_constants_go_with_the_function(tmp_path: Path) -> None:
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    walk = unit.functions["walk"]
    assert "walk.cold" in walk.text() and len(walk.spans) == 2
    plain = asm.parse(gcc_s(LIB, ["-O3", "-fno-reorder-blocks-and-partition"])).functions["walk"]
    assert "walk.cold" not in plain.text()
    out = unit.replace("walk", plain.text())
    assert "walk.cold" not in out.render()
    assert "walk.cold" not in out.functions["walk"].text()

    poly = unit.functions["poly"]
    owned = poly.owned_constants()
    assert owned and all(c.startswith(".LC") for c in owned)
    simple = asm.parse_function(
        "\t.text\n\t.globl\tpoly\n\t.type\tpoly, @function\npoly:\n"
        "\tmulsd\t%xmm0, %xmm0\n\tret\n\t.size\tpoly, .-poly\n",
        "poly",
    )
    out = unit.replace("poly", simple.text())
    for c in owned:
        assert not re.search(rf"^{re.escape(c)}:", out.render(), re.MULTILINE), c
    shared = set(unit.functions["use_k1"].constants()) - set(unit.functions["use_k1"].owned_constants())
    assert shared, "use_k1 and use_k2 share a constant"
    out = unit.replace("use_k1", simple.text().replace("poly", "use_k1"))
    for c in shared:
        assert re.search(rf"^{re.escape(c)}:", out.render(), re.MULTILINE), c
    _build(tmp_path, out.render(), "k", ["-O3"])


def _symbol_kind(obj: Path, name: str) -> str:
    out = subprocess.run(["nm", str(obj)], capture_output=True, text=True, check=True).stdout
    kinds = [ln.split()[1] for ln in out.splitlines() if ln.split()[-1] == name]
    assert len(kinds) == 1, out
    return kinds[0]


def test_binding_and_type_are_kept(tmp_path: Path) -> None:
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    assert unit.functions["twice"].binding == "local"
    cand = "\t.text\n\t.globl\ttwice\n\t.type\ttwice, @object\ntwice:\n\tleal\t(%rdi,%rdi), %eax\n\tret\n"
    out = unit.replace("twice", cand)
    assert out.functions["twice"].binding == "local"
    cand = "\t.text\n\t.type\tadd3, @function\nadd3:\n\tleal\t3(%rdi), %eax\n\tret\n"
    out = out.replace("add3", cand)
    assert out.functions["add3"].binding == "global"
    (tmp_path / "o.s").write_text(out.render())
    run(["gcc", "-c", "o.s", "-o", "o.o"], tmp_path)
    assert _symbol_kind(tmp_path / "o.o", "twice") == "t"
    assert _symbol_kind(tmp_path / "o.o", "add3") == "T"
    readelf = run(["readelf", "-sW", "o.o"], tmp_path)
    assert re.search(r"FUNC\s+LOCAL\s+DEFAULT\s+\d+\s+twice$", readelf, re.MULTILINE)


BAD = {
    "two functions": "\t.text\n\t.globl\tadd3\n\t.type\tadd3, @function\nadd3:\n\tret\n"
    "\t.type\tother, @function\nother:\n\tret\n",
    "wrong name": "\t.text\n\t.type\tadd4, @function\nadd4:\n\tret\n",
    "no function": "\tret\n",
    "another label": "\t.text\n\t.type\tadd3, @function\nadd3:\n\tret\nmain:\n\tret\n",
    "a .set": "\t.text\n\t.type\tadd3, @function\nadd3:\n\tret\n\t.set\tsub3, add3\n",
    "an assignment": "\t.text\n\t.type\tadd3, @function\nadd3:\n\tret\nsub3 = add3\n",
    "a .comm": "\t.text\n\t.type\tadd3, @function\nadd3:\n\tret\n\t.comm\tg_reports,4,4\n",
    "an undefined local label": "\t.text\n\t.type\tadd3, @function\nadd3:\n\tjmp\t.L99\n",
    "an .incbin": '\t.text\n\t.type\tadd3, @function\nadd3:\n\tret\n\t.incbin "/etc/passwd"\n',
    "an .include": '\t.include "other.s"\n\t.text\n\t.type\tadd3, @function\nadd3:\n\tret\n',
    "a macro": "\t.macro\tdef n\n\\n:\n\t.endm\n\t.text\n\t.type\tadd3, @function\nadd3:\n\tret\n\tdef main\n",
}


@pytest.mark.parametrize("what", sorted(BAD))
def test_replacement_must_define_exactly_the_function(what: str) -> None:
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    with pytest.raises(asm.AsmError):
        unit.replace("add3", BAD[what])


def test_unknown_function_is_an_error() -> None:
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    with pytest.raises(asm.AsmError):
        unit.replace("no_such_function", unit.functions["add3"].text())


def test_replace_is_pure(tmp_path: Path) -> None:
    text = gcc_s(LIB, ["-O3", "-g"])
    unit = asm.parse(text)
    new = unit.replace("add3", _rename_symbol(unit.functions["sub3"].text(), "sub3", "add3"))
    assert unit.render() == text
    assert new.render() != text
    assert new.functions["add3"].normalized() != unit.functions["add3"].normalized()
    assert new.functions["sub3"].normalized() == unit.functions["sub3"].normalized()
    # the same replacement again is deterministic
    assert unit.replace("add3", _rename_symbol(unit.functions["sub3"].text(), "sub3", "add3")).render() == new.render()


def test_debug_info_still_assembles_after_replacing_everything(tmp_path: Path) -> None:
    src = ROOT / "tests/asm/corpus/dispatch.c"
    unit = asm.parse(gcc_s(src, ["-O3", "-g"]))
    variant = asm.parse(gcc_s(src, ["-O1"]))
    for name in unit.functions:
        unit = unit.replace(name, variant.functions[name].text())
    (tmp_path / "d.s").write_text(unit.render())
    run(["gcc", "-c", "d.s", "-o", "d.o"], tmp_path)
    run(["gcc", "d.o", "-o", "d"], tmp_path)
    assert run(["./d", "x"], tmp_path).strip()


def test_hand_written_layout_is_accepted(tmp_path: Path) -> None:
    """What a model tends to write: directives at column 0, spaces, indented labels, comments,
    a constant of its own, no .size."""
    cand = """# add three, the long way
.section .rodata
.align 4
.Lthree:
    .long 3
.text
.globl add3
.type add3, @function
add3:
    movl .Lthree(%rip), %eax   # 3
  .Ldone:
    addl %edi, %eax
    ret
"""
    f = asm.parse_function(cand, "add3")
    assert f.constants() == [".Lthree"]
    assert asm.parse_function(f.text(), "add3").normalized() == f.normalized()
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    out = _build(tmp_path, unit.replace("add3", cand).render(), "hand", ["-O3"])
    assert "add3 13 sub3 7" in out


_VARIANTS: dict[str, asm.Unit] = {}


def _variant(level: str) -> asm.Unit:
    # -fno-ipa-ra: otherwise gcc lets callers keep values in caller-saved registers that a
    # callee of the same unit happens not to touch (walk and report), and a variant of the
    # callee that touches them breaks the caller. See docs/asm.md.
    if level not in _VARIANTS:
        _VARIANTS[level] = asm.parse(gcc_s(LIB, [level, "-fno-ipa-ra"]))
    return _VARIANTS[level]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mix_of_variants_behaves_the_same(data: st.DataObject, tmp_path_factory) -> None:
    tmp = tmp_path_factory.mktemp("mix")
    base = _variant("-O3")
    expected = _build(tmp, base.render(), "base", ["-O3"])
    names = data.draw(st.lists(st.sampled_from(sorted(base.functions)), unique=True, min_size=1))
    unit = base
    for name in names:
        level = data.draw(st.sampled_from(["-O0", "-O1", "-O2", "-Os"]))
        try:
            unit = unit.replace(name, _variant(level).functions[name].text())
        except asm.AsmError as e:
            # at -O0 the label table of interpret is writable data, `table.N`, which goes away
            # with the -O3 function it replaces; use_k1 calls shared_k, which -O3 inlined away
            assert "neither defines nor uses" in str(e), e
    assert _build(tmp, unit.render(), "mix", ["-O3"]) == expected


def test_a_static_of_another_unit_is_refused() -> None:
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    other = asm.parse(gcc_s(LIB, ["-O0"])).functions["interpret"]
    assert re.search(r"table\.\d", other.text()) and "table" not in "".join(other.constants())
    with pytest.raises(asm.AsmError, match=r"table\.\d, which this unit neither defines nor uses"):
        unit.replace("interpret", other.text())
    # a static helper that this unit inlined away
    helper = asm.parse(gcc_s(LIB, ["-O0"])).functions["use_k1"]
    assert "shared_k" in helper.text() and "shared_k" not in unit.functions
    with pytest.raises(asm.AsmError, match="shared_k"):
        unit.replace("use_k1", helper.text())
    # a function the unit calls elsewhere, or one gcc itself may call, is fine
    for callee in ("fprintf", "memset"):
        cand = f"\t.text\n\t.type\tadd3, @function\nadd3:\n\tjmp\t{callee}@PLT\n"
        assert f"{callee}@PLT" in unit.replace("add3", cand).render()
    # any other name is not known to exist where the rewrite goes
    with pytest.raises(asm.AsmError, match="abs"):
        unit.replace("add3", "\t.text\n\t.type\tadd3, @function\nadd3:\n\tjmp\tabs@PLT\n")


def test_why_baselines_need_no_ipa_ra(tmp_path: Path) -> None:
    """The hazard replace cannot see: with gcc's interprocedural register allocation (on at
    -O2 and up), walk keeps values in caller-saved registers across `call report`, because
    report, in the same unit, does not touch them. A correct-in-isolation report that does
    touch them breaks walk. Without -fipa-ra the same replacement is harmless."""
    outputs = {}
    for flags in (["-O3"], ["-O3", "-fno-ipa-ra"]):
        unit = asm.parse(gcc_s(LIB, flags))
        plain = _build(tmp_path, unit.render(), "plain", ["-O3"])
        slow = asm.parse(gcc_s(LIB, ["-O0"])).functions["report"].text()
        swapped = _build(tmp_path, unit.replace("report", slow).render(), "swapped", ["-O3"])
        outputs[" ".join(flags)] = (plain, swapped)
    plain, swapped = outputs["-O3 -fno-ipa-ra"]
    assert plain == swapped
    plain, swapped = outputs["-O3"]
    assert plain != swapped, "gcc no longer relies on report's registers; revisit docs/asm.md"


def test_a_rewrite_without_size_gets_one(tmp_path: Path) -> None:
    unit = asm.parse(gcc_s(LIB, ["-O3"]))
    new = unit.replace("add3", "\t.text\n\t.type\tadd3, @function\nadd3:\n\tleal\t3(%rdi), %eax\n\tret\n")
    assert new.functions["add3"].spans[0][1] <= new.functions["sub3"].spans[0][0]
    (tmp_path / "o.s").write_text(new.render())
    run(["gcc", "-c", "o.s", "-o", "o.o"], tmp_path)
    readelf = run(["readelf", "-sW", "o.o"], tmp_path)
    assert re.search(r"\s4 FUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+add3$", readelf, re.MULTILINE), readelf
