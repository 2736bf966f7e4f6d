"""Candidates that attack the machine, run through the differential-test harness with the static
checks switched off (each would be rejected by static.symbols or static.instructions long before
it ran): unlink a file outside their directory, open one for writing, connect to a TCP server on
loopback, execve /bin/sh. Each is run three ways, so that every layer is shown stopping it alone:

- difftest.run, everything on: the harness's allowlist (seccomp.c) turns the system call into
  SIGSYS, reported as a crash where the original returned;
- the linked harness run as a plain process, no sandbox: the allowlist alone;
- the harness in sandbox.run with the allowlist switched off (LLMCC_SANDBOX_NO_SECCOMP): the
  namespaces alone (the file is not in the harness's view, loopback is the sandbox's own).
"""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest
from verify_helpers import make_context

from gcc_wrapper.optimize.verify import difftest, harness, sandbox
from gcc_wrapper.optimize.verify.static import assemble

SRC = "long bump(long x) { return x + 1; }\n"

# the candidate's prologue and epilogue: the right result, rbx and the stack as the ABI wants them
HEAD = """\t.text
\t.globl\tbump
\t.type\tbump, @function
bump:
\tpushq\t%rbx
\tsubq\t$32, %rsp
\tmovq\t%rdi, %rbx
"""
TAIL = """\tleaq\t1(%rbx), %rax
\taddq\t$32, %rsp
\tpopq\t%rbx
\tret
\t.size\tbump, .-bump
\t.section\t.note.GNU-stack,"",@progbits
"""


def _string(label: str, text: str) -> str:
    return f'\t.section\t.rodata\n{label}:\n\t.string\t"{text}"\n\t.text\n'


def unlink_via_libc(victim: Path) -> str:
    return _string(".Lvictim", str(victim)) + HEAD + "\tleaq\t.Lvictim(%rip), %rdi\n\tcall\tunlink@PLT\n" + TAIL


def open_for_writing(target: Path) -> str:
    """open(target, O_WRONLY|O_CREAT|O_TRUNC, 0644) and write to it, with the syscall instruction."""
    return (
        _string(".Ltarget", str(target))
        + _string(".Lmsg", "owned")
        + HEAD
        + "\tmovl\t$2, %eax\n\tleaq\t.Ltarget(%rip), %rdi\n\tmovl\t$0x241, %esi\n\tmovl\t$420, %edx\n\tsyscall\n"
        + "\tmovl\t%eax, %edi\n\tmovl\t$1, %eax\n\tleaq\t.Lmsg(%rip), %rsi\n\tmovl\t$5, %edx\n\tsyscall\n"
        + TAIL
    )


def connect_to(port: int) -> str:
    """socket(AF_INET, SOCK_STREAM) and connect to 127.0.0.1:port through libc."""
    net_port = ((port & 0xFF) << 8) | (port >> 8)
    return (
        HEAD + "\tmovl\t$2, %edi\n\tmovl\t$1, %esi\n\txorl\t%edx, %edx\n\tcall\tsocket@PLT\n\tmovl\t%eax, %edi\n"
        f"\tmovw\t$2, (%rsp)\n\tmovw\t${net_port}, 2(%rsp)\n\tmovl\t$0x0100007f, 4(%rsp)\n\tmovq\t$0, 8(%rsp)\n"
        "\tmovq\t%rsp, %rsi\n\tmovl\t$16, %edx\n\tcall\tconnect@PLT\n" + TAIL
    )


def exec_shell(command: str) -> str:
    """execve("/bin/sh", ["/bin/sh", "-c", command], NULL) with the syscall instruction."""
    return (
        _string(".Lsh", "/bin/sh")
        + _string(".Lc", "-c")
        + _string(".Lcmd", command)
        + HEAD
        + "\tleaq\t.Lsh(%rip), %rdi\n\tmovq\t%rdi, (%rsp)\n\tleaq\t.Lc(%rip), %rax\n\tmovq\t%rax, 8(%rsp)\n"
        + "\tleaq\t.Lcmd(%rip), %rax\n\tmovq\t%rax, 16(%rsp)\n\tmovq\t$0, 24(%rsp)\n\tmovq\t%rsp, %rsi\n"
        + "\txorl\t%edx, %edx\n\tmovl\t$59, %eax\n\tsyscall\n"
        + TAIL
    )


@pytest.fixture
def ctx(tmp_path):
    src = tmp_path / "bump.c"
    src.write_text(SRC)
    return make_context(src, "bump")


def candidate_object(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "cand"
    d.mkdir(exist_ok=True)
    obj = d / "cand.o"
    err = assemble(text, obj, None)
    assert err is None, err
    return obj


def linked_harness(ctx, obj: Path) -> tuple[Path, Path]:
    p = difftest.prepare(ctx)
    exe = obj.with_name("harness")
    assert harness.link(p.build, exe, obj) is None
    return exe, p.inputs_path


def allowlist_only(exe: Path, inputs: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe), str(inputs)], capture_output=True, timeout=60)


