"""Profile feedback trained on the workload's recorded calls (pgo.train_on_states): the function,
instrumented by gcc, replayed once on every recorded state; the counters file written from its
counts is one gcc reads, and what it reads is what the workload did."""

from __future__ import annotations

import struct
import subprocess

from states_helpers import build, context

from gcc_wrapper.compile import asm
from gcc_wrapper.optimize import pgo
from gcc_wrapper.optimize.states import record


def test_counters_come_from_the_recorded_calls_and_gcc_reads_them(tmp_path):
    build(tmp_path)
    rec, note = record.record(["./prog", "2000", "20000000"], str(tmp_path), ["lookup"], tmp_path / "cache")
    assert rec is not None and rec.functions["lookup"].states >= 16, note
    ctx = context(tmp_path, "lookup", rec)
    prof = pgo.train_on_states(ctx, tmp_path / "pgo")
    assert prof.inputs == f"recorded states: {rec.functions['lookup'].states} calls"
    data = (tmp_path / "pgo" / "llmcc-pgo.gcda").read_bytes()
    magic, _version, _stamp, _checksum = struct.unpack_from("<4I", data)
    assert magic == 0x67636461
    n = (len(data) - 15 * 4 - 4) // 8
    counts = struct.unpack_from(f"<{n}Q", data, 15 * 4)
    # the function's entry is counted once per recorded call, and the loop ran at least that often
    assert counts[0] == rec.functions["lookup"].states
    assert sum(counts) > counts[0]
    # gcc takes the file as this unit's: no coverage mismatch, and the profile changes the code
    flags = [f for f in prof.use_flags() if f != "-Wno-coverage-mismatch"]
    use = subprocess.run(
        ["gcc", "-O3", *flags, "-Werror=coverage-mismatch", "-S", "-o", "-", str(tmp_path / "prog.c")],
        cwd=prof.cwd,
        capture_output=True,
        text=True,
        env=pgo.compile_env(),
    )
    assert use.returncode == 0, use.stderr
    trained = asm.parse(use.stdout).functions["lookup"].text()
    (tmp_path / "pgo" / "llmcc-pgo.gcda").write_bytes(
        pgo.gcda(
            subprocess.run(
                [
                    "gcc",
                    "-O3",
                    f"-fprofile-generate={tmp_path / 'pgo'}",
                    "-fprofile-update=single",
                    "-fno-profile-values",
                    f"-fprofile-prefix-path={prof.cwd}",
                    "-dumpbase",
                    pgo.DUMPBASE,
                    "-w",
                    "-S",
                    "-o",
                    "-",
                    str(tmp_path / "prog.c"),
                ],
                cwd=prof.cwd,
                capture_output=True,
                text=True,
                env=pgo.compile_env(),
            ).stdout,
            {"lookup": [1] * n},
        )
    )
    flat = subprocess.run(
        ["gcc", "-O3", *flags, "-S", "-o", "-", str(tmp_path / "prog.c")],
        cwd=prof.cwd,
        capture_output=True,
        text=True,
        env=pgo.compile_env(),
    ).stdout
    assert asm.parse(flat).functions["lookup"].text() != trained  # the counts themselves matter
