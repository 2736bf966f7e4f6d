"""Profile feedback trained on the workload itself (pgo.train_on_workload): the whole unit,
instrumented, patched into a copy of the profiled program, the workload run on it; the counters
are what the program did in every function of the unit, and gcc reads them."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize import pgo, workload
from gcc_wrapper.optimize.candidate import Context
from gcc_wrapper.optimize.propose import embedded

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload_helpers import profile_workload, unit  # noqa: E402

# main calls mix exactly N times a round (it is kept out of line), fold as often (gcc inlines it
# into main, and its inlined copy counts in fold's own counters), and qsort calls cmp, through a
# pointer: the counters must see all three, though none is main
PROG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) static unsigned mix(unsigned x, int k)
{
    for (int i = 0; i < k; i++) x = x * 1103515245u + 12345u;
    return x;
}
static unsigned fold(unsigned x)  /* too big for the early inliner: inlined after instrumenting */
{
    for (int k = 0; k < 5; k++) {
        x ^= (x >> (7 + k)) * 0x9E3779B1u;
        if (x & 0x100) x = (x << 3) | (x >> 29);
        else if (x & 0x200) x -= 0x61C88647u;
        else if (x & 0x400) x = ~x + (x << 9);
        else x += 0x7F4A7C15u ^ (x >> 11);
        x = x * 2246822519u + (x >> 15) * 3266489917u;
    }
    return x;
}
static int cmp(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000, rounds = argc > 2 ? atoi(argv[2]) : 1;
    unsigned *a = malloc(n * sizeof *a), s = 1, t = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) { s = mix(s, (i % 3) + 1); a[i] = fold(s); }
        qsort(a, n, sizeof *a, cmp);
        t += a[n / 2];
    }
    printf("%u %u %u\n", a[0], a[n - 1], t);
    fflush(stdout);
    if (argc > 3) _exit(0);  /* leaves without running the exit handlers */
    return 0;
}
"""
N, ROUNDS = 20000, 40


def _profiled(d: Path, llmcc_bin, llmcc_env, *extra: str) -> Context:
    (d / "m.c").write_text(PROG)
    subprocess.run(["gcc", "-O3", "-o", "m", "m.c"], cwd=d, check=True)
    w = profile_workload(d, llmcc_bin, llmcc_env, "./m", str(N), str(ROUNDS), *extra)
    text = unit(d, str(d / "m.c"))
    return Context(
        "main",
        str(d / "m.c"),
        ("-O3",),
        asm.parse(text).functions["main"].text(),
        text,
        key="k-main",
        cwd=str(d),
        workload=w.profile,
    )


def _records(data: bytes) -> list[tuple[int, tuple[int, ...]]]:
    """(ident, counts) of each function record of a counters file pgo.gcda wrote."""
    out, at = [], 32
    while at + 4 < len(data):
        _tag, _len, ident, _line, _cfg, _arcs, size = struct.unpack_from("<7I", data, at)
        at += 28
        out.append((ident, struct.unpack_from(f"<{size // 8}Q", data, at)))
        at += size
    return out


def test_the_workload_trains_every_function_of_the_unit_and_gcc_reads_it(tmp_path, llmcc_bin, llmcc_env):
    ctx = _profiled(tmp_path, llmcc_bin, llmcc_env)
    instrumented = subprocess.run(
        ["gcc", "-O3", "-fprofile-generate", "-fno-profile-values", "-S", "-o", "-", ctx.source_path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "__gcov0.fold" in instrumented and "fold" not in asm.parse(instrumented).functions  # inlined
    exe_before = hashlib.sha256((tmp_path / "m").read_bytes()).hexdigest()
    listing = sorted(p.name for p in tmp_path.iterdir())
    prof = pgo.train(ctx, tmp_path / "pgo")
    assert prof.inputs == f"workload: `./m {N} {ROUNDS}`"
    records = _records(Path(prof.gcda).read_bytes())
    assert len(records) == 4  # main, mix, fold, cmp
    firsts = sorted(c[0] for _, c in records)
    # mix's and fold's entries ran once per element and round; cmp's as often as qsort compared;
    # main's once
    assert firsts[:3] == [1, N * ROUNDS, N * ROUNDS] and firsts[3] > N * ROUNDS
    # the program and the directory the workload ran in are as they were
    assert hashlib.sha256((tmp_path / "m").read_bytes()).hexdigest() == exe_before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*listing, "pgo"])
    # gcc takes the counters as this unit's, and they change main's code
    flags = [f for f in prof.use_flags() if f != "-Wno-coverage-mismatch"]
    use = subprocess.run(
        ["gcc", "-O3", *flags, "-Werror=coverage-mismatch", "-S", "-o", "-", ctx.source_path],
        cwd=prof.cwd,
        capture_output=True,
        text=True,
        env=pgo.compile_env(),
    )
    assert use.returncode == 0, use.stderr
    assert (
        asm.parse(use.stdout).functions["main"].normalized()
        != asm.parse_function(ctx.baseline_asm, "main").normalized()
    )


