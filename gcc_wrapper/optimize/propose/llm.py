"""The model proposer: candidates for one function from a model behind an OpenAI-compatible server
(vLLM), through gcc_wrapper.optimize.propose.model_client.

Each call to propose() sends one request with n samples (best-of-N; vLLM shares the prompt's
prefix across them). Without feedback it sends the first prompt; with feedback it refines the last
candidate given, showing its result and a line for each earlier try. The search (part 4) decides
which candidate to refine next (UCT over the tree of rewrites) and passes the path to it as feedback.

Model output is hostile input. A reply that is cut by max_tokens, has no ```assembly block, defines
another symbol, or does not parse comes back as a Candidate with meta["error"] set ("truncated",
"not assembly", "wrong symbol") so the search records it as rejected with that reason. Usable
replies are re-rendered in gcc's layout by asm.parse_function; verification does the rest.

It never raises for a server problem: a dead server (after one quick retry), a prompt that does not
fit the model's context, or 429/5xx after bounded retries mean no candidates ([]); the reason is
counted in the cache statistics as llm.<reason>. Budget: at most `max_samples` samples per function
(LLMCC_LLM_SAMPLES, default 32), on top of the search's seconds.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Sequence

from gcc_wrapper.optimize.candidate import Candidate, Context, Feedback
from gcc_wrapper.optimize.propose import model_client as clientmod
from gcc_wrapper.optimize.propose import prompts

_LABEL = re.compile(r"^[ \t]*([A-Za-z_.$][\w.$@]*)[ \t]*:", re.M)
_SYMDIR = re.compile(
    r"^[ \t]*\.(?:globl|global|weak|type|size|local|comm|lcomm|set|equ)[ \t]+([A-Za-z_.$][\w.$@]*)", re.M
)


def defined_symbols(asm_text: str) -> set[str]:
    """Non-local symbols the text defines or declares (labels and symbol directives; .L labels and
    numeric local labels excluded)."""
    names = {m.group(1) for m in _LABEL.finditer(asm_text)} | {m.group(1) for m in _SYMDIR.finditer(asm_text)}
    return {n for n in names if not n.startswith(".L") and not n.isdigit()}


_stats: dict[Path, Any] = {}
_stats_lock = threading.Lock()


def _counters(root: Path) -> Any:
    """One statistics shard writer per cache and process, flushed at exit (`llmcc optimize` makes
    a proposer per queued function)."""
    with _stats_lock:
        st = _stats.get(root)
        if st is None:
            import atexit

            from cache.stats import Stats

            st = _stats[root] = Stats(root)
            atexit.register(st.flush)
        return st


class LLMProposer:
    """Implements gcc_wrapper.optimize.propose.Proposer with a model served over HTTP."""

    def __init__(
        self, cfg: Any, cache_root: Path, *, client: clientmod.Client | None = None, max_samples: int | None = None
    ) -> None:
        self.cfg = cfg
        self.cache_root = Path(cache_root)
        self.client = client or clientmod.shared(cfg, self.cache_root)
        self.max_samples = (
            max_samples
            if max_samples is not None
            else int(getattr(cfg, "llm_samples", 0) or clientmod.env_number("LLMCC_LLM_SAMPLES", 32))
        )
        self.name = "llm"
        self.deadline: float | None = None  # time.monotonic() by which propose() must return (set by the search)
        self.stats: dict[str, int] = {}
        self._samples: dict[str, int] = {}
        self._prefetched: dict[str, Future] = {}
        self._sources: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    # ---- availability and statistics ---------------------------------------------------------

    @property
    def available(self) -> bool:
        """False once the server is known to be down and replay cannot stand in for it."""
        return not self.client.down or self.client.replay != "off"

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.stats[what] = self.stats.get(what, 0) + n
        st = _counters(self.cache_root)
        with _stats_lock:  # Stats is not thread-safe; the search may run proposers from threads
            st.bump(f"llm.{what}", n)  # `llmcc stats` shows them as llm.<what>

    # ---- the prompt ----------------------------------------------------------------------------

    def _c_text(self, ctx: Context) -> tuple[str, str]:
        """(C source, prototype): from the Context, else lifted out of the file by pycparser; empty
        when that fails (the prompt then goes without)."""
        k = f"{ctx.source_path}\0{ctx.name}"
        if k in self._sources:
            return self._sources[k]
        c_source, proto = ctx.c_source, ctx.prototype
        if (not c_source or not proto) and ctx.source_path:
            from gcc_wrapper.optimize import source

            cwd = ctx.cwd or None
            try:
                c_source = c_source or source.function_source(ctx.source_path, ctx.name, ctx.cflags, cwd=cwd)
            except Exception:  # pycparser cannot read every C file (extensions, odd headers)
                self._count("no_c_source")
            try:
                proto = proto or source.prototype(ctx.source_path, ctx.name, ctx.cflags, cwd=cwd).text
            except Exception:
                pass
        self._sources[k] = (c_source, proto)
        return c_source, proto

    def _sampling(self, n: int, max_tokens: int) -> clientmod.Sampling:
        seed = int(self.cfg.seed)
        return clientmod.Sampling(
            n=n,
            temperature=float(self.cfg.temperature),
            top_p=float(self.cfg.top_p),
            max_tokens=max_tokens,
            seed=None if seed < 0 else seed,
        )

    def request_for(
        self, ctx: Context, feedback: Sequence[Feedback], n: int, max_model_len: int | None
    ) -> tuple[list[dict[str, str]], clientmod.Sampling] | None:
        """The messages and sampling settings this proposer sends for ctx (None: does not fit).
        The offline batch mode uses it too, so that its replies answer the same prompts."""
        c_source, proto = self._c_text(ctx)
        prompt = prompts.build(
            ctx,
            feedback,
            c_source=c_source,
            prototype=proto,
            max_tokens=int(self.cfg.max_tokens),
            max_model_len=max_model_len,
        )
        if prompt is None:
            self._count("context_too_long")
            return None
        return list(prompt.messages), self._sampling(n, prompt.max_tokens)

    def _request(self, ctx: Context, feedback: Sequence[Feedback], n: int) -> tuple[Future, str] | None:
        try:
            info = self.client.info()
        except clientmod.ClientError as e:
            self._count(e.reason)
            return None
        req = self.request_for(ctx, feedback, n, info.max_model_len)
        if req is None:
            return None
        messages, sampling = req
        return self.client.submit(messages, sampling), clientmod.prompt_hash(messages, sampling)

    def prefetch(self, contexts: Sequence[Context], n: int | None = None) -> None:
        """Send the first-round requests of many functions at once, so that they are in flight
        together; propose(ctx, [], n) then takes the reply. For `llmcc optimize` over a queue."""
        for ctx in contexts:
            k = self._key(ctx)
            if k in self._prefetched or self._remaining(ctx) <= 0:
                continue
            want = min(n or int(self.cfg.n), self._remaining(ctx))
            req = self._request(ctx, [], want)
            if req is not None:
                with self._lock:
                    self._prefetched[k] = req[0]
                    self._samples[k] = self._samples.get(k, 0) + want

    # ---- Proposer ------------------------------------------------------------------------------

    @staticmethod
    def _key(ctx: Context) -> str:
        return ctx.key or f"{ctx.source_path}\0{ctx.name}"

    def _remaining(self, ctx: Context) -> int:
        return self.max_samples - self._samples.get(self._key(ctx), 0)

    def propose(self, ctx: Context, feedback: Sequence[Feedback], n: int) -> list[Candidate]:
        k = self._key(ctx)
        with self._lock:
            fut = self._prefetched.pop(k, None) if not feedback else None
        if fut is None:
            if not self.available:
                return []
            want = min(n if n > 0 else int(self.cfg.n), self._remaining(ctx))
            if want <= 0:
                self._count("budget_exhausted")
                return []
            req = self._request(ctx, feedback, want)
            if req is None:
                return []
            fut = req[0]
            with self._lock:
                self._samples[k] = self._samples.get(k, 0) + want
        wait = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        try:
            reply: clientmod.Reply = fut.result(timeout=wait)
        except FutureTimeout:
            # The search's time is up. The request goes on in the background and its reply is
            # still logged, so a later run (or a replay) can use it.
            self._count("deadline")
            return []
        except clientmod.ClientError as e:
            self._count(e.reason)
            return []
        self._count("replayed" if reply.replayed else "replies")
        parent = feedback[-1].candidate.id if feedback else ""
        return [self._candidate(ctx, reply, i, c, parent) for i, c in enumerate(reply.choices)]

    def _candidate(
        self, ctx: Context, reply: clientmod.Reply, i: int, choice: clientmod.Choice, parent: str
    ) -> Candidate:
        meta: dict[str, Any] = {
            "prompt_hash": reply.prompt_hash,
            "choice": i,
            "finish_reason": choice.finish_reason,
            "replayed": reply.replayed,
            "model": reply.model,
        }
        if parent:
            meta["parent"] = parent
        proposer = f"llm:{reply.model}"
        origin = f"prompt:{reply.prompt_hash}#{i}"
        got = prompts.extract_assembly(choice.text, choice.finish_reason)
        if got.asm is None:
            self._count(f"reply.{got.error.replace(' ', '_')}")
            return Candidate(choice.text, proposer, origin, {**meta, "error": got.error, "detail": got.detail})
        # gcc's own cold part (NAME.cold) is part of the function, as in the baseline shown.
        cold = re.compile(re.escape(ctx.name) + r"\.cold(?:\.\d+)?")
        others = sorted(s for s in defined_symbols(got.asm) - {ctx.name} if not cold.fullmatch(s))
        if ctx.name not in defined_symbols(got.asm) or others:
            self._count("reply.wrong_symbol")
            detail = f"defines {', '.join(others) or 'nothing'}; expected exactly {ctx.name}"
            return Candidate(got.asm, proposer, origin, {**meta, "error": "wrong symbol", "detail": detail})
        from gcc_wrapper.compile import asm

        try:
            fn = asm.parse_function(got.asm, ctx.name)
        except asm.AsmError as e:
            self._count("reply.not_assembly")
            return Candidate(got.asm, proposer, origin, {**meta, "error": "not assembly", "detail": str(e)})
        self._count("reply.usable")
        return Candidate(fn.text(), proposer, origin, meta)
