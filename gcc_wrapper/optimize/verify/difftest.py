"""Differential testing of one function: the candidate against the original, input by input.

    run(ctx, cand_obj, *, binding, budget) -> Outcome

Per original function (cached in memory and on disk): the prototype (source.py), the Signature
and inputs (inputs.py), the harness build (harness.py), and a self-test that runs the original
against itself — it must be deterministic and behave on enough inputs, else the function is
reported as not testable this way. Per candidate: link, run every input in one sandboxed process,
and turn the harness's report into a Check and a counterexample.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from gcc_wrapper.optimize.candidate import Check, Context
from gcc_wrapper.optimize.verify import harness, inputs, sandbox
from gcc_wrapper.optimize.verify.static import assemble

N_INPUTS = 1200  # edge cases first, then random
NDET = 100  # inputs on which the self-test runs the original twice
MIN_RAN = 30  # inputs the original must survive for the test to mean something
SEED = 1
BASE_TIMEOUT = 0.1  # seconds per call of the original
CAND_FACTOR = 20.0  # a candidate call may take this many times the original's...
CAND_MIN = 0.05  # ...or this many seconds, whichever is more, before it counts as a hang
RUN_TIMEOUT = 60.0
MEMORY = 1 << 30  # address space of the harness, beside what it reserves for lazily committed buffers

ABI_BITS = {
    1: "rbx not preserved",
    2: "rbp not preserved",
    4: "r12 not preserved",
    8: "r13 not preserved",
    16: "r14 not preserved",
    32: "r15 not preserved",
    64: "rsp not restored",
    128: "direction flag left set",
    256: "MXCSR control bits changed",
    512: "x87 control word changed",
    1024: "wrote the caller's stack frame",
    2048: "left x87/MMX registers in use (no fstp/emms)",
    4096: "called a callback with the stack not 16-byte aligned",
    8192: "passed a callback a narrow integer argument not extended to 32 bits",
    16384: "called a callback with the direction flag set",
}


@dataclass(frozen=True)
class Outcome:
    ran: bool  # False: not testable this way (check.detail says why)
    check: Check
    counterexample: str = ""
    inputs_tried: int = 0
    covered: frozenset = frozenset()  # coverage.Site: blocks of the candidate that ran (when armed)


@dataclass(frozen=True)
class Prepared:
    sig: inputs.Signature
    build: harness.Build
    inputs: tuple[inputs.Input, ...]
    inputs_path: Path
    behaved: int  # inputs on which the original returned


class Untestable(Exception):
    pass


KEEP_PREPARED = 32  # functions kept in memory (a long `llmcc optimize` sees many)
_prepared: OrderedDict[tuple, Prepared | str] = OrderedDict()
_lock = threading.Lock()


def _key(ctx: Context) -> tuple:
    return (ctx.name, ctx.source_path, ctx.cflags, ctx.baseline_asm, ctx.unit_asm, ctx.compiler, ctx.cwd)


def prepare(ctx: Context) -> Prepared:
    key = _key(ctx)
    with _lock:
        got = _prepared.get(key)
        if got is not None:
            _prepared.move_to_end(key)
    if got is None:
        try:
            got = _prepare(ctx)
        except (Untestable, inputs.Untestable, harness.HarnessError) as e:
            got = str(e)
        except _source_error() as e:
            got = f"cannot read the prototype: {e}"
        with _lock:
            _prepared[key] = got
            while len(_prepared) > KEEP_PREPARED:
                _prepared.popitem(last=False)
    if isinstance(got, str):
        raise Untestable(got)
    return got


def _source_error():
    from gcc_wrapper.optimize.source import SourceError

    return SourceError


def _prepare(ctx: Context) -> Prepared:
    from gcc_wrapper.optimize import source

    proto = source.prototype(ctx.source_path, ctx.name, ctx.cflags, ctx.cwd or None)
    sig = inputs.signature(proto)
    b = harness.build(ctx.name, ctx.baseline_asm, ctx.unit_asm, ctx.compiler or "gcc")
    # Buffers sized by their length parameter first; when the original then mostly crashes on
    # lengths of 2 and more, its buffers are sized otherwise: try the product (n*n, m*n).
    tried, best = [], None
    for sizing in ("linear", "product") if inputs.sizing_lengths(sig) else ("linear",):
        xs = inputs.generate(sig, N_INPUTS, SEED, sizing)
        result = _self_tested(b, sig, xs, sizing)
        if "untestable" in result:
            raise Untestable(result["untestable"])
        skip = set(result["skip"])
        kept = [x for i, x in enumerate(xs) if i not in skip]
        useful = _meaningful(sig, kept)
        tried.append(f"{useful} with buffers of {'n' if sizing == 'linear' else 'the product of the lengths'} elements")
        if best is None or useful > best[0]:
            best = (useful, kept, result)
        if result["behaved"] >= N_INPUTS // 2:
            break
    assert best is not None
    useful, kept, result = best
    if useful < MIN_RAN:
        raise Untestable(
            f"the original crashed or hung on most generated inputs (inputs it survived with every length >= 2: "
            f"{'; '.join(tried)}); its inputs are not modelled well enough"
        )
    # Candidates do not get the inputs the original itself crashed or hung on: they would only
    # cost time (a hang is the time limit, every time).
    path = _write_inputs(Path(result["dir"]) / "inputs.bin", sig, kept, 0)
    return Prepared(sig, b, tuple(kept), path, result["behaved"])


def _meaningful(sig: inputs.Signature, kept: list[inputs.Input]) -> int:
    """Inputs the original survived that say something: with every buffer-sizing length >= 2 and
    no NULL pointer (an original that only survives n = 0 and 1, or NULL, is not being tested)."""
    lengths = inputs.sizing_lengths(sig)
    pointers = [j for j, a in enumerate(sig.args) if a.kind in ("buffer", "string", "callback")]
    return sum(
        all(int(x.values[j]) >= 2 for j in lengths) and all(x.values[j] is not None for j in pointers) for x in kept
    )


def _self_tested(b: harness.Build, sig: inputs.Signature, xs: list[inputs.Input], sizing: str) -> dict:
    """The self-test's findings, from disk when another process already ran it. Inputs and
    findings depend on the signature too (the same assembly can be int f(int) or unsigned
    f(unsigned))."""
    sd = b.dir / ("inputs-" + harness._digest(repr(sig), sizing, str(N_INPUTS), str(SEED), str(NDET), str(MIN_RAN)))
    sd.mkdir(exist_ok=True)
    found = sd / "selftest.json"
    if found.exists():
        result = json.loads(found.read_text())
    else:
        result = _self_test(b, sig, xs, sd)
        if not result.pop("transient", False):  # a timeout on a loaded machine is not a finding
            tmp = sd / f".selftest.json.{os.getpid()}.{threading.get_ident()}"
            tmp.write_text(json.dumps(result))
            tmp.replace(found)
    return {**result, "dir": str(sd)}


def _self_test(b: harness.Build, sig: inputs.Signature, xs: list[inputs.Input], sd: Path) -> dict:
    """The original against itself on every input: {"behaved", "skip"} or {"untestable": why}."""
    # Private to this self-test: another process may run the same one at once, and each removes
    # its own file when done.
    mine = f"{os.getpid()}.{threading.get_ident()}"
    everything = _write_inputs(sd / f"inputs.all.{mine}.bin", sig, xs, NDET)
    exe = sd / f"selftest.{mine}"  # threads may prepare at once
    err = harness.link(b, exe, None)
    if err:
        return {"untestable": f"the harness does not link with the original: {err}", "transient": True}
    try:
        r = _run(exe, everything, RUN_TIMEOUT, xs)
    finally:
        exe.unlink(missing_ok=True)
        everything.unlink(missing_ok=True)  # only the self-test reads it: keep the disk small
    lines = r.stdout.decode(errors="replace").strip().splitlines()
    line = lines[-1:] or [""]
    words = line[0].split()
    if r.returncode == 3 and words[:1] == ["NONDET"]:
        return {
            "untestable": f"the original is nondeterministic: two runs on input {words[1]} differ ({' '.join(words[2:4])})"
        }
    if r.returncode != 0 or words[:1] != ["DONE"]:
        return {
            "untestable": f"the original cannot be run in the harness ({r.describe()}: {line[0][:200]} "
            f"{r.stderr.decode(errors='replace')[:200]})",
            "transient": True,
        }
    behaved = int(words[1])
    return {"behaved": behaved, "skip": [int(ln.split()[1]) for ln in lines if ln.startswith("SKIP ")]}


def _write_inputs(path: Path, sig: inputs.Signature, xs: list[inputs.Input], ndet: int) -> Path:
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(
            inputs.encode(sig, xs, ndet=ndet, base_timeout=BASE_TIMEOUT, cand_factor=CAND_FACTOR, cand_min=CAND_MIN)
        )
        tmp.replace(path)
    return path


def _run(
    exe: Path, inputs_path: Path, timeout: float, xs, coverage_file: str = "", cpu: tuple[str, ...] = ()
) -> sandbox.SandboxResult:
    # The lazily committed buffers of xs are address space the harness reserves, not memory: it
    # commits at most a few thousand of their pages per call and returns them after it.
    # coverage_file: the coverage offsets, which the harness reads before it confines itself
    # ("-": none); cpu: the words of the CPU model to test under (harness_main.c).
    args = [str(exe), str(inputs_path)]
    if coverage_file or cpu:
        args += [coverage_file or "-", *cpu]
    reads = (exe, inputs_path, coverage_file) if coverage_file else (exe, inputs_path)
    return sandbox.run(
        args,
        cwd=None,
        timeout=timeout,
        cpu_seconds=timeout,
        memory_bytes=MEMORY + inputs.lazy_span(list(xs)),
        reads=reads,
    )


def run(ctx: Context, cand_obj: Path, *, binding: str, budget: float | None = None, arming=None) -> Outcome:
    """Test the assembled candidate (cand_obj, as static checking produced it). arming
    (coverage.Arming): also report which of the candidate's blocks ran (Outcome.covered)."""
    try:
        p = prepare(ctx)
        if not all(f.exists() for f in (p.inputs_path, p.build.cand_fnptr, *p.build.objects)):
            # another process pruned this build from disk: make it again
            with _lock:
                _prepared.pop(_key(ctx), None)
            p = prepare(ctx)
    except Untestable as e:
        return Outcome(False, Check("difftest", True, f"not testable this way: {e}"))
    try:
        os.utime(p.build.dir)  # recently used: pruned last
    except OSError:
        pass
    obj = cand_obj
    if binding == "LOCAL":  # a static function: the harness needs to see its symbol
        obj = cand_obj.with_name("cand_global.o")
        err = assemble(cand_obj.with_suffix(".s").read_text() + f"\n\t.globl {ctx.name}\n", obj, None)
        if err:
            return Outcome(True, Check("difftest", False, f"does not assemble: {err}"))
    exe = cand_obj.with_name("difftest")
    link_map = cand_obj.with_name("difftest.map")
    extra = (f"-Wl,-Map={link_map}",) if arming is not None and arming.needs_map() else ()
    err = harness.link(p.build, exe, obj, extra)
    if err and not all(f.exists() for f in p.build.objects):  # pruned meanwhile by another process
        with _lock:
            _prepared.pop(_key(ctx), None)
        try:
            p = prepare(ctx)
        except Untestable as e:
            return Outcome(False, Check("difftest", True, f"not testable this way: {e}"))
        err = harness.link(p.build, exe, obj, extra)
    if err:
        return Outcome(True, Check("difftest", False, f"does not link: {err}"))
    cov_file = ""
    if arming is not None:
        from gcc_wrapper.optimize.verify import coverage

        try:
            placed = coverage.section_addresses(link_map.read_text(), obj) if extra else None
            cov_file = str(arming.offsets_file(cand_obj.with_name("coverage.txt"), placed))
        except (OSError, ValueError) as e:
            return Outcome(True, Check("difftest", False, f"cannot place the candidate's blocks for coverage: {e}"))
    # A candidate that dispatches on the CPU runs once per CPU model (optimize/dispatch.py); what
    # coverage saw is the union over the runs
    from gcc_wrapper.optimize import dispatch

    models: list = [None]
    text = cand_obj.with_suffix(".s").read_text()
    if dispatch.mentions(text):
        got = dispatch.cpu_models(ctx, text)
        if isinstance(got, str):
            return Outcome(True, Check("difftest", False, f"cannot set up the CPU models to test it under: {got}"))
        models = got
    timeout = RUN_TIMEOUT if budget is None else max(5.0, min(RUN_TIMEOUT, budget / len(models)))
    covered: frozenset = frozenset()
    for model in models:
        o = _outcome(p, exe, timeout, model, cov_file, arming)
        if not o.check.passed:
            return o
        covered |= o.covered
    if models[0] is not None:
        detail = f"{o.check.detail}; the same under each CPU model: {', '.join(m.label for m in models)}"
        o = Outcome(True, Check("difftest", True, detail), "", o.inputs_tried)
    return replace(o, covered=covered)


