"""No untested code: every basic block of a candidate gcc did not write must have run on at
least one compared input.

    sites(analysis) -> tuple[Site, ...]         the blocks that must run (flow.py's CFG, without
                                                alignment padding)
    Arming(sites, entry).offsets_file(...)      what the harness arms (coverage.c), as offsets
                                                from the function's symbol
    covered(stdout, sites) -> frozenset[Site]   what one harness run reports; runs are unioned
    check(sites, covered, asm, why) -> Check    "coverage": passes when every site ran, otherwise
                                                names the candidate's lines that never did

A block that never runs is code nobody tested: a rewrite that is right on every input tried and
does something else on one magic value looks exactly like that. The harness learns which blocks
ran with one-shot breakpoints (coverage.c): the registers and flags of the candidate are restored
by the kernel, and the handler runs on the alternate stack, so the candidate cannot tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.optimize.candidate import Check


@dataclass(frozen=True, order=True)
class Site:
    section: str
    offset: int  # of the block's first instruction, in its section


def needed(proposer: str) -> bool:
    """gcc's own output (the embedded proposer's variants) is trusted to have no planted code."""
    return not proposer.startswith("embedded")


def sites(analysis) -> tuple[Site, ...]:
    return tuple(Site(b.section, b.start) for b in analysis.blocks if not b.nop_only)


def section_addresses(link_map: str, obj: Path) -> dict[str, int]:
    """Where the linker put obj's input sections, from its map file (ld -Map)."""
    out: dict[str, int] = {}
    pending = None
    for line in link_map.splitlines():
        f = line.split()
        if len(f) == 1 and line.startswith(" ."):
            pending = f[0]
            continue
        if pending and len(f) == 3 and f[0].startswith("0x") and f[2] == str(obj):
            out.setdefault(pending, int(f[0], 16))
        elif len(f) == 4 and line.startswith(" .") and f[1].startswith("0x") and f[3] == str(obj):
            out.setdefault(f[0], int(f[1], 16))
        pending = None
    return out


@dataclass(frozen=True)
class Arming:
    sites: tuple[Site, ...]
    entry: tuple[str, int]  # section and offset of the function's symbol

    def needs_map(self) -> bool:
        """Blocks outside the function's own section (a .cold part) are placed by the linker."""
        return any(s.section != self.entry[0] for s in self.sites)

    def offsets(self, placed: dict[str, int] | None = None) -> list[int]:
        """Each site's distance from the function's symbol in the linked program."""
        out = []
        for s in self.sites:
            if s.section == self.entry[0]:
                out.append(s.offset - self.entry[1])
            else:
                if placed is None or s.section not in placed or self.entry[0] not in placed:
                    raise ValueError(f"the link map does not place {s.section}")
                out.append(placed[s.section] + s.offset - placed[self.entry[0]] - self.entry[1])
        return out

    def offsets_file(self, path: Path, placed: dict[str, int] | None = None) -> Path:
        offs = self.offsets(placed)
        path.write_text(f"{len(offs)}\n" + "".join(f"{o}\n" for o in offs))
        return path


def covered(stdout: str, sites: tuple[Site, ...]) -> frozenset[Site]:
    """The sites a harness run reports ("COVERED i j ..."); empty when it reported nothing."""
    for line in stdout.splitlines():
        if line.startswith("COVERED"):
            return frozenset(sites[int(w)] for w in line.split()[1:] if w.isdigit() and int(w) < len(sites))
    return frozenset()


def _lines(asm: str, obj_dir: Path) -> dict[tuple[str, int], int]:
    """(section, offset) -> line of asm, from DWARF line info of a debug assembly of the text
    (only when something is reported: the check itself does not need it)."""
    from gcc_wrapper.optimize.verify.static import assemble_debug

    # the candidate's own .file/.loc would point the line info at C source: blank them, keeping
    # the line numbers
    text = "\n".join("" if re.match(r"\s*\.(loc|file\s+\d)\b", ln) else ln for ln in asm.splitlines()) + "\n"
    obj = obj_dir / "cand_lines.o"
    listing = assemble_debug(text, obj)
    out: dict[tuple[str, int], int] = {}
    section, line = ".text", 0
    for raw in listing.splitlines():
        if raw.startswith("Disassembly of section "):
            section = raw[len("Disassembly of section ") :].rstrip(":")
            continue
        m = re.match(r"^\S+\.s:(\d+)", raw)
        if m:
            line = int(m.group(1))
            continue
        m = re.match(r"\s*([0-9a-f]+):\s", raw)
        if m and line:
            out[(section, int(m.group(1), 16))] = line
    return out


def check(all_sites: tuple[Site, ...], ran: frozenset[Site], asm: str, blocks, obj_dir: Path, why: str = "") -> Check:
    """Check "coverage". blocks: flow.Analysis.blocks (for each site's extent); why: set when no
    compared input could run at all."""
    missing = [s for s in all_sites if s not in ran]
    if not missing:
        return Check("coverage", True, f"every one of the {len(all_sites)} basic blocks ran on a compared input")
    head = (
        f"no compared input ran any of the candidate's {len(all_sites)} basic blocks: {why}"
        if why
        else f"{len(missing)} of the candidate's {len(all_sites)} basic blocks never ran on any compared input "
        "(untested code: remove it, or make it reachable by the function's inputs)"
    )
    if why:
        return Check("coverage", False, head)
    try:
        lines = _lines(asm, obj_dir)
    except (OSError, ValueError):
        lines = {}
    text = asm.splitlines()
    extent = {(b.section, b.start): b.end for b in blocks}
    parts = []
    for s in missing[:8]:
        end = extent.get((s.section, s.offset), s.offset + 1)
        ls = sorted({ln for (sec, off), ln in lines.items() if sec == s.section and s.offset <= off < end})
        if not ls:
            parts.append(f"{s.section}+{s.offset:#x}")
            continue
        first = text[ls[0] - 1].strip() if ls[0] <= len(text) else ""
        span = f"line {ls[0]}" if len(ls) == 1 else f"lines {ls[0]}-{ls[-1]}"
        parts.append(f"{span} (`{first}`...)" if len(ls) > 1 else f"{span} (`{first}`)")
    more = f", and {len(missing) - 8} more" if len(missing) > 8 else ""
    return Check("coverage", False, f"{head}: {'; '.join(parts)}{more}")
