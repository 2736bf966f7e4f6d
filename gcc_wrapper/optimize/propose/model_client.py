"""A small client for an OpenAI-compatible chat server (vLLM first).

It speaks exactly what llmcc needs: GET /v1/models (the model name and its max_model_len) and
POST /v1/chat/completions with n samples. Requests run on a bounded thread pool that is shared by
every function of one process, so a vLLM server sees many requests at once and batches them.

Failures are classified so that the caller can decide without parsing text:

    ServerDown     -- connection refused, reset or timed out, twice: the server is marked down for
                      the rest of the process and every later request fails fast; the mark is
                      shared through LOG_DIR/down.json with the other compiles for down_ttl seconds
    ContextTooLong -- 400 for context length (both error shapes vLLM has used); skip the function
    ServerError    -- 429/5xx still failing after bounded retries with backoff (the server is then
                      marked down too); or any other error for this one request
    ReplayMiss     -- a ServerDown: no server to ask and nothing recorded for this prompt

https: the server's certificate and name are checked against the system's certificate authorities,
or against `ca_bundle` (a PEM file) when given; a certificate that does not verify is not retried:
the server is marked down at once with a message that says so and what to set. `tls_verify=False`
turns the check off -- and says so on stderr every time a client is made.

Every request and its replies are appended to LOG_DIR/<prompt-hash>.json. The prompt hash covers the
messages and sampling settings but not n or the model (a replay need not know either), and
the record keeps the model of each reply. When the server is down, or replay is forced, identical
prompts are answered from that log in the order they were recorded (see docs/llm.md).

Only the standard library: this module is imported only when a function is being optimized.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import queue
import random
import ssl
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from gcc_wrapper.compile.files import write_atomic

MAX_REPLY_BYTES = 64 << 20  # a server's reply is untrusted input too


class ClientError(Exception):
    """A request that produced no usable reply. `reason` is a short counter-friendly word."""

    reason = "error"


class ServerDown(ClientError):
    reason = "server_down"


class ContextTooLong(ClientError):
    reason = "context_too_long"


class ServerError(ClientError):
    reason = "server_error"


class ReplayMiss(ServerDown):
    """No server to ask (down, or replay only) and no recorded reply for this prompt."""

    reason = "replay_miss"


@dataclass(frozen=True)
class ServerInfo:
    model: str
    max_model_len: int | None  # None when the server does not say (not vLLM)


@dataclass(frozen=True)
class Choice:
    text: str
    finish_reason: str  # "stop" | "length" | ...


@dataclass(frozen=True)
class Reply:
    prompt_hash: str
    model: str
    choices: tuple[Choice, ...]
    usage: dict[str, Any] = field(default_factory=dict, compare=False)
    replayed: bool = False  # answered from the log, not by a server
    seconds: float = 0.0  # wall time of the request (0 for a replay)


@dataclass(frozen=True)
class Sampling:
    n: int = 4
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 4096
    seed: int | None = None

    def body(self) -> dict[str, Any]:
        b: dict[str, Any] = {
            "n": self.n,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            b["seed"] = self.seed
        return b


def prompt_hash(messages: Sequence[dict[str, str]], sampling: Sampling) -> str:
    """Names a prompt in the log. The number of samples is left out: a recorded reply with any
    number of choices answers the same question (the offline batch mode picks its own n)."""
    body = sampling.body()
    del body["n"]
    canon = json.dumps({"messages": list(messages), **body}, sort_keys=True)
    return hashlib.blake2b(canon.encode(), digest_size=16).hexdigest()


def _context_length_error(status: int, payload: Any) -> str | None:
    """The message of a context-length rejection, in either shape vLLM has used:
    {"error": {"message", "type", "code"}} (current) and {"object": "error", "message", ...} (older)."""
    if status != 400 or not isinstance(payload, dict):
        return None
    err = payload.get("error") if isinstance(payload.get("error"), dict) else payload
    msg = str(err.get("message", ""))
    low = msg.lower()
    if (
        "context length" in low
        or "maximum model length" in low
        or "context_length_exceeded" in str(err.get("code", ""))
    ):
        return msg
    return None


def _error_message(payload: Any, raw: bytes) -> str:
    if isinstance(payload, dict):
        err = payload.get("error", payload)
        if isinstance(err, dict):
            return str(err.get("message") or err)
        return str(err)
    return raw[:200].decode("utf-8", "replace")


class Client:
    """One OpenAI-compatible endpoint. Thread-safe; share one per process (see `shared`)."""

    def __init__(
        self,
        server: str,
        *,
        model: str = "",
        api_key: str = "",
        log_dir: Path | None = None,
        concurrency: int = 8,
        timeout: float = 300.0,
        connect_timeout: float = 5.0,
        down_ttl: float = 60.0,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_cap: float = 8.0,
        replay: str = "auto",  # "auto": log when the server is down; "only": never connect; "off"
        ca_bundle: str = "",  # PEM file of the authorities for https (default: the system's store)
        tls_verify: bool = True,
    ) -> None:
        self.server = server.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.log_dir = log_dir
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.down_ttl = down_ttl
        self.max_reply_bytes = max_reply_bytes
        self._down_checked = False
        self.retries = retries
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.replay = replay
        self.down_reason = "" if server or replay == "only" else "no server configured"
        self.stats: dict[str, int] = {}
        self._info: ServerInfo | None = None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._replay_pos: dict[str, int] = {}
        self._conns: list[http.client.HTTPConnection] = []  # every thread's, for close()
        self._pool = _Pool(max(1, concurrency))
        parts = urlsplit(self.server) if server else None
        self._https = bool(parts and parts.scheme == "https")
        self._tls = tls_context(ca_bundle, tls_verify, self.server) if self._https else None
        self._host = (parts.hostname or "127.0.0.1") if parts else ""
        self._port = (parts.port or (443 if self._https else 80)) if parts else 0
        self._base = (parts.path or "").rstrip("/") if parts else ""

    # ---- state -----------------------------------------------------------------------------

    @property
    def down(self) -> bool:
        return bool(self.down_reason)

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.stats[what] = self.stats.get(what, 0) + n

    def _mark_down(self, reason: str) -> None:
        with self._lock:
            first = not self.down_reason
            if first:
                self.down_reason = reason
        self._count("server_down")
        if first and self.log_dir is not None and self.down_ttl > 0:
            # The other compiles of this build learn it too, for down_ttl seconds: a build of a
            # thousand files must not pay a thousand connection timeouts.
            try:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                path = self.log_dir / "down.json"
                known = _load_json(path)
                known[self.server] = {"until": time.time() + self.down_ttl, "reason": reason}
                write_atomic(path, json.dumps(known, indent=1).encode())
            except OSError:
                self._count("log_errors")

    def _check_down_elsewhere(self) -> None:
        self._down_checked = True
        if self.log_dir is None:
            return
        rec = _load_json(self.log_dir / "down.json").get(self.server)
        if isinstance(rec, dict) and float(rec.get("until", 0)) > time.time():
            with self._lock:
                if not self.down_reason:
                    self.down_reason = f"marked down by another compile: {rec.get('reason', '')}"

    # ---- HTTP ------------------------------------------------------------------------------

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._tls is not None:
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, context=self._tls)
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def _drop_conn(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _http(self, method: str, path: str, body: dict | None) -> tuple[int, dict[str, str], bytes]:
        """One exchange on this thread's keep-alive connection. A connection the server closed while
        idle is reopened once; refused/timeout raise OSError to the caller."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        for attempt in (0, 1):
            conn = self._conn()
            reused = conn.sock is not None
            try:
                if conn.sock is None:
                    # A short connect timeout: a host that drops packets must not cost each compile
                    # the whole request timeout. Generation then gets the long one.
                    conn.timeout = self.connect_timeout
                    conn.connect()
                    conn.sock.settimeout(self.timeout)
                conn.request(method, self._base + path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read(self.max_reply_bytes + 1)
                if len(raw) > self.max_reply_bytes:
                    self._drop_conn()  # the rest of the body is still coming: this connection is spent
                    raise ServerError(f"reply larger than {self.max_reply_bytes} bytes")
                if resp.getheader("Connection", "").lower() == "close":
                    self._drop_conn()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self._drop_conn()
                if reused and attempt == 0:
                    continue  # stale keep-alive connection, not a dead server
                raise ConnectionError(str(e)) from e
            except (OSError, http.client.HTTPException):
                self._drop_conn()
                raise
        raise AssertionError("unreachable")

    def _call(self, method: str, path: str, body: dict | None) -> Any:
        """With the retry policy: unreachable -> one quick retry then down; 429/5xx -> bounded
        exponential backoff (Retry-After honoured, capped); 400 context length -> ContextTooLong."""
        if not self._down_checked:
            self._check_down_elsewhere()
        if self.down:
            raise ServerDown(self.down_reason)
        unreachable = 0
        busy = 0
        while True:
            try:
                status, headers, raw = self._http(method, path, body)
            except ssl.SSLError as e:
                # a certificate that does not verify will not verify on a retry either
                self._count("tls_error")
                self._mark_down(_tls_problem(self.server, e))
                raise ServerDown(self.down_reason) from None
            except (OSError, http.client.HTTPException) as e:
                unreachable += 1
                self._count("unreachable")
                if unreachable >= 2:
                    self._mark_down(f"{self.server}: {type(e).__name__}: {e}")
                    raise ServerDown(self.down_reason) from None
                time.sleep(min(0.25, self.backoff))
                continue
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = None
            if 200 <= status < 300:
                if payload is None:
                    raise ServerError(f"{path}: reply is not JSON")
                return payload
            msg = _context_length_error(status, payload)
            if msg is not None:
                self._count("context_too_long")
                raise ContextTooLong(msg)
            if status == 429 or status >= 500:
                busy += 1
                self._count(f"http_{status}")
                if busy > self.retries:
                    # Still failing after the backoff: for this process the server is as good as
                    # down (a build must not wait out every function's retries).
                    msg = f"HTTP {status} after {self.retries} retries: {_error_message(payload, raw)}"
                    self._mark_down(msg)
                    raise ServerError(msg)
                time.sleep(self._delay(busy, headers.get("retry-after")))
                continue
            self._count(f"http_{status}")
            if status in (401, 403, 404):
                # Wrong key or model: every later request would fail the same way.
                self._mark_down(f"HTTP {status}: {_error_message(payload, raw)}")
                raise ServerDown(self.down_reason)
            raise ServerError(f"HTTP {status}: {_error_message(payload, raw)}")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.backoff_cap, max(0.0, float(retry_after)))
            except ValueError:
                pass
        base = min(self.backoff_cap, self.backoff * (2 ** (attempt - 1)))
        return base * (0.5 + random.random() / 2)  # jitter: retries from many threads spread out

    # ---- API -------------------------------------------------------------------------------

    def info(self) -> ServerInfo:
        """The model to use and its context length, from GET /v1/models (once per client)."""
        if self._info is not None:
            return self._info
        if self.replay == "only" or (self.down and self.replay == "auto"):
            self._info = self._recorded_info()
            return self._info
        try:
            payload = self._call("GET", "/models", None)
        except ServerDown:
            if self.replay == "off":
                raise
            self._info = self._recorded_info()
            return self._info
        cards = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(cards, list) or not cards:
            raise ServerError("/v1/models lists no model")
        card = next((c for c in cards if c.get("id") == self.model), None) if self.model else cards[0]
        if card is None:
            self._mark_down(
                f"model {self.model!r} is not served (served: {', '.join(str(c.get('id')) for c in cards)})"
            )
            raise ServerDown(self.down_reason)
        mlen = card.get("max_model_len")
        self._info = ServerInfo(str(card.get("id")), int(mlen) if isinstance(mlen, int) else None)
        self._record_info(self._info)
        return self._info

    # A replay must build the same prompts as the recorded run, and prompt fitting depends on the
    # model's context length: the last /v1/models answer per server is kept next to the log.

    def _record_info(self, info: ServerInfo) -> None:
        if self.log_dir is None:
            return
        try:
            record_server(self.log_dir, self.server, info)
        except OSError:
            self._count("log_errors")

    def _recorded_info(self) -> ServerInfo:
        known = _load_json(self.log_dir / "servers.json") if self.log_dir is not None else {}
        rec = known.get(self.server)
        if rec is None and known and not self.server:
            rec = max(known.values(), key=lambda r: r.get("time", 0))
        if not isinstance(rec, dict):
            return ServerInfo(self.model, None)
        mlen = rec.get("max_model_len")
        return ServerInfo(self.model or str(rec.get("model", "")), mlen if isinstance(mlen, int) else None)

    def chat(self, messages: Sequence[dict[str, str]], sampling: Sampling) -> Reply:
        """n samples for one prompt: from the server, or from the log when replaying."""
        h = prompt_hash(messages, sampling)
        if not self._down_checked and self.replay != "only":
            self._check_down_elsewhere()
        if self.replay == "only" or (self.down and self.replay == "auto"):
            return self._replayed(h)
        try:
            info = self.info()
            body = {"model": info.model, "messages": list(messages), **sampling.body()}
            t0 = time.monotonic()
            payload = self._call("POST", "/chat/completions", body)
            seconds = time.monotonic() - t0
        except ServerDown:
            if self.replay == "auto":
                return self._replayed(h)
            raise
        reply = self._parse(h, payload, info.model, seconds)
        self._count("requests")
        self._record(h, body, payload, seconds)
        return reply

    def submit(self, messages: Sequence[dict[str, str]], sampling: Sampling) -> Future[Reply]:
        """chat() on the shared pool: at most `concurrency` requests in flight."""
        return self._pool.submit(self.chat, list(messages), sampling)

    def close(self, wait: bool = False) -> None:
        """Cancel what has not started; with wait, let the requests in flight finish (and be
        logged). The keep-alive connections are closed either way."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()

    def _parse(self, h: str, payload: Any, model: str, seconds: float, replayed: bool = False) -> Reply:
        try:
            choices = sorted(payload["choices"], key=lambda c: c.get("index", 0))
            out = tuple(
                Choice(str((c.get("message") or {}).get("content") or ""), str(c.get("finish_reason") or "stop"))
                for c in choices
            )
        except (KeyError, TypeError, AttributeError):
            raise ServerError("reply has no choices") from None
        usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else {}
        return Reply(h, str(payload.get("model") or model), out, usage, replayed, seconds)

    # ---- the request/reply log ---------------------------------------------------------------

    def _path(self, h: str) -> Path | None:
        return self.log_dir / f"{h}.json" if self.log_dir is not None else None

    def _record(self, h: str, body: dict, payload: Any, seconds: float) -> None:
        if self.log_dir is None:
            return
        try:
            append_reply(self.log_dir, h, body, payload, seconds, self.server)
        except OSError:
            self._count("log_errors")  # a log we cannot write must not lose the reply

    def _replayed(self, h: str) -> Reply:
        path = self._path(h)
        rec = _load(path) if path is not None else None
        replies = [r for r in (rec or {}).get("replies", []) if not self.model or r.get("model") == self.model]
        with self._lock:
            i = self._replay_pos.get(h, 0)
            self._replay_pos[h] = i + 1
        if i >= len(replies):
            self._count("replay_miss")
            why = f"; server down: {self.down_reason}" if self.down else ""
            raise ReplayMiss(f"no recorded reply #{i + 1} for prompt {h}{why}")
        self._count("replayed")
        r = replies[i]
        return self._parse(h, r["response"], str(r.get("model") or ""), 0.0, replayed=True)

    def recorded(self, h: str) -> dict | None:
        """The log record of one prompt: {"prompt_hash", "request", "replies": [...]}."""
        path = self._path(h)
        return _load(path) if path is not None else None


def tls_context(ca_bundle: str, verify: bool, server: str) -> ssl.SSLContext:
    """The TLS settings of an https client: certificate and name checked against the system's
    authorities, or those of ca_bundle; verify False checks nothing and warns on stderr.
    ValueError names a ca_bundle that cannot be used."""
    try:
        ctx = ssl.create_default_context(cafile=os.path.expanduser(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as e:
        raise ValueError(f"ca_bundle = {ca_bundle!r}: not a readable PEM file of certificates ({e})") from None
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        print(
            f"llmcc: WARNING: tls_verify = false: the certificate of {server} is not checked. Anyone on the "
            "network path can read the prompts (your source code) and answer in the server's name; set "
            "ca_bundle to the server's certificate authority instead.",
            file=sys.stderr,
            flush=True,
        )
    return ctx


def _tls_problem(server: str, e: ssl.SSLError) -> str:
    if isinstance(e, ssl.SSLCertVerificationError):
        return (
            f"{server}: TLS certificate not trusted ({e.verify_message or e.reason}); set ca_bundle to the PEM "
            "file of the authority that signed it (the system's store is used otherwise)"
        )
    return f"{server}: TLS handshake failed ({e.reason or e}); is it an https server?"


class _Pool:
    """A bounded pool of daemon threads. ThreadPoolExecutor joins its workers when the interpreter
    exits, so a request still in flight after the search gave up on it (deadline) would hold the
    compile -- and the build -- for up to the request timeout. Daemon workers are abandoned instead."""

    def __init__(self, workers: int) -> None:
        self._max = workers
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        f: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the client is closed")
            self._tasks.put((f, fn, args))
            if len(self._threads) < self._max:
                t = threading.Thread(target=self._work, name=f"llmcc-llm-{len(self._threads)}", daemon=True)
                self._threads.append(t)
                t.start()
        return f

    def _work(self) -> None:
        while True:
            item = self._tasks.get()
            if item is None:
                return
            f, fn, args = item
            if not f.set_running_or_notify_cancel():
                continue
            try:
                f.set_result(fn(*args))
            except BaseException as e:  # delivered to whoever waits on the future
                f.set_exception(e)

    def shutdown(self, wait: bool = False, cancel_futures: bool = True) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._tasks.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in threads:
            self._tasks.put(None)
        if wait:
            for t in threads:
                t.join()


def append_reply(log_dir: Path, h: str, body: dict, payload: Any, seconds: float, server: str) -> None:
    """Add one reply (a chat.completion object) to the record of prompt h; several processes may
    write the same record at once."""
    from filelock import FileLock

    path = log_dir / f"{h}.json"
    log_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        rec = _load(path) or {
            "prompt_hash": h,
            "request": {k: v for k, v in body.items() if k != "model"},
            "replies": [],
        }
        rec["replies"].append(
            {
                "time": time.time(),
                "server": server,
                "model": body.get("model"),
                "seconds": round(seconds, 3),
                "response": payload,
            }
        )
        write_atomic(path, json.dumps(rec, indent=1).encode())


def record_server(log_dir: Path, server: str, info: ServerInfo) -> None:
    """Keep the model and context length a server reported (replay builds the same prompts)."""
    path = log_dir / "servers.json"
    log_dir.mkdir(parents=True, exist_ok=True)
    known = _load_json(path)
    known[server] = {"model": info.model, "max_model_len": info.max_model_len, "time": time.time()}
    write_atomic(path, json.dumps(known, indent=1).encode())


def _load(path: Path) -> dict | None:
    try:
        rec = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("replies"), list) else None


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# ---- one client per process ------------------------------------------------------------------

_shared: dict[tuple, Client] = {}
_shared_lock = threading.Lock()


def replay_mode(environ: dict[str, str] | None = None) -> str:
    """LLMCC_LLM_REPLAY: "only" (or 1/yes) never connects; "off" (or 0/no) never replays;
    default "auto" replays only when the server is unreachable."""
    v = (os.environ if environ is None else environ).get("LLMCC_LLM_REPLAY", "auto").strip().lower()
    if v in ("1", "yes", "true", "on", "only"):
        return "only"
    if v in ("0", "no", "false", "off"):
        return "off"
    return "auto"


def env_number(name: str, default: float) -> float:
    """A positive number from the environment; the default when unset or not a positive number
    (a typo in an environment variable must not cost a build its optimizations, nor fail it)."""
    try:
        v = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return v if v > 0 else default


def shared(cfg: Any, cache_root: Path, factory: Callable[..., Client] = Client) -> Client:
    """The process-wide client for this configuration: one pool, one down-mark, one log."""
    # config.load() reads LLMCC_LLM_TIMEOUT / LLMCC_LLM_REPLAY too, so llmcc.toml works as well
    timeout = float(getattr(cfg, "llm_timeout", 0) or env_number("LLMCC_LLM_TIMEOUT", 300.0))
    replay = replay_mode(
        {"LLMCC_LLM_REPLAY": str(getattr(cfg, "llm_replay", "") or os.environ.get("LLMCC_LLM_REPLAY", "auto"))}
    )
    ca_bundle = str(getattr(cfg, "ca_bundle", "") or "")
    tls_verify = bool(getattr(cfg, "tls_verify", True))
    key = (
        cfg.server,
        cfg.model,
        cfg.api_key,
        str(cache_root),
        int(cfg.concurrency),
        timeout,
        replay,
        ca_bundle,
        tls_verify,
    )
    with _shared_lock:
        c = _shared.get(key)
        if c is None:
            c = factory(
                cfg.server,
                model=cfg.model,
                api_key=cfg.api_key,
                log_dir=Path(cache_root) / "llm",
                concurrency=int(cfg.concurrency),
                timeout=timeout,
                replay=replay,
                ca_bundle=ca_bundle,
                tls_verify=tls_verify,
            )
            _shared[key] = c
        return c


def estimate_tokens(text: str) -> int:
    """A conservative token count without the model's tokenizer: assembly and C tokenize poorly
    (registers, punctuation), about 3 characters per token."""
    return len(text) // 3 + 1


__all__ = [
    "Choice",
    "Client",
    "append_reply",
    "record_server",
    "ClientError",
    "ContextTooLong",
    "ReplayMiss",
    "Reply",
    "Sampling",
    "ServerDown",
    "ServerError",
    "ServerInfo",
    "estimate_tokens",
    "prompt_hash",
    "replay_mode",
    "shared",
]
