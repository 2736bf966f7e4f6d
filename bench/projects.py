#!/usr/bin/env python3
"""A real C project through llmcc as a user would put it through, side by side with gcc.

    bench/projects.py --project DIR --build CMD --run CMD [--stdin FILE] [--clean CMD]
                      [--budget S] [--rounds N] [--out DIR] [--json]

CMD strings are run by the shell in a copy of DIR; in --build, {cc} is the compiler (gcc, or
llmcc). The project is never modified: it is copied twice to a scratch directory. Steps:

  1. gcc's copy: --build with {cc}=gcc.
  2. llmcc's copy: --build with the optimizer off, `llmcc profile -- RUN` (shares and recorded
     states; --stdin as its input), --clean, then --build in sync mode (the embedded proposer,
     --budget seconds of build budget: the hot file gets all of it, run.budget_for).
  3. Both programs run RUN on --stdin: their stdout and exit status must be byte-identical.
  4. RUN timed in both copies, interleaved (CPU time of the command and its children), --rounds.

Prints (and with --out writes) the hot functions as `llmcc report` gives them (each function with
at least 5% of the profile: its recorded calls and what became of it), the accepted rewrites, the
build times and the program's speed against gcc's. Nothing here knows any particular project.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent


def sh(cmd: str, cwd: Path, env: dict, stdin: str = "", timeout: float = 3600) -> subprocess.CompletedProcess:
    with open(stdin or os.devnull, "rb") as f:
        return subprocess.run(["/bin/sh", "-c", cmd], cwd=cwd, env=env, stdin=f, capture_output=True, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--project", required=True)
    ap.add_argument("--build", required=True, help="build command; {cc} is the compiler")
    ap.add_argument("--run", required=True, help="the workload: a command that runs the built program")
    ap.add_argument("--stdin", default="", help="a file for the workload's stdin")
    ap.add_argument("--clean", default="make clean", help="what makes the next build compile everything again")
    ap.add_argument("--budget", type=float, default=300.0, help="llmcc's build budget in seconds (sync mode)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--out", default="")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    project = Path(a.project).resolve()
    stdin = os.path.abspath(a.stdin) if a.stdin else ""
    if not project.is_dir():
        print(f"bench/projects.py: {a.project}: not a directory", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="llmcc-bench-project-"))
    gcc_copy, llmcc_copy = work / "gcc" / project.name, work / "llmcc" / project.name
    for d in (gcc_copy, llmcc_copy):
        shutil.copytree(project, d, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCC_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(LLMCC_CACHE_DIR=str(work / "cache"), XDG_CONFIG_HOME=str(work / "xdg"), LLMCC_PROPOSER="embedded")
    llmcc = str(VENV_BIN / "llmcc")
    result: dict = {"project": project.name, "build": a.build, "run": a.run, "stdin": os.path.basename(stdin)}

    def build(where: Path, cc: str, mode: str) -> float:
        t0 = time.monotonic()
        r = sh(a.build.format(cc=cc), where, dict(env, LLMCC_MODE=mode, LLMCC_BUILD_BUDGET=str(a.budget)))
        if r.returncode != 0:
            raise SystemExit(
                f"bench/projects.py: the build failed in {where}: {r.stderr.decode(errors='replace')[-800:]}"
            )
        return time.monotonic() - t0

    result["gcc_build_s"] = round(build(gcc_copy, "gcc", "off"), 1)
    result["llmcc_plain_build_s"] = round(build(llmcc_copy, llmcc, "off"), 1)
    t0 = time.monotonic()
    prof = sh(f"{shlex.quote(llmcc)} profile -- {a.run}", llmcc_copy, env, stdin)
    result["profile_s"] = round(time.monotonic() - t0, 1)
    result["profile"] = prof.stdout.decode(errors="replace").strip().splitlines()[-12:]
    sh(a.clean, llmcc_copy, env)
    result["llmcc_sync_build_s"] = round(build(llmcc_copy, llmcc, "sync"), 1)
    rep = sh(f"{shlex.quote(llmcc)} report --json", llmcc_copy, env)
    report = json.loads(rep.stdout or b"{}")
    result["hot"] = report.get("hot", [])
    result["accepted"] = [
        {
            "function": e["function"],
            "source": os.path.basename(e["source"]),
            "proposer": e["proposer"],
            "measurement": (e.get("measurement") or {}).get("method", ""),
            "speedup": (e.get("measurement") or {}).get("speedup"),
        }
        for e in report.get("entries", [])
    ]
    outs = [sh(a.run, d, env, stdin) for d in (gcc_copy, llmcc_copy)]
    result["same_output"] = outs[0].stdout == outs[1].stdout and outs[0].returncode == outs[1].returncode
    from gcc_wrapper.optimize import measure

    data = Path(stdin).read_bytes() if stdin else b""
    m = measure.measure_commands(a.run, a.run, a.rounds, cwd=(gcc_copy, llmcc_copy), lock_dir=work, stdin=data)
    result["program"] = {
        "speedup": round(m.speedup, 4),
        "spread": [round(x, 4) for x in m.spread],
        "rounds": m.rounds,
        "gcc_cpu_s": round(sorted(m.baseline)[len(m.baseline) // 2], 3),
        "llmcc_cpu_s": round(sorted(m.candidate)[len(m.candidate) // 2], 3),
    }
    text = render(result)
    print(text)
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"project-{project.name}.json").write_text(json.dumps(result, indent=1))
        (out / f"project-{project.name}.md").write_text(text)
    shutil.rmtree(work, ignore_errors=True)
    if a.json:
        print(
            json.dumps(
                {
                    "project": project.name,
                    "speedup": result["program"]["speedup"],
                    "same_output": result["same_output"],
                    "accepted": len(result["accepted"]),
                    "hot": [(h["name"], h["status"]) for h in result["hot"]],
                }
            )
        )
    return 0 if result["same_output"] else 1


def render(r: dict) -> str:
    p = r["program"]
    lines = [
        f"# {r['project']}: `{r['run']}`" + (f" < {r['stdin']}" if r["stdin"] else ""),
        "",
        f"Builds: gcc {r['gcc_build_s']} s, llmcc (optimizer off) {r['llmcc_plain_build_s']} s, "
        f"llmcc profile {r['profile_s']} s, llmcc sync {r['llmcc_sync_build_s']} s.",
        "",
        "| function | share | recorded calls | outcome | evidence or reason |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for h in r["hot"]:
        lines.append(f"| `{h['name']}` | {h['share']:.1%} | {h['states']} | {h['status']} | {h['detail'][:200]} |")
    lines += [
        "",
        f"Program: x{p['speedup']:.3f} [{p['spread'][0]:.3f}, {p['spread'][1]:.3f}] over gcc -O3 "
        f"({p['rounds']} interleaved rounds, CPU {p['gcc_cpu_s']} s vs {p['llmcc_cpu_s']} s); outputs "
        + ("byte-identical" if r["same_output"] else "DIFFERENT"),
        "",
        "Accepted:",
    ]
    lines += [
        f"- {x['source']}: {x['function']} x{x['speedup']:.3f} ({x['proposer']}; {x['measurement']})"
        for x in r["accepted"]
        if x.get("speedup")
    ] or ["- none"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
