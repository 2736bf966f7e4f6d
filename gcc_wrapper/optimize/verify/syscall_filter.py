"""The system-call filter for programs the sandbox runs (project tests, candidate programs, timed
programs): a small classic-BPF emitter, the filter, and installing it.

The filter is a denylist, not an allowlist: a build and its tests run compilers, shells, make and
Python, whose system calls cannot be enumerated. It denies (EPERM) what no build or test needs and
what would let code leave the sandbox's namespaces or reach the kernel's large attack surfaces:
tracing other processes, mounting, new namespaces (unshare, setns, clone with CLONE_NEW*), kernel
modules and kexec, BPF, perf, keyrings, io_uring (its operations bypass seccomp), file handles
(open_by_handle_at escapes a mount namespace), clocks, swap, reboot, and socket(AF_UNIX, ...): a
read-only mount does not stop connect() to a Unix socket in the file-system view (a Docker or
D-Bus socket would be a way out), while socketpair() and loopback TCP inside the network namespace
keep working. clone3 gets ENOSYS, so that libc falls back to clone, whose flags a filter can read.
Any other architecture (32-bit int 0x80 calls) or the x32 ABI is killed.

The differential-test and timing harnesses install a much stricter allowlist themselves once their
setup is done (seccomp.c); the two filters stack.

Written here rather than with libseccomp: the program is 75 instructions, libseccomp would be
a Python binding or a C dependency to install, and a table of numbers checked against the kernel's
own header (tests/verify/test_verify_syscall_filter.py) is easier to review than generated code.
"""

from __future__ import annotations

import errno
import struct

# The sandbox's launcher (launcher.py) imports this module at every timed run, before the timed
# command starts: standard modules that are cheap to import only (dataclasses alone costs 25 ms).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
OFF_NR, OFF_ARCH = 0, 4


def off_arg(i: int) -> int:
    """Offset of the low 32 bits of argument i (little-endian)."""
    return 16 + 8 * i


RET_KILL_PROCESS = 0x80000000
RET_TRAP = 0x00030000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

# classic BPF opcodes
LD_W_ABS = 0x20  # A = *(u32 *)(data + k)
JEQ_K = 0x15
JGE_K = 0x35
JSET_K = 0x45
RET_K = 0x06

# x86-64 system call numbers (asm/unistd_64.h), denied to every sandboxed program
DENIED = {
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kcmp": 312,
    "pidfd_getfd": 438,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "mount_setattr": 442,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "unshare": 272,
    "setns": 308,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "fanotify_init": 300,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_by_handle_at": 304,
    "name_to_handle_at": 303,
    "reboot": 169,
    "swapon": 167,
    "swapoff": 168,
    "acct": 163,
    "syslog": 103,
    "vhangup": 153,
    "settimeofday": 164,
    "clock_settime": 227,
    "adjtimex": 159,
    "clock_adjtime": 305,
    "sethostname": 170,
    "setdomainname": 171,
    "iopl": 172,
    "ioperm": 173,
    "quotactl": 179,
    "quotactl_fd": 443,
    "lookup_dcookie": 212,
    "uselib": 134,
    "_sysctl": 156,
}
NR_CLONE, NR_CLONE3, NR_SOCKET, NR_IOCTL = 56, 435, 41, 16
CLONE_NEW = (
    0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
)  # NS CGROUP UTS IPC USER PID NET
AF_UNIX = 1
TIOCSTI = 0x5412  # push characters into a terminal's input


class FilterError(Exception):
    """A BPF program that cannot be encoded (a jump too far), or a filter the kernel refused."""


class Insn:
    """One instruction; a jump's targets are labels (None: the next instruction)."""

    __slots__ = ("code", "k", "jt", "jf")

    def __init__(self, code: int, k: int, jt: str | None = None, jf: str | None = None) -> None:
        self.code, self.k, self.jt, self.jf = code, k, jt, jf


