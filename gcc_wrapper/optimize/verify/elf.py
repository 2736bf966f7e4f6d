"""Just enough of an ELF64 relocatable object, read in-process: sections with their bytes, symbols,
and relocations. flow.py needs exact facts (which instruction bytes a relocation patches, what a
jump table's entries point at) that text from readelf/objdump would only give back approximately.

    read(path) -> Elf
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
SHT_SYMTAB, SHT_RELA, SHT_NOBITS = 2, 4, 8
SHN_UNDEF, SHN_ABS = 0, 0xFFF1

# x86-64 relocation types flow.py distinguishes
R_64, R_PC32, R_PLT32, R_32S, R_GOTPCREL, R_GOTPCRELX, R_REX_GOTPCRELX = 1, 2, 4, 11, 9, 41, 42


class ElfError(Exception):
    pass


@dataclass(frozen=True)
class Sym:
    name: str
    value: int
    size: int
    section: str | None  # None: undefined; "*ABS*": absolute
    bind: int  # 0 local, 1 global, 2 weak
    type: int  # 0 notype, 1 object, 2 func, 3 section


@dataclass(frozen=True)
class Reloc:
    offset: int  # within the section it patches
    type: int
    sym: Sym
    addend: int


@dataclass(frozen=True)
class Section:
    name: str
    flags: int
    data: bytes
    relocs: tuple[Reloc, ...]

    @property
    def code(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)


@dataclass(frozen=True)
class Elf:
    sections: dict[str, Section]
    symbols: tuple[Sym, ...]


def read(path: Path) -> Elf:
    b = Path(path).read_bytes()
    if b[:4] != b"\x7fELF" or b[4] != 2 or b[5] != 1:
        raise ElfError("not a little-endian ELF64 object")
    (shoff,) = struct.unpack_from("<Q", b, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3A)
    raw = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize) for i in range(shnum)]

    def strtab(i: int, off: int) -> str:
        base = raw[i][4] + off
        return b[base : b.index(b"\0", base)].decode(errors="replace")

    names = [strtab(shstrndx, s[0]) for s in raw]
    syms: list[Sym] = []
    for i, s in enumerate(raw):
        if s[1] == SHT_SYMTAB:
            for k in range(s[5] // 24):
                nm, info, _other, shndx, value, size = struct.unpack_from("<IBBHQQ", b, s[4] + k * 24)
                sec = (
                    None
                    if shndx == SHN_UNDEF
                    else "*ABS*"
                    if shndx == SHN_ABS
                    else names[shndx]
                    if shndx < shnum
                    else "?"
                )
                name = strtab(s[6], nm) if (info & 15) != 3 else sec or ""
                syms.append(Sym(name, value, size, sec, info >> 4, info & 15))
    relocs: dict[int, list[Reloc]] = {}
    for s in raw:
        if s[1] == SHT_RELA:
            for k in range(s[5] // 24):
                off, info, addend = struct.unpack_from("<QQq", b, s[4] + k * 24)
                relocs.setdefault(s[7], []).append(Reloc(off, info & 0xFFFFFFFF, syms[info >> 32], addend))
    sections: dict[str, Section] = {}
    for i, s in enumerate(raw):
        if i == 0 or not (s[2] & SHF_ALLOC):
            continue
        if names[i] in sections:
            raise ElfError(f"two sections are named {names[i]}")
        data = b"\0" * s[5] if s[1] == SHT_NOBITS else b[s[4] : s[4] + s[5]]
        sections[names[i]] = Section(names[i], s[2], data, tuple(sorted(relocs.get(i, []), key=lambda r: r.offset)))
    return Elf(sections, tuple(syms))
