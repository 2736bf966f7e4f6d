"""Differential testing of functions that use the rest of their unit: static helpers, read-only
tables, writable globals, libc; and what is reported as not testable."""

from __future__ import annotations

import subprocess

from verify_helpers import make_context

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.verify import verify

UNIT = """\
#include <string.h>
static const int weights[8] = {3, 1, 4, 1, 5, 9, 2, 6};
int calls;
static __attribute__((noinline)) int mix(int x) { return x * 31 + weights[x & 7]; }
int score(const int *a, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += mix(a[i]);
    calls++;
    return s;
}
size_t copy_upper(char *dst, const char *src) {
    size_t n = strlen(src);
    memcpy(dst, src, n + 1);
    for (size_t i = 0; i < n; i++) if (dst[i] >= 'a' && dst[i] <= 'z') dst[i] -= 32;
    return n;
}
int deref(int *p, int i) { return p[i + 100000]; }
/* used by the pruning test alone: its build directory is deleted mid-test, and builds are shared
   by content between processes (another test verifying score at the same time would lose it) */
int pruned_sum(const int *a, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += mix(a[i]) ^ 5;
    return s;
}
"""


def compiled(tmp_path, name, flags):
    src = tmp_path / "u.c"
    src.write_text(UNIT)
    unit = subprocess.run(["gcc", *flags, "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    return src, asm.parse(unit).functions[name].text()


def test_helpers_tables_and_globals(tmp_path):
    src, other = compiled(tmp_path, "score", ["-O1"])
    ctx = make_context(src, "score")
    v = verify(ctx, Candidate(other, "gcc -O1"))
    assert v.verdict == "accept", v.reason
    wrong_global = other.replace("addl\t$1, calls(%rip)", "addl\t$2, calls(%rip)")
    assert wrong_global != other
    v = verify(ctx, Candidate(wrong_global, "t"))
    assert v.verdict == "reject" and "global calls" in v.reason


def test_libc_calls_and_strings(tmp_path):
    src, other = compiled(tmp_path, "copy_upper", ["-O1"])
    ctx = make_context(src, "copy_upper")
    v = verify(ctx, Candidate(other, "gcc -O1"))
    assert v.verdict == "accept", v.reason
    wrong = other.replace("$32", "$33").replace("$-32", "$-33")
    assert wrong != other
    v = verify(ctx, Candidate(wrong, "t"))
    assert v.verdict == "reject" and v.counterexample.startswith("copy_upper(dst=")


def test_original_that_mostly_crashes_is_not_testable(tmp_path):
    src, text = compiled(tmp_path, "deref", ["-O3"])
    v = verify(make_context(src, "deref"), Candidate(text, "itself"))
    assert v.verdict == "error"
    assert "not modelled well enough" in v.reason or "crashed" in v.reason


def test_a_pruned_build_is_made_again(tmp_path):
    import shutil

    from gcc_wrapper.optimize.verify import difftest

    src, other = compiled(tmp_path, "pruned_sum", ["-O1"])
    ctx = make_context(src, "pruned_sum")
    assert verify(ctx, Candidate(other, "gcc -O1")).verdict == "accept"
    shutil.rmtree(difftest.prepare(ctx).build.dir)  # what another process's pruning does
    v = verify(ctx, Candidate(other, "gcc -O1"))
    assert v.verdict == "accept", v.reason


def test_matrix_buffers_sized_by_the_product(tmp_path):
    src = tmp_path / "mm.c"
    src.write_text(
        "void matmul(double *c, const double *a, const double *b, int n) {\n"
        "  for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { double s = 0;\n"
        "    for (int k = 0; k < n; k++) s += a[i*n+k] * b[k*n+j]; c[i*n+j] = s; } }\n"
    )
    ctx = make_context(src, "matmul")
    v = verify(ctx, Candidate(ctx.baseline_asm, "itself"))
    assert v.verdict == "accept" and v.inputs_tried >= 1000, v.reason
    wrong = (
        ctx.baseline_asm.replace("addsd", "subsd", 1)
        if "addsd" in ctx.baseline_asm
        else ctx.baseline_asm.replace("addpd", "subpd", 1)
    )
    assert wrong != ctx.baseline_asm
    v = verify(ctx, Candidate(wrong, "t"))
    assert v.verdict == "reject" and v.checks[-1].name == "difftest"
    assert "n=" in v.counterexample and "x double64" in v.counterexample