def _outcome(p: Prepared, exe: Path, timeout: float, model, cov_file: str, arming) -> Outcome:
    """One harness run of the linked candidate (under one CPU model, for a dispatched one)."""
    r = _run(exe, p.inputs_path, timeout, p.inputs, cov_file, tuple(model.args()) if model else ())
    under = f" under {model.label}" if model else ""
    out = r.stdout.decode(errors="replace").strip().splitlines()
    words = out[-1].split() if out else []
    if r.returncode == 0 and words[:1] == ["DONE"]:
        ran = int(words[1])
        dropped = N_INPUTS - len(p.inputs) + int(words[2])
        covered = frozenset()
        if arming is not None:
            from gcc_wrapper.optimize.verify import coverage

            covered = coverage.covered("\n".join(out), arming.sites)
        return Outcome(
            True,
            Check(
                "difftest",
                True,
                f"same results as the original on {ran} inputs ({dropped} skipped: the original itself crashed or hung)",
            ),
            "",
            ran,
            covered,
        )
    if r.returncode == 1 and words[:1] == ["MISMATCH"]:
        index = int(words[1])
        x = p.inputs[index]
        what = explain(p.sig, x, words[2:])
        return Outcome(True, Check("difftest", False, what + under), inputs.describe_input(p.sig, x), index + 1)
    # The harness itself died: the original ran cleanly through it in the self-test, so the
    # candidate broke it (smashed the harness's stack or memory beyond what a signal recovers).
    return Outcome(
        True,
        Check(
            "difftest",
            False,
            f"the candidate broke the test harness{under} ({r.describe()}); {r.stderr.decode(errors='replace')[:200].strip()}",
        ),
    )


