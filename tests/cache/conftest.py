"""Fixtures for the cache tests: a real redis-server on loopback, and a server that answers junk."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

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
