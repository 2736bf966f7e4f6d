"""Fixtures of the llm area: the scripted vLLM stand-in, started per test on a free port."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_vllm import FakeVLLM  # noqa: E402
from llm_helpers import SUM_C, compile_function  # noqa: E402


@pytest.fixture
def fake_vllm():
    with FakeVLLM() as fake:
        yield fake


@pytest.fixture
def sum_ctx(tmp_path: Path):
    return compile_function(tmp_path, SUM_C, "sum_array")


@pytest.fixture
def llm_cfg(tmp_path: Path, fake_vllm):
    """A configuration pointing at the fake server, with a private cache."""
    from gcc_wrapper.compile import config

    env = {
        "LLMCC_SERVER": fake_vllm.url,
        "LLMCC_CACHE_DIR": str(tmp_path / "cache"),
        "LLMCC_N": "2",
        "LLMCC_MAX_TOKENS": "2048",
        "LLMCC_CONCURRENCY": "4",
    }
    return config.load(cwd=tmp_path, environ=env)