def namespaces_only(exe: Path, inputs: Path) -> sandbox.SandboxResult:
    return sandbox.run(
        [str(exe), str(inputs)], timeout=60, cpu_seconds=60, reads=(exe, inputs), env={sandbox.NO_SECCOMP_ENV: "1"}
    )


def stopped_by_the_allowlist(out: bytes) -> bool:
    """The harness's report of input 0: the candidate died of SIGSYS where the original returned."""
    return out.decode().strip().splitlines()[-1].startswith("MISMATCH 0 status 0 0 1 31")


def test_every_layer_is_there():
    layers = sandbox.probe()
    assert layers.bwrap and layers.seccomp and layers.isolated, layers.describe()


def test_unlink_outside_its_directory(ctx, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    obj = candidate_object(tmp_path, unlink_via_libc(victim))

    out = difftest.run(ctx, obj, binding="GLOBAL")
    assert not out.check.passed and "SIGSYS" in out.check.detail, out.check
    assert victim.read_text() == "precious"

    exe, inputs = linked_harness(ctx, obj)
    r = allowlist_only(exe, inputs)
    assert r.returncode == 1 and stopped_by_the_allowlist(r.stdout), r
    assert victim.read_text() == "precious"

    r = namespaces_only(exe, inputs)
    assert r.stdout.decode().startswith("DONE"), r  # unlink failed quietly: the file is not in its view
    assert victim.read_text() == "precious"


def test_open_for_writing_outside_its_directory(ctx, tmp_path):
    target = tmp_path / "written.txt"
    obj = candidate_object(tmp_path, open_for_writing(target))

    out = difftest.run(ctx, obj, binding="GLOBAL")
    assert not out.check.passed and "SIGSYS" in out.check.detail, out.check
    assert not target.exists()

    exe, inputs = linked_harness(ctx, obj)
    r = allowlist_only(exe, inputs)
    assert stopped_by_the_allowlist(r.stdout), r
    assert not target.exists()

    r = namespaces_only(exe, inputs)
    assert r.stdout.decode().startswith("DONE"), r  # written into the sandbox's private /tmp, gone with it
    assert not target.exists()


class Server:
    """A TCP server on loopback that records every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[tuple] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, addr = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(addr)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_connect_to_a_loopback_server(ctx, tmp_path):
    server = Server()
    try:
        # the server is reachable from here: the candidate's failure is the sandbox's doing
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
        deadline = __import__("time").monotonic() + 5
        while not server.accepted and __import__("time").monotonic() < deadline:
            __import__("time").sleep(0.01)
        assert len(server.accepted) == 1
        obj = candidate_object(tmp_path, connect_to(server.port))

        out = difftest.run(ctx, obj, binding="GLOBAL")
        assert not out.check.passed and "SIGSYS" in out.check.detail, out.check

        exe, inputs = linked_harness(ctx, obj)
        r = allowlist_only(exe, inputs)
        assert stopped_by_the_allowlist(r.stdout), r

        r = namespaces_only(exe, inputs)
        assert r.stdout.decode().startswith("DONE"), r  # connect() refused: loopback is the sandbox's own
    finally:
        server.close()
    assert len(server.accepted) == 1  # only the test's own connection


def test_execve_a_shell(ctx, tmp_path):
    marker = tmp_path / "marker"
    obj = candidate_object(tmp_path, exec_shell(f"echo PWNED; echo x > {marker}"))

    out = difftest.run(ctx, obj, binding="GLOBAL")
    assert not out.check.passed and "SIGSYS" in out.check.detail, out.check

    exe, inputs = linked_harness(ctx, obj)
    r = allowlist_only(exe, inputs)
    assert stopped_by_the_allowlist(r.stdout) and b"PWNED" not in r.stdout, r
    assert not marker.exists()

    # without the allowlist the shell does start, inside the namespaces, and can change nothing
    r = namespaces_only(exe, inputs)
    assert b"PWNED" in r.stdout, r
    assert not marker.exists()


def test_an_original_calling_libc_is_still_tested_on_every_input(tmp_path):
    """The allowlist must not make the original itself fail: qsort asks the kernel for the
    machine's memory (sysinfo) on arrays over 1 KiB, and refused, every such input would be
    skipped as a crash of the original."""
    from gcc_wrapper.optimize.candidate import Candidate
    from gcc_wrapper.optimize.verify import verify

    src = tmp_path / "q.c"
    src.write_text(
        "#include <stdlib.h>\n"
        "static int cmp(const void *a, const void *b) { long x = *(const long *)a, y = *(const long *)b;"
        " return (x > y) - (x < y); }\n"
        "long median(long *a, int n) { if (n <= 0) return 0; qsort(a, n, sizeof *a, cmp); return a[n / 2]; }\n"
    )
    v = verify(make_context(src, "median"), Candidate(make_context(src, "median", ("-O1",)).baseline_asm, "gcc -O1"))
    # skipped: only the inputs the original cannot survive anywhere (a NULL array with n > 0, lengths
    # of 2^31 and more), about 40; with sysinfo refused, every array over 1 KiB, more than 130
    assert v.verdict == "accept" and v.inputs_tried >= difftest.N_INPUTS - 60, (v.reason, v.inputs_tried)
