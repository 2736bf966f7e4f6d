"""An object file linked at a fixed address against a program's symbols, as flat bytes.

The replayer maps such images next to a recorded program (states/replay.py), and the workload judge
writes one into a copy of the profiled executable (workload.py): both link gcc's version or a
candidate with `ld` at an address of their choosing, every symbol it uses bound (`--defsym`) to
where the program has it, and take the allocated sections back as one run of bytes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Mapping, Sequence


class LinkError(Exception):
    """The object could not be linked there, or the result does not define its entry."""


# Code first at the address (its own alignment may move it up: -falign-functions=64 code stays
# 64-byte aligned), constants after it.
SCRIPT = (
    "SECTIONS {{ . = {addr:#x}; .text : {{ *(.text .text.*) }} .rodata : {{ *(.rodata .rodata.*) }} "
    "/DISCARD/ : {{ *(.note.*) *(.comment) *(.eh_frame) }} }}\n"
)


def undefined(obj: Path) -> list[str]:
    """The symbols `obj` refers to and does not define (read in process: this runs per image)."""
    from elftools.elf.elffile import ELFFile

    with open(obj, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        if symtab is None:
            return []
        return [s.name for s in symtab.iter_symbols() if s.name and s["st_shndx"] == "SHN_UNDEF"]


def link(
    obj: Path,
    entry: str,
    addr: int,
    elf: Path,
    defs: Mapping[str, int],
    extra: Sequence[str] = (),
    *,
    into: str,
    origin: int | None = None,
    link_map: bool = False,
    page: int = 1,
) -> tuple[int, bytes]:
    """(the address of `entry`, the image's bytes from `origin`, by default `addr`): `obj` (and
    the `extra` objects) linked at `addr`, each symbol of `defs` bound to its address; `int3` between and after the sections, up to
    a multiple of `page`. `into` names what it is linked against, for the error ("into the
    program"). With `link_map`, the map beside `elf` (.map) says where each input
    section went."""
    from elftools.elf.elffile import ELFFile

    script = elf.with_suffix(".ld")
    script.write_text(SCRIPT.format(addr=addr))
    mapping = [f"-Map={elf.with_suffix('.map')}"] if link_map else []
    # quoted: to ld's expression parser some C names are words of its own (`add`)
    binds = [f'--defsym="{sym}"={at:#x}' for sym, at in defs.items()]
    r = subprocess.run(
        ["ld", "-o", str(elf), "-T", str(script), "-e", entry, "--no-relax", *mapping, *binds, str(obj), *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if r.returncode != 0:
        raise LinkError(f"cannot link it {into}: {r.stderr.strip()[:300]}")
    with open(elf, "rb") as f:
        e = ELFFile(f)
        SHF_ALLOC = 2
        parts = [
            (s["sh_addr"], s.data())
            for s in e.iter_sections()
            if s["sh_flags"] & SHF_ALLOC and s["sh_type"] == "SHT_PROGBITS" and s["sh_size"]
        ]
        symtab = e.get_section_by_name(".symtab")
        symbols = symtab.iter_symbols() if symtab is not None else ()
        at = next((s["st_value"] for s in symbols if s.name == entry and s["st_shndx"] != "SHN_UNDEF"), None)
    if at is None or not parts:
        raise LinkError(f"the image does not define {entry}")
    base = addr if origin is None else origin
    top = max(a + len(d) for a, d in parts) - base
    data = bytearray(b"\xcc" * (top + (-top % page)))
    for a, d in parts:
        data[a - base : a - base + len(d)] = d
    return at, bytes(data)


def addresses(elf: Path, names: Sequence[str]) -> dict[str, int]:
    """Where the linked `elf` has each of `names` that it defines (local symbols too)."""
    from elftools.elf.elffile import ELFFile

    wanted, out = set(names), {}
    with open(elf, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        for s in symtab.iter_symbols() if symtab is not None else ():
            if s.name in wanted and s["st_shndx"] != "SHN_UNDEF":
                out[s.name] = s["st_value"]
    return out
