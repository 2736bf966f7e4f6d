"""Real C written by others, when this machine has it: zlib's and libpng's example programs
(Debian's zlib1g-dev and libpng-dev ship them; `make test` installs both). Nothing is fetched
and nothing is committed."""

from __future__ import annotations

from pathlib import Path

import pytest
from asm_helpers import assemble, gcc_s, run

from gcc_wrapper.compile import asm

# A few of them (the biggest, and the most varied): each is compiled and every function of it
# replaced, one replace at a time.
SOURCES = [
    "/usr/share/doc/zlib1g-dev/examples/gzlog.c",
    "/usr/share/doc/zlib1g-dev/examples/zran.c",
    "/usr/share/doc/libpng-dev/examples/pngtest.c",
]
ZLIB_EXAMPLE = Path("/usr/share/doc/zlib1g-dev/examples/example.c")


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: Path(p).name)
def test_round_trip_and_replace_everything(src: str, tmp_path: Path) -> None:
    assert Path(src).exists(), f"{src} is missing: `make sysdeps` installs zlib1g-dev and libpng-dev"
    for flags in (["-O3", "-g", "-fPIC"],):
        text = gcc_s(Path(src), flags)
        assert text is not None, f"gcc cannot compile {src}"
        unit = asm.parse(text)
        assert len(unit.functions) >= 3
        assert unit.render() == text
        for name, f in list(unit.functions.items()):
            again = asm.parse_function(f.text(), name)
            assert again.normalized() == f.normalized(), name
            unit = unit.replace(name, f.text())
        r = assemble(unit.render(), tmp_path / "all.o")
        assert r.returncode == 0, r.stderr


def test_zlib_example_runs_with_every_function_from_O1(tmp_path: Path) -> None:
    """zlib's own test program, every function swapped for gcc -O1's version of it (without
    interprocedural register allocation, see docs/asm.md)."""
    assert ZLIB_EXAMPLE.exists(), "`make sysdeps` installs zlib1g-dev, which ships example.c"
    base = gcc_s(ZLIB_EXAMPLE, ["-O3", "-fno-ipa-ra"])
    variant = asm.parse(gcc_s(ZLIB_EXAMPLE, ["-O1", "-fno-ipa-ra"]))
    (tmp_path / "base.s").write_text(base)
    run(["gcc", "base.s", "-lz", "-o", "base"], tmp_path)
    expected = run(["./base"], tmp_path)
    assert "hello, hello!" in expected
    unit = asm.parse(base)
    swapped = 0
    for name in list(unit.functions):
        if name in variant.functions:
            unit = unit.replace(name, variant.functions[name].text())
            swapped += 1
    assert swapped >= 10
    (tmp_path / "new.s").write_text(unit.render())
    run(["gcc", "new.s", "-lz", "-o", "new"], tmp_path)
    assert run(["./new"], tmp_path) == expected
