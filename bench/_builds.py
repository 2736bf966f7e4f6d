"""What the build benchmarks share: timing one clean `make` build, and summarising ratios.
(Not a benchmark itself: run_all.py skips bench/_*.py.)"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def clean_build(
    project: Path, cc: str, env: dict[str, str], jobs: int, extra: list[str] = (), server: str = "up"
) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process of the build) of `make CC=cc` after `make clean`.

    With llmcc, the compile server's CPU time during the build, its compiles' included, is added
    (those processes are not make's children). server="up" times a build with the server already
    running (started by an untimed compile if need be: any build within its idle time of another
    one); "none" stops it first, so the build's first compile starts it and the first compiles wait for it."""
    from gcc_wrapper.compile import server as compile_server

    llmcc = Path(cc).name == "llmcc"
    # the server of the llmcc being timed (the socket is named after its installation's bin)
    sock = compile_server.socket_path(Path(cc).parent) if llmcc else ""
    subprocess.run(["make", "-s", "clean"], cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    pid = None
    if llmcc and server == "none":
        subprocess.run([cc, "compile-server", "stop"], env=env, check=True, stdout=subprocess.DEVNULL)
    elif llmcc:
        pid = _running_server(cc, env, sock)
    before = compile_server.cpu_seconds(pid) if pid else 0.0
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        ["make", "-s", f"-j{jobs}", f"CC={cc}", *extra], cwd=project, env=env, check=True, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if llmcc:
        time.sleep(0.3)  # the last workers write their statistics and wait again
        after = compile_server.server_pid(sock)
        if after is not None:
            cpu += compile_server.cpu_seconds(after) - (before if after == pid else 0.0)
    return wall, cpu


def _running_server(cc: str, env: dict[str, str], sock: str) -> int | None:
    from gcc_wrapper.compile import server as compile_server

    for _ in range(50):
        pid = compile_server.server_pid(sock)
        if pid is not None:
            return pid
        # (not --version: the client passes that straight to gcc, and only Python starts a server)
        subprocess.run([cc, "-E", "-x", "c", os.devnull], env=env, check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.1)
    return None


def summary(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


# ---- the projects and installations the build benchmarks can use ----------------------------

ROOT = Path(__file__).resolve().parent.parent

_UNIT = """\
#include "common.h"
/* unit {i}: a few loops of the kind real C projects compile (sums, a table, a small sort) */
static const unsigned table{i}[16] = {{{table}}};
unsigned mix{i}(const unsigned *a, int n)
{{
    unsigned h = {i}u;
    for (int k = 0; k < n; k++)
        h = rotl(h ^ (a[k] * 0x9e3779b9u + table{i}[k & 15]), {rot}) * 5u + 0xe6546b64u;
    return h;
}}
double stats{i}(const double *x, int n, double *var)
{{
    double s = 0, q = 0;
    for (int k = 0; k < n; k++) {{
        s += x[k];
        q += x[k] * x[k];
    }}
    *var = n > 1 ? (q - s * s / n) / (n - 1) : 0;
    return n ? s / n : 0;
}}
void sort{i}(int *v, int n)
{{
    for (int k = 1; k < n; k++) {{
        int x = v[k], j = k - 1;
        while (j >= 0 && v[j] > x) {{
            v[j + 1] = v[j];
            j--;
        }}
        v[j + 1] = x;
    }}
}}
int parse{i}(const char *s, struct item *out, int max)
{{
    int n = 0;
    while (*s && n < max) {{
        while (*s == ' ' || *s == ',') s++;
        int sign = 1, v = 0;
        if (*s == '-') {{ sign = -1; s++; }}
        while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
        out[n].key = v * sign + {i};
        out[n].weight = clampd(v * 0.5, -{i}.0, 1e6);
        n++;
        if (*s && *s != ' ' && *s != ',') s++;
    }}
    return n;
}}
"""

_COMMON = """\
#ifndef COMMON_H
#define COMMON_H
#include <stddef.h>
#include <string.h>
struct item { int key; double weight; };
static inline unsigned rotl(unsigned x, int r) { return (x << r) | (x >> (32 - r)); }
static inline double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
#endif
"""


def generated_project(dest: Path, files: int = 40) -> Path:
    """A C project of `files` generated translation units (and a main.c), built by a Makefile
    that honours CC and CFLAGS and has a `clean` target: the "N-file project" of the benchmarks,
    made here rather than fetched. Deterministic: the same N gives the same files."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "common.h").write_text(_COMMON)
    for i in range(files):
        table = ", ".join(f"{(i * 2654435761 + k * 40503) & 0xFFFF}u" for k in range(16))
        (dest / f"unit{i:02d}.c").write_text(_UNIT.format(i=i, table=table, rot=5 + i % 23))
    decls = "".join(f"unsigned mix{i}(const unsigned *, int);\n" for i in range(files))
    calls = "".join(f"    h ^= mix{i}(a, 64);\n" for i in range(files))
    (dest / "main.c").write_text(
        "#include <stdio.h>\n" + decls + "int main(void)\n{\n    unsigned a[64], h = 0;\n"
        "    for (int k = 0; k < 64; k++) a[k] = k * 7u;\n" + calls + '    printf("%u\\n", h);\n    return 0;\n}\n'
    )
    objs = " ".join([*(f"unit{i:02d}.o" for i in range(files)), "main.o"])
    (dest / "Makefile").write_text(
        "CC ?= cc\nCFLAGS ?= -O2\n"
        f"OBJS := {objs}\n"
        "prog: $(OBJS)\n\t$(CC) $(CFLAGS) -o $@ $(OBJS)\n"
        "%.o: %.c common.h\n\t$(CC) $(CFLAGS) -c $< -o $@\n"
        "clean:\n\trm -f prog $(OBJS)\n"
        ".PHONY: clean\n"
    )
    return dest


def project_copy(source: str, dest: Path) -> Path:
    """The project a benchmark builds: a copy of the directory `source`, or, for "generated:N",
    the generated N-file project."""
    if source.startswith("generated:"):
        return generated_project(dest, int(source.split(":", 1)[1]))
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns("*.o", "build", ".git"))
    return dest


def stop_server(bin_dir: Path) -> None:
    """Stop the compile server of the llmcc in bin_dir (a scratch install's would otherwise idle
    on after its directory is gone)."""
    subprocess.run(
        [str(bin_dir / "llmcc"), "compile-server", "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def pip_install(scratch: Path) -> Path:
    """A fresh venv with `pip install .` of this checkout, as a user installs llmcc (the build
    backend compiles the native client); its bin directory. The checkout is copied first, so the
    build leaves nothing in it."""
    src = scratch / "llmcc-src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "*.egg-info", "__pycache__", "out", ".pytest_cache", ".ruff_cache", ".mypy_cache"
        ),
    )
    venv = scratch / "pip-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    r = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(src)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"pip install . failed: {r.stderr.strip()[-2000:]}")
    llmcc = venv / "bin" / "llmcc"
    if llmcc.read_bytes()[:4] != b"\x7fELF":
        raise RuntimeError("pip install . gave no native client (is there a C compiler?)")
    return venv / "bin"


def project_options(ap, other_dir_help: str) -> None:
    """The options build_overhead.py and warm_rebuild.py share: which project, which install of
    llmcc, a second checkout, rounds and make's jobs."""
    ap.add_argument(
        "--project",
        default=str(Path(__file__).resolve().parent.parent / "examples"),
        help="a project directory, or generated:N",
    )
    ap.add_argument(
        "--install",
        choices=("venv", "pip"),
        default="venv",
        help="venv: the checkout's .venv (make venv); pip: a fresh venv with `pip install .`",
    )
    ap.add_argument("--other-dir", action="store_true", help=other_dir_help)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
