"""`llmcc serve`: start a vLLM OpenAI-compatible server for llmcc and print what to export.

    llmcc serve [--model M] [--host H] [--port P] [--max-model-len N] [--api-key K]
                [--gpu-memory-utilization F] [--tensor-parallel-size N]
                [--no-gpu-check] [--wait S] [--detach] [-- VLLM_ARGS...]

It runs `vllm serve MODEL` with prefix caching on (every prompt of a function shares its long
prefix: system text, C source, gcc's assembly) and the API key, if any, in VLLM_API_KEY (not on a
command line, where `ps` shows it); waits until GET /health answers; and prints the
`export LLMCC_...` lines. It then stays in the foreground until interrupted, and stops vLLM with
it; with --detach it leaves vLLM running and prints its process id.

A missing vLLM or an invisible GPU is a one-line error and status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct"
DEFAULT_MAX_MODEL_LEN = 16384  # a function's prompt plus n replies; 7B models fit it on one 24 GB GPU


class ServeError(Exception):
    """Something the user must fix before a server can start; the message says what."""


def vllm_command() -> list[str]:
    """How to run the vLLM CLI here: the `vllm` executable (PATH, then next to this Python), or
    the module when only the package is importable."""
    exe = shutil.which("vllm") or shutil.which("vllm", path=str(Path(sys.executable).parent))
    if exe:
        return [exe]
    if importlib.util.find_spec("vllm") is not None:
        return [sys.executable, "-m", "vllm.entrypoints.cli.main"]
    raise ServeError(
        "vLLM is not installed. On the machine with the GPU: pip install 'llmcc[vllm]' (or pip install vllm); "
        "or point llmcc at a running server: export LLMCC_SERVER=http://HOST:8000/v1"
    )


def visible_gpus() -> list[str]:
    """GPU names from nvidia-smi; [] when there is none, no driver, or CUDA_VISIBLE_DEVICES hides them."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return []
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.splitlines() if line.startswith("GPU ")]


def build_command(args: argparse.Namespace, vllm: list[str]) -> list[str]:
    cmd = [*vllm, "serve", args.model, "--host", args.host, "--port", str(args.port)]
    cmd += ["--max-model-len", str(args.max_model_len), "--enable-prefix-caching"]
    if args.gpu_memory_utilization is not None:
        cmd += ["--gpu-memory-utilization", str(args.gpu_memory_utilization)]
    if args.tensor_parallel_size is not None:
        cmd += ["--tensor-parallel-size", str(args.tensor_parallel_size)]
    return cmd + list(args.vllm_args)


def healthy(host: str, port: int, timeout: float = 2.0) -> bool:
    import http.client

    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def public_url(host: str, port: int) -> str:
    """The address clients should use: a wildcard bind is reached through this machine's name."""
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    return f"http://{host}:{port}/v1"


def parse_args(argv: list[str]) -> argparse.Namespace:
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(
        prog="llmcc serve",
        description="Start a vLLM server for llmcc, wait until it answers, print the lines to export.",
        epilog="Arguments after -- go to `vllm serve` unchanged. See docs/llm.md.",
    )
    ap.add_argument(
        "--model",
        default=os.environ.get("LLMCC_MODEL") or DEFAULT_MODEL,
        help=f"Hugging Face id or local path (default {DEFAULT_MODEL})",
    )
    ap.add_argument("--host", default="127.0.0.1", help="address to bind; 0.0.0.0 to serve a team")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--max-model-len", type=int, default=DEFAULT_MAX_MODEL_LEN)
    ap.add_argument("--api-key", default=os.environ.get("LLMCC_API_KEY", ""), help="require this bearer token")
    ap.add_argument("--gpu-memory-utilization", type=float, default=None)
    ap.add_argument("--tensor-parallel-size", type=int, default=None)
    ap.add_argument("--no-gpu-check", action="store_true", help="start even when nvidia-smi shows no GPU")
    ap.add_argument("--wait", type=float, default=1800.0, help="seconds to wait for /health (model download included)")
    ap.add_argument("--detach", action="store_true", help="leave vLLM running after it is healthy")
    args = ap.parse_args(argv)
    args.vllm_args = extra
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        vllm = vllm_command()
        if not args.no_gpu_check and not visible_gpus():
            raise ServeError(
                "no GPU is visible (nvidia-smi lists none). vLLM needs one; run `llmcc serve` on a GPU machine "
                "and export LLMCC_SERVER here, or pass --no-gpu-check for a CPU/ROCm/TPU build of vLLM"
            )
    except ServeError as e:
        print(f"llmcc serve: {e}", file=sys.stderr)
        return 2
    cmd = build_command(args, vllm)
    signal.signal(signal.SIGTERM, _interrupt)  # from here on, a SIGTERM must also stop vLLM
    print(f"llmcc serve: starting {' '.join(cmd)}", file=sys.stderr, flush=True)
    env = dict(os.environ)
    if args.api_key:
        env["VLLM_API_KEY"] = args.api_key  # vLLM reads it there; a command line shows in `ps`
    try:
        out = _detached_log(args.port) if args.detach else None
        proc = subprocess.Popen(
            cmd, start_new_session=True, stdout=out, stderr=out, env=env, stdin=subprocess.DEVNULL if out else None
        )
    except OSError as e:
        print(f"llmcc serve: cannot run {cmd[0]}: {e}", file=sys.stderr)
        return 2
    probe_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    deadline = time.monotonic() + args.wait
    try:
        while not healthy(probe_host, args.port):
            if proc.poll() is not None:
                print(f"llmcc serve: vllm exited with status {proc.returncode} before it was ready", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"llmcc serve: vllm did not answer /health within {args.wait:.0f}s; stopping it", file=sys.stderr)
                _stop(proc)
                return 1
            time.sleep(0.5)
        print(f"# vLLM serves {args.model}; for llmcc:")
        print(f"export LLMCC_SERVER={public_url(args.host, args.port)}")
        print(f"export LLMCC_MODEL={args.model}")
        if args.api_key:
            print("export LLMCC_API_KEY=...  # the key given with --api-key / LLMCC_API_KEY")
        if args.detach:
            print(f"# vllm pid {proc.pid}; stop it with: kill {proc.pid}", flush=True)
            return 0
        sys.stdout.flush()
        return _forward(proc)
    except KeyboardInterrupt:
        _stop(proc)
        return 130


def _detached_log(port: int):
    """A detached server must not hold our stdout open (scripts read it to the end): its output
    goes to CACHE_DIR/vllm-PORT.log."""
    from gcc_wrapper.compile import config

    try:
        root = config.load().cache_path
    except config.ConfigError:
        root = Path.cwd()
    path = root / f"vllm-{port}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"llmcc serve: vllm output goes to {path}", file=sys.stderr, flush=True)
    return open(path, "ab")


def _interrupt(signum, frame) -> None:  # noqa: ARG001
    raise KeyboardInterrupt


def _forward(proc: subprocess.Popen) -> int:
    """Stay in the foreground; a SIGTERM or Ctrl-C stops vLLM too."""
    try:
        return proc.wait()
    except KeyboardInterrupt:
        _stop(proc)
        return 130


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
