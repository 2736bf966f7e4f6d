"""The model client against the scripted vLLM stand-in (tests/llm/fake_vllm.py).

    .venv/bin/python bench/llm_client.py [--rounds R] [--json]

1. Throughput: requests per second the client sustains, by pool size (concurrency 1, 4, 8, 16), for
   a server that answers at once (the client's own overhead, with the stand-in on the same 2 cores)
   and one that takes 50 ms per request (where concurrency should multiply throughput). Each round
   runs every setting once, interleaved; reported as the median and min-max over rounds. The
   stand-in runs in its own process.
2. Waiting versus verifying: for mix() of tests/llm/project, one propose() (3 samples: a wrong,
   a correct and an unassemblable rewrite) then verify.verify() of each candidate; the share of the
   wall time spent waiting for the server, for a server answering at once and one taking 1 s
   (about what a 7B model needs for a few hundred tokens per sample on one GPU).

The stand-in is a Python HTTP server: its figures bound the client from below, not vLLM.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "llm"))

from fake_vllm import Answer, FakeVLLM  # noqa: E402

from gcc_wrapper.optimize.propose.model_client import Client, Sampling  # noqa: E402

CONCURRENCY = (1, 4, 8, 16)


class ServerProcess:
    """The stand-in in its own process (so that it does not share this interpreter's GIL)."""

    def __init__(self, delay: float, tmp: Path) -> None:
        import socket

        script = tmp / f"script-{delay}.json"
        script.write_text(json.dumps([{"match": "", "replies": [{"texts": [REPLY], "delay": delay}]}]))
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "llm" / "fake_vllm.py"),
                "serve",
                "m",
                "--port",
                str(self.port),
                "--script",
                str(script),
            ],
            stdout=subprocess.DEVNULL,
        )
        from gcc_wrapper.tools.serve_model import healthy

        deadline = time.monotonic() + 30
        while not healthy("127.0.0.1", self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the scripted server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


REPLY = "```assembly\nf:\n\tret\n```"


def throughput(url: str, concurrency: int, requests: int) -> float:
    c = Client(url, concurrency=concurrency)
    c.info()
    t0 = time.perf_counter()
    futs = [c.submit([{"role": "user", "content": f"optimize f{i}"}], Sampling(n=4)) for i in range(requests)]
    for f in futs:
        f.result()
    took = time.perf_counter() - t0
    c.close(wait=True)
    return requests / took


def part1(rounds: int) -> dict:
    delays = (0.0, 0.05)
    runs: dict[tuple[float, int], list[float]] = {(d, k): [] for d in delays for k in CONCURRENCY}
    with tempfile.TemporaryDirectory() as tmp:
        servers = {d: ServerProcess(d, Path(tmp)) for d in delays}
        try:
            for _ in range(rounds):
                for d, k in runs:
                    n = 400 if d == 0 else max(40, 8 * k)
                    runs[(d, k)].append(throughput(servers[d].url, k, n))
        finally:
            for srv in servers.values():
                srv.stop()
    out = {}
    for (d, k), v in runs.items():
        out[f"delay_{int(d * 1000)}ms.concurrency_{k}"] = {
            "req_per_s": round(statistics.median(v), 1),
            "min": round(min(v), 1),
            "max": round(max(v), 1),
        }
    return out


def mix_context(tmp: Path):
    from gcc_wrapper.compile import asm
    from gcc_wrapper.optimize import source
    from gcc_wrapper.optimize.candidate import Context

    src = ROOT / "tests" / "llm" / "project" / "mix.c"
    s = subprocess.run(["gcc", "-O3", "-S", "-o", "-", str(src)], check=True, capture_output=True, text=True).stdout
    proto = source.prototype(str(src), "mix", ["-O3"]).text
    return Context(
        name="mix",
        source_path=str(src),
        cflags=("-O3",),
        baseline_asm=asm.parse(s).functions["mix"].text(),
        unit_asm=s,
        prototype=proto,
        cwd=str(tmp),
    )


def part2(rounds: int) -> dict:
    from test_llm_e2e import BROKEN_MIX, FAST_MIX, WRONG_MIX, fenced

    from gcc_wrapper.compile import config

    from gcc_wrapper.optimize import verify
    from gcc_wrapper.optimize.propose.llm import LLMProposer

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        ctx = mix_context(Path(tmp))
        for delay in (0.0, 1.0):
            waits, verifies, shares = [], [], []
            for r in range(rounds):
                with FakeVLLM() as fake:
                    fake.add("", Answer([fenced(WRONG_MIX), fenced(FAST_MIX), fenced(BROKEN_MIX)], delay=delay))
                    cfg = config.load(cwd=Path(tmp), environ={"LLMCC_SERVER": fake.url, "LLMCC_CACHE_DIR": tmp})
                    c = Client(fake.url, log_dir=Path(tmp) / f"llm-{delay}-{r}")
                    p = LLMProposer(cfg, Path(tmp), client=c)
                    t0 = time.perf_counter()
                    cands = p.propose(ctx, [], 3)
                    t1 = time.perf_counter()
                    verdicts = [verify.verify(ctx, cand).verdict for cand in cands if not cand.meta.get("error")]
                    t2 = time.perf_counter()
                    c.close(wait=True)
                assert sorted(verdicts) == ["accept", "reject", "reject"], verdicts
                waits.append(t1 - t0)
                verifies.append(t2 - t1)
                shares.append((t1 - t0) / (t2 - t0))
            out[f"delay_{int(delay * 1000)}ms"] = {
                "wait_s": round(statistics.median(waits), 3),
                "verify_s": round(statistics.median(verifies), 3),
                "wait_share": round(statistics.median(shares), 3),
                "wait_share_min": round(min(shares), 3),
                "wait_share_max": round(max(shares), 3),
            }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = ap.parse_args()
    # Verification first: the sandbox limits the child's address space before exec, and the
    # throughput runs leave this process with a large one (malloc arenas of many threads).
    wait_vs_verify = part2(args.rounds)
    figures = {"throughput": part1(args.rounds), "wait_vs_verify": wait_vs_verify, "rounds": args.rounds}
    if args.json:
        print(json.dumps(figures))
        return 0
    print("requests/s (median, min-max) by server delay and pool size:")
    for k, v in figures["throughput"].items():
        print(f"  {k:<28} {v['req_per_s']:>8.1f}  ({v['min']:.1f}-{v['max']:.1f})")
    print("one propose() of 3 samples, then verify() of each usable one:")
    for k, v in figures["wait_vs_verify"].items():
        print(
            f"  {k:<10} waiting {v['wait_s']:.3f} s, verifying {v['verify_s']:.3f} s: "
            f"{100 * v['wait_share']:.1f}% waiting ({100 * v['wait_share_min']:.1f}-{100 * v['wait_share_max']:.1f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