def _signame(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


def explain(sig: inputs.Signature, x: inputs.Input, w: list[str]) -> str:
    """A harness MISMATCH report (the words after the index) in words."""
    kind = w[0]
    if kind == "status":
        cs, csig = int(w[3]), int(w[4])
        if cs == 2:
            return "the candidate hung (no return within the time limit) where the original returned"
        if cs == 3:
            return (
                f"the candidate touched more than {4 * inputs.LAZY_PAGES} pages of a lazily committed buffer "
                f"({_region_users(sig, x, int(w[5]))}) where the original touched at most {inputs.LAZY_PAGES}"
            )
        if cs == 4 and int(w[5]) < 0:
            return (
                f"the candidate wrote to global {w[7]} (byte {w[6]}), which the original only reads on this input, "
                f"even if it restored it before returning"
            )
        if cs == 4:
            return _read_only_write(sig, x, int(w[5]), int(w[6]))
        return f"the candidate crashed with {_signame(csig)} where the original returned"
    if kind == "abi":
        bits = int(w[2])
        broken = [v for k, v in ABI_BITS.items() if bits & k]
        return "ABI violation: " + ", ".join(broken)
    if kind in ("call", "calls", "callhash"):
        return _calls(sig, x, w)
    if kind == "return":
        ra, xa, rb, xb = (int(v, 16) for v in w[1:5])
        return f"returned {inputs.describe_return(sig, rb, xb)}, the original returned {inputs.describe_return(sig, ra, xa)}"
    if kind == "region":
        region, rel, start = int(w[1]), int(w[2]), int(w[3])
        base_hex, cand_hex = bytes.fromhex(w[4]), bytes.fromhex(w[5])
        users = _users(sig, x, region)
        size = x.regions[region].nbytes
        if not users:
            return f"memory differs at byte {rel} of region {region}"
        if rel < 0 or rel >= size:
            where = f"{-rel} bytes before" if rel < 0 else f"{rel - size} bytes after the end of"
            return f"wrote memory {where} {users[0][0].name} (the original did not)"
        a, off = max(users, key=lambda u: u[1] if u[1] <= rel else -1)
        index = (rel - off) // a.size
        lo = off + index * a.size - start  # the element's first byte within the reported window
        if 0 <= lo and lo + a.size <= min(len(base_hex), len(cand_hex)):
            got, want = (inputs.format_element(a, h[lo : lo + a.size]) for h in (cand_hex, base_hex))
            return f"{a.name}[{index}] is {got} after the call, {want} after the original"
        if a.layout is not None:
            eo = (rel - off) % a.size
            for f in a.layout.fields:
                if f.offset <= eo < f.offset + f.size * f.count:
                    k = (eo - f.offset) // f.size
                    at = rel - start - (eo - f.offset) % f.size
                    name = f"{a.name}[{index}].{f.path}" + (f"[{k}]" if f.count > 1 else "")
                    if 0 <= at and at + f.size <= min(len(base_hex), len(cand_hex)):
                        got, want = (
                            inputs._fmt_scalar(f.kind, f.size, f.signed, int.from_bytes(h[at : at + f.size], "little"))
                            for h in (cand_hex, base_hex)
                        )
                        return f"{name} is {got} after the call, {want} after the original"
                    return f"{name} differs"
            return f"{a.name}[{index}] differs in its padding (byte {eo})"
        return f"memory of {a.name} differs at byte {rel - off}"
    if kind == "global":
        return f"global {w[1]} differs at byte {w[2]} after the call"
    return "results differ: " + " ".join(w)


def _users(sig: inputs.Signature, x: inputs.Input, region: int) -> list[tuple[inputs.Arg, int]]:
    """The pointer parameters into a region, with their byte offsets in it."""
    return [
        (a, v[1])
        for a, v in zip(sig.args, x.values)
        if a.kind in ("buffer", "string") and v is not None and v[0] == region
    ]


def _region_users(sig: inputs.Signature, x: inputs.Input, region: int) -> str:
    return ", ".join(a.name for a, _ in _users(sig, x, region)) or f"region {region}"


def _read_only_write(sig: inputs.Signature, x: inputs.Input, region: int, rel: int) -> str:
    """The candidate wrote a region mapped read-only: const memory, or memory the original only read."""
    users = _users(sig, x, region)
    if not users or not 0 <= region < len(x.regions):
        return "the candidate wrote memory it may not write"
    size = x.regions[region].nbytes
    a, off = max(users, key=lambda u: u[1] if u[1] <= rel else -1)
    if rel < off or rel >= size:
        where = f"{off - rel} bytes before {a.name}" if rel < off else f"{rel - size} bytes after the end of {a.name}"
    else:
        where = f"{a.name}[{(rel - off) // a.size}]"
        eo = (rel - off) % a.size
        for f in a.layout.fields if a.layout is not None else ():
            if f.offset <= eo < f.offset + f.size * f.count:
                where += f".{f.path}" + (f"[{(eo - f.offset) // f.size}]" if f.count > 1 else "")
    if x.regions[region].const:
        return (
            f"the candidate wrote to memory declared const: {where} ({a.name} points to const), "
            f"even if it restored it before returning"
        )
    return (
        f"the candidate wrote to {where}, which the original only reads on this input "
        f"(a write, even one undone before returning, faults on read-only memory and races with other threads)"
    )


def _calls(sig: inputs.Signature, x: inputs.Input, w: list[str]) -> str:
    """The callbacks were called differently: which call, and how."""
    names = [a.name for a in sig.args if a.kind == "callback"]
    if w[0] == "calls":
        return f"the callbacks ({', '.join(names)}) were called {w[1]} times by the original, {w[2]} times by the candidate"
    if w[0] == "callhash":
        return f"the callbacks ({', '.join(names)}) were called with different arguments after the first {w[1]} calls"
    k = int(w[1])
    want, got = (_describe_call(sig, x, ws) for ws in (w[2], w[3]))
    return f"callback call #{k + 1}: the candidate called {got}, the original {want}"


def _describe_call(sig: inputs.Signature, x: inputs.Input, words: str) -> str:
    """One recorded callback call (the harness's words, in hex) as C would show it."""
    ws = [int(v, 16) for v in words.split(",")]
    cbs = [a for a in sig.args if a.kind == "callback"]
    index = ws[0] & 0xFF
    if index >= len(cbs) or cbs[index].callback is None:
        return words
    cb = cbs[index].callback
    parts, k = [], 1
    for c in cb.args:
        v = ws[k] if k < len(ws) else 0
        k += 1
        if c.kind != "pointer":
            parts.append(inputs._fmt_scalar("int" if c.kind == "bool" else c.kind, c.size, c.signed, v))
            continue
        k += 1  # the digest of the bytes it points to
        if v >> 48 == 0x5AC0:
            parts.append("(a pointer into the caller's stack)")
        elif v >> 48:
            region, off = (v >> 48) - 1, v & 0xFFFFFFFFFFFF
            off -= (off >> 47) << 48  # signed: before the buffer
            users = _users(sig, x, region)
            if users:
                b, base = max(users, key=lambda u: u[1] if u[1] <= off else -1)
                rel = off - base
                parts.append(f"&{b.name}[{rel // b.size}]" if rel % b.size == 0 and rel >= 0 else f"{b.name}+{rel}")
            else:
                parts.append(f"region {region}+{off}")
        else:
            parts.append("NULL" if v == 0 else f"{v:#x}")
    return f"{cbs[index].name}({', '.join(parts)})"
