"""sandbox.run: limits, timeout kills the whole process group, private directory, no network."""

from __future__ import annotations

import os
import sys

from gcc_wrapper.optimize.verify import sandbox


def test_output_status_and_private_dir():
    r = sandbox.run([sys.executable, "-c", "import os,sys; print(os.getcwd()); sys.exit(3)"], timeout=20, cpu_seconds=10)
    assert r.returncode == 3 and not r.timed_out
    cwd = r.stdout.decode().strip()
    assert "llmcc-sandbox-" in cwd and not os.path.exists(cwd)  # removed afterwards


def test_stdin_is_dev_null_unless_given():
    code = "import sys; print(len(sys.stdin.read()))"
    assert sandbox.run([sys.executable, "-c", code], timeout=20, cpu_seconds=10).stdout.strip() == b"0"
    assert sandbox.run([sys.executable, "-c", code], timeout=20, cpu_seconds=10, stdin=b"abc").stdout.strip() == b"3"


def test_timeout_kills_the_group(tmp_path):
    marker = tmp_path / "alive"
    # a grandchild in the same group that would touch the marker after the parent is killed
    child = f"import time; time.sleep(2.5); open({str(marker)!r}, 'w')"
    code = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); "
            "print('started', flush=True); time.sleep(60)")
    r = sandbox.run([sys.executable, "-c", code], timeout=2, cpu_seconds=10)
    assert r.timed_out and "timed out" in r.describe()
    assert r.stdout.startswith(b"started")  # the grandchild existed when the group was killed
    import time

    time.sleep(3)
    assert not marker.exists()


def test_cpu_and_memory_and_file_limits(tmp_path):
    r = sandbox.run([sys.executable, "-c", "while True: pass"], timeout=30, cpu_seconds=1)
    assert not r.timed_out and r.signal is not None  # SIGXCPU / SIGKILL from RLIMIT_CPU
    r = sandbox.run([sys.executable, "-c", "x = bytearray(1 << 30)"], timeout=30, cpu_seconds=10, memory_bytes=256 << 20)
    assert r.returncode != 0 and b"MemoryError" in r.stderr
    r = sandbox.run([sys.executable, "-c", "open('big','wb').write(b'x' * (4 << 20))"], timeout=30, cpu_seconds=10, fsize_bytes=1 << 20)
    assert r.returncode != 0


def test_no_network_when_the_kernel_allows():
    code = "import socket; s = socket.socket(); s.settimeout(2); s.connect(('1.1.1.1', 80))"
    r = sandbox.run([sys.executable, "-c", code], timeout=20, cpu_seconds=10)
    assert r.returncode != 0
    assert b"unreachable" in r.stderr or b"Network" in r.stderr or b"timed out" in r.stderr or b"Errno" in r.stderr


def test_a_parent_with_a_large_address_space_still_runs_children():
    """The limit applies to the child only: a parent (the optimizer with many threads and their
    arenas, say) that already maps more than the child's memory limit must not break the sandbox."""
    import mmap

    big = mmap.mmap(-1, 3 << 29)  # 1.5 GiB of address space, above the child's 1 GiB limit
    try:
        res = sandbox.run(["/bin/echo", "ok"], timeout=10, cpu_seconds=5, memory_bytes=1 << 30)
    finally:
        big.close()
    assert res.returncode == 0 and res.stdout.strip() == b"ok", res.describe()
