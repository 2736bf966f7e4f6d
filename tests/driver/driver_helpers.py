"""Helpers for the driver's tests: run llmcc and gcc side by side on the same files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

GCC = shutil.which("gcc", path="/usr/local/bin:/usr/bin:/bin")

WARN_SRC = """\
int unused_warning(int x)
{
    int y;
    return x;
}
"""

KERNEL_SRC = """\
#include <stddef.h>
static const int weights[8] = {3, 1, 4, 1, 5, 9, 2, 6};
int dot(const int *a, size_t n)
{
    int s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * weights[i & 7];
    return s;
}
int pick(int k)
{
    switch (k) {
    case 0: return 11; case 1: return 22; case 2: return 35; case 3: return 47;
    case 4: return 51; case 5: return 68; default: return -1;
    }
}
"""


def run(cmd: list, env: dict[str, str], cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, input=stdin, capture_output=True, timeout=120)


def log_events(env: dict[str, str]) -> list[dict]:
    p = Path(env["LLMCC_LOG"])
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


def sections_and_symbols(obj: Path) -> tuple[str, str]:
    """Disassembly with relocations plus the contents of .rodata (objdump), and the symbol table
    and code/data section bytes as lief reads them: what must match between llmcc's and gcc's
    objects, as two independent readers and readable in an assertion diff."""
    import lief

    dis = subprocess.run(["objdump", "-d", "-r", "-j", ".text", str(obj)], capture_output=True, text=True).stdout
    data = subprocess.run(["objdump", "-s", "-j", ".rodata", str(obj)], capture_output=True, text=True).stdout
    body = "\n".join(ln for ln in (dis + data).splitlines() if str(obj) not in ln)
    elf = lief.ELF.parse(str(obj))
    assert elf is not None, f"lief cannot read {obj}"
    sections = {s.name: s for s in elf.sections}
    syms = [
        f"{sym.name} {sym.binding} {sym.type} size={sym.size} value={sym.value} "
        f"section={elf.sections[sym.shndx].name if 0 < sym.shndx < len(sections) else sym.shndx}"
        for sym in elf.symtab_symbols
    ]
    code = [
        f"{name} {sec.type} {sec.flags} {bytes(sec.content).hex()}"
        for name, sec in sections.items()
        if name.startswith((".text", ".rodata", ".data"))
    ]
    return body, "\n".join(syms + code)
