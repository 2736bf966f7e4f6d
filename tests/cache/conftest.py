"""Fixtures for the cache tests: a real redis-server on loopback, and a server that answers junk."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cache.entry import Entry
from cache.key import function_key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server (random port, no persistence), stopped after the test."""
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed; run `make sysdeps`"
    port = free_port()
    d = tmp_path / "redis"
    d.mkdir()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(d)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert proc.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_client(redis_url: str):
    """redis-py on the same server: an independent view of what llmcc stored."""
    import redis

    c = redis.Redis.from_url(redis_url)
    yield c
    c.close()


@pytest.fixture
def junk_url() -> Iterator[str]:
    """A TCP server on loopback that answers every connection with junk, then closes it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.settimeout(1)
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n\x00\xff garbage \xfe\r\n")
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"redis://127.0.0.1:{srv.getsockname()[1]}/0"
    stop.set()
    t.join(timeout=5)
    srv.close()


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A TCP server on loopback that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    yield f"redis://127.0.0.1:{srv.getsockname()[1]}/0"
    srv.close()


@pytest.fixture
def dead_url() -> str:
    """A loopback port nothing listens on."""
    return f"redis://127.0.0.1:{free_port()}/0"


ASM = """\t.text
\t.p2align 4
\t.globl\t{name}
\t.type\t{name}, @function
{name}:
\tleal\t(%rdi,%rsi), %eax
\tret
\t.size\t{name}, .-{name}
"""


def build_entry(name: str = "add", body: str = "", **over) -> Entry:
    baseline = ASM.format(name=name) + body
    fields = dict(
        key=function_key(baseline, "gcc 12.2.0 x86_64-linux-gnu abcd", ["-march=x86-64"], "x86-64"),
        function=name,
        source="/src/add.c",
        asm=ASM.format(name=name).replace("leal", "addl\t%esi, %edi\n\tmovl\t%edi, %eax\n\t#") + body,
        baseline_asm=baseline,
        proposer="test:hand-written",
        verification={"verdict": "accept", "reason": "difftest", "inputs_tried": 1000, "checks": []},
        measurement={"method": "function-harness cpu-time", "speedup": 1.25, "spread": [1.1, 1.3], "rounds": 5},
        created=time.time(),
        llmcc_version="0.1.0",
    )
    fields.update(over)
    return Entry(**fields)


@pytest.fixture
def make_entry() -> Callable[..., Entry]:
    """build_entry(name="add", body="", **field overrides) -> an Entry for a small function."""
    return build_entry


# ---- builds through the installed llmcc --------------------------------------------------------

SHARED_H = """\
#ifndef SHARED_H
#define SHARED_H
#ifndef VARIANT
#define VARIANT 0
#endif
/* Emitted (not inlined) in every translation unit that includes this header: the same
   function, with the same cache key, in many objects. */
