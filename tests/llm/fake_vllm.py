"""A stand-in for vLLM's OpenAI-compatible server that answers from a script.

This is the only fake in the test suite: no GPU or model weights exist where the tests run. It is a
real HTTP/1.1 server (stdlib ThreadingHTTPServer, keep-alive, one thread per connection) that
speaks the parts of vLLM's protocol llmcc uses, with vLLM's field names and behaviour:

    GET  /health               200, empty body (not behind the API key, as in vLLM)
    GET  /v1/models            {"object": "list", "data": [ModelCard{id, object, created, owned_by,
                                root, parent, max_model_len, permission}]}
    POST /v1/chat/completions  ChatCompletionResponse{id, object: "chat.completion", created, model,
                                choices: [{index, message{role, content, tool_calls, reasoning_content},
                                logprobs, finish_reason, stop_reason}], usage{prompt_tokens,
                                total_tokens, completion_tokens, prompt_tokens_details}}

It rejects, as vLLM does: a wrong or missing bearer token (401 {"error": "Unauthorized"}), an unknown
model (404), and a prompt plus max_tokens over max_model_len (400, in the current error shape
{"error": {message, type, param, code}} or the older flat one {"object": "error", message, type,
param, code}, chosen by `error_shape`). A reply longer than max_tokens is cut and gets
finish_reason "length". Tokens are counted as 4 characters each (no tokenizer here).

The script is a list of Rules. A request matches the first rule whose `match` (a regular expression)
is found in its last user message; the k-th request that matches a rule gets the rule's k-th reply
(the last one repeats). With `tls` (an ssl.SSLContext holding a certificate) it serves https, as
vLLM does with --ssl-certfile/--ssl-keyfile. Replies: Answer (texts for the n choices, cycled; optionally held until
`gate` requests have been in flight at once, to show concurrency without relying on timing), Fail
(an HTTP error), Drop (close the connection without answering). Every reply may be delayed. Requests are recorded,
with the number in flight at once.

Run standalone (used as a `vllm` executable by the `llmcc serve` tests):
    python fake_vllm.py serve MODEL --port P [--host H] [--max-model-len N] [--api-key K] [--script F.json]
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct"
CHARS_PER_TOKEN = 4


@dataclass
class Answer:
    texts: list[str]
    delay: float = 0.0
    finish_reason: str = "stop"  # "length" is also produced automatically when max_tokens cuts a text
    gate: int = 0  # hold the reply until this many requests have been in flight at once (max 30 s)


@dataclass
class Fail:
    status: int
    message: str = "error"
    type: str = "BadRequestError"
    shape: str = "current"  # "current" {"error": {...}} | "flat" {"object": "error", ...} | "text"
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class Drop:
    delay: float = 0.0


@dataclass
class Rule:
    match: str  # regular expression searched in the last user message; "" matches everything
    replies: list[Any]
    hits: int = 0


@dataclass
class Record:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    start: float
    end: float = 0.0
    status: int = 0


@dataclass
class FakeVLLM:
    model: str = DEFAULT_MODEL
    max_model_len: int = 32768
    api_key: str | None = None
    error_shape: str = "current"  # shape of the server's own 400s (context length)
    script: list[Rule] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    tls: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        self.requests: list[Record] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._crowd = threading.Condition(self._lock)  # notified when max_in_flight grows
        self._httpd: ThreadingHTTPServer | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeVLLM":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        if self.tls is not None:
            # the handshake happens in the connection's thread, on its first read: a client that
            # rejects the certificate costs that thread only
            self._httpd.socket = self.tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
            self._httpd.handle_error = lambda request, address: None  # a refused handshake is not news
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeVLLM":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls is not None else 'http'}://{self.host}:{self.port}/v1"

    def add(self, match: str, *replies: Any) -> Rule:
        rule = Rule(match, list(replies))
        self.script.append(rule)
        return rule

    def chat_requests(self) -> list[Record]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # ---- the protocol ------------------------------------------------------------------------

    def _pick(self, text: str) -> Any:
        with self._lock:
            for rule in self.script:
                if re.search(rule.match, text):
                    reply = rule.replies[min(rule.hits, len(rule.replies) - 1)]
                    rule.hits += 1
                    return reply
        return Fail(500, "the fake server's script has no reply for this prompt", "InternalServerError")

    def _error(self, status: int, message: str, typ: str, shape: str) -> tuple[int, Any]:
        if shape == "flat":
            return status, {"object": "error", "message": message, "type": typ, "param": None, "code": status}
        if shape == "text":
            return status, message
        return status, {"error": {"message": message, "type": typ, "param": None, "code": status}}

    def models(self) -> dict:
        card = {
            "id": self.model,
            "object": "model",
            "created": int(time.time()),
            "owned_by": "vllm",
            "root": self.model,
            "parent": None,
            "max_model_len": self.max_model_len,
            "permission": [
                {
                    "id": f"modelperm-{uuid.uuid4().hex}",
                    "object": "model_permission",
                    "created": int(time.time()),
                    "allow_create_engine": False,
                    "allow_sampling": True,
                    "allow_logprobs": True,
                    "allow_search_indices": False,
                    "allow_view": True,
                    "allow_fine_tuning": False,
                    "organization": "*",
                    "group": None,
                    "is_blocking": False,
                }
            ],
        }
        return {"object": "list", "data": [card]}

    def chat(self, body: Any) -> tuple[int, Any, Any]:
        """(status, payload, reply) where reply is the script entry (for delays and drops)."""
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return (*self._error(400, "messages: field required", "BadRequestError", self.error_shape), None)
        if body.get("model") not in (None, self.model):
            return (
                *self._error(
                    404, f"The model `{body.get('model')}` does not exist.", "NotFoundError", self.error_shape
                ),
                None,
            )
        prompt_tokens = sum(len(str(m.get("content", ""))) // CHARS_PER_TOKEN + 4 for m in body["messages"])
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if max_tokens is None:
            max_tokens = self.max_model_len - prompt_tokens
        if prompt_tokens + max_tokens > self.max_model_len:
            msg = (
                f"This model's maximum context length is {self.max_model_len} tokens. However, you requested "
                f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, {max_tokens} in the "
                "completion). Please reduce the length of the messages or completion."
            )
            return (*self._error(400, msg, "BadRequestError", self.error_shape), None)
        users = [m for m in body["messages"] if m.get("role") == "user"]
        reply = self._pick(str(users[-1].get("content", "")) if users else "")
        if not isinstance(reply, Answer):
            if isinstance(reply, Fail):
                return (*self._error(reply.status, reply.message, reply.type, reply.shape), reply)
            return 0, None, reply
        n = int(body.get("n") or 1)
        choices = []
        completion_tokens = 0
        for i in range(n):
            text = reply.texts[i % len(reply.texts)]
            finish = reply.finish_reason
            if len(text) // CHARS_PER_TOKEN > max_tokens:
                text, finish = text[: max_tokens * CHARS_PER_TOKEN], "length"
            completion_tokens += len(text) // CHARS_PER_TOKEN
            choices.append(
                {
                    "index": i,
                    "message": {"role": "assistant", "content": text, "tool_calls": [], "reasoning_content": None},
                    "logprobs": None,
                    "finish_reason": finish,
                    "stop_reason": None,
                }
            )
        payload = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "completion_tokens": completion_tokens,
                "prompt_tokens_details": None,
            },
            "prompt_logprobs": None,
        }
        return 200, payload, reply


class _Handler(BaseHTTPRequestHandler):
    fake: FakeVLLM
    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn
    # Headers and body leave in one segment, as uvicorn sends them; two small writes would wait
    # out the client's delayed ACK (Nagle) and cost 40 ms per request.
    wbufsize = 1 << 16

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if isinstance(payload, (dict, list)):
            data, ctype = json.dumps(payload).encode(), "application/json"
        else:
            data, ctype = str(payload or "").encode(), "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        fake = self.fake
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        rec = Record(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
        with fake._lock:
            fake.requests.append(rec)
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            fake._crowd.notify_all()
        try:
            status = self._respond(method, body)
        finally:
            with fake._lock:
                fake.in_flight -= 1
            rec.end = time.monotonic()
        rec.status = status

    def _respond(self, method: str, body: Any) -> int:
        fake = self.fake
        path = self.path.split("?")[0]
        if path == "/health" and method == "GET":
            self._send(200, "")
            return 200
        if path.startswith("/v1") and fake.api_key is not None:
            if self.headers.get("authorization") != f"Bearer {fake.api_key}":
                self._send(401, {"error": "Unauthorized"})
                return 401
        if path == "/v1/models" and method == "GET":
            self._send(200, fake.models())
            return 200
        if path == "/v1/chat/completions" and method == "POST":
            status, payload, reply = fake.chat(body)
            gate = getattr(reply, "gate", 0)
            if gate:
                with fake._crowd:
                    fake._crowd.wait_for(lambda: fake.max_in_flight >= gate, timeout=30)
            delay = getattr(reply, "delay", 0.0)
            if delay:
                time.sleep(delay)
            if isinstance(reply, Drop):
                self.close_connection = True
                self.connection.shutdown(2)
                return 0
            headers = {"retry-after": reply.retry_after} if isinstance(reply, Fail) and reply.retry_after else None
            self._send(status, payload, headers)
            return status
        self._send(404, {"detail": "Not Found"})
        return 404

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


def _rules_from_json(data: list[dict]) -> list[Rule]:
    rules = []
    for r in data:
        replies: list[Any] = []
        for x in r["replies"]:
            if "texts" in x:
                replies.append(Answer(**x))
            elif "status" in x:
                replies.append(Fail(**x))
            else:
                replies.append(Drop(**x))
        rules.append(Rule(r.get("match", ""), replies))
    return rules


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="vllm")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("model")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--max-model-len", type=int, default=32768)
    s.add_argument("--api-key", default=os.environ.get("VLLM_API_KEY"))  # as vLLM: flag, else environment
    s.add_argument("--script", default=None)
    args, _unknown = ap.parse_known_args(argv)  # vLLM flags this stand-in does not model
    rules = _rules_from_json(json.loads(open(args.script).read())) if args.script else []
    fake = FakeVLLM(args.model, args.max_model_len, args.api_key, script=rules, host=args.host, port=args.port)
    fake.start()
    print(f"INFO: fake vLLM serving {args.model} on http://{args.host}:{fake.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def free_port() -> int:
    """A loopback port nothing listens on (for a dead server)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
