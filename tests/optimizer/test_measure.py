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


@pytest.mark.parametrize(
    "proto",
    [
        "int f(int (*cb)(int), int n)",
        "int f(struct s *p)",
        "int f(char **argv)",
        "int f(const char *fmt, ...)",
    ],
)
def test_unsupported_prototypes_are_refused(proto):
    with pytest.raises(measure.MeasureError):
        measure.parse_prototype(proto, "f")


def test_prototype_parsing():
    sig = measure.parse_prototype("uint64_t mix(const uint64_t *restrict k, size_t n, double w)", "mix")
    assert sig.ret == "uint64_t"
    assert [(p.kind, p.ctype, p.const) for p in sig.params] == [
        ("ptr", "uint64_t", True),
        ("int", "size_t", False),
        ("float", "double", False),
    ]
    assert measure.parse_prototype("void g(void)", "g").params == ()


def test_programs_are_timed_by_cpu_time(tmp_path):
    src = tmp_path / "spin.c"
    src.write_text(
        "int main(int c, char **v) { volatile long s = 0; long n = c > 1 ? 3000000L : 30000000L;"
        " for (long i = 0; i < n; i++) s += i; return 0; }\n"
    )
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


# The timing harness as a C template (timing_harness.c) with a generated per-signature header


KINDS = {
    # every kind of parameter (pointers to floats, text, integers, void, const or written; integer,
    # floating and _Bool scalars) and of result (void, integer, floating, pointer)
    "void fill(int *a, long n, int v)": "{ for (long i = 0; i < n; i++) a[i] = v + (int)i; }",
    "double blend(float *x, const char *s, void *v, long n, double d, _Bool b)": "{ double t = 0; for (long i = 0; i < n; i++) { x[i] += s[i] * (float)d; if (b) ((unsigned char *)v)[i] ^= 1;"
    " t += x[i]; } return t; }",
    "char *find(const char *s, unsigned n, unsigned char c)": "{ for (unsigned i = 0; i < n; i++) if ((unsigned char)s[i] == c) return (char *)s + i; return 0; }",
    "unsigned short h16(const uint16_t *a, size_t n, int8_t k)": "{ unsigned short h = 0; for (size_t i = 0; i < n; i++) h = (unsigned short)(h * 31 + a[i] + k); return h; }",
}


@pytest.mark.parametrize("proto", KINDS)
def test_every_kind_of_parameter_and_result_is_timed(tmp_path, proto):
    name = proto.split("(")[0].split()[-1].lstrip("*")
    (tmp_path / "k.c").write_text(f"#include <stddef.h>\n#include <stdint.h>\n{proto}\n{KINDS[proto]}\n")
    unit = subprocess.run(
        ["gcc", "-O3", "-S", "-o", "-", "k.c"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    m = measure.measure_units("gcc", name, proto, unit, unit, rounds=2, lock_dir=tmp_path)
    assert m.rounds == 2 and all(b > 0 and c > 0 for b, c in zip(m.baseline, m.candidate))
    assert "generated inputs: size" in m.method, m.method


def test_the_template_includes_what_its_build_key_holds():
    import re

    text = measure.TEMPLATE.read_text()
    included = re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M)
    assert sorted(included) == sorted([measure.HEADER, *measure.TEMPLATE_INCLUDES])
    for rel in measure.TEMPLATE_INCLUDES:
        assert (measure.TEMPLATE.parent / rel).is_file()


def test_a_change_to_the_template_rebuilds_the_harness(tmp_path, monkeypatch):
    import shutil

    sig = measure.parse_prototype(PROTO, "revbits")
    first = measure.harness_object("gcc", "revbits", sig)
    assert measure.harness_object("gcc", "revbits", sig) == first  # built once per content
    copy = tmp_path / "template"
    for rel in ("timing_harness.c", *measure.TEMPLATE_INCLUDES):
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(measure.TEMPLATE.parent / rel, copy / rel)
    monkeypatch.setattr(measure, "TEMPLATE", copy / "timing_harness.c")
    assert measure.harness_object("gcc", "revbits", sig) == first  # the same content, wherever it is
    (copy / "timing_harness.c").write_text(measure.TEMPLATE.read_text().replace('"%.9f %.9f\\n"', '"%.9f  %.9f\\n"'))
    changed = measure.harness_object("gcc", "revbits", sig)
    assert changed != first and changed.read_bytes() != first.read_bytes()
    (copy / "verify" / "seccomp.c").write_text((copy / "verify" / "seccomp.c").read_text() + "\n/* changed */\n")
    assert measure.harness_object("gcc", "revbits", sig) not in (first, changed)  # and so does what it includes
    other = measure.parse_prototype("unsigned revbits(const unsigned *a, long n)", "revbits")
    assert measure.harness_object("gcc", "revbits", other) != changed  # and another signature's header


def test_the_timing_harness_is_confined_and_the_training_harness_is_not(tmp_path):
    """llmcc_confine() (verify/seccomp.c) is on in the timing harness before the first call of the
    function: a system call outside the allowlist kills it (SIGSYS), even outside the sandbox. pgo's
    training harness (confine=False) runs the same function to its end."""
    (tmp_path / "u.c").write_text(
        '#include <unistd.h>\nint touchy(int n) { return n + unlink("/nonexistent/llmcc"); }\n'
    )
    unit = subprocess.run(
        ["gcc", "-O2", "-S", "-o", "-", "u.c"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    sig = measure.parse_prototype("int touchy(int n)", "touchy")
    with pytest.raises(measure.BaselineUnmeasurable):
        measure.link_and_calibrate("gcc", "touchy", sig, unit, unit, tmp_path)
    units = sorted(str(p) for p in tmp_path.glob("[bc][0-9].s"))
    assert len(units) == 2 * measure.PLACEMENTS
    confined = subprocess.run([str(tmp_path / "harness"), "16", "0", "0"], capture_output=True)
    assert confined.returncode == -31, confined  # SIGSYS
    free = measure.harness_object("gcc", "touchy", sig, confine=False)
    subprocess.run(["gcc", str(free), *units, "-o", str(tmp_path / "free"), "-lm"], check=True)
    r = subprocess.run([str(tmp_path / "free"), "16", "0", "0"], capture_output=True, text=True)
    assert r.returncode == 0 and float(r.stdout) > 0, r


def test_the_template_is_package_data():
    import tomllib

    root = Path(measure.__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert measure.TEMPLATE.name in data["gcc_wrapper.optimize"]
    for rel in measure.TEMPLATE_INCLUDES:
        package, _, file = f"gcc_wrapper.optimize.{rel}".rpartition("/")
        assert file in data[package.replace("/", ".")]
