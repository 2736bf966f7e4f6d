"""The embedded proposer: semantics-preserving gcc variants, chosen per function.

A candidate is what gcc itself makes of the function under another set of flags: the whole
translation unit is compiled with the user's flags plus the variant's (`gcc ... -S`), and the
function's assembly is lifted out of that (asm.Function.text()). No server, no GPU.

The flags come from an allowlist (DIMENSIONS), one choice per dimension. Every entry only changes
how gcc optimizes, never what the program means, and never the instruction set: no flag set adds
-march, -m<extension> or any math-relaxing flag, and `allowed()` re-checks every variant against a
denylist so that a future edit of the table cannot slip one in. (-mtune=native tunes scheduling for
this host without changing which instructions may be used.) The one way to a wider instruction set
is the dispatch dimension (below), whose higher-level bodies run only where the CPU has them.

The "pgo" dimension is profile feedback: `-fprofile-use` with counters from a training run of
the function in measure's harness, on the inputs the timing uses (pgo.py). Its table entry is the
bare flag; the compile gets Profile.use_flags() (the counters' directory and the options that keep
a partial or mismatched profile from failing the compile). Training runs the first time a pgo
variant of a function is compiled, at most once per function; when the harness cannot drive the
function or the training fails, the proposer proposes no pgo variant of it and goes on with the
others. Other dimensions combine with it like any two dimensions (-fprofile-use -funroll-loops).

The "dispatch" dimension is not a flag: its choice names x86-64 levels (x86-64-v3, or v2 to v4),
and the candidate carries the function compiled for each of them (the user's flags, the variant's
other choices, and dispatch.level_flags: -march=LEVEL, -ffp-contract=off so that no body fuses
a multiply-add the baseline rounds twice, -fno-ipa-ra so that gcc clears the upper vector state
before every call) beside the variant's own body, behind a dispatcher that runs the
highest level the CPU supports (dispatch.py composes it; the verifier accepts exactly that
layout). Only levels the build allows (ctx.dispatch: the `dispatch` setting and the build's ISA)
and this host can run (so that differential testing runs every body) are used; a level whose body
is the same as a lower one's is left out, and so is the whole candidate when no level's is
different. -march itself stays out of the table and the denylist stays as it is: no flag set widens
the ISA of code that runs unguarded.

The proposer walks a tree of flag sets: a parent's children add one dimension's choice to the
parent's flags. The search (search.py) decides which node to expand; the proposer is told the
parent through the feedback (its last item, whose candidate carries meta["flags"]).

A variant is dropped, not proposed, when:
  - the function is not in the variant's output (inlined away or renamed),
  - it references a symbol that neither the baseline unit has nor the candidate carries (e.g. a
    clone `bar.part.0` or a new `memset` call that the baseline never made),
  - its normalized assembly equals the baseline's or an earlier candidate's.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import tempfile
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gcc_wrapper.optimize.candidate import Candidate, Context, Feedback

# (dimension, choices); "" means "leave gcc's default". Each choice is a string of flags, but
# dispatch's: levels, see DISPATCH below.
DIMENSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dispatch", ("x86-64-v3", "x86-64-v2 x86-64-v3 x86-64-v4")),
    ("pgo", ("-fprofile-use",)),  # with the counters of a training run: see PGO below
    (
        "unroll",
        (
            "-funroll-loops",
            "-funroll-all-loops",
            "-funroll-loops --param=max-unroll-times=2",
            "-funroll-loops --param=max-unroll-times=4",
            "-fno-unroll-loops -fno-peel-loops",
        ),
    ),
    (
        "vectorize",
        (
            "-fno-tree-vectorize",
            "-fvect-cost-model=cheap",
            "-fvect-cost-model=dynamic",
            "-fvect-cost-model=unlimited",
            "-fno-tree-slp-vectorize",
        ),
    ),
    ("level", ("-O2",)),
    (
        "align",
        (
            "-falign-loops=32",
            "-falign-loops=64",
            "-falign-functions=64 -falign-jumps=16",
            "-fno-align-loops -fno-align-jumps",
        ),
    ),
    (
        "branches",
        ("-fno-if-conversion -fno-if-conversion2", "-fno-tree-loop-if-convert", "-fno-guess-branch-probability"),
    ),
    ("schedule", ("-fschedule-insns -fsched-pressure", "-fno-schedule-insns2")),
    (
        "loops",
        (
            "-ftree-loop-distribution",
            "-fno-tree-loop-distribute-patterns",
            "-fno-split-loops -fno-unswitch-loops",
            "-fno-ivopts",
            "-fno-tree-pre",
        ),
    ),
    ("tune", ("-mtune=native",)),
)

# The table's pgo choice: the flag a variant's label carries, expanded at compile time
PGO = "-fprofile-use"
# The dimension whose choices are x86-64 levels to dispatch to, not flags
DISPATCH = "dispatch"

# Never, whatever the table says: these change results (math relaxations, undefined-behaviour
# semantics, visibility) or the instruction set, or make the candidate compile instrument code
# (profile generation, coverage) or read a profile other than the proposer's own training run's
# (AutoFDO).
_DENY = re.compile(
    r"^(-Ofast|-ffast-math|-funsafe-math-optimizations|-fassociative-math|-freciprocal-math"
    r"|-ffinite-math-only|-fno-signed-zeros|-fno-trapping-math|-fno-math-errno|-fcx-limited-range"
    r"|-fwrapv|-ftrapv|-fno-strict-overflow|-fallow-store-data-races|-march=.*|-mcpu=.*"
    r"|-m(?!tune=)(?!no-)[a-z0-9].*|-fwhole-program|-flto.*|-fvisibility=.*|-fprofile-generate.*"
    r"|-fprofile-arcs|-ftest-coverage|--coverage|-fprofile-update=.*|-fauto-profile.*|-fprofile-use=.*"
    r"|-fprofile-dir=.*|-finstrument-functions.*|-pg|-p)$"
)


def allowed(flags: Sequence[str]) -> bool:
    """Whether a variant's flags (as the table spells them: the bare -fprofile-use, whose
    directory only the proposer's own training supplies) stay clear of the denylist."""
    return not any(_DENY.match(f) for f in flags)


