"""Fixtures of the assembly-model tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from asm_helpers import gcc_s


@pytest.fixture
def compile_s():
    def compile_(src: Path, *flags: str, cwd: Path | None = None) -> str:
        text = gcc_s(src, list(flags), cwd)
        assert text is not None, f"gcc cannot compile {src}"
        return text

    return compile_
