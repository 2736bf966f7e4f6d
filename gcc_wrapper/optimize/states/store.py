"""Recordings on disk: CACHE/states/<id>/, one per `llmcc profile` run that recorded states.

    meta.json      {"command", "cwd", "created", "stack": [lo, hi], "maps": text of /proc/PID/maps at
                   the program's entry point, "note", "functions": {name: {"module", "offset",
                   "addr", "states", "abandoned", "file"}}, "modules": {path: file of its symbols}}
    code.z         the program's executable mappings (zlib): per mapping u64 address, u64 length,
                   the bytes
    fnN.z          the recorded calls of one function (zlib), as recorder.c writes them: per call
                   u64 magic, u64 npages, u64 nwritten, u64 0; the entry registers (struct
                   user_regs_struct, 27 u64) and SSE/x87 state (fxsave, 512 bytes); per page u64
                   address, u64 flags (bit 0 written, bits 8-15 its protection, bit 16 shared) and
                   4096 bytes as at entry; the exit registers and SSE/x87 state; per written page
                   u64 address and 4096 bytes as after the call
    symbols-N.json.z  a module's symbols as the recording saw them (the program may be rebuilt
                   later): [[name, value, size, type, bind, file], ...] and its PLT entries

Recordings are bounded when made (record.py's limits) and pruned to KEEP per cache.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

MAGIC = 0x3154534C4D4C4C  # "LLMLST1", recorder.c's STATE_MAGIC
PAGE = 4096
NREGS = 27
KEEP = 8  # recordings kept per cache (the newest)
# struct user_regs_struct's order
REGS = (
    "r15",
    "r14",
    "r13",
    "r12",
    "rbp",
    "rbx",
    "r11",
    "r10",
    "r9",
    "r8",
    "rax",
    "rcx",
    "rdx",
    "rsi",
    "rdi",
    "orig_rax",
    "rip",
    "cs",
    "eflags",
    "rsp",
    "ss",
    "fs_base",
    "gs_base",
    "ds",
    "es",
    "fs",
    "gs",
)
REG = {name: i for i, name in enumerate(REGS)}
ARG_INT = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")


class StoreError(Exception):
    pass


@dataclass(frozen=True)
class Page:
    addr: int
    written: bool
    prot: int  # PROT_* bits of its mapping
    data: bytes  # its 4096 bytes when the call began


@dataclass(frozen=True)
class State:
    """One recorded call: where it started and what it left."""

    regs: tuple[int, ...]  # REGS order
    fx: bytes  # fxsave image: x87 control/tags, MXCSR, xmm0-15
    pages: tuple[Page, ...]
    exit_regs: tuple[int, ...]
    exit_fx: bytes
    exit_pages: tuple[tuple[int, bytes], ...]  # (address, bytes after the call) of written pages

    def reg(self, name: str) -> int:
        return self.regs[REG[name]]

    def xmm(self, i: int) -> int:
        """Low 64 bits of xmm i at entry."""
        return int.from_bytes(self.fx[160 + 16 * i : 168 + 16 * i], "little")

    @property
    def touched(self) -> int:
        return len(self.pages)


@dataclass(frozen=True)
class FunctionRecord:
    name: str
    module: str  # the ELF file that defines it ("" for an absolute address)
    offset: int  # its symbol value in that file
    addr: int  # where it was in the recorded run
    states: int  # calls recorded
    abandoned: int  # calls that could not be (system calls, too many pages...)
    file: str  # fnN.z, in the recording's directory


@dataclass(frozen=True)
class Recording:
    dir: Path
    command: tuple[str, ...]
    cwd: str
    created: float
    stack: tuple[int, int]
    functions: dict[str, FunctionRecord]
    modules: dict[str, str]  # module path -> its symbols file
    note: str = ""

    @property
    def id(self) -> str:
        return self.dir.name

    def states(self, name: str, limit: int | None = None) -> list[State]:
        rec = self.functions.get(name)
        if rec is None or not rec.states:
            return []
        return parse_states(_read_z(self.dir / rec.file), limit)

    def code(self) -> list[tuple[int, bytes]]:
        raw = _read_z(self.dir / "code.z")
        out, at = [], 0
        while at + 16 <= len(raw):
            addr, n = struct.unpack_from("<QQ", raw, at)
            out.append((addr, raw[at + 16 : at + 16 + n]))
            at += 16 + n
        return out

    @cached_property
    def maps(self) -> list[tuple[int, int, str, str]]:
        """(start, end, perms, path) of every mapping at the program's entry point."""
        meta = json.loads((self.dir / "meta.json").read_text())
        out = []
        for line in str(meta.get("maps", "")).splitlines():
            f = line.split()
            if len(f) >= 5:
                lo, hi = (int(x, 16) for x in f[0].split("-"))
                out.append((lo, hi, f[1], f[5] if len(f) > 5 else ""))
        return out

    def symbols(self, module: str) -> dict:
        f = self.modules.get(module)
        if not f:
            return {}
        return json.loads(_read_z(self.dir / f))


