"""Building the differential-test harness for one function.

Per process (cached on disk by content): harness_main.o, harness_call.o and coverage.o (the
one-shot breakpoints that show which blocks of a candidate ran) from the sources beside this
module. Per original function (cached by the hash of its assembly and unit):

    base.o     the original, its symbol renamed to __llmcc_base_fn (and made global)
    helper_*.o the functions of the same translation unit it calls (static helpers), made global
    support.o  the data objects it refers to: read-only ones copied from the unit, writable ones
               defined as zeroed space the harness refills before every call, each on pages of
               its own (so that it can be mapped read-only); the table of them the harness reads
               (llmcc_globals), and llmcc_fn_base
    self.o     llmcc_fn_cand = the original itself: the self-test that proves the harness and the
               original behave (deterministic, mostly not crashing) before any candidate runs

Per candidate only its object is linked: gcc -o t harness_main.o harness_call.o support.o base.o
helpers cand.o fnptr.o -lm. External symbols that are neither in the unit nor in libc make the
link fail: such a function cannot be tested this way.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.compile import asm
from gcc_wrapper.compile.files import write_atomic
from gcc_wrapper.optimize.verify.static import assemble, object_info, work_root

DATA = Path(__file__).resolve().parent  # harness_main.c and harness_call.s live beside this module
BASE_SYMBOL = "__llmcc_base_fn"
CFLAGS = ("-O2", "-fno-builtin", "-fno-tree-loop-distribute-patterns", "-fno-stack-protector")

# Library functions whose results depend on the world, or that talk to it: a function calling
# them is not tested this way (the project's tests can still cover it).
WORLDLY = {
    "printf",
    "fprintf",
    "vprintf",
    "vfprintf",
    "puts",
    "fputs",
    "putchar",
    "fputc",
    "putc",
    "fwrite",
    "fread",
    "fopen",
    "fclose",
    "fflush",
    "fgets",
    "fgetc",
    "getc",
    "getchar",
    "scanf",
    "fscanf",
    "sscanf",
    "write",
    "read",
    "open",
    "close",
    "exit",
    "_exit",
    "rand",
    "srand",
    "random",
    "srandom",
    "rand_r",
    "drand48",
    "time",
    "clock",
    "gettimeofday",
    "clock_gettime",
    "getenv",
    "system",
    "perror",
    "__printf_chk",
    "__fprintf_chk",
    "__vfprintf_chk",
    "getpid",
    "fork",
    "signal",
    "raise",
    "kill",
    "sleep",
    "usleep",
    "nanosleep",
    "pthread_create",
    "mmap",
    "munmap",
    "__isoc99_scanf",
    "__isoc99_fscanf",
    "__isoc99_sscanf",
    "setjmp",
    "longjmp",
    "_setjmp",
    "__sigsetjmp",
    "siglongjmp",
}


class HarnessError(Exception):
    """The harness cannot be built for this function (the message says why)."""


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


def _atomic_compile(cmd_out: Path, cmd: list[str]) -> None:
    tmp = cmd_out.with_name(f".{cmd_out.name}.{os.getpid()}")
    r = subprocess.run([*cmd, "-o", str(tmp)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise HarnessError(f"cannot build the harness: {r.stderr.strip()[:500]}")
    os.replace(tmp, cmd_out)


def harness_objects(cc: str) -> tuple[Path, Path, Path]:
    """harness_main.o, harness_call.o and coverage.o, built once per content and compiler."""
    main_c = (DATA / "harness_main.c").read_text()
    call_s = (DATA / "harness_call.s").read_text()
    cov = (DATA / "coverage.c").read_text() + (DATA / "coverage.h").read_text()
    d = work_root() / "harness" / _digest(main_c, call_s, (DATA / "seccomp.c").read_text(), cov, cc, *CFLAGS)
    d.mkdir(parents=True, exist_ok=True)
    main_o, call_o, cov_o = d / "harness_main.o", d / "harness_call.o", d / "coverage.o"
    if not main_o.exists():
        _atomic_compile(main_o, [cc, *CFLAGS, "-c", str(DATA / "harness_main.c")])
    if not call_o.exists():
        _atomic_compile(call_o, [cc, "-c", str(DATA / "harness_call.s")])
    if not cov_o.exists():
        _atomic_compile(cov_o, [cc, *CFLAGS, "-c", str(DATA / "coverage.c")])
    return main_o, call_o, cov_o


def rename_symbol(text: str, old: str, new: str) -> str:
    """Rename a symbol everywhere it appears as a whole name (label, directives, operands, and
    derived local names such as old.cold)."""
    return re.sub(rf"(?<![\w.$]){re.escape(old)}(?![\w$])", new, text)


@dataclass(frozen=True)
class DataObject:
    name: str
    size: int
    writable: bool
    body: tuple[str, ...]  # the data directives of a read-only object


_OBJECT_LINES = asm.OBJECT_DATA | asm.ALIGN  # what a read-only object's body is copied from


def data_object(unit_asm: str, sym: str) -> DataObject | None:
    """The definition of data symbol sym in gcc's assembly of the unit, or None."""
    lines = unit_asm.splitlines()
    section = ".text"
    size = None
    for ln in lines:
        f = ln.strip().replace(",", " ").split()
        if len(f) >= 3 and f[0] in (".comm", ".lcomm") and f[1] == sym:
            return DataObject(sym, int(f[2]), True, ())
        if len(f) >= 3 and f[0] == ".size" and f[1] == sym and f[2].isdigit():
            size = int(f[2])
    if size is None:
        return None
    for i, ln in enumerate(lines):
        s = ln.strip()
        w = s.split()
        if not w:
            continue
        if w[0] in (".text", ".data", ".bss"):
            section = w[0]
        elif w[0] in (".section", ".pushsection") and len(w) > 1:
            section = w[1].rstrip(",")
        if s == f"{sym}:":
            writable = section.startswith((".data", ".bss", ".tdata", ".tbss")) and not section.startswith(
                ".data.rel.ro"
            )
            if section.startswith((".tdata", ".tbss")):
                return None
            body = []
            for nxt in lines[i + 1 :]:
                t = nxt.strip()
                if not t or t.startswith("#"):
                    continue
                if t.split()[0] in _OBJECT_LINES:
                    body.append(t)
                else:
                    break
            return DataObject(sym, size, writable, tuple(body))
    return None


