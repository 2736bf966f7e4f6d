"""Function.normalized(): the same function hashes the same wherever it was compiled; anything
that changes meaning changes it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from asm_helpers import CORPUS, gcc_s
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcc_wrapper.compile import asm

TARGETS = r"""
const char *target(int op, double *out, double x)
{
    *out = x * 3.25 + 0.5;
    switch (op) {
    case 0: return "zero";
    case 1: return "one";
    case 2: return "two";
    case 3: return "three";
    case 4: return "four";
    case 5: return "five";
    case 6: return "six";
    default: return "many";
    }
}

int target_table(unsigned k)
{
    switch (k) {
    case 0: return 17; case 1: return 4; case 2: return 99; case 3: return 12;
    case 4: return 8; case 5: return 61; case 6: return 23; default: return -5;
    }
}

int target_msg(int x)
{
    static const char *const tag = __func__;
    return x > 3 ? (int)__builtin_strlen(tag) * x : tag[x & 3];
}
"""

# Functions that come first in the second file, so that every gcc-numbered name (.LC, .L,
# CSWTCH.N, __func__.N) is different there.
PREFIX = r"""
int pre_table(unsigned k)
{
    switch (k) {
    case 0: return 5; case 1: return 6; case 2: return 7; case 3: return 8;
    case 4: return 1; case 5: return 2; case 6: return 3; default: return 0;
    }
}
const char *pre_str(int i) { return i ? "alpha" : "beta"; }
double pre_num(double x) { return x * 1.75 - 0.25; }
const char *pre_name(void) { return __func__; }
int pre_loop(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i] * 3; return s; }
"""


def _compile_in(d: Path, fname: str, text: str, flags: list[str]) -> asm.Unit:
    d.mkdir(parents=True, exist_ok=True)
    (d / fname).write_text(text)
    out = gcc_s(Path(fname), flags, cwd=d)
    assert out is not None
    return asm.parse(out)


def _pair(tmp_path: Path, flags: list[str]) -> tuple[asm.Unit, asm.Unit]:
    a = _compile_in(tmp_path / "one", "first.c", TARGETS, flags)
    b = _compile_in(tmp_path / "elsewhere" / "deeper", "second.c", PREFIX + TARGETS, flags)
    return a, b


def test_same_function_other_file_position_and_directory(tmp_path: Path) -> None:
    for flags in (["-O3", "-g"], ["-O2", "-g"], ["-O3"], ["-O0", "-g"]):
        a, b = _pair(tmp_path / "_".join(flags), flags)
        for name in ("target", "target_table", "target_msg"):
            fa, fb = a.functions[name], b.functions[name]
            assert fa.text() != fb.text() or flags == ["-O0", "-g"] or name == "target_msg"
            assert fa.normalized() == fb.normalized(), f"{flags} {name}"


def test_gcc_numbered_names_do_differ_between_the_files(tmp_path: Path) -> None:
    """The test above means something: the raw assembly really is numbered differently."""
    a, b = _pair(tmp_path, ["-O3", "-g"])
    ta, tb = a.functions["target_table"].text(), b.functions["target_table"].text()
    assert re.findall(r"CSWTCH\.\d+", ta) != re.findall(r"CSWTCH\.\d+", tb)
    la, lb = a.functions["target"].text(), b.functions["target"].text()
    assert re.findall(r"\.LC\d+", la) != re.findall(r"\.LC\d+", lb)


def test_debug_lines_are_not_in_normalized_text(tmp_path: Path) -> None:
    a, _ = _pair(tmp_path, ["-O3", "-g"])
    n = a.functions["target"].normalized()
    for noise in (".loc", ".file", "view", ".cfi_", ".LVL", ".LFB", "#"):
        assert noise not in n
    assert "3.25" not in n  # the double is there as its bytes
    assert '"zero"' in n and "target:" in n


def _mutate(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} not in\n{text}"
    return text.replace(old, new, 1)


def test_one_changed_instruction_changes_it(tmp_path: Path) -> None:
    a, _ = _pair(tmp_path, ["-O3"])
    f = a.functions["target"]
    changed = asm.parse_function(_mutate(f.text(), "ret", "nop\n\tret"), "target")
    assert changed.normalized() != f.normalized()
    swapped = asm.parse_function(re.sub(r"\bmulsd\b", "addsd", f.text(), count=1), "target")
    assert swapped.normalized() != f.normalized()


def test_changed_constant_changes_it(tmp_path: Path) -> None:
    a = _compile_in(tmp_path / "a", "t.c", TARGETS, ["-O3"])
    b = _compile_in(tmp_path / "b", "t.c", TARGETS.replace("3.25", "3.5"), ["-O3"])
    c = _compile_in(tmp_path / "c", "t.c", TARGETS.replace('"five"', '"fivE"'), ["-O3"])
    d = _compile_in(tmp_path / "d", "t.c", TARGETS.replace("return 99", "return 98"), ["-O3"])
    assert a.functions["target"].normalized() != b.functions["target"].normalized()
    assert a.functions["target"].normalized() != c.functions["target"].normalized()
    assert a.functions["target_table"].normalized() != d.functions["target_table"].normalized()
    # and the functions that did not change still agree
    assert a.functions["target_table"].normalized() == b.functions["target_table"].normalized()


def test_alignment_and_global_names_count(tmp_path: Path) -> None:
    a = _compile_in(tmp_path / "a", "t.c", TARGETS, ["-O3"])
    f = a.functions["target_table"]
    text = f.text()
    assert ".p2align 4" in text
    realigned = asm.parse_function(text.replace(".p2align 4", ".p2align 5", 1), f.name)
    assert realigned.normalized() != f.normalized()
    g = asm.parse(gcc_s(CORPUS / "dispatch.c", ["-O3"])).functions["checked_div"]
    other = asm.parse_function(g.text().replace("call\tabort@PLT", "call\texit@PLT"), g.name)
    assert other.normalized() != g.normalized()


def _local_names(text: str) -> list[str]:
    return sorted(set(re.findall(r"(?<![\w.$])\.L[A-Za-z]*\d+\b", text)), key=len, reverse=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_renaming_local_labels_keeps_normalized_text(data: st.DataObject) -> None:
    unit = _corpus_unit()
    name = data.draw(st.sampled_from(sorted(unit.functions)))
    f = unit.functions[name]
    text = f.text()
    names = _local_names(text)
    fresh = data.draw(
        st.lists(
            st.from_regex(r"\.L[a-z]{1,3}[0-9]{1,4}", fullmatch=True),
            min_size=len(names),
            max_size=len(names),
            unique=True,
        ).filter(lambda xs: not set(xs) & set(names))
    )
    mapping = dict(zip(names, fresh))
    renamed = re.sub(r"(?<![\w.$])\.L[A-Za-z]*\d+\b", lambda m: mapping[m.group(0)], text)
    assert asm.parse_function(renamed, name).normalized() == f.normalized()


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_comments_and_debug_lines_do_not_count(data: st.DataObject) -> None:
    unit = _corpus_unit()
    name = data.draw(st.sampled_from(sorted(unit.functions)))
    f = unit.functions[name]
    lines = f.text().splitlines(keepends=True)
    label = next(k for k, ln in enumerate(lines) if ln.startswith(name + ":"))
    out = []
    for k, ln in enumerate(lines):
        out.append(ln)
        if k > label and data.draw(st.booleans()):
            out.append(
                data.draw(st.sampled_from(["# a comment\n", "\t.loc 1 7 3 view .LVU99\n", "\t.loc 1 9 0\n", "#APP\n"]))
            )
    noisy = '\t.file 1 "x.c"\n' + "".join(out)
    assert asm.parse_function(noisy, name).normalized() == f.normalized()


_UNIT: list[asm.Unit] = []


def _corpus_unit() -> asm.Unit:
    if not _UNIT:
        texts = gcc_s(CORPUS / "dispatch.c", ["-O3"])
        assert texts is not None
        _UNIT.append(asm.parse(texts))
    return _UNIT[0]


def test_copies_compiled_in_two_directories_hash_alike(tmp_path: Path) -> None:
    """The whole corpus file, compiled with -g from two directories under two names."""
    for k, d in enumerate(("x", "y/z")):
        (tmp_path / d).mkdir(parents=True)
        shutil.copy(CORPUS / "numeric.c", tmp_path / d / f"copy{k}.c")
    ua = asm.parse(gcc_s(Path("copy0.c"), ["-O3", "-g"], cwd=tmp_path / "x"))
    ub = asm.parse(gcc_s(Path("copy1.c"), ["-O3", "-g"], cwd=tmp_path / "y/z"))
    assert list(ua.functions) == list(ub.functions)
    for name in ua.functions:
        assert ua.functions[name].normalized() == ub.functions[name].normalized(), name


def test_local_names_it_does_not_define_keep_their_identity() -> None:
    def fn(target: str) -> str:
        return f"\t.text\n\t.type\tf, @function\nf:\n\tleaq\t{target}(%rip), %rax\n\tjmp\t.L7\n.L7:\n\tret\n"

    a, b = (asm.parse_function(fn(t), "f").normalized() for t in (".LASAN0", ".LASAN1"))
    assert a != b
    assert ".LASAN0" in a and ".L0:" in a


def test_a_label_named_like_a_debug_label_is_kept_when_used() -> None:
    text = "\t.text\n\t.type\tf, @function\nf:\n\tjmp\t.LVL3\n.LVL3:\n\tret\n.LVL4:\n\t.size\tf, .-f\n"
    f = asm.parse_function(text, "f")
    assert ".LVL3:" in f.text() and ".LVL4" not in f.text()
    assert asm.parse_function(f.text(), "f").normalized() == f.normalized()


@pytest.mark.parametrize(
    "src", sorted(CORPUS.glob("*.c")) + [CORPUS.parent / "program" / "lib.c"], ids=lambda p: p.name
)
def test_debug_information_does_not_change_it(src: Path) -> None:
    """-g does not change gcc's code, so it must not change the key either (lib.c has a split
    function, before which gcc -g visits .text.unlikely to place .Ltext_cold0)."""
    for level in ("-O2", "-O3"):
        plain = asm.parse(gcc_s(src, [level]))
        debug = asm.parse(gcc_s(src, [level, "-g"]))
        assert list(plain.functions) == list(debug.functions)
        for name, f in plain.functions.items():
            assert f.normalized() == debug.functions[name].normalized(), f"{src.name} {level} {name}"
