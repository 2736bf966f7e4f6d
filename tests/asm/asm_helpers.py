"""Helpers for the assembly-model tests: real gcc, real `as`, real linking."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"


def c_files() -> list[Path]:
    """Every C file of the project's examples and tests (other areas keep adding some)."""
    found = sorted(set((ROOT / "examples").rglob("*.c")) | set((ROOT / "tests").rglob("*.c")))
    return [p for p in found if "__pycache__" not in p.parts]


def gcc_s(src: Path, flags: list[str], cwd: Path | None = None) -> str | None:
    """gcc's assembly for one file, or None when gcc cannot compile it on its own (some test
    inputs need the project's include paths or are deliberately broken)."""
    r = subprocess.run(
        ["gcc", "-S", "-o", "-", "-w", *flags, str(src)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return r.stdout if r.returncode == 0 else None


def assemble(text: str, out: Path) -> subprocess.CompletedProcess[str]:
    src = out.with_suffix(".s")
    src.write_text(text)
    return subprocess.run(["as", "--64", "-o", str(out), str(src)], capture_output=True, text=True, check=False)


def run(cmd: list[str], cwd: Path) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}"
    return r.stdout


def undefined_locals(obj: Path) -> list[str]:
    """Local (.L) symbols an object refers to without defining: `as` accepts them as undefined
    externals, and the link then fails. A standalone text() must have none."""
    r = subprocess.run(["nm", "-u", str(obj)], capture_output=True, text=True, check=True)
    return [ln.split()[-1] for ln in r.stdout.splitlines() if ln.split()[-1].startswith(".L")]
