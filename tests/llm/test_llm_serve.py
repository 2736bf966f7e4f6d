"""`llmcc serve`: clear errors without vLLM or a GPU; with a `vllm` executable (the scripted stand-in
from fake_vllm.py) it waits for /health and prints the exports."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from fake_vllm import free_port

FAKE = Path(__file__).resolve().parent / "fake_vllm.py"


def env_with(tmp_path: Path, llmcc_env: dict, vllm_script: str | None) -> dict:
    """PATH holds llmcc, the system tools and, when given, a `vllm` executable; nothing else."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    if vllm_script is not None:
        v = bindir / "vllm"
        v.write_text(vllm_script)
        v.chmod(0o755)
    env = dict(llmcc_env)
    env["PATH"] = os.pathsep.join([str(bindir), str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    env.pop("CUDA_VISIBLE_DEVICES", None)
    return env


def stand_in() -> str:
    return f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n'


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_without_vllm_a_clear_error(tmp_path, llmcc_bin, llmcc_env):
    r = subprocess.run([llmcc_bin, "serve"], env=env_with(tmp_path, llmcc_env, None), capture_output=True, text=True)
    assert r.returncode == 2
    assert "vLLM is not installed" in r.stderr and "LLMCC_SERVER" in r.stderr
    assert "Traceback" not in r.stderr


def test_without_gpu_a_clear_error(tmp_path, llmcc_bin, llmcc_env):
    env = env_with(tmp_path, llmcc_env, stand_in())
    env["CUDA_VISIBLE_DEVICES"] = ""
    r = subprocess.run([llmcc_bin, "serve"], env=env, capture_output=True, text=True)
    assert r.returncode == 2
    assert "no GPU is visible" in r.stderr and "Traceback" not in r.stderr


def test_vllm_that_dies_is_reported(tmp_path, llmcc_bin, llmcc_env):
    env = env_with(tmp_path, llmcc_env, "#!/bin/sh\necho 'CUDA out of memory' >&2\nexit 3\n")
    r = subprocess.run(
        [llmcc_bin, "serve", "--no-gpu-check", "--port", str(free_port())], env=env, capture_output=True, text=True
    )
    assert r.returncode == 1
    assert "vllm exited with status 3" in r.stderr


def test_detached_server_answers_and_exports_are_printed(tmp_path, llmcc_bin, llmcc_env):
    port = free_port()
    env = env_with(tmp_path, llmcc_env, stand_in())
    r = subprocess.run(
        [
            llmcc_bin,
            "serve",
            "--no-gpu-check",
            "--detach",
            "--port",
            str(port),
            "--model",
            "org/tiny",
            "--max-model-len",
            "4096",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    pid = int(r.stdout.split("vllm pid ")[1].split(";")[0]) if "vllm pid " in r.stdout else None
    try:
        assert r.returncode == 0, r.stderr
        assert f"export LLMCC_SERVER=http://127.0.0.1:{port}/v1" in r.stdout
        assert "export LLMCC_MODEL=org/tiny" in r.stdout
        assert "--enable-prefix-caching" in r.stderr
        assert pid is not None
        status, body = get(port, "/v1/models")
        card = json.loads(body)["data"][0]
        assert status == 200 and card["id"] == "org/tiny" and card["max_model_len"] == 4096
    finally:
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)


def test_foreground_server_stops_with_llmcc(tmp_path, llmcc_bin, llmcc_env):
    port = free_port()
    env = env_with(tmp_path, llmcc_env, stand_in())
    p = subprocess.Popen(
        [llmcc_bin, "serve", "--no-gpu-check", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        for line in p.stdout:
            lines.append(line)
            if line.startswith("export LLMCC_MODEL="):
                break
        assert "export LLMCC_MODEL=Qwen/Qwen2.5-Coder-7B-Instruct\n" in lines
        assert get(port, "/health")[0] == 200
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 130
        try:
            get(port, "/health")
            alive = True
        except OSError:
            alive = False
        assert not alive
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_api_key_and_pass_through_arguments_reach_vllm(tmp_path, llmcc_bin, llmcc_env):
    port = free_port()
    env = env_with(tmp_path, llmcc_env, stand_in())
    r = subprocess.run(
        [
            llmcc_bin,
            "serve",
            "--no-gpu-check",
            "--detach",
            "--port",
            str(port),
            "--api-key",
            "k3y",
            "--",
            "--enforce-eager",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    pid = int(r.stdout.split("vllm pid ")[1].split(";")[0]) if "vllm pid " in r.stdout else None
    try:
        assert r.returncode == 0, r.stderr
        assert "--enforce-eager" in r.stderr
        assert "k3y" not in r.stdout + r.stderr  # the secret is not echoed, nor on vllm's command line
        assert get(port, "/v1/models")[0] == 401  # vLLM got the key (VLLM_API_KEY)
        assert get(port, "/health")[0] == 200
    finally:
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
