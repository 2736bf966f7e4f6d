"""The OpenAI-compatible client against the scripted vLLM stand-in: every error shape, retries and
their bound, down-marking, concurrency, the request/reply log and replay."""

from __future__ import annotations

import json
from concurrent.futures import wait

import pytest
from fake_vllm import Answer, Drop, Fail, FakeVLLM, free_port

from gcc_wrapper.optimize.propose.model_client import (
    Client,
    ContextTooLong,
    ReplayMiss,
    Sampling,
    ServerDown,
    ServerError,
    prompt_hash,
)

MSG = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "optimize sum_array"}]


def client(fake: FakeVLLM, tmp_path=None, **kw) -> Client:
    kw.setdefault("backoff", 0.01)
    return Client(fake.url, log_dir=(tmp_path / "llm") if tmp_path else None, **kw)


def test_models_give_name_and_context_length(fake_vllm):
    fake_vllm.max_model_len = 8192
    info = client(fake_vllm).info()
    assert info.model == fake_vllm.model
    assert info.max_model_len == 8192


def test_n_choices_usage_and_the_request_body(fake_vllm):
    fake_vllm.add("sum_array", Answer(["one", "two"]))
    r = client(fake_vllm).chat(MSG, Sampling(n=3, temperature=0.2, top_p=0.9, max_tokens=100, seed=7))
    assert [c.text for c in r.choices] == ["one", "two", "one"]
    assert all(c.finish_reason == "stop" for c in r.choices)
    assert r.usage["prompt_tokens"] > 0 and not r.replayed
    body = fake_vllm.chat_requests()[0].body
    assert body["model"] == fake_vllm.model and body["messages"] == MSG
    assert (body["n"], body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (3, 0.2, 0.9, 100, 7)


def test_configured_model_must_be_served(fake_vllm):
    c = client(fake_vllm, model="other/model")
    with pytest.raises(ServerDown, match="not served"):
        c.chat(MSG, Sampling())
    assert c.down


def test_bearer_token_sent_and_wrong_key_marks_down(fake_vllm):
    fake_vllm.api_key = "sekrit"
    fake_vllm.add("", Answer(["ok"]))
    assert client(fake_vllm, api_key="sekrit").chat(MSG, Sampling(n=1)).choices[0].text == "ok"
    assert fake_vllm.chat_requests()[0].headers["authorization"] == "Bearer sekrit"
    bad = client(fake_vllm, api_key="wrong")
    with pytest.raises(ServerDown, match="401"):
        bad.chat(MSG, Sampling(n=1))
    n = len(fake_vllm.requests)
    with pytest.raises(ServerDown):
        bad.chat(MSG, Sampling(n=1))
    assert len(fake_vllm.requests) == n  # fails fast once down


def test_5xx_and_429_are_retried_then_succeed(fake_vllm):
    fake_vllm.add("", Fail(503, "busy", "ServiceUnavailable"), Fail(429, "slow down", retry_after="0"), Answer(["ok"]))
    c = client(fake_vllm)
    assert c.chat(MSG, Sampling(n=1)).choices[0].text == "ok"
    assert [r.status for r in fake_vllm.chat_requests()] == [503, 429, 200]
    assert c.stats["http_503"] == 1 and c.stats["http_429"] == 1 and not c.down


def test_retries_are_bounded(fake_vllm):
    fake_vllm.add("", Fail(500, "boom", "InternalServerError"))
    c = client(fake_vllm, retries=3)
    with pytest.raises(ServerError, match="HTTP 500 after 3 retries"):
        c.chat(MSG, Sampling(n=1))
    assert len(fake_vllm.chat_requests()) == 4
    assert c.down  # still failing after the backoff: not asked again by this process
    with pytest.raises(ServerDown):
        c.chat(MSG, Sampling(n=1))
    assert len(fake_vllm.chat_requests()) == 4


@pytest.mark.parametrize("shape", ["current", "flat"])
def test_context_length_400_in_both_shapes_is_not_retried(fake_vllm, shape):
    fake_vllm.max_model_len = 64
    fake_vllm.error_shape = shape
    fake_vllm.add("", Answer(["never"]))
    c = client(fake_vllm)
    with pytest.raises(ContextTooLong, match="maximum context length is 64"):
        c.chat(MSG, Sampling(n=1, max_tokens=1000))
    assert len(fake_vllm.chat_requests()) == 1
    assert c.stats["context_too_long"] == 1 and not c.down


def test_scripted_context_error_in_flat_shape(fake_vllm):
    fake_vllm.add("", Fail(400, "This model's maximum context length is 4096 tokens.", shape="flat"))
    with pytest.raises(ContextTooLong):
        client(fake_vllm).chat(MSG, Sampling(n=1))


def test_other_400_is_an_error_without_retry(fake_vllm):
    fake_vllm.add("", Fail(400, "temperature must be non-negative"))
    with pytest.raises(ServerError, match="temperature"):
        client(fake_vllm).chat(MSG, Sampling(n=1))
    assert len(fake_vllm.chat_requests()) == 1


def test_truncated_reply_has_finish_reason_length(fake_vllm):
    fake_vllm.add("", Answer(["x" * 400]))
    r = client(fake_vllm).chat(MSG, Sampling(n=1, max_tokens=10))
    assert r.choices[0].finish_reason == "length" and len(r.choices[0].text) == 40


def test_connection_refused_marks_down_after_one_retry(tmp_path):
    c = Client(f"http://127.0.0.1:{free_port()}/v1", backoff=0.01, replay="off")
    with pytest.raises(ServerDown, match="127.0.0.1"):
        c.chat(MSG, Sampling(n=1))
    assert c.down and c.stats["unreachable"] == 2
    with pytest.raises(ServerDown):
        c.chat(MSG, Sampling(n=1))
    assert c.stats["unreachable"] == 2  # no further connection attempts


def test_timeout_marks_down(fake_vllm):
    fake_vllm.add("", Answer(["late"], delay=0.6))
    c = client(fake_vllm, timeout=0.2, replay="off")
    with pytest.raises(ServerDown, match="timed out"):
        c.chat(MSG, Sampling(n=1))
    assert len(fake_vllm.chat_requests()) == 2 and c.down


def test_dropped_connection_is_retried_once(fake_vllm):
    fake_vllm.add("", Drop(), Answer(["second"]))
    c = client(fake_vllm)
    assert c.chat(MSG, Sampling(n=1)).choices[0].text == "second"
    assert not c.down


def test_requests_run_concurrently_and_bounded(fake_vllm):
    fake_vllm.add("", Answer(["ok"], delay=0.3))
    c = client(fake_vllm, concurrency=4)
    futs = [c.submit([{"role": "user", "content": f"f{i}"}], Sampling(n=1)) for i in range(10)]
    wait(futs)
    assert all(f.result().choices[0].text == "ok" for f in futs)
    assert fake_vllm.max_in_flight == 4


def test_log_keeps_request_and_replies(fake_vllm, tmp_path):
    fake_vllm.add("", Answer(["first"]), Answer(["second"]))
    c = client(fake_vllm, tmp_path)
    s = Sampling(n=1)
    c.chat(MSG, s)
    c.chat(MSG, s)
    h = prompt_hash(MSG, s)
    rec = json.loads((tmp_path / "llm" / f"{h}.json").read_text())
    assert rec["request"]["messages"] == MSG and "model" not in rec["request"]
    assert [r["response"]["choices"][0]["message"]["content"] for r in rec["replies"]] == ["first", "second"]
    assert rec["replies"][0]["model"] == fake_vllm.model


def test_replay_when_server_down_reproduces_in_order(fake_vllm, tmp_path):
    fake_vllm.add("", Answer(["first"]), Answer(["second"]))
    live = client(fake_vllm, tmp_path)
    s = Sampling(n=1)
    want = [live.chat(MSG, s).choices, live.chat(MSG, s).choices]
    dead = Client(f"http://127.0.0.1:{free_port()}/v1", log_dir=tmp_path / "llm", backoff=0.01)
    got = [dead.chat(MSG, s), dead.chat(MSG, s)]
    assert [g.choices for g in got] == want and all(g.replayed for g in got)
    assert dead.down
    with pytest.raises(ReplayMiss, match="no recorded reply #3"):
        dead.chat(MSG, s)
    with pytest.raises(ReplayMiss):  # a different prompt was never recorded
        dead.chat([{"role": "user", "content": "other"}], s)


def test_replay_only_never_connects(fake_vllm, tmp_path):
    fake_vllm.add("", Answer(["recorded"]))
    client(fake_vllm, tmp_path).chat(MSG, Sampling(n=2))
    before = len(fake_vllm.requests)
    r = client(fake_vllm, tmp_path, replay="only").chat(MSG, Sampling(n=2))
    assert [c.text for c in r.choices] == ["recorded", "recorded"] and r.replayed
    assert len(fake_vllm.requests) == before


def test_replay_off_does_not_use_the_log(fake_vllm, tmp_path):
    fake_vllm.add("", Answer(["recorded"]))
    client(fake_vllm, tmp_path).chat(MSG, Sampling(n=1))
    dead = Client(f"http://127.0.0.1:{free_port()}/v1", log_dir=tmp_path / "llm", backoff=0.01, replay="off")
    with pytest.raises(ServerDown):
        dead.chat(MSG, Sampling(n=1))


def test_a_request_in_flight_does_not_hold_the_process(fake_vllm, tmp_path):
    """The search may give up waiting (deadline); the compile must still exit at once."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    fake_vllm.add("", Answer(["late"], delay=60))
    prog = tmp_path / "p.py"
    prog.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from gcc_wrapper.optimize.propose.model_client import Client, Sampling\n"
        f"c = Client({fake_vllm.url!r})\n"
        "f = c.submit([{'role': 'user', 'content': 'x'}], Sampling(n=1))\n"
        "sys.stdin.readline()\n"  # the test says when the request is at the server
    )
    p = subprocess.Popen([sys.executable, str(prog)], stdin=subprocess.PIPE, text=True)
    try:
        for _ in range(1000):
            if fake_vllm.chat_requests():
                break
            time.sleep(0.01)
        assert fake_vllm.chat_requests(), "the request never reached the server"
        p.stdin.write("exit now\n")
        p.stdin.flush()
        assert p.wait(timeout=30) == 0
        assert fake_vllm.chat_requests()[0].end == 0.0  # exited while its request was unanswered
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_down_mark_is_shared_with_other_compiles_for_a_while(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    first = Client(url, log_dir=tmp_path / "llm", backoff=0.01, replay="off")
    with pytest.raises(ServerDown):
        first.chat(MSG, Sampling(n=1))
    second = Client(url, log_dir=tmp_path / "llm", backoff=0.01, replay="off")
    with pytest.raises(ServerDown, match="marked down by another compile"):
        second.chat(MSG, Sampling(n=1))
    assert "unreachable" not in second.stats  # it did not try to connect
    expired = Client(url, log_dir=tmp_path / "llm", backoff=0.01, replay="off")
    down = json.loads((tmp_path / "llm" / "down.json").read_text())
    down[url]["until"] = 0
    (tmp_path / "llm" / "down.json").write_text(json.dumps(down))
    with pytest.raises(ServerDown):
        expired.chat(MSG, Sampling(n=1))
    assert expired.stats["unreachable"] == 2  # the mark had expired: it tried again


@pytest.mark.parametrize(
    "reply, message",
    [
        (Fail(200, "<html>proxy login</html>", shape="text"), "not JSON"),
        (Fail(200, "x", shape="current"), "no choices"),
    ],
)
def test_a_200_that_is_not_a_completion_is_an_error(fake_vllm, reply, message):
    fake_vllm.add("", reply)
    with pytest.raises(ServerError, match=message):
        client(fake_vllm).chat(MSG, Sampling(n=1))


def test_an_oversized_reply_is_refused(fake_vllm):
    fake_vllm.add("", Answer(["x" * 5000]))
    c = client(fake_vllm, max_reply_bytes=2000)
    with pytest.raises(ServerError, match="larger than 2000 bytes"):
        c.chat(MSG, Sampling(n=1))


def test_bad_numbers_in_the_environment_fall_back_to_defaults(monkeypatch):
    from gcc_wrapper.optimize.propose.model_client import env_number

    monkeypatch.setenv("LLMCC_LLM_TIMEOUT", "soon")
    assert env_number("LLMCC_LLM_TIMEOUT", 300.0) == 300.0
    monkeypatch.setenv("LLMCC_LLM_TIMEOUT", "-1")
    assert env_number("LLMCC_LLM_TIMEOUT", 300.0) == 300.0
    monkeypatch.setenv("LLMCC_LLM_TIMEOUT", "12.5")
    assert env_number("LLMCC_LLM_TIMEOUT", 300.0) == 12.5
