"""https to the model server: a real TLS server on loopback (the vLLM stand-in, with a certificate
made here by `openssl`). Verification is on by default against the system's authorities, so a
self-signed server is refused with a message that says what to set; with the certificate as
ca_bundle it is accepted; tls_verify = false accepts anything and says so loudly."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from fake_vllm import Answer, FakeVLLM

from gcc_wrapper.compile import config
from gcc_wrapper.optimize.propose import model_client
from gcc_wrapper.optimize.propose.model_client import Client, Sampling, ServerDown

MSG = [{"role": "user", "content": "optimize f"}]


def certificate(d: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` (an IP address or a DNS name) and its key."""
    cert, key = d / f"{name}.pem", d / f"{name}.key"
    san = f"IP:{name}" if name[0].isdigit() else f"DNS:{name}"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName={san}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def tls_server(cert: Path, key: Path) -> FakeVLLM:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    fake = FakeVLLM(tls=ctx)
    fake.add("", Answer(["```assembly\nret\n```"]))
    return fake


def test_a_self_signed_server_is_refused_by_default(tmp_path):
    cert, key = certificate(tmp_path, "127.0.0.1")
    with tls_server(cert, key) as fake:
        assert fake.url.startswith("https://")
        c = Client(fake.url, backoff=0.01)
        with pytest.raises(ServerDown) as e:
            c.chat(MSG, Sampling(n=1))
        msg = str(e.value)
        assert "TLS certificate not trusted" in msg and "self-signed" in msg and "ca_bundle" in msg
        assert c.down and c.stats.get("tls_error") == 1  # not retried: it would not verify next time either
        assert fake.requests == []  # nothing was sent: no prompt left this machine


def test_accepted_with_its_certificate_as_ca_bundle(tmp_path):
    cert, key = certificate(tmp_path, "127.0.0.1")
    with tls_server(cert, key) as fake:
        c = Client(fake.url, ca_bundle=str(cert))
        r = c.chat(MSG, Sampling(n=1))
        assert r.choices[0].text.startswith("```assembly") and not r.replayed
        assert [q.path for q in fake.requests] == ["/v1/models", "/v1/chat/completions"]


def test_the_name_is_checked_too(tmp_path):
    cert, key = certificate(tmp_path, "llm.example.internal")  # trusted, but for another name
    with tls_server(cert, key) as fake:
        c = Client(fake.url, ca_bundle=str(cert))
        with pytest.raises(ServerDown, match="TLS certificate not trusted.*(mismatch|match)"):
            c.chat(MSG, Sampling(n=1))
        assert fake.requests == []


def test_tls_verify_off_accepts_anything_and_warns(tmp_path, capfd):
    cert, key = certificate(tmp_path, "127.0.0.1")
    with tls_server(cert, key) as fake:
        c = Client(fake.url, tls_verify=False)
        assert c.chat(MSG, Sampling(n=1)).choices
    err = capfd.readouterr().err
    assert "WARNING: tls_verify = false" in err and fake.url in err


def test_the_settings_come_from_the_configuration(tmp_path, monkeypatch):
    cert, key = certificate(tmp_path, "127.0.0.1")
    with tls_server(cert, key) as fake:
        env = {"LLMCC_SERVER": fake.url, "LLMCC_CA_BUNDLE": str(cert), "LLMCC_CACHE_DIR": str(tmp_path / "cache")}
        cfg = config.load(cwd=tmp_path, environ=env)
        assert cfg.tls_verify is True and cfg.source("ca_bundle") == "LLMCC_CA_BUNDLE"
        c = model_client.shared(cfg, tmp_path / "cache")
        assert c.chat(MSG, Sampling(n=1)).choices
        c.close()
        (tmp_path / "llmcc.toml").write_text(f'ca_bundle = "{tmp_path / "missing.pem"}"\n')
        with pytest.raises(ValueError, match="missing.pem"):
            model_client.shared(config.load(cwd=tmp_path, environ={"LLMCC_SERVER": fake.url}), tmp_path / "cache")


def test_plain_http_server_spoken_to_as_https_says_so(fake_vllm):
    c = Client(fake_vllm.url.replace("http://", "https://"), backoff=0.01)
    with pytest.raises(ServerDown, match="TLS handshake failed"):
        c.chat(MSG, Sampling(n=1))
