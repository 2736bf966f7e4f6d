"""Function-level and program-level measurement on real code: an identical candidate measures
as no faster, a much slower one as slower, and unsupported prototypes are refused up front."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gcc_wrapper.optimize import measure

SRC = """
unsigned revbits(const unsigned *a, int n)
{
    unsigned acc = 0;
    for (int i = 0; i < n; i++) {
        unsigned x = a[i], r = 0;
        for (int b = 0; b < 32; b++) { r = (r << 1) | (x & 1); x >>= 1; }
        acc ^= r + (unsigned)i;
    }
    return acc;
}
"""
PROTO = "unsigned revbits(const unsigned *a, int n)"


def unit(tmp: Path, *flags: str) -> str:
    src = tmp / "r.c"
    src.write_text(SRC)
    return subprocess.run(["gcc", *flags, "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout


def test_identical_candidate_is_not_faster(tmp_path):
    base = unit(tmp_path, "-O3")
    m = measure.measure_units("gcc", "revbits", PROTO, base, base, rounds=8, lock_dir=tmp_path)
    assert m.rounds == 8 and len(m.baseline) == len(m.candidate) == 8
    assert not m.faster_by(0.03)
    assert 0.8 < m.speedup < 1.25


def test_much_slower_candidate_measures_slower(tmp_path):
    base = unit(tmp_path, "-O3")
    slow = unit(tmp_path, "-O0")
    m = measure.measure_units("gcc", "revbits", PROTO, base, slow, rounds=4, lock_dir=tmp_path)
    assert m.speedup < 0.7 and m.spread[1] < 1.0
    assert "function-harness" in m.method


@pytest.mark.parametrize("proto", [
    "int f(int (*cb)(int), int n)",
    "int f(struct s *p)",
    "int f(char **argv)",
    "int f(const char *fmt, ...)",
])
def test_unsupported_prototypes_are_refused(proto):
    with pytest.raises(measure.MeasureError):
        measure.parse_prototype(proto, "f")


def test_prototype_parsing():
    sig = measure.parse_prototype("uint64_t mix(const uint64_t *restrict k, size_t n, double w)", "mix")
    assert sig.ret == "uint64_t"
    assert [(p.kind, p.ctype, p.const) for p in sig.params] == [("ptr", "uint64_t", True), ("int", "size_t", False),
                                                                 ("float", "double", False)]
    assert measure.parse_prototype("void g(void)", "g").params == ()


def test_programs_are_timed_by_cpu_time(tmp_path):
    src = tmp_path / "spin.c"
    src.write_text("int main(int c, char **v) { volatile long s = 0; long n = c > 1 ? 3000000L : 30000000L;"
                   " for (long i = 0; i < n; i++) s += i; return 0; }\n")
    exe = tmp_path / "spin"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(src)], check=True)
    m = measure.measure_commands(f"{exe}", f"{exe} short", 3, cwd=tmp_path, lock_dir=tmp_path)
    assert m.speedup > 3 and m.spread[0] > 1.5  # the "candidate" does a tenth of the work


def test_measurement_lock_is_exclusive(tmp_path):
    import time

    with measure.measurement_lock(tmp_path):
        with pytest.raises(measure.MeasureError):
            with measure.measurement_lock(tmp_path, deadline=time.monotonic() + 0.2):
                pass


def test_timed_programs_run_contained(tmp_path):
    """Program-level timing runs candidate builds: under the sandbox's limits, and whatever they
    leave running is killed with them."""
    import os
    import time

    import psutil

    # the background sleep is found by its (unique) argument: in the sandbox's pid namespace the
    # command sees other process ids than this test
    mark = f"299.{os.getpid()}{time.monotonic_ns() % 100000}"
    script = f"ulimit -t > cpu.txt; ulimit -f > fsize.txt; sleep {mark} & echo $! > bg.txt; sleep 0.3"
    measure.cpu_time_of(["sh", "-c", script], timeout=7, cwd=tmp_path)
    assert (tmp_path / "cpu.txt").read_text().strip() == "7"
    assert (tmp_path / "fsize.txt").read_text().strip() == str((1 << 30) // 512)  # sh counts 512-byte blocks
    assert (tmp_path / "bg.txt").read_text().strip().isdigit()  # the background process was started

    def left() -> list:
        found = []
        for p in psutil.process_iter(["cmdline"]):
            try:
                if mark in (p.info["cmdline"] or []) and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p)
            except psutil.Error:
                pass
        return found

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # killed, then reaped by its new parent
        bg = left()
        if not bg:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"processes {bg}, left running by the timed command, were not killed")