@dataclass(frozen=True)
class Variant:
    """A flag set: at most one choice per dimension, in DIMENSIONS order."""

    choices: tuple[tuple[str, str], ...]  # (dimension, choice)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(w for d, c in self.choices if d != DISPATCH for w in c.split())

    @property
    def dispatch(self) -> tuple[str, ...]:
        """The levels it dispatches to (the choice's, before the build and host filter them)."""
        return tuple(w for d, c in self.choices if d == DISPATCH for w in c.split())

    def label(self) -> str:
        levels = f"dispatch={','.join(self.dispatch)}" if self.dispatch else ""
        return " ".join([*self.flags, *([levels] if levels else [])]) or "(gcc's own)"

    def with_choice(self, dim: str, choice: str) -> Variant:
        order = [d for d, _ in DIMENSIONS]
        ch = dict(self.choices)
        ch[dim] = choice
        return Variant(tuple(sorted(ch.items(), key=lambda kv: order.index(kv[0]))))


class EmbeddedProposer:
    name = "embedded"

    def __init__(self, cfg=None, *, seed: int = 0, deadline: float | None = None):
        self.cfg = cfg
        self.seed = seed
        # the search sets this (time.monotonic() value): no compile starts after it, and a
        # running one is killed at it
        self.deadline = deadline
        self._units: dict[tuple[str, tuple[str, ...]], object] = {}  # (source, flags) -> Unit | str
        self._tried: dict[str, set[Variant]] = {}  # ctx.key -> variants compiled
        self._seen: dict[str, set[str]] = {}  # ctx.key -> normalized asm already proposed (+ baseline)
        # ctx.key -> its training's profile, or why there is none (never trained twice)
        self._profiles: dict[str, object] = {}
        self._pgo_dir: str | None = None  # the profiles' directory, made on the first training
        self.compiles = 0
        self.trainings = 0

    # -- the Proposer protocol -----------------------------------------------------------------

    def propose(self, ctx: Context, feedback: Sequence[Feedback], n: int) -> list[Candidate]:
        from gcc_wrapper.compile import asm

        ident = ctx.key or f"{ctx.source_path}:{ctx.name}"
        tried = self._tried.setdefault(ident, set())
        seen = self._seen.get(ident)
        if seen is None:
            try:
                seen = {asm.parse_function(ctx.baseline_asm, ctx.name).normalized()}
            except asm.AsmError:
                seen = set()
            self._seen[ident] = seen
        parent = Variant(())
        if feedback:
            flags = feedback[-1].candidate.meta.get("variant")
            if isinstance(flags, Variant):
                parent = flags
        out: list[Candidate] = []
        for variant in self._children(parent, ident, self._levels(ctx)):
            if len(out) >= n or self._out_of_time():
                break
            if variant in tried:
                continue
            tried.add(variant)
            cand = self._candidate(ctx, variant, seen, ident)
            if cand is not None:
                out.append(cand)
        return out

    # -- internals -------------------------------------------------------------------------------

    def _children(self, parent: Variant, ident: str, levels: tuple[str, ...]) -> list[Variant]:
        used = {d for d, _ in parent.choices}
        if not levels:
            used.add(DISPATCH)
        kids = [parent.with_choice(d, c) for d, choices in DIMENSIONS if d not in used for c in choices]
        # a fixed order per function (reproducible), different between functions
        rng = random.Random(f"{self.seed}:{ident}:{parent.label()}")
        rng.shuffle(kids)
        if not parent.choices:
            # the choices that most often pay off first: a wider ISA behind the dispatcher, profile
            # feedback, then unrolling and vectorizer cost models; one of each kind before a
            # second dispatch choice, for a function timed on the whole program has time for few
            first = {DISPATCH: 0, "pgo": 1, "unroll": 3, "vectorize": 3}

            def rank(v: Variant) -> float:
                dim, choice = v.choices[0]
                return first.get(dim, 4) + (1.5 if dim == DISPATCH and len(choice.split()) > 1 else 0)

            kids.sort(key=rank)
        return kids

    def _levels(self, ctx: Context) -> tuple[str, ...]:
        """The levels a candidate of ctx may dispatch to: those the build allows and this host
        runs (differential testing must run every body)."""
        if not ctx.dispatch:
            return ()
        from gcc_wrapper.optimize import dispatch

        here = dispatch.host(ctx.compiler or "gcc")
        if isinstance(here, str):
            return ()
        return tuple(lvl for lvl in ctx.dispatch if lvl in here.levels)

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline - 0.5

    def _candidate(self, ctx: Context, variant: Variant, seen: set[str], ident: str) -> Candidate | None:
        from gcc_wrapper.compile import asm
        from gcc_wrapper.optimize import pgo

        flags = variant.flags
        if not allowed(flags):
            return None
        gcc_flags, cwd, env = flags, ctx.cwd or None, None
        if PGO in flags:
            profile = self._profile(ctx, ident)
            if not isinstance(profile, pgo.Profile):
                return None
            gcc_flags = tuple(w for f in flags for w in (profile.use_flags() if f == PGO else (f,)))
            cwd, env = profile.cwd, pgo.compile_env()  # where and how the counters were named
        text = self._function(ctx, gcc_flags, cwd, env)
        if text is None:
            return None
        levels: tuple[str, ...] = ()
        if variant.dispatch:
            text, levels = self._dispatched(ctx, text, variant, gcc_flags, cwd, env)
            if not levels:
                return None
        try:
            norm = asm.parse_function(text, ctx.name).normalized()
        except asm.AsmError:
            return None
        if norm in seen:
            return None
        seen.add(norm)
        return Candidate(
            asm=text,
            proposer="embedded:" + (" ".join([*flags, f"dispatch={','.join(levels)}"]) if levels else variant.label()),
            origin=" ".join(flags),
            meta={"variant": variant, "flags": list(flags), "gcc_flags": list(gcc_flags), "dispatch": list(levels)},
        )

    def _function(self, ctx: Context, gcc_flags: tuple[str, ...], cwd, env) -> str | None:
        """ctx's function as gcc compiles its unit with gcc_flags (standalone text), or None when
        it is not there or refers to what the baseline unit does not have."""
        from gcc_wrapper.compile import asm

        unit = self._compile(ctx, gcc_flags, cwd=cwd, env=env)
        if not isinstance(unit, asm.Unit):
            return None
        fn = unit.functions.get(ctx.name)
        if fn is None:
            return None
        text = fn.text()
        return text if refs_within(text, ctx.unit_asm) else None

    def _dispatched(
        self, ctx: Context, base: str, variant: Variant, gcc_flags: tuple[str, ...], cwd, env
    ) -> tuple[str, tuple[str, ...]]:
        """The dispatched candidate of `variant` around its baseline body `base`, and its levels;
        no levels when there is nothing to dispatch to (no level allowed here, or every level's
        body is the same as a lower one's)."""
        from gcc_wrapper.compile import asm
        from gcc_wrapper.optimize import dispatch

        t = dispatch.template(ctx.compiler or "gcc")
        allowed = self._levels(ctx)
        if isinstance(t, str) or not allowed:
            return base, ()
        try:
            last = asm.parse_function(base, ctx.name).normalized()
        except asm.AsmError:
            return base, ()
        bodies: dict[str, str] = {}
        for lvl in sorted((lvl for lvl in variant.dispatch if lvl in allowed), key=dispatch.DISPATCH_LEVELS.index):
            if self._out_of_time():
                return base, ()
            text = self._function(ctx, (*gcc_flags, *dispatch.level_flags(lvl)), cwd, env)
            if text is None:
                continue
            try:
                norm = asm.parse_function(text, ctx.name).normalized()
            except asm.AsmError:
                continue
            if norm != last:  # the same code as the level below: that one covers more CPUs
                bodies[lvl] = text
                last = norm
        if not bodies:
            return base, ()
        try:
            return dispatch.compose(ctx.name, base, bodies, t), tuple(bodies)
        except dispatch.NotComposable:
            return base, ()

    def _profile(self, ctx: Context, ident: str):
        """ctx's training profile (pgo.Profile), trained now if it has not been, or why there is
        none (a string). Only the current function's counters are kept on disk."""
        from gcc_wrapper.optimize import pgo

        got = self._profiles.get(ident)
        if got is not None:
            return got
        if self._pgo_dir is None:
            self._pgo_dir = tempfile.mkdtemp(prefix="llmcc-pgo-")
            weakref.finalize(self, shutil.rmtree, self._pgo_dir, True)
        for other, prof in list(self._profiles.items()):
            if isinstance(prof, pgo.Profile):
                shutil.rmtree(prof.dir, ignore_errors=True)
                self._profiles[other] = "counters discarded for another function's"
        where = Path(tempfile.mkdtemp(dir=self._pgo_dir))
        recorded = None
        if self.cfg is not None:
            from gcc_wrapper.optimize import hot

            # the calls `llmcc profile` recorded, which the measurement will time it on too
            recorded = hot.recorded_calls(Path(self.cfg.cache_path), ctx.cwd or None, ctx.name)
        self.trainings += 1
        try:
            got = pgo.train(ctx, where, deadline=self.deadline, recorded=recorded)
        except pgo.TrainingError as e:
            shutil.rmtree(where, ignore_errors=True)
            got = f"no profile: {e}"
        self._profiles[ident] = got
        return got

    def _compile(self, ctx: Context, flags: tuple[str, ...], *, cwd: str | None = None, env: dict | None = None):
        from gcc_wrapper.compile import asm

        k = (ctx.source_path, tuple(ctx.cflags) + flags)
        if k in self._units:
            return self._units[k]
        if any(src != ctx.source_path for src, _ in self._units):
            # one proposer works a whole queue (`llmcc optimize`): keep only the current file's units
            self._units = {u: v for u, v in self._units.items() if u[0] == ctx.source_path}
        cmd = [ctx.compiler, *ctx.cflags, *flags, "-w", "-S", "-o", "-", ctx.source_path]
        timeout = 60.0
        if self.deadline is not None:
            timeout = max(0.1, self.deadline - time.monotonic())
        self.compiles += 1
        try:
            p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False)
        except (subprocess.TimeoutExpired, OSError) as e:
            return f"gcc: {e}"  # a timeout is not remembered as a result: not stored below
        if p.returncode != 0:
            result: object = f"gcc failed: {p.stderr.decode(errors='replace')[-300:]}"
        else:
            try:
                result = asm.parse(p.stdout.decode("utf-8", "surrogateescape"))
            except asm.AsmError as e:
                result = f"unparseable: {e}"
        self._units[k] = result
        return result


