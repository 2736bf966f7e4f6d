"""Fixtures shared by every test area. Each area (tests/<area>/) keeps its own conftest for
the rest. Tests use the real gcc, assembler, make and cmake, and the installed `llmcc`."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def llmcc_bin() -> Path:
    """The installed console script (what a user's build runs)."""
    p = VENV_BIN / "llmcc"
    assert p.exists(), f"llmcc is not installed in {VENV_BIN}; run `make venv`"
    return p


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    d = tmp_path / "llmcc-cache"
    d.mkdir()
    return d


@pytest.fixture
def llmcc_env(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    """An environment for running llmcc in isolation: private cache and config, the venv on PATH,
    the optimizer off unless a test turns it on (so the default tests stay fast and exact)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["LLMCC_CACHE_DIR"] = str(cache_dir)
    env["LLMCC_MODE"] = "off"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env["LLMCC_LOG"] = str(tmp_path / "llmcc.log")
    return env


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A fresh copy of examples/ in a private directory."""
    dst = tmp_path / "examples"
    shutil.copytree(EXAMPLES, dst, ignore=shutil.ignore_patterns("*.o", "build", "__pycache__"))
    return dst


@pytest.fixture
def baseline_key(llmcc_env: dict[str, str]):
    """key(asm_text, function, words) -> the cache key llmcc computes for `function` of gcc's
    assembly `asm_text` compiled with the gcc command line `words` (driver.function_keys). A
    translation-unit entry written with the optimizer off holds keys only for names the cache
    already has rewrites for, so tests that plant a rewrite compute its key this way."""
    from gcc_wrapper.compile import args, asm, compiler, config, driver

    def key(asm_text: str, function: str, words: list[str]) -> str:
        cfg = config.load(environ=llmcc_env)
        cc = compiler.find_real_compiler("llmcc", list(words), cfg)[0]
        inv = args.parse(words, opt=str(cfg.opt)).replace(cc=cc)
        return driver.function_keys(asm.parse(asm_text), inv, cfg, only=[function])[function]

    return key
