"""Kernels that refuse a sandbox layer, made real: the test process installs a seccomp filter that
answers namespace creation with EPERM (as a kernel without unprivileged user namespaces does) and,
in the second case, seccomp itself with EINVAL (as a kernel without CONFIG_SECCOMP_FILTER does),
then runs llmcc under it. Nothing degrades silently: `llmcc config` says which layer is missing and
why, the optimizer refuses model and file candidates when no isolation is left unless the user
opts in, and what is left still runs (the filter installed by the child itself, the harness
without its allowlist when the kernel has no seccomp)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

from gcc_wrapper.optimize.verify import syscall_filter as sf

PR_SET_SECCOMP = 22


def refusing(*, seccomp: bool) -> bytes:
    """A filter that makes the kernel look as if it refused namespaces (and seccomp filters)."""
    p = sf.Program()
    p.load(sf.OFF_NR)
    for nr in (sf.DENIED["unshare"], sf.DENIED["setns"]):
        p.jump(sf.JEQ_K, nr, jt="eperm")
    p.jump(sf.JEQ_K, sf.NR_CLONE3, jt="enosys")
    p.jump(sf.JEQ_K, sf.NR_CLONE, jt="clone")
    if seccomp:
        p.jump(sf.JEQ_K, sf.SYS_SECCOMP, jt="einval")
        p.jump(sf.JEQ_K, 157, jt="prctl")
    p.ret(sf.RET_ALLOW)
    p.label("clone")
    p.load(sf.off_arg(0))
    p.jump(sf.JSET_K, sf.CLONE_NEW, jt="eperm")
    p.ret(sf.RET_ALLOW)
    if seccomp:
        p.label("prctl")
        p.load(sf.off_arg(0))
        p.jump(sf.JEQ_K, PR_SET_SECCOMP, jt="einval")
        p.ret(sf.RET_ALLOW)
        p.label("einval")
        p.ret(sf.RET_ERRNO | errno.EINVAL)
    p.label("eperm")
    p.ret(sf.RET_ERRNO | errno.EPERM)
    p.label("enosys")
    p.ret(sf.RET_ERRNO | errno.ENOSYS)
    return p.encode()


def under(program: bytes, argv: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """argv run under the refusing filter (installed by a Python shim that then execs argv)."""
    prog = tmp_path / "refuse.bpf"
    prog.write_bytes(program)
    shim = (
        "import os, sys; sys.path.insert(0, %r); import syscall_filter as sf; "
        "assert sf.Installer(open(%r, 'rb').read()).install() == 0; os.execvpe(sys.argv[1], sys.argv[1:], os.environ)"
        % (str(Path(sf.__file__).parent), str(prog))
    )
    return subprocess.run([sys.executable, "-c", shim, *argv], env=env, capture_output=True, text=True, timeout=120)


def llmcc_py(llmcc_bin: Path) -> str:
    return str(llmcc_bin.with_name("llmcc-py"))  # the Python entry: the compile server is outside the filter


def test_no_namespaces_and_no_seccomp_is_said_and_refused(tmp_path, llmcc_bin, llmcc_env):
    out = under(refusing(seccomp=True), [llmcc_py(llmcc_bin), "config"], llmcc_env, tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout[out.stdout.index("sandbox (") :]
    assert "file-system view          NONE" in text and "bubblewrap: " in text
    assert "system-call filter        NONE: the kernel refused seccomp" in text
    assert "refused unless allow_unsandboxed = true" in text
    js = json.loads(
        under(refusing(seccomp=True), [llmcc_py(llmcc_bin), "config", "--json"], llmcc_env, tmp_path).stdout
    )
    assert js["sandbox"]["isolated"] is False and js["sandbox"]["namespaces"] == []

    script = """if True:
        import json
        from pathlib import Path
        from gcc_wrapper.compile import config
        from gcc_wrapper.optimize.run import make_proposers
        from gcc_wrapper.optimize.verify import sandbox
        cfg = config.load()
        out = {}
        for name in ("file:/nonexistent.s", "embedded"):
            try:
                out[name] = [p.name for p in make_proposers(cfg, Path(%r), name)]
            except sandbox.SandboxUnavailable as e:
                out[name] = str(e)
        print(json.dumps(out))
    """ % str(tmp_path)
    got = json.loads(under(refusing(seccomp=True), [sys.executable, "-c", script], llmcc_env, tmp_path).stdout)
    assert got["embedded"] == ["embedded"]  # gcc's own variants need no sandbox to be trusted
    assert got["file:/nonexistent.s"].startswith("refusing to run model or file candidates")
    assert "allow_unsandboxed = true" in got["file:/nonexistent.s"]
    opted_in = dict(llmcc_env, LLMCC_ALLOW_UNSANDBOXED="1")
    got = json.loads(under(refusing(seccomp=True), [sys.executable, "-c", script], opted_in, tmp_path).stdout)
    assert got["file:/nonexistent.s"] == ["file"]
    out = under(refusing(seccomp=True), [llmcc_py(llmcc_bin), "stats"], opted_in, tmp_path).stdout
    assert "model and file candidates" in out and "RUN WITH YOUR FULL RIGHTS (allow_unsandboxed = true)" in out


def test_llmcc_optimize_refuses_with_a_message_and_status_2(tmp_path, llmcc_bin, llmcc_env):
    # one function queued by a compile in queue mode, so that `llmcc optimize` has work to refuse
    src = tmp_path / "f.c"
    src.write_text("long f(long x) { return x + 1; }\n")
    env = dict(llmcc_env, LLMCC_MODE="queue", LLMCC_HOT="f")
    subprocess.run(
        [str(llmcc_bin), "-O2", "-c", str(src), "-o", str(tmp_path / "f.o")],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert list((Path(llmcc_env["LLMCC_CACHE_DIR"]) / "queue").glob("*.json"))
    r = under(
        refusing(seccomp=True), [llmcc_py(llmcc_bin), "optimize", "--proposer", f"file:{tmp_path}"], llmcc_env, tmp_path
    )
    assert r.returncode == 2 and "refusing to run model or file candidates" in r.stderr, (r.stdout, r.stderr)


def test_no_namespaces_leaves_the_filter_installed_by_the_child(tmp_path, llmcc_env):
    """Without namespaces the filter is installed by the child itself, before exec; the layers
    say so; and a model candidate is allowed (the filter is isolation)."""
    script = """if True:
        import ctypes, json, sys
        from gcc_wrapper.optimize.verify import sandbox
        layers = sandbox.probe()
        code = "import ctypes; libc = ctypes.CDLL(None, use_errno=True); libc.ptrace(0, 0, 0, 0); print(ctypes.get_errno())"
        r = sandbox.run([sys.executable, "-c", code], timeout=20, cpu_seconds=10)
        t = sandbox.timed([sys.executable, "-c", "import ctypes; ctypes.CDLL(None).ptrace(0,0,0,0)"], timeout=20, cwd=None,
                          memory_bytes=1 << 30, fsize_bytes=1 << 20)
        print(json.dumps({"layers": layers.to_json(), "ptrace_errno": r.stdout.decode().strip(), "timed": t.returncode,
                          "rows": dict(layers.describe())}))
    """
    got = json.loads(under(refusing(seccomp=False), [sys.executable, "-c", script], llmcc_env, tmp_path).stdout)
    assert got["layers"]["bwrap"] == "" and got["layers"]["seccomp"] is True and got["layers"]["isolated"] is True
    assert "No permissions to create new namespace" in got["layers"]["namespaces_refused"]
    assert got["rows"]["file-system view"].startswith("NONE")
    assert got["ptrace_errno"] == str(errno.EPERM)  # our filter, installed in the child
    assert got["timed"] == 0


def test_without_seccomp_the_harness_still_runs_and_says_why(tmp_path, llmcc_env):
    """A kernel without seccomp: the harness runs without its allowlist (the sandbox tells it so),
    rather than failing every difftest; a good candidate is still accepted."""
    src = tmp_path / "f.c"
    src.write_text("long f(long x) { return x * 3; }\n")
    script = """if True:
        import sys
        sys.path.insert(0, %r)
        from verify_helpers import make_context
        from gcc_wrapper.optimize.candidate import Candidate
        from gcc_wrapper.optimize.verify import sandbox, verify
        from pathlib import Path
        ctx = make_context(Path(%r), "f", ("-O3",))
        v = verify(ctx, Candidate(make_context(Path(%r), "f", ("-O1",)).baseline_asm, "gcc -O1"))
        print(sandbox.probe().seccomp, v.verdict, v.reason)
    """ % (str(Path(__file__).parent), str(src), str(src))
    r = under(refusing(seccomp=True), [sys.executable, "-c", script], dict(llmcc_env, TMPDIR=str(tmp_path)), tmp_path)
    assert r.stdout.split()[:2] == ["False", "accept"], (r.stdout, r.stderr)
    assert os.environ.get("LLMCC_SANDBOX_NO_SECCOMP") is None
