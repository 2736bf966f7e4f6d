"""The BPF emitter and the system-call filter for sandboxed programs: its numbers against the
kernel's header, its encoding, and what the kernel does with it in a real process."""

from __future__ import annotations

import errno
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from gcc_wrapper.optimize.verify import syscall_filter as sf

HEADER = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")  # linux-libc-dev, which gcc's libc6-dev needs


def test_the_numbers_are_the_kernels():
    table = dict(re.findall(r"#define __NR_(\w+) (\d+)", HEADER.read_text()))
    for name, nr in sf.DENIED.items():
        assert int(table[name]) == nr, name
    for name, nr in (
        ("clone", sf.NR_CLONE),
        ("clone3", sf.NR_CLONE3),
        ("socket", sf.NR_SOCKET),
        ("ioctl", sf.NR_IOCTL),
        ("seccomp", sf.SYS_SECCOMP),
    ):
        assert int(table[name]) == nr, name


def test_encoding_resolves_forward_jumps():
    p = sf.Program()
    p.load(sf.OFF_NR)
    p.jump(sf.JEQ_K, 39, jt="deny")
    p.ret(sf.RET_ALLOW)
    p.label("deny")
    p.ret(sf.RET_ERRNO | 1)
    code = p.encode()
    insns = [struct.unpack("<HBBI", code[i : i + 8]) for i in range(0, len(code), 8)]
    assert insns == [(0x20, 0, 0, 0), (0x15, 1, 0, 39), (0x06, 0, 0, sf.RET_ALLOW), (0x06, 0, 0, sf.RET_ERRNO | 1)]


def test_encoding_refuses_what_bpf_cannot_express():
    p = sf.Program()
    p.jump(sf.JEQ_K, 1, jt="far")
    for _ in range(300):
        p.ret(sf.RET_ALLOW)
    p.label("far")
    p.ret(sf.RET_ALLOW)
    with pytest.raises(sf.FilterError, match="out of range"):
        p.encode()
    back = sf.Program()
    back.label("top")
    back.jump(sf.JEQ_K, 1, jt="top")
    back.ret(sf.RET_ALLOW)
    with pytest.raises(sf.FilterError, match="out of range"):
        back.encode()
    missing = sf.Program()
    missing.jump(sf.JEQ_K, 1, jt="nowhere")
    missing.ret(sf.RET_ALLOW)
    with pytest.raises(sf.FilterError, match="undefined"):
        missing.encode()
    open_ended = sf.Program()
    open_ended.load(sf.OFF_NR)
    with pytest.raises(sf.FilterError, match="return"):
        open_ended.encode()


FILTERED = """if True:
    import ctypes, errno, os, sys
    sys.path.insert(0, {here!r})
    import syscall_filter as sf
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    assert sf.Installer(sf.denylist()).install() == 0
    def call(*args):
        rc = libc.syscall(*[ctypes.c_long(a) for a in args])
        return ctypes.get_errno() if rc == -1 else 0
    print("unshare", call(272, 0x10000000))
    print("setns", call(308, 0, 0))
    print("clone_newuser", call(56, 0x10000000 | 17, 0, 0, 0, 0))
    print("clone3", call(435, 0, 0))
    print("bpf", call(321, 0, 0, 0))
    print("io_uring_setup", call(425, 1, 0))
    print("keyctl", call(250, 0))
    print("getpid", call(39))
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    print("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    sys.stdout.flush()
    call(0x40000000 | 39)  # getpid through the x32 ABI: killed
    print("still alive")
"""


def test_the_kernel_enforces_it():
    here = str(Path(sf.__file__).parent)
    r = subprocess.run([sys.executable, "-c", FILTERED.format(here=here)], capture_output=True, text=True, timeout=30)
    got = dict(line.split() for line in r.stdout.splitlines())
    assert got == {
        "unshare": str(errno.EPERM),
        "setns": str(errno.EPERM),
        "clone_newuser": str(errno.EPERM),
        "clone3": str(errno.ENOSYS),
        "bpf": str(errno.EPERM),
        "io_uring_setup": str(errno.EPERM),
        "keyctl": str(errno.EPERM),
        "getpid": "0",
        "fork": "7",
    }, (r.stdout, r.stderr)
    assert r.returncode == -31  # SIGSYS: SECCOMP_RET_KILL_PROCESS
