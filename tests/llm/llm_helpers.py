"""Helpers of the llm tests (a module of its own: `conftest` is a name every test area uses)."""

from __future__ import annotations

from pathlib import Path

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

    from gcc_wrapper.compile import asm
    from gcc_wrapper.optimize.candidate import Context

    c = tmp_path / f"{name}.c"
    c.write_text(src)
    s = subprocess.run(["gcc", *cflags, "-S", "-o", "-", str(c)], check=True, capture_output=True, text=True).stdout
    fn = asm.parse(s).functions[name]
    return Context(name=name, source_path=str(c), cflags=cflags, baseline_asm=fn.text(), unit_asm=s, cwd=str(tmp_path))
