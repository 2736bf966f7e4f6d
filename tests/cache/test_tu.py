"""The translation-unit cache is invisible: a changed header is seen, dependency files and
diagnostics come back as gcc wrote them, and -march=native keys are this host's."""

from __future__ import annotations

import subprocess
from pathlib import Path


def test_header_change_and_dependency_files(builds, shared_project: Path, tmp_path: Path) -> None:
    builds.make(shared_project, "CPPFLAGS=-MD")
    deps = {p.name: p.read_text() for p in shared_project.glob("*.d")}
    assert len(deps) == builds.UNITS + 1
    before = builds.counters()
    for p in shared_project.glob("*.d"):
        p.unlink()
    builds.make(shared_project, "CPPFLAGS=-MD")
    after = builds.counters()
    assert after["direct.hit"] - before.get("direct.hit", 0) == builds.UNITS + 1
    assert {p.name: p.read_text() for p in shared_project.glob("*.d")} == deps

    # change the header: every unit that includes it is compiled again, main.c is not
    header = shared_project / "shared.h"
    header.write_text(header.read_text().replace("h * 5u", "h * 7u"))
    builds.make(shared_project, "CPPFLAGS=-MD")
    changed = builds.counters()
    assert changed["tu.miss"] - after["tu.miss"] == builds.UNITS
    ref = builds.write_shared_project(tmp_path / "ref")
    (ref / "shared.h").write_text(header.read_text())
    subprocess.run(["make", "-s", "-j4", "CC=gcc", "CPPFLAGS=-MD"], cwd=ref, check=True, capture_output=True)
    assert builds.run(shared_project) == builds.run(ref) != builds.shared_expected()
    for o in ref.glob("*.o"):
        assert builds.disassembly(shared_project / o.name) == builds.disassembly(o), o.name


WARN_C = "int f(int x)\n{\n    int unused;\n    return x * 3;\n}\n"


def test_diagnostics_replayed_on_a_hit(builds, tmp_path: Path) -> None:
    (tmp_path / "w.c").write_text(WARN_C)
    cmd = [str(builds.llmcc), "-Wall", "-O2", "-c", "w.c", "-o", "w.o"]
    first = subprocess.run(cmd, cwd=tmp_path, env=builds.env, capture_output=True, text=True)
    second = subprocess.run(cmd, cwd=tmp_path, env=builds.env, capture_output=True, text=True)
    gcc = subprocess.run(
        ["gcc", "-Wall", "-O3", "-c", "w.c", "-o", "g.o"], cwd=tmp_path, capture_output=True, text=True
    )
    assert first.returncode == second.returncode == 0
    assert "unused variable" in first.stderr
    assert first.stderr == second.stderr == gcc.stderr
    c = builds.counters()
    assert c["tu.miss"] == 1 and c["direct.hit"] == 1
    # another warning option is another key: the diagnostics it prints are not the cached ones
    quiet = subprocess.run(
        cmd[:1] + ["-O2", "-c", "w.c", "-o", "w.o"], cwd=tmp_path, env=builds.env, capture_output=True, text=True
    )
    assert quiet.stderr == ""
    assert builds.counters()["tu.miss"] == 2


def with_cc(inv, cc: str):
    if hasattr(inv, "replace"):
        return inv.replace(cc=cc)
    import dataclasses

    return dataclasses.replace(inv, cc=cc)


def test_native_flags_are_expanded_in_keys(builds) -> None:
    from gcc_wrapper.compile import args, asm, compiler, config, driver

    cfg = config.load(environ=builds.env)
    cc = compiler.find_real_compiler("llmcc", ["-c", "x.c"], cfg)[0]
    out = subprocess.run(
        ["gcc", "-O3", "-S", "-o", "-", "-x", "c", "-"],
        input="int g(int x) { return x + 1; }\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    unit = asm.parse(out)
    native = with_cc(args.parse(["-march=native", "-c", "x.c"]), cc)
    generic = with_cc(args.parse(["-c", "x.c"]), cc)
    flags, isa = driver._key_flags(native, cfg, compiler.Lookups())
    host = compiler.expand_march_native(cc, cache_dir=cfg.cache_path)
    assert "-march=native" not in flags and host[0] in flags and host[0].startswith("-march=")
    assert isa == "native:" + " ".join(host)
    assert driver.function_keys(unit, native, cfg)["g"] != driver.function_keys(unit, generic, cfg)["g"]


def test_debug_builds_hit_without_the_preprocessor(builds, tmp_path: Path) -> None:
    (tmp_path / "w.c").write_text(WARN_C.replace("    int unused;\n", ""))
    cmd = [str(builds.llmcc), "-g", "-O2", "-c", "w.c", "-o", "w.o"]
    subprocess.run(cmd, cwd=tmp_path, env=builds.env, check=True)
    first = (tmp_path / "w.o").read_bytes()
    (tmp_path / "w.o").unlink()
    subprocess.run(cmd, cwd=tmp_path, env=builds.env, check=True)
    assert (tmp_path / "w.o").read_bytes() == first
    c = builds.counters()
    assert c["direct.hit"] == 1 and c["object.hit"] == 1  # -g's working-directory line is no header
