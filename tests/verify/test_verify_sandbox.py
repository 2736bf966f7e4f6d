"""sandbox.run: limits, timeout kills the whole process group, private directory, no network."""

from __future__ import annotations

import mmap
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

import pytest
from verify_helpers import make_context

from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.verify import project_tests, sandbox


def test_output_status_and_private_dir():
    r = sandbox.run(
        [sys.executable, "-c", "import os,sys; print(os.getcwd()); sys.exit(3)"], timeout=20, cpu_seconds=10
    )
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
    code = (
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); "
        "print('started', flush=True); time.sleep(60)"
    )
    r = sandbox.run([sys.executable, "-c", code], timeout=2, cpu_seconds=10)
    assert r.timed_out and "timed out" in r.describe()
    assert r.stdout.startswith(b"started")  # the grandchild existed when the group was killed
    import time

    time.sleep(3)
    assert not marker.exists()


def test_cpu_and_memory_and_file_limits(tmp_path):
    r = sandbox.run([sys.executable, "-c", "while True: pass"], timeout=30, cpu_seconds=1)
    assert not r.timed_out and r.signal is not None  # SIGXCPU / SIGKILL from RLIMIT_CPU
    r = sandbox.run(
        [sys.executable, "-c", "x = bytearray(1 << 30)"], timeout=30, cpu_seconds=10, memory_bytes=256 << 20
    )
    assert r.returncode != 0 and b"MemoryError" in r.stderr
    r = sandbox.run(
        [sys.executable, "-c", "open('big','wb').write(b'x' * (4 << 20))"],
        timeout=30,
        cpu_seconds=10,
        fsize_bytes=1 << 20,
    )
    assert r.returncode != 0


def test_no_network_when_the_kernel_allows():
    code = "import socket; s = socket.socket(); s.settimeout(2); s.connect(('1.1.1.1', 80))"
    r = sandbox.run([sys.executable, "-c", code], timeout=20, cpu_seconds=10)
    assert r.returncode != 0
    assert b"unreachable" in r.stderr or b"Network" in r.stderr or b"timed out" in r.stderr or b"Errno" in r.stderr


def test_a_parent_with_a_large_address_space_still_runs_children():
    """The limit applies to the child only: a parent (the optimizer with many threads and their
    arenas, say) that already maps more than the child's memory limit must not break the sandbox."""

    big = mmap.mmap(-1, 3 << 29)  # 1.5 GiB of address space, above the child's 1 GiB limit
    try:
        res = sandbox.run(["/bin/echo", "ok"], timeout=10, cpu_seconds=5, memory_bytes=1 << 30)
    finally:
        big.close()
    assert res.returncode == 0 and res.stdout.strip() == b"ok", res.describe()


# ---------------------------------------------------------------------------------------------
# The boundary: a private view of the file system, namespaces, the system-call filter