@dataclass(frozen=True)
class Build:
    """What is linked with every candidate of one function."""

    dir: Path
    objects: tuple[Path, ...]  # harness_main.o, harness_call.o, support.o, base.o, helpers
    self_fnptr: Path  # llmcc_fn_cand = the original (the self-test)
    cand_fnptr: Path  # llmcc_fn_cand = the function under its own name
    writable_globals: tuple[str, ...]
    cc: str


def _fnptr(path: Path, target: str) -> Path:
    text = f'\t.section .data.rel.ro,"aw"\n\t.globl llmcc_fn_cand\n\t.p2align 3\nllmcc_fn_cand:\n\t.quad {target}\n\t.section .note.GNU-stack,"",@progbits\n'
    err = assemble(text, path, None)
    if err:
        raise HarnessError(err)
    return path


KEEP_BUILDS = 512  # per-function builds kept on disk (a few hundred KB each)


def _prune(builds: Path) -> None:
    """Keep the most recently made builds; another process may be removing the same ones."""
    import shutil

    try:
        dirs = sorted(builds.iterdir(), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for old in dirs[: max(0, len(dirs) - KEEP_BUILDS + 1)]:
        shutil.rmtree(old, ignore_errors=True)


def build(name: str, baseline_asm: str, unit_asm: str, cc: str) -> Build:
    """Prepare (or find prepared) everything but the candidate."""
    main_o, call_o, cov_o = harness_objects(cc)
    builds = work_root() / "builds"
    d = builds / _digest(name, baseline_asm, unit_asm, cc, main_o.parent.name)
    if not d.exists():
        _prune(builds)
    d.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(d / "lock")):
        return _build_locked(d, name, baseline_asm, unit_asm, cc, main_o, call_o, cov_o)