class Program:
    """Classic BPF with symbolic jump targets. Conditional jumps only go forward, at most 255
    instructions: `encode` checks that rather than emitting a wrong offset."""

    def __init__(self) -> None:
        self.insns: list[Insn] = []
        self.labels: dict[str, int] = {}

    def label(self, name: str) -> None:
        if name in self.labels:
            raise FilterError(f"label {name} defined twice")
        self.labels[name] = len(self.insns)

    def load(self, offset: int) -> None:
        self.insns.append(Insn(LD_W_ABS, offset))

    def jump(self, code: int, k: int, jt: str | None = None, jf: str | None = None) -> None:
        self.insns.append(Insn(code, k, jt, jf))

    def ret(self, k: int) -> None:
        self.insns.append(Insn(RET_K, k))

    def encode(self) -> bytes:
        out = bytearray()
        for i, ins in enumerate(self.insns):
            jt, jf = (self._offset(i, t) for t in (ins.jt, ins.jf))
            out += struct.pack("<HBBI", ins.code, jt, jf, ins.k & 0xFFFFFFFF)
        if not self.insns or self.insns[-1].code != RET_K:
            raise FilterError("a filter must end with a return")
        return bytes(out)

    def _offset(self, i: int, target: str | None) -> int:
        if target is None:
            return 0
        if target not in self.labels:
            raise FilterError(f"undefined label {target}")
        off = self.labels[target] - i - 1
        if not 0 <= off <= 255:
            raise FilterError(f"jump from {i} to {target} ({off}) is out of range")
        return off


def denylist(extra: Sequence[int] = ()) -> bytes:
    """The filter for sandboxed programs (see the module's docstring), as struct sock_filter[]."""
    p = Program()
    p.load(OFF_ARCH)
    p.jump(JEQ_K, AUDIT_ARCH_X86_64, jf="kill")
    p.load(OFF_NR)
    p.jump(JGE_K, X32_SYSCALL_BIT, jt="kill")
    for nr in sorted({*DENIED.values(), *extra}):
        p.jump(JEQ_K, nr, jt="eperm")
    p.jump(JEQ_K, NR_CLONE3, jt="enosys")
    p.jump(JEQ_K, NR_CLONE, jt="clone")
    p.jump(JEQ_K, NR_SOCKET, jt="socket")
    p.jump(JEQ_K, NR_IOCTL, jt="ioctl")
    p.ret(RET_ALLOW)
    p.label("clone")
    p.load(off_arg(0))
    p.jump(JSET_K, CLONE_NEW, jt="eperm")
    p.ret(RET_ALLOW)
    p.label("socket")
    p.load(off_arg(0))
    p.jump(JEQ_K, AF_UNIX, jt="eperm")
    p.ret(RET_ALLOW)
    p.label("ioctl")
    p.load(off_arg(1))
    p.jump(JEQ_K, TIOCSTI, jt="eperm")
    p.ret(RET_ALLOW)
    p.label("eperm")
    p.ret(RET_ERRNO | errno.EPERM)
    p.label("enosys")
    p.ret(RET_ERRNO | errno.ENOSYS)
    p.label("kill")
    p.ret(RET_KILL_PROCESS)
    return p.encode()


PR_SET_NO_NEW_PRIVS = 38
SYS_SECCOMP = 317
SECCOMP_SET_MODE_FILTER = 1
# The kernel must not turn on speculation mitigations (SSBD) for the filtered process on our
# account: a timed program would run differently from the user's.
SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2


class Installer:
    """Installs one filter into the calling process. Everything is allocated at construction, so
    that `install` can run in a forked child before exec (a preexec_fn must not allocate)."""

    def __init__(self, program: bytes) -> None:
        import ctypes

        self._ctypes = ctypes
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._libc.syscall.restype = ctypes.c_long
        self._insns = ctypes.create_string_buffer(program, len(program))

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        self._fprog = SockFprog(len(program) // 8, ctypes.addressof(self._insns))
        self._ref = ctypes.byref(self._fprog)

    def install(self) -> int:
        """0, or the errno of the refusal."""
        c = self._ctypes
        ul, zero = c.c_ulong, c.c_ulong(0)  # variadic: every argument a full register
        if self._libc.prctl(c.c_int(PR_SET_NO_NEW_PRIVS), ul(1), zero, zero, zero) != 0:
            return c.get_errno()
        for flags in (SECCOMP_FILTER_FLAG_SPEC_ALLOW, 0):  # the flag is new in Linux 4.17
            if self._libc.syscall(c.c_long(SYS_SECCOMP), ul(SECCOMP_SET_MODE_FILTER), ul(flags), self._ref) == 0:
                return 0
            err = c.get_errno()
            if err != errno.EINVAL:
                return err
        return err
