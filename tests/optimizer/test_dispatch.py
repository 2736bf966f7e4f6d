"""ISA dispatch (gcc_wrapper/optimize/dispatch.py): the template is what gcc emits, the host is
what libgcc says, composition round-trips through the verifier's parser, the proposer makes such
candidates only where the build allows, and the cache keys and settings keep them apart."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gcc_wrapper.compile import args, asm, compiler, config, driver
from gcc_wrapper.optimize import dispatch
from gcc_wrapper.optimize.candidate import Candidate
from gcc_wrapper.optimize.propose.embedded import EmbeddedProposer
from gcc_wrapper.optimize.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "verify"))
from verify_helpers import CORPUS, make_context  # noqa: E402

MIX = (CORPUS / "mix_dispatch_v3" / "src.c").read_text()
ALL = ("x86-64-v2", "x86-64-v3", "x86-64-v4")


def test_the_template_is_what_gcc_emits_for_builtin_cpu_supports(tmp_path):
    t = dispatch.template("gcc")
    assert not isinstance(t, str), t
    assert [x.level for x in t.tests] == list(dispatch.LEVELS)
    src = tmp_path / "s.c"
    src.write_text(
        "".join(
            f'int f{i}(void) {{ return __builtin_cpu_supports("{lvl}"); }}\n' for i, lvl in enumerate(dispatch.LEVELS)
        )
    )
    out = subprocess.run(["gcc", "-O2", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    for i, x in enumerate(t.tests):
        body = out.split(f"f{i}:", 1)[1].split("ret", 1)[0]
        assert f"{dispatch.SYMBOL}@GOTPCREL" in body
        assert re.search(rf"movl\s+{x.offset}\(%rax\), %eax", body) and re.search(rf"andl\s+\${x.mask}, %eax", body)
    assert len({(x.offset, x.mask) for x in t.tests}) == len(t.tests)


def test_the_host_is_what_the_kernel_reports():
    here = dispatch.host("gcc")
    assert not isinstance(here, str), here
    flags = set(next(ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("flags")).split())
    v2 = {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"} <= flags
    v3 = v2 and {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"} <= flags
    v4 = v3 and {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= flags
    assert here.levels == tuple(lvl for lvl, on in zip(ALL, (v2, v3, v4)) if on)


def _texts(src: Path, levels) -> tuple[str, dict[str, str]]:
    def text(extra):
        out = subprocess.run(
            ["gcc", "-O3", *extra, "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True
        ).stdout
        return asm.parse(out).functions["mix"].text()

    return text(()), {lvl: text(dispatch.level_flags(lvl)) for lvl in levels}


def test_composition_parses_back_and_each_body_keeps_its_own_text(tmp_path):
    src = tmp_path / "mix.c"
    src.write_text(MIX)
    t = dispatch.template("gcc")
    base, bodies = _texts(src, ALL)
    text = dispatch.compose("mix", base, bodies, t)
    d = dispatch.parse(text, "mix", t)
    assert isinstance(d, dispatch.Dispatched), d
    assert d.levels == ("x86-64-v4", "x86-64-v3", "x86-64-v2")
    assert d.render(t) == text
    # a body, standalone, is gcc's own function with its local names prefixed: same normalized form
    for p in d.parts:
        own = base if p.level == dispatch.BASELINE else bodies[p.level]
        assert asm.parse_function(d.standalone(p), "mix").normalized() == asm.parse_function(own, "mix").normalized()
    # the function parses as one function of its unit, and replaces gcc's in it
    unit = asm.parse(
        subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    )
    assert dispatch.levels_in(unit.replace("mix", text).functions["mix"].text()) == d.levels


@pytest.mark.parametrize(
    "edit, why",
    [
        (
            lambda s: s.replace("\tjmp\t.Lllmcc_dispatch_v1\n", "\tjmp\t.Lllmcc_dispatch_v3\n", 1),
            "does not match the template",
        ),
        (
            lambda s: s.replace(".Lllmcc_dispatch_v1:\n", ".Lllmcc_dispatch_v1:\n\tvzeroupper\n", 1),
            "does not assemble with -march=x86-64",
        ),
        (lambda s: s + "\tnop\n", "text after"),
        (lambda s: s.replace("\t.section\t.rodata.cst16", '\t.section\t.rodata.cst16,"awx"', 1), ""),
    ],
)
def test_any_departure_from_the_template_is_rejected(tmp_path, edit, why):
    src = tmp_path / "mix.c"
    src.write_text(MIX)
    base, bodies = _texts(src, ("x86-64-v3",))
    text = edit(dispatch.compose("mix", base, bodies, dispatch.template("gcc")))
    v = verify(make_context(src, "mix", dispatch=ALL), Candidate(text, "t"))
    assert v.verdict == "reject", v.reason
    assert v.checks[-1].name in ("static.dispatch", "static.directives"), v.reason
    assert why in v.reason


def test_difftest_runs_every_cpu_model_and_names_the_one_that_differs():
    case = CORPUS / "mix_dispatch_v2_v3"
    v = verify(make_context(case / "src.c", "mix", dispatch=ALL), Candidate((case / "cand.s").read_text(), "t"))
    assert v.accepted, v.reason
    here = dispatch.host("gcc")
    detail = next(c.detail for c in v.checks if c.name == "difftest")
    # each body runs under one CPU model only: coverage is the union of the runs
    assert v.checks[-1].name == "coverage" and v.checks[-1].passed, v.checks[-1].detail
    assert f"this host's CPU model ({here.top(('x86-64-v3', 'x86-64-v2'))} body)" in detail
    assert "baseline forced" in detail
    if here.top(("x86-64-v3", "x86-64-v2")) == "x86-64-v3":
        assert "x86-64-v2 forced" in detail
    for name, model in (
        ("mix_dispatch_v2_body_wrong", "x86-64-v2 forced"),
        ("mix_dispatch_baseline_body_wrong", "baseline forced"),
    ):
        case = CORPUS / name
        v = verify(make_context(case / "src.c", "mix", dispatch=ALL), Candidate((case / "cand.s").read_text(), "t"))
        assert v.verdict == "reject" and v.reason.endswith(
            f"under {model}" + (" (no level bit)" if "baseline" in model else "")
        ), v.reason
        assert v.counterexample.startswith("mix(")


def test_the_proposer_dispatches_only_where_the_build_allows(tmp_path):
    src = tmp_path / "mix.c"
    src.write_text(MIX)
    ctx = make_context(src, "mix", dispatch=ALL)
    first = EmbeddedProposer().propose(ctx, [], 2)
    assert first and first[0].meta["dispatch"], [c.proposer for c in first]
    assert "dispatch=" in first[0].proposer and dispatch.levels_in(first[0].asm)
    assert verify(ctx, first[0]).accepted
    off = EmbeddedProposer().propose(replace(ctx, dispatch=()), [], 40)
    assert off and not any(dispatch.mentions(c.asm) or c.meta.get("dispatch") for c in off)


def _cfg(**env):
    return config.load(environ={f"LLMCC_{k.upper()}": v for k, v in env.items()})


@pytest.mark.parametrize(
    "words, env, levels",
    [
        (["-O2", "-c", "x.c"], {}, ALL),
        (["-O2", "-march=x86-64-v2", "-c", "x.c"], {}, ("x86-64-v3", "x86-64-v4")),
        (["-O2", "-march=x86-64-v4", "-c", "x.c"], {}, ()),
        (["-O2", "-march=x86-64-v3", "-c", "x.c"], {}, ()),  # the build may fuse multiply-adds, a body never does
        (["-O2", "-march=x86-64-v3", "-ffp-contract=off", "-c", "x.c"], {}, ("x86-64-v4",)),
        (["-O2", "-c", "x.c"], {"dispatch": "off"}, ()),
        (["-O2", "-c", "x.c"], {"isa": "native"}, ()),
        (["-O2", "-march=haswell", "-c", "x.c"], {}, ()),
        (["-O2", "-mno-red-zone", "-c", "x.c"], {}, ()),
        (["-O2", "-mavx2", "-c", "x.c"], {}, ()),
        (["-O2", "-ffreestanding", "-c", "x.c"], {}, ()),
        (["-O2", "-m64", "-mtune=native", "-fPIC", "-c", "x.c"], {}, ALL),
    ],
)
def test_which_builds_may_dispatch(tmp_path, monkeypatch, words, env, levels):
    monkeypatch.chdir(tmp_path)
    cfg = _cfg(cache_dir=str(tmp_path / "c"), **env)
    inv = args.parse(words, opt=str(cfg.opt)).replace(cc=shutil.which("gcc"))
    flags, isa = driver._key_flags(inv, cfg, compiler.Lookups())
    from cache.key import split_dispatch_isa

    assert split_dispatch_isa(isa)[1] == levels


def test_the_key_says_whether_rewrites_may_dispatch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "mix.c"
    src.write_text(MIX)
    unit = asm.parse(
        subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    )
    inv = args.parse(["-O3", "-c", "mix.c"], opt="O3")
    keys = {}
    for setting in ("on", "off"):
        cfg = _cfg(cache_dir=str(tmp_path / "c"), dispatch=setting)
        keys[setting] = driver.function_keys(unit, inv.replace(cc=shutil.which("gcc")), cfg)["mix"]
    assert keys["on"] != keys["off"]
    from cache.key import dispatch_isa, function_key, split_dispatch_isa

    assert split_dispatch_isa(dispatch_isa("x86-64", ALL)) == ("x86-64", ALL)
    assert split_dispatch_isa("x86-64") == ("x86-64", ())
    assert dispatch_isa("x86-64", ()) == "x86-64"  # dispatch off: the key is what it was before the setting
    assert function_key("f", "gcc", [], "x86-64") != function_key("f", "gcc", [], dispatch_isa("x86-64", ALL))


def test_the_measurement_times_the_body_this_host_runs(tmp_path):
    """measure's harness links libgcc, whose constructor fills in the CPU model: gdb sees the
    candidate's x86-64-v3 body run there and its baseline body not."""
    from gcc_wrapper.optimize import measure

    case = CORPUS / "mix_dispatch_v3"
    ctx = replace(
        make_context(case / "src.c", "mix", dispatch=ALL),
        prototype="int mix(const int *a, const int *b, int *out, int n)",
    )
    h = measure.build_harness(ctx, Candidate((case / "cand.s").read_text(), "t"), tmp_path, recorded=None)
    dis = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(h.exe)], capture_output=True, text=True, check=True
    ).stdout
    head = dis.split("<__llmcc_c0_mix>:\n", 1)[1].splitlines()[:3]
    start = int(head[0].split(":")[0], 16)
    v3, v1 = (int(re.search(r"\b(?:jne|jmp)\s+([0-9a-f]+)", ln).group(1), 16) - start for ln in head[1:3])

    def reached(offset: int) -> bool:
        r = subprocess.run(
            [
                "gdb",
                "-batch",
                "-nx",
                "-ex",
                "starti",
                "-ex",
                f"break *((char *)&__llmcc_c0_mix + {offset})",
                "-ex",
                "continue",
                "--args",
                str(h.exe),
                str(h.size),
                "1000",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Breakpoint 1," in r.stdout or "exited normally" in r.stdout, r.stdout + r.stderr
        return "Breakpoint 1," in r.stdout

    assert reached(v3) and not reached(v1)


def test_no_body_fuses_a_multiply_add_the_baseline_rounds_twice(tmp_path):
    src = tmp_path / "axpy.c"
    src.write_text(
        "void axpy(double *restrict y, const double *restrict x, double a, int n) {\n"
        "  for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];\n}\n"
    )
    plain = subprocess.run(
        ["gcc", "-O3", "-march=x86-64-v3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True
    ).stdout
    assert "vfmadd" in plain  # what -march alone would do
    ctx = make_context(src, "axpy", dispatch=ALL)
    cands = [c for c in EmbeddedProposer().propose(ctx, [], 2) if c.meta.get("dispatch")]
    assert cands and "x86-64-v3" in cands[0].meta["dispatch"]
    assert "vfmadd" not in cands[0].asm and "ymm" in cands[0].asm


def test_a_queued_function_keeps_the_levels_its_key_allows(tmp_path):
    """The key's isa field travels with the function (UnitJob, the queue) and becomes the Context's
    levels, so what `llmcc optimize` may propose is what the key it stores under says."""
    from cache.key import dispatch_isa

    from gcc_wrapper.optimize import run

    src = tmp_path / "mix.c"
    src.write_text(MIX)
    unit = asm.parse(
        subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True).stdout
    )
    cfg = _cfg(cache_dir=str(tmp_path / "c"))
    for levels in (ALL, ()):
        job = run.UnitJob(str(src), str(tmp_path), "gcc", ("-O3",), ("-O3",), dispatch_isa("x86-64", levels))
        ctx, why = run._context(unit, "mix", "k", job, cfg)
        assert ctx is not None, why
        assert (ctx.isa, ctx.dispatch) == ("x86-64", levels)


MIX_MAIN = """#include <stdio.h>
#include <stdlib.h>
int mix(const int *a, const int *b, int *out, int n);
int main(int argc, char **argv) {
  static int a[300], b[300], out[300];
  int rounds = argc > 1 ? atoi(argv[1]) : 40;
  long t = 0;
  for (int k = 0; k < rounds; k++) {
    for (int i = 0; i < 300; i++) { a[i] = (i * 37 + k * 11) % 401 - 60; b[i] = (i * 13 + k) % 997; }
    t += mix(a, b, out, 17 + (k * 7) % 283);
  }
  printf("%ld\\n", t);
  return 0;
}
"""


def test_recorded_states_replay_every_body_under_its_cpu_model(tmp_path):
    """The states check replays a dispatched candidate under each CPU model, as differential
    testing runs it: a wrong lower body is caught on the recorded calls too, under its model."""
    from gcc_wrapper.optimize.states import record, replay

    shutil.copy(CORPUS / "mix_dispatch_v2_v3" / "src.c", tmp_path / "mix.c")
    (tmp_path / "main.c").write_text(MIX_MAIN)
    subprocess.run(["gcc", "-O3", "-o", "prog", "mix.c", "main.c"], cwd=tmp_path, check=True)
    rec, note = record.record(["./prog"], str(tmp_path), ["mix"], tmp_path / "cache", limits=record.Limits(states=32))
    assert rec is not None and rec.functions["mix"].states >= 8, note
    ctx = make_context(tmp_path / "mix.c", "mix", dispatch=ALL)
    outcomes = {}
    for case in ("mix_dispatch_v2_v3", "mix_dispatch_v2_body_wrong", "mix_dispatch_baseline_body_wrong"):
        d = tmp_path / case
        d.mkdir()
        (d / "cand.s").write_text((CORPUS / case / "cand.s").read_text())
        subprocess.run(["as", "--64", "-o", str(d / "cand.o"), str(d / "cand.s")], check=True)
        outcomes[case] = replay.check(ctx, d / "cand.o", rec)
    good = outcomes["mix_dispatch_v2_v3"]
    assert good.ran and good.check.passed, good.check.detail
    assert "the same under each CPU model" in good.check.detail and "baseline forced" in good.check.detail
    here = dispatch.host("gcc")
    if here.top(("x86-64-v3", "x86-64-v2")) == "x86-64-v3":
        bad = outcomes["mix_dispatch_v2_body_wrong"]
        assert bad.ran and not bad.check.passed and bad.check.detail.endswith("under x86-64-v2 forced"), (
            bad.check.detail
        )
    bad = outcomes["mix_dispatch_baseline_body_wrong"]
    assert bad.ran and not bad.check.passed and "under baseline forced" in bad.check.detail, bad.check.detail


def test_the_workload_runs_a_dispatched_rewrite_in_a_program_without_libgccs_cpu_model(tmp_path, llmcc_bin, llmcc_env):
    """The profiled program does not link libgcc's CPU model (nothing in it dispatches): the
    patched program gets this host's as a constant of the rewrite, and the workload judges it."""
    from gcc_wrapper.optimize import workload

    shutil.copy(CORPUS / "mix_dispatch_v2_v3" / "src.c", tmp_path / "mix.c")
    (tmp_path / "main.c").write_text(MIX_MAIN)
    subprocess.run(["gcc", "-O3", "-o", "prog", "mix.c", "main.c"], cwd=tmp_path, check=True)
    syms = subprocess.run(["nm", "prog"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert dispatch.SYMBOL not in syms
    r = subprocess.run(
        [str(llmcc_bin), "profile", "--", "./prog", "200000"],
        cwd=tmp_path,
        env=llmcc_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    w = workload.find(Path(llmcc_env["LLMCC_CACHE_DIR"]), str(tmp_path))
    assert w is not None
    ctx = replace(make_context(tmp_path / "mix.c", "mix", dispatch=ALL), workload=w.profile)
    judge = workload.judge(ctx)
    check = judge.compare((CORPUS / "mix_dispatch_v2_v3" / "cand.s").read_text())
    assert check.passed, check.detail
    m = judge.time((CORPUS / "mix_dispatch_v2_v3" / "cand.s").read_text(), 3, tmp_path / "lock")
    assert len(m.baseline) == len(m.candidate) >= 3 and m.speedup > 0


# an AVX loop, then a call to a function of the unit that gcc sees leave the vector registers alone
CALLS_OWN = """
__attribute__((noinline)) static int g(int x) { return x * 3 + 1; }
int walk(float *a, const float *b, int n, int r)
{
    int s = 0;
    for (int k = 0; k < r; k++) {
        for (int i = 0; i < n; i++) a[i] = a[i] * 1.5f + b[i];
        s += g(k + (int)a[k % (n > 0 ? n : 1)]);
    }
    return s;
}
"""


def test_an_avx_body_clears_the_upper_state_before_calling_the_units_code(tmp_path):
    src = tmp_path / "walk.c"
    src.write_text(CALLS_OWN)

    def text(extra):
        out = subprocess.run(
            ["gcc", "-O3", *extra, "-S", "-o", "-", str(src)], capture_output=True, text=True, check=True
        ).stdout
        return asm.parse(out).functions["walk"].text()

    t = dispatch.template("gcc")
    ctx = make_context(src, "walk", dispatch=ALL)
    # with interprocedural register allocation gcc leaves the vzeroupper out before `call g`: refused
    ipa = tuple(f for f in dispatch.level_flags("x86-64-v3") if f != "-fno-ipa-ra")
    v = verify(ctx, Candidate(dispatch.compose("walk", text(()), {"x86-64-v3": text(ipa)}, t), "t"))
    assert v.verdict == "reject" and "upper vector state dirty" in v.reason, v.reason
    # the body as the proposer compiles it clears it itself, and is accepted
    body = text(dispatch.level_flags("x86-64-v3"))
    assert re.search(r"\tvzeroupper\n\tcall\tg\n", body), body
    v = verify(ctx, Candidate(dispatch.compose("walk", text(()), {"x86-64-v3": body}, t), "t"))
    assert v.accepted, v.reason
