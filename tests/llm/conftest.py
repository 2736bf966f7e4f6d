"""Fixtures of the llm area: the scripted vLLM stand-in, started per test on a free port."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_vllm import FakeVLLM  # noqa: E402


@pytest.fixture
def fake_vllm():
    with FakeVLLM() as fake:
        yield fake
