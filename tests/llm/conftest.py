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


SUM_C = """\
typedef long count_t;
static const int weight = 1;

long sum_array(const int *a, count_t n)
{
    long s = 0;
    for (count_t i = 0; i < n; i++)
        s += a[i] * weight;
    return s;
}
"""


def compile_function(tmp_path: Path, src: str, name: str, cflags: tuple[str, ...] = ("-O3",)):
    """A Context for `name` in src, with gcc's real -O3 assembly as the baseline."""
    import subprocess

    from gcc_wrapper import asm
    from gcc_wrapper.candidate import Context

    c = tmp_path / f"{name}.c"
    c.write_text(src)
    s = subprocess.run(["gcc", *cflags, "-S", "-o", "-", str(c)], check=True, capture_output=True, text=True).stdout
    fn = asm.parse(s).functions[name]
    return Context(name=name, source_path=str(c), cflags=cflags, baseline_asm=fn.text(), unit_asm=s, cwd=str(tmp_path))


@pytest.fixture
def sum_ctx(tmp_path: Path):
    return compile_function(tmp_path, SUM_C, "sum_array")


@pytest.fixture
def llm_cfg(tmp_path: Path, fake_vllm):
    """A configuration pointing at the fake server, with a private cache."""
    from gcc_wrapper import config

    env = {
        "LLMCC_SERVER": fake_vllm.url,
        "LLMCC_CACHE_DIR": str(tmp_path / "cache"),
        "LLMCC_N": "2",
        "LLMCC_MAX_TOKENS": "2048",
        "LLMCC_CONCURRENCY": "4",
    }
    return config.load(cwd=tmp_path, environ=env)
