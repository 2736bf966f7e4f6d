"""What the native client (client.c) and the compile server (server.py) say to each other: the
one description of it. client.c repeats it in C; tests/driver/test_client_parity.py runs the
client's encoder and reads its constants to keep the two equal.

Where: a Unix socket under /tmp/llmcc-UID (mode 0700), named for the installation: FNV-1a (64 bit)
of the directory of the client's real path (`socket_path`). The server's lock is that path plus
".lock"; it holds the server's pid.

One connection per compile. The client sends a head, `MAGIC` and the payload's length (32 bits,
native order), with file descriptors 0, 1 and 2 attached (SCM_RIGHTS); then the payload:
NUL-terminated fields cwd, umask (decimal), argv0, argc (decimal), the arguments, envc (decimal),
the environment ("NAME=value"). The server answers with replies of `REPLY_SIZE` bytes, a 4-letter
tag and a 32-bit integer (native order):

  PGID  the compile's process group (the client forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT to it)
  EXIT  the compile's status; -N means killed by signal N (the client then kills itself with N)
  PYTH  run the Python llmcc instead (a management command, a stale or failing server)

A connection that ends without EXIT means the same as PYTH, unless the client forwarded a signal.

When the client runs the Python llmcc (llmcc-py) itself, it passes two variables: ARGV0_ENV, the
name it was called by (resolved on PATH), and START_ENV, the socket for which Python should start
a server (when the client could not). OFF_ENV=0 (or false/no/off) makes the client go to Python
directly.
"""

from __future__ import annotations

import os
import struct

MAGIC = b"LLMCC1\0\0"
HEAD_SIZE = len(MAGIC) + 4
REPLY_SIZE = 8
PGID = b"PGID"
EXIT = b"EXIT"
PYTH = b"PYTH"
ARGV0_ENV = "LLMCC_ARGV0"
START_ENV = "LLMCC_START_SERVER"
OFF_ENV = "LLMCC_COMPILE_SERVER"
STREAMS = 3  # file descriptors attached to the head: stdin, stdout, stderr


class ProtocolError(ValueError):
    """Bytes that are not a request of this protocol."""


class Request:
    """One compile the client asks for. (A plain class: the server imports this module for every
    compile it serves, before it knows whether anything else is needed.)"""

    __slots__ = ("cwd", "umask", "argv0", "args", "env")

    def __init__(self, cwd: str, umask: int, argv0: str, args: list[str], env: list[str]) -> None:
        self.cwd = cwd
        self.umask = umask
        self.argv0 = argv0
        self.args = args
        self.env = env  # "NAME=value" strings, in the client's order

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Request) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __repr__(self) -> str:
        return f"Request(cwd={self.cwd!r}, umask={self.umask:o}, argv0={self.argv0!r}, args={self.args!r})"


def encode_payload(req: Request) -> bytes:
    fields = [req.cwd, str(req.umask), req.argv0, str(len(req.args)), *req.args, str(len(req.env)), *req.env]
    return b"".join(os.fsencode(f) + b"\0" for f in fields)


def decode_payload(payload: bytes) -> Request:
    try:
        fields = [os.fsdecode(f) for f in payload.split(b"\0")[:-1]]
        argc = int(fields[3])
        envc = int(fields[4 + argc])
        if len(fields) != 5 + argc + envc:
            raise ProtocolError("payload fields do not add up")
        return Request(fields[0], int(fields[1]), fields[2], fields[4 : 4 + argc], fields[5 + argc :])
    except (IndexError, ValueError) as e:
        raise ProtocolError(f"not an llmcc request: {e}") from None


def head(payload_size: int) -> bytes:
    return MAGIC + struct.pack("=I", payload_size)


def payload_size(head_bytes: bytes) -> int:
    """The payload's length from a head; ProtocolError when it is not one."""
    if len(head_bytes) != HEAD_SIZE or head_bytes[: len(MAGIC)] != MAGIC:
        raise ProtocolError("not an llmcc request")
    return struct.unpack("=I", head_bytes[len(MAGIC) :])[0]


def reply(tag: bytes, value: int = 0) -> bytes:
    return tag + struct.pack("=i", value)


def read_reply(data: bytes) -> tuple[bytes, int]:
    return data[:4], struct.unpack("=i", data[4:REPLY_SIZE])[0]


def socket_path(install_dir: str) -> str:
    """The socket of the installation whose client is `install_dir`/llmcc (its real path's
    directory is what is hashed, as the client hashes the directory of /proc/self/exe)."""
    exe_dir = os.path.dirname(os.path.realpath(os.path.join(install_dir, "llmcc")))
    return f"/tmp/llmcc-{os.getuid()}/{fnv1a64(os.fsencode(exe_dir)):016x}.sock"


def fnv1a64(data: bytes) -> int:
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h