@pytest.fixture
def outside():
    """A directory the user can write, outside /tmp (which the sandbox replaces with its own)."""
    d = Path(tempfile.mkdtemp(prefix="llmcc-test-outside-", dir="/var/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def sh(script: str, **kw) -> sandbox.SandboxResult:
    return sandbox.run(["/bin/sh", "-c", script], timeout=30, cpu_seconds=20, **kw)


def test_the_probe_finds_every_layer_and_says_so():
    layers = sandbox.probe()
    assert layers.bwrap and layers.seccomp and layers.isolated
    assert layers.namespaces == ("user", "mount", "pid", "network", "ipc", "uts")
    rows = dict(layers.describe())
    assert rows["file-system view"].startswith("private") and rows["system-call filter"].startswith("active")
    assert layers.to_json()["isolated"] is True


def test_only_the_run_directory_and_a_private_tmp_are_writable(tmp_path, outside):
    (outside / "old.txt").write_text("kept")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    r = sh(
        f"echo a > in_cwd.txt && echo b > /tmp/private.txt && cat /tmp/private.txt; "
        f"echo c > {outside}/new.txt; echo $?; rm -f {outside}/old.txt; echo $?",
        cwd=run_dir,
    )
    assert r.stdout.decode().split() == ["b", "2", "1"], r  # both writes outside failed
    assert (run_dir / "in_cwd.txt").read_text() == "a\n"
    assert not (outside / "new.txt").exists() and (outside / "old.txt").read_text() == "kept"
    assert not Path("/tmp/private.txt").exists()
    # a directory named writable by the caller is
    r = sh(f"echo d > {outside}/named.txt", cwd=run_dir, writes=(outside,))
    assert r.returncode == 0 and (outside / "named.txt").read_text() == "d\n"


def test_a_harness_sees_only_the_system_and_its_files(outside, monkeypatch):
    secret = outside / "secret"
    secret.write_text("s3cret")
    mine = outside / "mine"
    mine.write_text("input")
    monkeypatch.setenv("LLMCC_API_KEY", "sk-do-not-leak")
    r = sh(f"cat {mine}; cat {secret}; ls {Path.home()} >/dev/null 2>&1 && echo HOME; env", reads=(mine,))
    out = r.stdout.decode()
    assert out.startswith("input") and "s3cret" not in out and "HOME" not in out
    assert "sk-do-not-leak" not in out  # an empty environment: no secrets of the user's


def test_programs_cannot_reach_the_network_or_a_loopback_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(1.0)
    port = server.getsockname()[1]
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)"
    r = sandbox.run([sys.executable, "-c", code], timeout=20, cpu_seconds=10)
    assert r.returncode != 0 and b"ConnectionRefusedError" in r.stderr, r
    with pytest.raises(socket.timeout):
        server.accept()  # the server saw nothing
    server.close()


def test_the_filter_denies_what_no_test_needs_and_allows_the_rest():
    code = """if True:
        import ctypes, os, socket, subprocess, threading
        libc = ctypes.CDLL(None, use_errno=True)
        def errno_of(rc): return ctypes.get_errno() if rc != 0 else 0
        print("ptrace", errno_of(libc.ptrace(0, 0, 0, 0)))
        print("unshare", errno_of(libc.unshare(0x40000000)))
        print("mount", errno_of(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)))
        try:
            socket.socket(socket.AF_UNIX)
            print("unix 0")
        except OSError as e:
            print("unix", e.errno)
        a, b = socket.socketpair(); a.send(b"x"); print("socketpair", b.recv(1).decode())
        t = threading.Thread(target=lambda: None); t.start(); t.join(); print("thread ok")
        print("subprocess", subprocess.run(["/bin/echo", "ok"], capture_output=True).stdout.decode().strip())
    """
    r = sandbox.run([sys.executable, "-c", code], timeout=30, cpu_seconds=20)
    got = dict(line.split(" ", 1) for line in r.stdout.decode().splitlines())
    assert got == {
        "ptrace": "1",
        "unshare": "1",
        "mount": "1",
        "unix": "1",
        "socketpair": "x",
        "thread": "ok",
        "subprocess": "ok",
    }, (got, r.stderr)


def test_no_process_outside_is_visible_or_signalled():
    r = sh("kill -0 1 && echo one; ls /proc | grep -c '^[0-9]'")
    # pid 1 is the sandbox's own init; only its few processes exist
    lines = r.stdout.decode().split()
    assert lines[0] == "one" and int(lines[1]) <= 4, r


def test_a_signal_death_is_reported_as_one():
    r = sh("kill -XCPU $$")
    assert r.returncode == -signal.SIGXCPU and "SIGXCPU" in r.describe()
    assert sh("exit 3").returncode == 3


def test_a_missing_program_raises_as_popen_does(tmp_path):
    with pytest.raises(FileNotFoundError):
        sandbox.run([str(tmp_path / "nope")], timeout=5, cpu_seconds=5)
    with pytest.raises(FileNotFoundError):
        sandbox.run(["llmcc-no-such-program"], timeout=5, cpu_seconds=5)


def test_a_program_under_tmp_and_the_files_it_is_given_are_there_read_only(tmp_path):
    exe = tmp_path / "hello.sh"
    exe.write_text('#!/bin/sh\necho hello; cat "$1"; echo more >> "$1" || echo read-only\n')
    exe.chmod(0o755)
    data = tmp_path / "sub" / "data.txt"
    data.parent.mkdir()
    data.write_text("data\n")
    r = sandbox.run([str(exe), str(data)], timeout=10, cpu_seconds=5)
    assert r.returncode == 0 and r.stdout == b"hello\ndata\nread-only\n", r
    assert data.read_text() == "data\n"


MAKEFILE = """\
prog: main.o lib.o
\t$(CC) -o prog main.o lib.o
%.o: %.c
\t$(CC) -O2 -c $< -o $@
check: prog
\t./prog 5 | grep -qx 120
escape: prog
\t./prog 5 > {outside}/escaped.txt
tamper: prog
\techo 'int oops;' >> {original}/lib.c
"""


def test_project_tests_cannot_write_outside_their_copy(outside):
    proj = outside / "proj"  # outside /tmp: the user's tree is in the sandbox's view, read-only
    proj.mkdir()
    (proj / "lib.c").write_text("unsigned fact(unsigned n) { unsigned r = 1; while (n > 1) r *= n--; return r; }\n")
    (proj / "main.c").write_text(
        "#include <stdio.h>\n#include <stdlib.h>\nunsigned fact(unsigned);\n"
        'int main(int c, char **v) { printf("%u\\n", fact(atoi(v[1]))); return 0; }\n'
    )
    (proj / "Makefile").write_text(MAKEFILE.format(outside=outside, original=proj))
    ctx = make_context(proj / "lib.c", "fact")
    cand = Candidate(ctx.baseline_asm, "t")
    assert project_tests.run(ctx, cand, "make -s check").passed  # the build and tests themselves work inside
    before = (proj / "lib.c").read_text()
    esc = project_tests.run(ctx, cand, "make -s escape")
    assert not esc.passed and "Read-only file system" in esc.detail, esc.detail
    assert not (outside / "escaped.txt").exists()
    tam = project_tests.run(ctx, cand, "make -s tamper")
    assert not tam.passed and (proj / "lib.c").read_text() == before


def test_timed_runs_are_confined_too(outside, tmp_path):
    from gcc_wrapper.optimize import measure

    with pytest.raises(measure.MeasureError):
        measure.cpu_time_of(["sh", "-c", f"echo x > {outside}/timed.txt"], timeout=10, cwd=tmp_path)
    assert not (outside / "timed.txt").exists()
    assert measure.cpu_time_of(["sh", "-c", "echo x > here.txt"], timeout=10, cwd=tmp_path) >= 0
    assert (tmp_path / "here.txt").exists()


def test_timed_reports_the_command_cpu_not_the_sandbox():
    """The sandbox's own start (bubblewrap, the launcher: tens of ms of CPU) is not counted: a
    command that does nothing costs almost nothing."""
    r = sandbox.timed(["/bin/true"], timeout=10, cwd=None, memory_bytes=1 << 30, fsize_bytes=1 << 20)
    assert r.returncode == 0 and not r.error and r.cpu < 0.005, r
    r = sandbox.timed(
        [sys.executable, "-c", "sum(range(3 * 10**7))"], timeout=30, cwd=None, memory_bytes=1 << 30, fsize_bytes=1 << 20
    )
    assert r.returncode == 0 and r.cpu > 0.1, r


def test_a_timed_command_cannot_forge_its_report():
    """The launcher's report descriptor is closed in the command and not reachable through /proc."""
    code = (
        "import os, glob\n"
        "for fd in range(3, 64):\n"
        "    try: os.write(fd, b'ok 0 0.0 0.0\\n')\n"
        "    except OSError: pass\n"
        "for p in glob.glob('/proc/*/fd/*'):\n"
        "    try:\n"
        "        fd = os.open(p, os.O_WRONLY); os.write(fd, b'ok 0 0.0 0.0\\n')\n"
        "    except OSError: pass\n"
        "sum(range(3 * 10**7))\n"
    )
    r = sandbox.timed([sys.executable, "-c", code], timeout=30, cwd=None, memory_bytes=1 << 30, fsize_bytes=1 << 20)
    assert r.returncode == 0 and r.cpu > 0.1, r
