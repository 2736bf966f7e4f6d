"""Ctrl-C in `llmcc optimize`: what was accepted stays in the cache, what was not finished stays
queued, and nothing is left half-written.

The project has four hot functions, one per file, queued by a queue-mode build in file order. The
file proposer has a known-faster candidate for the first (`bits`) and plain gcc variants for the
others, which take seconds each to verify and time. SIGINT goes to the whole process group, as a
terminal's Ctrl-C does (so the compilers llmcc is running get it too), once
`bits`'s outcome line has been printed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from gcc_wrapper.compile import asm
from optimizer_kernels import BITS_FAST, BITS_SLOW

OTHERS = {
    "sumsq": "long sumsq(const int *a, int n)\n{ long s = 0; for (int i = 0; i < n; i++) s += (long)a[i] * a[i]; return s; }\n",
    "maxrun": "int maxrun(const int *a, int n)\n{ int best = 0, run = 0;\n"
    "  for (int i = 1; i < n; i++) { run = a[i] > a[i - 1] ? run + 1 : 0; if (run > best) best = run; }\n"
    "  return best; }\n",
    "hsum": "unsigned hsum(const unsigned char *p, int n)\n{ unsigned h = 5381; for (int i = 0; i < n; i++) h = h * 33 + p[i]; return h; }\n",
}
MAIN = """#include <stdio.h>
int bits(const unsigned *a, int n);
long sumsq(const int *a, int n);
int maxrun(const int *a, int n);
unsigned hsum(const unsigned char *p, int n);
static unsigned a[4096];
int main(void)
{
    a[7] = 12345; a[100] = 77;
    printf("%d %ld %d %u\\n", bits(a, 4096), sumsq((const int *)a, 4096), maxrun((const int *)a, 4096),
           hsum((const unsigned char *)a, 4096));
    return 0;
}
"""
FILES = ["k1", "k2", "k3", "k4"]
MAKEFILE = """CC ?= cc
prog: main.o k1.o k2.o k3.o k4.o
\t$(CC) -O3 -o $@ $^
%.o: %.c
\t$(CC) -O3 -c $< -o $@
"""


def lifted(c_text: str, name: str, flags: list[str], where: Path) -> str:
    src = where / f"{name}-src.c"
    src.write_text(c_text)
    out = subprocess.run(["gcc", *flags, "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    return asm.parse(out).functions[name].text()


def queued_names(cache_dir: Path) -> set[str]:
    return {json.loads(q.read_text())["name"] for q in (cache_dir / "queue").glob("*.json")}


def test_ctrl_c_keeps_what_was_accepted_and_the_rest_queued(tmp_path, llmcc_env, llmcc_bin, cache_dir):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "main.c").write_text(MAIN)
    (proj / "Makefile").write_text(MAKEFILE)
    sources = {"bits": BITS_SLOW, **OTHERS}
    for f, (name, text) in zip(FILES, sources.items()):
        (proj / f"{f}.c").write_text(text)
    cands = tmp_path / "cands"
    cands.mkdir()
    (cands / "bits.s").write_text(lifted(BITS_FAST, "bits", ["-O3", "-fno-tree-vectorize"], tmp_path))
    for name, text in OTHERS.items():  # correct, and not much faster if at all: seconds of work each
        (cands / f"{name}.s").write_text(lifted(text, name, ["-O1"], tmp_path))

    env = dict(llmcc_env, LLMCC_MODE="queue")
    subprocess.run(["make", "-s", f"CC={llmcc_bin}"], cwd=proj, env=env, check=True, capture_output=True)
    assert queued_names(cache_dir) == set(sources)

    p = subprocess.Popen(
        [str(llmcc_bin), "optimize", "--proposer", f"file:{cands}", "--budget", "60"],
        cwd=proj,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines = []
    try:
        for line in p.stdout:
            lines.append(line)
            if ": bits: " in line:
                break
        os.killpg(p.pid, signal.SIGINT)
        rest, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    out = "".join(lines) + rest
    assert any("bits: accepted x" in ln for ln in lines), out + err
    assert p.returncode == 130, out + err
    assert "interrupted after 1 of 4" in out, out
    assert "Traceback" not in err, err

    listing = subprocess.run(
        [str(llmcc_bin), "cache", "list"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "bits" in listing
    assert not any(n in listing for n in OTHERS), listing
    # the functions not finished are still queued, and still whole
    time.sleep(1.0)  # anything the interrupted process left running has had time to misbehave
    assert queued_names(cache_dir) == set(OTHERS)
    v = subprocess.run([str(llmcc_bin), "cache", "verify"], env=env, capture_output=True, text=True)
    assert v.returncode == 0 and "0 damaged" in v.stdout, v.stdout + v.stderr
    leftovers = [str(f) for f in cache_dir.rglob("*") if f.name.endswith(".tmp")]
    assert leftovers == []

    # the next run picks up where this one stopped, and the accepted rewrite is not searched again
    r = subprocess.run(
        [str(llmcc_bin), "optimize", "--proposer", f"file:{cands}", "--budget", "60"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "3 queued function(s)" in r.stdout
    assert queued_names(cache_dir) == set()