def _read_z(path: Path) -> bytes:
    try:
        return zlib.decompress(path.read_bytes())
    except (OSError, zlib.error) as e:
        raise StoreError(f"cannot read {path}: {e}") from None


def parse_states(raw: bytes, limit: int | None = None) -> list[State]:
    out: list[State] = []
    at = 0
    regs_fmt = f"<{NREGS}Q"
    nregs = 8 * NREGS
    while at + 32 <= len(raw) and (limit is None or len(out) < limit):
        magic, npages, nwritten, _ = struct.unpack_from("<4Q", raw, at)
        if magic != MAGIC:
            raise StoreError(f"bad state record at byte {at}")
        at += 32
        regs = struct.unpack_from(regs_fmt, raw, at)
        fx = raw[at + nregs : at + nregs + 512]
        at += nregs + 512
        pages = []
        for _ in range(npages):
            addr, flags = struct.unpack_from("<QQ", raw, at)
            pages.append(Page(addr, bool(flags & 1), (flags >> 8) & 0xFF, raw[at + 16 : at + 16 + PAGE]))
            at += 16 + PAGE
        exit_regs = struct.unpack_from(regs_fmt, raw, at)
        exit_fx = raw[at + nregs : at + nregs + 512]
        at += nregs + 512
        exits = []
        for _ in range(nwritten):
            (addr,) = struct.unpack_from("<Q", raw, at)
            exits.append((addr, raw[at + 8 : at + 8 + PAGE]))
            at += 8 + PAGE
        if at > len(raw):
            raise StoreError("a state record is cut short")
        out.append(State(regs, fx, tuple(pages), exit_regs, exit_fx, tuple(exits)))
    return out


def states_dir(cache_root: str | os.PathLike) -> Path:
    return Path(cache_root) / "states"


def load(path: str | os.PathLike) -> Recording:
    d = Path(path)
    try:
        meta = json.loads((d / "meta.json").read_text())
    except (OSError, ValueError) as e:
        raise StoreError(f"not a recording: {d}: {e}") from None
    funcs = {
        name: FunctionRecord(
            name,
            str(f.get("module", "")),
            int(f.get("offset", 0)),
            int(f.get("addr", 0)),
            int(f.get("states", 0)),
            int(f.get("abandoned", 0)),
            str(f.get("file", "")),
        )
        for name, f in dict(meta.get("functions", {})).items()
    }
    stack = meta.get("stack") or [0, 0]
    return Recording(
        d,
        tuple(meta.get("command", ())),
        str(meta.get("cwd", "")),
        float(meta.get("created", 0)),
        (int(stack[0]), int(stack[1])),
        funcs,
        dict(meta.get("modules", {})),
        str(meta.get("note", "")),
    )


def related(cache_root: str | os.PathLike, cwd: str | None) -> list[Recording]:
    """Recordings made in `cwd`, an ancestor or a descendant of it, newest first (the rule
    profiles follow: hot._related_profiles)."""
    base = states_dir(cache_root)
    if not base.is_dir():
        return []
    here = os.path.realpath(cwd or os.getcwd())
    found = []
    for d in base.iterdir():
        if not (d / "meta.json").exists():
            continue
        try:
            rec = load(d)
        except StoreError:
            continue
        where = os.path.realpath(rec.cwd)
        if here == where or here.startswith(where + os.sep) or where.startswith(here + os.sep):
            found.append(rec)
    return sorted(found, key=lambda r: -r.created)


def find(cache_root: str | os.PathLike, cwd: str | None, name: str) -> Recording | None:
    """The newest related recording with states of `name`."""
    for rec in related(cache_root, cwd):
        f = rec.functions.get(name)
        if f is not None and f.states:
            return rec
    return None
