"""`llmcc verify` as a user runs it: exit status, verdict text, JSON, bad input."""

from __future__ import annotations

import json
import subprocess

import pytest
from verify_helpers import CORPUS


def run(llmcc_bin, env, *args, cwd=None):
    return subprocess.run(
        [str(llmcc_bin), "verify", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_accept_exit_0(llmcc_bin, llmcc_env):
    d = CORPUS / "pop_swar"
    r = run(llmcc_bin, llmcc_env, d / "src.c", "pop", d / "cand.s")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("accept:")
    assert "[ok] difftest" in r.stdout


def test_reject_json_with_counterexample(llmcc_bin, llmcc_env):
    d = CORPUS / "sum_n_zero"
    r = run(llmcc_bin, llmcc_env, "--json", d / "src.c", "sum", d / "cand.s")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["verdict"] == "reject"
    assert out["reason"].startswith("difftest:")
    assert out["counterexample"].startswith("sum(")
    assert {"name", "passed", "detail"} <= set(out["checks"][0])
    assert out["checks"][-1] == {
        "name": "difftest",
        "passed": False,
        "detail": out["reason"].removeprefix("difftest: "),
    }


def test_isa_option_allows_extension(llmcc_bin, llmcc_env):
    d = CORPUS / "pop_popcnt_not_in_isa"
    assert run(llmcc_bin, llmcc_env, d / "src.c", "pop", d / "cand.s").returncode == 1
    r = run(llmcc_bin, llmcc_env, "--isa", "x86-64-v2", d / "src.c", "pop", d / "cand.s")
    assert r.returncode == 0, r.stdout
    r = run(llmcc_bin, llmcc_env, "--cflags", "-march=nehalem", d / "src.c", "pop", d / "cand.s")
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize(
    "problem", ["missing-source", "missing-candidate", "no-such-function", "other-symbol", "empty"]
)
def test_bad_input_exit_2(llmcc_bin, llmcc_env, tmp_path, problem):
    d = CORPUS / "pop_swar"
    src, fn, cand = d / "src.c", "pop", d / "cand.s"
    if problem == "missing-source":
        src = tmp_path / "nope.c"
    elif problem == "missing-candidate":
        cand = tmp_path / "nope.s"
    elif problem == "no-such-function":
        fn = "popcount"
    elif problem == "other-symbol":
        cand = tmp_path / "other.s"
        cand.write_text((d / "cand.s").read_text().replace("pop", "pop2"))
    else:
        cand = tmp_path / "empty.s"
        cand.write_text("\n")
    r = run(llmcc_bin, llmcc_env, src, fn, cand)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("llmcc verify: ")
    assert r.stdout == ""


@pytest.mark.parametrize(
    "src,why",
    [
        (
            "#include <stdarg.h>\nint first(int n, ...) { va_list ap; va_start(ap, n); int x = va_arg(ap, int); va_end(ap); return x + n; }\n",
            "variadic",
        ),
        ("int apply(int *(*f)(int), int x) { return *f(x) + 1; }\n", "returning int *"),
        ('#include <stdio.h>\nint say(int x) { printf("%d\\n", x); return x; }\n', "printf"),
        ("#include <stdlib.h>\nlong noisy(int x) { char *p = malloc(16); return (long)p + x; }\n", "nondeterministic"),
    ],
)
def test_untestable_without_tests_exit_2(llmcc_bin, llmcc_env, tmp_path, src, why):
    c = tmp_path / "f.c"
    c.write_text(src)
    name = {"variadic": "first", "returning int *": "apply", "printf": "say", "nondeterministic": "noisy"}[why]
    unit = subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(c)], capture_output=True, text=True, check=True).stdout
    from gcc_wrapper.compile import asm

    cand = tmp_path / "c.s"
    cand.write_text(asm.parse(unit).functions[name].text())
    r = run(llmcc_bin, llmcc_env, "--json", c, name, cand)
    assert r.returncode == 2, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["verdict"] == "error"
    assert "not testable" in out["reason"] and why in out["reason"], out["reason"]
