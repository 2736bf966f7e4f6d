"""Fixtures of the driver's tests (helpers are in driver_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from driver_helpers import GCC, KERNEL_SRC, WARN_SRC


@pytest.fixture
def gcc() -> str:
    assert GCC, "gcc is not installed"
    return GCC


@pytest.fixture
def env(llmcc_env: dict[str, str]) -> dict[str, str]:
    e = dict(llmcc_env)
    e["LC_ALL"] = "C"
    return e


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A directory of small C files: k.c (loops, a jump table, .rodata), w.c (a warning),
    u.c (a header from inc/), main.c (calls k.c)."""
    d = tmp_path / "work"
    d.mkdir()
    (d / "k.c").write_text(KERNEL_SRC)
    (d / "w.c").write_text(WARN_SRC)
    (d / "inc").mkdir()
    (d / "inc" / "h.h").write_text("#define SCALE 3\n")
    (d / "u.c").write_text('#include "h.h"\nint scale(int x) { return x * SCALE; }\n')
    (d / "main.c").write_text(
        "#include <stdio.h>\nint dot(const int *, unsigned long);\nint pick(int);\n"
        "int main(void) { int a[16]; for (int i = 0; i < 16; i++) a[i] = i;\n"
        '  printf("%d %d\\n", dot(a, 16), pick(3)); return 0; }\n'
    )
    return d