static __attribute__((noipa)) unsigned mix(unsigned h, unsigned v)
{
    h ^= v * 0x9e3779b9u;
    h = (h << 13) | (h >> 19);
    return h * 5u + 0xe6546b64u;
}
static __attribute__((noipa)) int clampi(int x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}
#endif
"""

UNIT_C = """\
#include "shared.h"
const int unit{i}_variant = VARIANT;
unsigned unit{i}(unsigned x)
{{
    unsigned h = {i}u;
    for (unsigned k = 0; k < x; k++)
        h = mix(h, k + {i}u);
    return h + (unsigned)clampi((int)x, -{i}, {i});
}}
"""

UNITS = 6

MAIN_C = (
    "#include <stdio.h>\n"
    + "".join(f"unsigned unit{i}(unsigned);\n" for i in range(UNITS))
    + "int main(void)\n{\n    unsigned s = 0;\n"
    + "".join(f"    s += unit{i}({1000 + i}u);\n" for i in range(UNITS))
    + '    printf("%u\\n", s);\n    return 0;\n}\n'
)

MAKEFILE = (
    "CC ?= cc\nCFLAGS ?= -O3\nCPPFLAGS ?=\n"
    f"OBJS := {' '.join(f'u{i}.o' for i in range(UNITS))} main.o\n"
    "prog: $(OBJS)\n\t$(CC) $(CFLAGS) -o $@ $(OBJS)\n"
    "%.o: %.c shared.h\n\t$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@\n"
    "clean:\n\trm -f prog $(OBJS)\n"
    ".PHONY: clean\n"
)


def shared_expected() -> str:
    """What ./prog prints, computed independently of any compiler."""
    m = 0xFFFFFFFF

    def mix(h: int, v: int) -> int:
        h ^= (v * 0x9E3779B9) & m
        h = ((h << 13) | (h >> 19)) & m
        return (h * 5 + 0xE6546B64) & m

    total = 0
    for i in range(UNITS):
        x = 1000 + i
        h = i
        for k in range(x):
            h = mix(h, k + i)
        total = (total + h + min(max(x, -i), i)) & m
    return f"{total}\n"


def write_shared_project(d: Path) -> Path:
    d.mkdir(parents=True)
    (d / "shared.h").write_text(SHARED_H)
    for i in range(UNITS):
        (d / f"u{i}.c").write_text(UNIT_C.format(i=i))
    (d / "main.c").write_text(MAIN_C)
    (d / "Makefile").write_text(MAKEFILE)
    return d


@pytest.fixture
def shared_project(tmp_path: Path) -> Path:
    """A small make project whose eight translation units share static functions from a header."""
    return write_shared_project(tmp_path / "shared")


MARKER_ASM = "\tnopw\t0x1234(%rax,%rax,1)\n"
MARKER_DIS = "nopw   0x1234(%rax,%rax,1)"


class Builds:
    """Run builds through the installed llmcc and look at what they produced."""

    MARKER_DIS = MARKER_DIS
    MARKER_ASM = MARKER_ASM
    UNITS = UNITS
    shared_expected = staticmethod(shared_expected)
    write_shared_project = staticmethod(write_shared_project)

    def __init__(self, llmcc_bin: Path, env: dict[str, str], baseline_key) -> None:
        self.llmcc = llmcc_bin
        self.env = env
        self.baseline_key = baseline_key

    def make(
        self, project: Path, *extra: str, env: dict[str, str] | None = None, jobs: int = 4
    ) -> subprocess.CompletedProcess:
        e = env or self.env
        subprocess.run(["make", "-s", "clean"], cwd=project, env=e, check=True, capture_output=True)
        p = subprocess.run(
            ["make", "-s", f"-j{jobs}", f"CC={self.llmcc}", *extra],
            cwd=project,
            env=e,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
        return p

    def counters(self, env: dict[str, str] | None = None) -> dict[str, int]:
        import json

        out = subprocess.run(
            [str(self.llmcc), "stats", "--json"], env=env or self.env, capture_output=True, text=True, check=True
        ).stdout
        return json.loads(out)["counters"]

    @staticmethod
    def disassembly(obj: Path) -> str:
        out = subprocess.run(
            ["objdump", "-d", "-r", "-j", ".text", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        return "\n".join(ln for ln in out.splitlines() if str(obj) not in ln)

    @staticmethod
    def run(project: Path, prog: str = "./prog") -> str:
        return subprocess.run([prog], cwd=project, capture_output=True, text=True, check=True, timeout=60).stdout

    def accept_rewrite(
        self, cache_dir: Path, function: str, cache: Any = None, words: tuple[str, ...] = ("-O3", "-c", "x.c")
    ) -> Entry:
        """Store a rewrite of `function` (gcc's own code plus a harmless marker instruction) the
        way the optimizer does: under the key the driver computes for it (`words`: the compile
        command's flags), via put_function."""
        from cache import Cache, TUEntry
        from gcc_wrapper.compile import asm

        c = cache or Cache(cache_dir)
        for p in sorted(cache_dir.glob("??/*.tu")):
            tu = TUEntry.from_bytes(p.read_bytes())
            if function in tu.functions:
                break
        else:
            raise AssertionError(f"no cached translation unit defines {function}")
        baseline = asm.parse(tu.asm).functions[function].text()
        lines = baseline.splitlines(keepends=True)
        at = next(i for i, ln in enumerate(lines) if ln.strip() == f"{function}:")
        rewrite = "".join(lines[: at + 1]) + MARKER_ASM + "".join(lines[at + 1 :])
        key = self.baseline_key(tu.asm, function, list(words))
        assert tu.functions[function] in ("", key)  # a key the driver computed is this one
        e = Entry(
            key=key,
            function=function,
            source="(test)",
            asm=rewrite,
            baseline_asm=baseline,
            proposer="test:marker",
            verification={"verdict": "accept", "reason": "test", "inputs_tried": 0, "checks": []},
            measurement={"method": "none", "speedup": 1.0, "spread": [1.0, 1.0], "rounds": 0},
            created=time.time(),
            llmcc_version="test",
        )
        c.put_function(e)
        c.close()
        return e


@pytest.fixture
def builds(llmcc_bin: Path, llmcc_env: dict[str, str], baseline_key) -> Builds:
    return Builds(llmcc_bin, llmcc_env, baseline_key)


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> dict[str, str]:
    """Disassembly of each object of the shared project as plain gcc -O3 makes it."""
    ref = write_shared_project(tmp_path_factory.mktemp("reference") / "shared")
    subprocess.run(["make", "-s", "-j4", "CC=gcc"], cwd=ref, check=True, capture_output=True)
    return {o.name: Builds.disassembly(o) for o in ref.glob("*.o")}