def test_the_embedded_proposer_proposes_main_trained_on_the_workload(tmp_path, llmcc_bin, llmcc_env):
    ctx = _profiled(tmp_path, llmcc_bin, llmcc_env)
    p = embedded.EmbeddedProposer()
    cands = []
    for _ in range(4):
        cands += p.propose(ctx, [], 3)
        if any("-fprofile-use" in c.meta["flags"] for c in cands):
            break
    trained = [c for c in cands if "-fprofile-use" in c.meta["flags"]]
    assert trained, [c.proposer for c in cands]
    assert p.trainings == 1 and p._profiles[ctx.key].inputs.startswith("workload: ")
    check = workload.judge(ctx).compare(trained[0].asm)
    assert check.passed, check.detail


def test_a_program_that_leaves_without_exit_trains_nothing(tmp_path, llmcc_bin, llmcc_env):
    ctx = _profiled(tmp_path, llmcc_bin, llmcc_env, "quick-exit")
    with pytest.raises(pgo.TrainingError, match="left no counters"):
        pgo.train_on_workload(ctx, tmp_path / "pgo")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".llmcc-counters")]


def test_a_unit_larger_than_one_functions_room_is_trained_whole(tmp_path, llmcc_bin, llmcc_env):
    # 500 out-of-line functions: the instrumented unit is far more code than a candidate may be
    n = 500
    fs = "".join(
        f"__attribute__((noinline)) unsigned f{i}(unsigned x) {{ for (int k = 0; k < {i % 7 + 2}; k++) "
        f"{{ if (x & {1 << (i % 13)}u) x = x * {2654435761 + i}u + {i}u; else x ^= x >> {i % 5 + 3}; }} return x; }}\n"
        for i in range(n)
    )
    calls = "".join(f"        x = f{i}(x);\n" for i in range(n))
    src = (
        "#include <stdio.h>\n#include <stdlib.h>\n" + fs + "int main(int argc, char **argv)\n{\n"
        "    unsigned x = 1;\n    int rounds = argc > 1 ? atoi(argv[1]) : 1;\n"
        "    for (int r = 0; r < rounds; r++) {\n" + calls + "    }\n"
        '    printf("%u\\n", x);\n    return 0;\n}\n'
    )
    (tmp_path / "big.c").write_text(src)
    subprocess.run(["gcc", "-O3", "-o", "big", "big.c"], cwd=tmp_path, check=True)
    w = profile_workload(tmp_path, llmcc_bin, llmcc_env, "./big", "100000")
    text = unit(tmp_path, str(tmp_path / "big.c"))
    subprocess.run(
        ["gcc", "-O3", "-fprofile-generate", "-fno-profile-values", "-c", "-o", "i.o", "big.c"],
        cwd=tmp_path,
        check=True,
    )
    with open(tmp_path / "i.o", "rb") as f:
        assert ELFFile(f).get_section_by_name(".text")["sh_size"] > workload.SPAN
    ctx = Context(
        "f7",
        str(tmp_path / "big.c"),
        ("-O3",),
        asm.parse(text).functions["f7"].text(),
        text,
        cwd=str(tmp_path),
        workload=w.profile,
    )
    prof = pgo.train_on_workload(ctx, tmp_path / "pgo")
    records = _records(Path(prof.gcda).read_bytes())
    assert len(records) == n + 1
    assert sorted(c[0] for _, c in records) == [1] + [100000] * n  # main once, every function once a round


def test_functions_that_carry_the_same_named_constant_train_together(tmp_path, llmcc_bin, llmcc_env):
    (tmp_path / "t.c").write_text(
        "#include <stdio.h>\n#include <stdlib.h>\n"
        'static const char names[8][6] = {"ab", "cde", "f", "ghij", "k", "lmnop", "qr", "s"};\n'
        "__attribute__((noinline)) static unsigned a(unsigned x) { return names[x & 7][0] + x; }\n"
        "__attribute__((noinline)) static unsigned b(unsigned x) { return names[(x >> 3) & 7][1] ^ x; }\n"
        "int main(int argc, char **argv)\n{\n    unsigned x = 1;\n    long n = argc > 1 ? atol(argv[1]) : 1;\n"
        "    for (long i = 0; i < n; i++) x = a(x) * 2654435761u + b(x);\n"
        '    printf("%u\\n", x);\n    return 0;\n}\n'
    )
    subprocess.run(["gcc", "-O3", "-o", "t", "t.c"], cwd=tmp_path, check=True)
    w = profile_workload(tmp_path, llmcc_bin, llmcc_env, "./t", "3000000")
    text = unit(tmp_path, str(tmp_path / "t.c"))
    fns = asm.parse(text).functions
    assert all("names:" in fns[f].text() for f in ("a", "b"))  # each carries the table
    ctx = Context("a", str(tmp_path / "t.c"), ("-O3",), fns["a"].text(), text, cwd=str(tmp_path), workload=w.profile)
    records = _records(Path(pgo.train_on_workload(ctx, tmp_path / "pgo").gcda).read_bytes())
    assert sorted(c[0] for _, c in records) == [1, 3000000, 3000000]