def _build_locked(
    d: Path, name: str, baseline_asm: str, unit_asm: str, cc: str, main_o: Path, call_o: Path, cov_o: Path
) -> Build:
    done = d / "build.txt"
    if done.exists():
        objs, writable = done.read_text().split("\n\n", 1)
        b = Build(
            d,
            tuple(Path(p) for p in objs.splitlines()),
            d / "self_fnptr.o",
            d / "cand_fnptr.o",
            tuple(writable.split()),
            cc,
        )
        if all(p.exists() for p in (*b.objects, b.self_fnptr, b.cand_fnptr)):
            return b

    base_text = rename_symbol(baseline_asm, name, BASE_SYMBOL) + f"\n\t.globl {BASE_SYMBOL}\n"
    err = assemble(base_text, d / "base.o", None)
    if err:
        raise HarnessError(f"the original does not assemble: {err}")
    objects = [main_o, call_o, d / "base.o"]
    unit = None
    if unit_asm:
        from gcc_wrapper.compile import asm

        try:
            unit = asm.parse(unit_asm)
        except asm.AsmError as e:
            raise HarnessError(f"cannot parse the unit's assembly: {e}") from None

    data: dict[str, DataObject] = {}
    done_syms = {name, BASE_SYMBOL}
    todo = sorted(object_info(d / "base.o").undefined())
    while todo:
        sym = todo.pop()
        if sym in done_syms:
            continue
        done_syms.add(sym)
        if sym in WORLDLY:
            raise HarnessError(f"it calls {sym}, which depends on or changes the outside world")
        if unit is not None and sym in unit.functions:
            if sym == name:
                continue
            text = unit.functions[sym].text() + f"\n\t.globl {sym}\n"
            out = d / f"helper_{len(objects)}.o"
            err = assemble(text, out, None)
            if err:
                raise HarnessError(f"helper {sym} does not assemble: {err}")
            objects.append(out)
            todo.extend(sorted(object_info(out).undefined()))
            continue
        obj = data_object(unit_asm, sym) if unit_asm else None
        if obj is not None:
            data[sym] = obj
    if name in done_syms and any(name in object_info(o).undefined() for o in objects[3:]):
        raise HarnessError(f"a helper calls {name} back: baseline and candidate cannot be separated")

    support = ['\t.section .note.GNU-stack,"",@progbits']
    table = []
    names = []
    writable = []
    for i, (sym, obj) in enumerate(sorted(data.items())):
        if obj.writable:
            # pages of its own: the harness maps it read-only while a call may not write it
            support += [
                "\t.bss",
                "\t.p2align 12",
                f"\t.globl {sym}",
                f"{sym}:",
                f"\t.zero {-(-max(obj.size, 1) // 4096) * 4096}",
            ]
            writable.append(sym)
        else:
            support += [
                "\t.section .rodata",
                "\t.p2align 6",
                f"\t.globl {sym}",
                f"{sym}:",
                *("\t" + b for b in obj.body),
            ]
        table.append(f"\t.quad {sym}, {obj.size}, {int(obj.writable)}")
        support += ['\t.section .rodata.str1.1,"aMS",@progbits,1', f".Lname{i}:", f'\t.string "{sym}"']
        names.append(f"\t.quad .Lname{i}")
    support += [
        '\t.section .data.rel.ro,"aw"',
        "\t.p2align 3",
        "\t.globl llmcc_globals",
        "llmcc_globals:",
        *table,
        "\t.quad 0, 0, 0",
        "\t.globl llmcc_global_names",
        "llmcc_global_names:",
        *names,
        "\t.quad 0",
        "\t.globl llmcc_nglobals",
        "llmcc_nglobals:",
        f"\t.quad {len(table)}",
        "\t.globl llmcc_fn_base",
        "llmcc_fn_base:",
        f"\t.quad {BASE_SYMBOL}",
        "",
    ]
    err = assemble("\n".join(support), d / "support.o", None)
    if err:
        raise HarnessError(f"cannot define the globals the function uses: {err}")
    objects.insert(2, d / "support.o")
    objects.append(cov_o)
    _fnptr(d / "self_fnptr.o", BASE_SYMBOL)
    _fnptr(d / "cand_fnptr.o", name)
    write_atomic(done, "\n".join(str(p) for p in objects) + "\n\n" + " ".join(writable))
    return Build(d, tuple(objects), d / "self_fnptr.o", d / "cand_fnptr.o", tuple(writable), cc)


def link(b: Build, out: Path, candidate_obj: Path | None, extra: tuple[str, ...] = ()) -> str | None:
    """Link the harness; candidate_obj None links the self-test. The linker's complaint, or None.
    extra: more linker arguments (coverage asks for a map, to place a candidate's other sections)."""
    objs = [*map(str, b.objects)]
    objs += [str(b.self_fnptr)] if candidate_obj is None else [str(candidate_obj), str(b.cand_fnptr)]
    r = subprocess.run([b.cc, "-o", str(out), *objs, "-lm", *extra], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        msgs = [ln for ln in r.stderr.splitlines() if "collect2" not in ln]
        return "; ".join(m.split(": ", 1)[-1] for m in msgs[:4]) or "link failed"
    return None
