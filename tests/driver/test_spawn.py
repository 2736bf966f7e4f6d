"""gcc_wrapper.compile.spawn: the compile path's process runner behaves as subprocess.run does for it."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from gcc_wrapper.compile import spawn

ENV = dict(os.environ)


def test_both_streams_and_a_large_input_do_not_deadlock() -> None:
    # the child echoes 4 MiB to stdout and writes 1 MiB to stderr while still reading its input
    prog = (
        "import sys\n"
        "sys.stderr.write('e' * (1 << 20)); sys.stderr.flush()\n"
        "data = sys.stdin.buffer.read()\n"
        "sys.stdout.buffer.write(data)\n"
        "sys.exit(3)\n"
    )
    data = os.urandom(4 << 20)
    out, err, status = spawn.run([sys.executable, "-c", prog], sys.executable, ENV, data)
    assert out == data and err == b"e" * (1 << 20) and status == 3


def test_no_input_means_dev_null_and_path_lookup() -> None:
    out, err, status = spawn.run(["cat"], "cat", ENV)  # found on PATH, reads /dev/null
    assert (out, err, status) == (b"", b"", 0)


def test_a_child_that_stops_reading_is_not_an_error_for_us() -> None:
    out, err, status = spawn.run(["true"], "true", ENV, b"x" * (8 << 20))
    assert status == 0 and out == b""


def test_signal_status_and_default_sigpipe_in_the_child() -> None:
    _, _, status = spawn.run([sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"], sys.executable, ENV)
    assert status == -signal.SIGKILL
    # Python ignores SIGPIPE; a compiler started by llmcc must get the default back, as with subprocess
    out, _, _ = spawn.run(["sh", "-c", "grep SigIgn /proc/self/status"], "sh", ENV)
    ignored = int(out.split()[1], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1))


def test_call_inherits_streams_and_returns_status(tmp_path) -> None:
    target = tmp_path / "out.txt"
    with open(target, "wb") as f:
        saved = os.dup(1)
        os.dup2(f.fileno(), 1)
        try:
            status = spawn.call(["sh", "-c", "echo hello; exit 7"], "sh", ENV)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    assert status == 7 and target.read_text() == "hello\n"


def test_a_missing_program_raises_like_subprocess() -> None:
    before = sorted(os.listdir("/proc/self/fd"))
    with pytest.raises(FileNotFoundError):
        spawn.run(["no-such-program-llmcc"], "/nonexistent/no-such-program-llmcc", ENV)
    assert sorted(os.listdir("/proc/self/fd")) == before  # no pipe left open by the failure