_DEF = re.compile(r"^\s*([^\s:#]+):", re.MULTILINE)
_SYM = re.compile(r"(?<![\w.$%])([A-Za-z_][\w.$]*)(?:@[A-Za-z]+)?")
_SET = re.compile(r"^\s*\.set\s+([\w.$]+)\s*,", re.MULTILINE)
_LOCAL_CONST = re.compile(r"(?<![\w.$])(\.LC\d+)")
_NOT_SYMBOLS = {"rip", "st", "byte", "word", "dword", "qword", "ptr"}


def referenced_symbols(text: str) -> set[str]:
    """Symbols the instructions and data directives of `text` refer to (not local .L labels)."""
    refs: set[str] = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.endswith(":"):
            continue
        if line.startswith("."):
            d = line.split(None, 1)
            if d[0] not in (".quad", ".long", ".value", ".word", ".byte", ".8byte", ".4byte") or len(d) < 2:
                continue
            operands = d[1]
        else:
            parts = line.split(None, 1)
            if len(parts) < 2:
                continue
            operands = parts[1]
        refs.update(m.group(1) for m in _SYM.finditer(operands))
    return refs - _NOT_SYMBOLS


def refs_within(cand_text: str, unit_text: str) -> bool:
    """Whether every symbol the candidate refers to is defined by the candidate itself or appears
    in the baseline unit (defined there, or already referenced there)."""
    own = set(_DEF.findall(cand_text)) | set(_SET.findall(cand_text))
    if set(_LOCAL_CONST.findall(cand_text)) - own:
        return False  # a constant it uses but does not carry
    need = referenced_symbols(cand_text) - own
    if not need:
        return True
    unit_syms = set(_DEF.findall(unit_text)) | referenced_symbols(unit_text)
    return need <= unit_syms
