"""A real program with a vectorizable hot loop, built with CC=llmcc in sync mode: the rewrite that
dispatches on the CPU is accepted, the program prints what gcc's does, and so it does with the
baseline body forced (libgcc's CPU model cleared by a constructor that runs after libgcc's); gdb
shows which body ran. With dispatch = off there is no such candidate and the rewrite is not used."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from gcc_wrapper.optimize import dispatch

KERNEL = (Path(__file__).resolve().parent.parent / "verify" / "corpus" / "mix_dispatch_v3" / "src.c").read_text()
MAIN = r"""#include <stdio.h>
int mix(const int *a, const int *b, int *out, int n);
static int a[4096], b[4096], out[4096];
int main(void) {
  unsigned x = 12345; long long total = 0;
  for (int i = 0; i < 4096; i++) { x = x * 1103515245u + 12345u; a[i] = (x >> 8) % 300; b[i] = (x >> 3) % 5000; }
  for (int r = 0; r < 3000; r++) { total += mix(a, b, out, 4096 - (r & 7)); a[r & 4095] ^= r; }
  printf("%lld %d\n", total, out[17]);
  return 0;
}
"""
MAKEFILE = "CC ?= cc\nCFLAGS ?= -O3\nprog: main.o k.o\n\t$(CC) $(CFLAGS) -o $@ main.o k.o\n%.o: %.c\n\t$(CC) $(CFLAGS) -c $< -o $@\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    (p / "k.c").write_text(KERNEL)
    (p / "main.c").write_text(MAIN)
    (p / "Makefile").write_text(MAKEFILE)
    return p


def _run(exe: Path) -> str:
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout


def _attempts(cache_dir: Path) -> list[dict]:
    return [
        json.loads(ln)
        for f in sorted((cache_dir / "attempts").rglob("*"))
        if f.is_file()
        for ln in f.read_text().splitlines()
        if ln.strip()
    ]


def _dispatcher(exe: Path) -> dict[str, int]:
    """Level -> address of its body, from the dispatcher at the start of mix (objdump)."""
    dis = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(exe)], capture_output=True, text=True, check=True
    ).stdout
    lines = dis.split("<mix>:\n", 1)[1].splitlines()
    t = dispatch.template("gcc")
    out, mask = {}, None
    for ln in lines:
        m = re.search(r"test[lb]?\s+\$0x([0-9a-f]+),", ln)
        if m:
            mask = int(m.group(1), 16)
            continue
        m = re.search(r"\b(jne|jmp)\s+([0-9a-f]+)", ln)
        if not m:
            break
        level = next(x.level for x in t.tests if x.mask == mask) if m.group(1) == "jne" else dispatch.BASELINE
        out[level] = int(m.group(2), 16)
        if m.group(1) == "jmp":
            break
    return out


def _hits(exe: Path, address: int) -> bool:
    """Whether a run of exe reaches `address` (gdb stops there, or the program exits normally)."""
    r = subprocess.run(
        ["gdb", "-batch", "-nx", "-ex", f"break *{address:#x}", "-ex", "run", str(exe)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "exited normally" in r.stdout or "Breakpoint 1," in r.stdout, r.stdout + r.stderr
    return "Breakpoint 1," in r.stdout


def test_sync_build_accepts_a_dispatched_rewrite_that_runs_right_on_every_level(
    project, tmp_path, llmcc_env, llmcc_bin, cache_dir
):
    gcc_exe = tmp_path / "gcc_prog"
    subprocess.run(["gcc", "-O3", "-o", str(gcc_exe), str(project / "main.c"), str(project / "k.c")], check=True)
    expected = _run(gcc_exe)
    env = dict(llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="30", LLMCC_PROPOSER="embedded", LLMCC_HOT="mix")
    subprocess.run(["make", "-s", "-B", f"CC={llmcc_bin}"], cwd=project, env=env, check=True, capture_output=True)
    assert _run(project / "prog") == expected

    accepted = [a for a in _attempts(cache_dir) if a["function"] == "mix" and a["outcome"] == "accepted"]
    assert len(accepted) == 1 and "dispatch=" in accepted[0]["proposer"], _attempts(cache_dir)
    nm = subprocess.run(["nm", str(project / "k.o")], capture_output=True, text=True, check=True).stdout
    assert re.search(r"\bU __cpu_features2\b", nm)

    # what the user reads: the report and the entry say which body runs here
    here = dispatch.host("gcc")
    assert not isinstance(here, str), here
    report = subprocess.run(
        [str(llmcc_bin), "report"], cwd=project, env=env, capture_output=True, text=True, check=True
    ).stdout
    line = next(ln for ln in report.splitlines() if ln.startswith("- dispatch: "))
    assert "(this host)" in line and line.endswith("baseline fallback")
    listing = subprocess.run(
        [str(llmcc_bin), "cache", "list"], env=env, capture_output=True, text=True, check=True
    ).stdout
    key = next(ln.split()[0] for ln in listing.splitlines() if " mix " in ln)
    show = subprocess.run(
        [str(llmcc_bin), "cache", "show", key], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^dispatch +x86-64-v\d \(this host\).*, baseline fallback$", show, re.M), show

    # the same objects, linked without PIE for gdb: with the host's CPU model the highest body
    # runs and the baseline's does not; with libgcc's words cleared after its constructor ran
    # (priority 102 > 101), the baseline body runs; the output is gcc's either way
    t = dispatch.template("gcc")
    force = tmp_path / "force.c"
    clear = " ".join(f"__cpu_features2[{x.offset // 4}] &= ~{x.mask}u;" for x in t.tests)
    force.write_text(
        "extern unsigned int __cpu_features2[];\n"
        f"__attribute__((constructor(102))) static void baseline_forced(void) {{ {clear} }}\n"
    )
    objs = [str(project / "main.o"), str(project / "k.o")]
    host_exe, base_exe = tmp_path / "host", tmp_path / "baseline"
    subprocess.run(["gcc", "-no-pie", "-o", str(host_exe), *objs], check=True)
    subprocess.run(["gcc", "-no-pie", "-o", str(base_exe), *objs, str(force)], check=True)
    assert _run(host_exe) == expected
    assert _run(base_exe) == expected
    bodies = _dispatcher(host_exe)
    top = max(bodies, key=dispatch.DISPATCH_LEVELS.index)
    assert set(bodies) - {dispatch.BASELINE} <= set(here.levels) and top != dispatch.BASELINE
    assert _hits(host_exe, bodies[top]) and not _hits(host_exe, bodies[dispatch.BASELINE])
    assert _hits(base_exe, bodies[dispatch.BASELINE]) and not _hits(base_exe, bodies[top])

    # dispatch = off: the cached rewrite is not used (its key says it may dispatch)
    off = dict(env, LLMCC_MODE="off", LLMCC_DISPATCH="off")
    subprocess.run(["make", "-s", "-B", f"CC={llmcc_bin}"], cwd=project, env=off, check=True, capture_output=True)
    nm = subprocess.run(["nm", str(project / "k.o")], capture_output=True, text=True, check=True).stdout
    assert "__cpu_features2" not in nm
    assert _run(project / "prog") == expected


def test_dispatch_off_proposes_no_dispatched_candidate(project, tmp_path, llmcc_env, llmcc_bin, cache_dir):
    env = dict(
        llmcc_env, LLMCC_MODE="sync", LLMCC_BUDGET="8", LLMCC_PROPOSER="embedded", LLMCC_HOT="mix", LLMCC_DISPATCH="off"
    )
    subprocess.run(["make", "-s", "-B", f"CC={llmcc_bin}"], cwd=project, env=env, check=True, capture_output=True)
    tried = [a for a in _attempts(cache_dir) if a["function"] == "mix"]
    assert tried and not any("dispatch" in a["proposer"] for a in tried), tried
    nm = subprocess.run(["nm", str(project / "k.o")], capture_output=True, text=True, check=True).stdout
    assert "__cpu_features2" not in nm
