"""gcc's constant aliases (`.set .LC1,.LC4`): a function's text() carries them and the constants
they name, so that it stands alone, and a unit with such functions replaced links and runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asm_helpers import CORPUS, assemble, gcc_s, run, undefined_locals

from gcc_wrapper.compile import asm

SRC = CORPUS / "vectors.c"
ALIAS = re.compile(r"^\t\.set\t(\.LC\d+),(\.LC\d+)$", re.MULTILINE)
FLAGS = [["-O3"], ["-O3", "-funroll-loops"]]

MAIN = r"""
#include <stdio.h>
void scale(float *restrict, const float *restrict, int);
void scale_d(double *restrict, const double *restrict, int);
void add7(short *restrict, int);
void step(unsigned *restrict, unsigned char *restrict, int);
int main(void)
{
    enum { N = 77 };
    float f[N], fb[N]; double d[N], db[N]; short s[N]; unsigned u[N]; unsigned char c[N];
    for (int i = 0; i < N; i++) {
        fb[i] = i * 0.25f - 3; db[i] = i * 0.5 - 7; s[i] = (short)(i * 1000); u[i] = i * 7919u;
        c[i] = (unsigned char)(i * 13);
    }
    for (int n = 0; n <= N; n += 11) {
        scale(f, fb, n); scale_d(d, db, n); add7(s, n); step(u, c, n);
        double sum = 0; unsigned long h = 0;
        for (int i = 0; i < n; i++)
            sum += f[i] + d[i], h = h * 31 + (unsigned short)s[i] + u[i] + c[i];
        printf("%d %a %lx\n", n, sum, h);
    }
    return 0;
}
"""


def _unit(flags: list[str]) -> tuple[str, asm.Unit]:
    text = gcc_s(SRC, flags)
    assert text is not None
    assert ALIAS.search(text), f"gcc {' '.join(flags)} no longer aliases constants here; find another example"
    return text, asm.parse(text)


def _run(tmp: Path, unit_asm: str, tag: str) -> str:
    (tmp / f"{tag}.s").write_text(unit_asm)
    (tmp / "main.c").write_text(MAIN)
    run(["gcc", "-O1", "-c", "main.c", "-o", "main.o"], tmp)
    run(["gcc", "-c", f"{tag}.s", "-o", f"{tag}.o"], tmp)
    run(["gcc", "main.o", f"{tag}.o", "-o", tag], tmp)
    return run([f"./{tag}"], tmp)


@pytest.mark.parametrize("flags", FLAGS, ids=" ".join)
def test_text_carries_aliases_and_their_constants(flags: list[str], tmp_path: Path) -> None:
    text, unit = _unit(flags)
    aliases = dict(ALIAS.findall(text))
    users = 0
    for name, f in unit.functions.items():
        body = "".join(unit.lines[i] for a, b in f.spans for i in range(a, b))
        used = set(re.findall(r"\.LC\d+", body)) & set(aliases)
        users += bool(used)
        standalone = f.text()
        for alias in used:
            assert f"\t.set\t{alias},{aliases[alias]}\n" in standalone, name
            assert f"\n{aliases[alias]}:\n" in standalone, name
            assert alias in f.owned_constants() and aliases[alias] in f.owned_constants()
        obj = tmp_path / f"{name}.o"
        r = assemble(standalone, obj)
        assert r.returncode == 0, f"{name}: {r.stderr}"
        assert undefined_locals(obj) == [], f"{name}:\n{standalone}"
        again = asm.parse_function(standalone, name)
        assert again.normalized() == f.normalized()
    assert users >= 2


def test_replaced_by_variants_with_aliases_links_and_runs(tmp_path: Path) -> None:
    """Every function of the -O3 unit swapped for its -funroll-loops variant: both use the same
    alias names (.LC1, .LC3, ...) for their own constants, so renaming must keep them apart."""
    base_text, unit = _unit(FLAGS[0])
    _, variant = _unit(FLAGS[1])
    expected = _run(tmp_path, base_text, "base")
    assert expected.count("\n") == 8
    for name in unit.functions:
        assert variant.functions[name].text() != unit.functions[name].text()
        unit = unit.replace(name, variant.functions[name].text())
        assert unit.functions[name].normalized() == variant.functions[name].normalized()
    rendered = unit.render()
    # the old constants and aliases went with the old functions
    assert not re.search(r"^\t\.set\t\.LC\d+,\.LC\d+$", rendered, re.MULTILINE)
    assert len(re.findall(r"^\t\.set\t\.LC\d+_\w+,\.LC\d+_\w+$", rendered, re.MULTILINE)) == len(
        ALIAS.findall(base_text)
    )
    assert _run(tmp_path, rendered, "replaced") == expected


def test_alias_of_an_alias_and_in_any_section(tmp_path: Path) -> None:
    """gcc writes the `.set` lines wherever it is (here in .text, after the last function); an
    alias may also name another alias. Both are constants of the function that uses them."""
    text, unit = _unit(FLAGS[0])
    alias, target = ALIAS.search(text).groups()
    chained = text.replace(
        f"\t.set\t{alias},{target}\n", f"\t.text\n\t.set\t{alias},.Lmid\n\t.set\t.Lmid,{target}\n", 1
    )
    u = asm.parse(chained)
    assert u.render() == chained
    f = next(f for f in u.functions.values() if alias in f.constants())
    assert {alias, ".Lmid", target} <= set(f.owned_constants())
    obj = tmp_path / "f.o"
    assert assemble(f.text(), obj).returncode == 0
    assert undefined_locals(obj) == []
    norm = f.normalized()
    assert norm != unit.functions[f.name].normalized()  # the chain is part of what it means
    assert len(re.findall(r"^\.set \.LC\d+,\.LC\d+$", norm, re.MULTILINE)) >= 2
