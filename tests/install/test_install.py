"""Installing llmcc as a user does: `pip install .` into a fresh venv, `pipx install`, and an
editable install. Each puts the native client (gcc_wrapper/compile/client.c, compiled by the
build backend) in bin as `llmcc` beside the Python entry `llmcc-py`; with no C compiler the build
falls back to the Python entry and says so.

The wheel is built once (pip, with build isolation, as a user's pip would) and installed without
dependencies: the compile path imports none of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import filelock
import pytest

from gcc_wrapper.compile import server as compile_server

ROOT = Path(__file__).resolve().parents[2]
SRC = "int scale(int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i] * 3; return s; }\n"
ELF = b"\x7fELF"

pytestmark = pytest.mark.slow


def _pip(*args: str, env: dict[str, str] | None = None, python: str = sys.executable) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def _session_dir(tmp_path_factory) -> Path:
    """A directory this test session's xdist workers share (each has its own basetemp below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _wheel(tmp_path_factory, name: str, env: dict[str, str] | None = None) -> tuple[Path, str]:
    """Build llmcc's wheel from this checkout once per test session (shared by xdist workers)."""
    shared = _session_dir(tmp_path_factory) / f"llmcc-wheel-{name}"
    with filelock.FileLock(str(shared) + ".lock"):
        log = shared / "build.log"
        if not log.exists():
            shutil.rmtree(shared, ignore_errors=True)
            src = shared / "src"
            # a copy: the build's own build/ and egg-info stay out of the checkout
            shutil.copytree(
                ROOT,
                src,
                ignore=shutil.ignore_patterns(
                    ".venv", "build", "*.egg-info", ".git", "__pycache__", "bench", "tests", "out"
                ),
            )
            r = _pip("wheel", "-v", "--no-deps", "-w", str(shared / "dist"), str(src), env=env)
            log.write_text(r.stdout + r.stderr)
        (whl,) = (shared / "dist").glob("llmcc-*.whl")
        return whl, log.read_text()


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    return _wheel(tmp_path_factory, "cc")[0]


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    return path / "bin"


def _install_wheel(whl: Path, venv: Path) -> Path:
    bin_dir = _venv(venv)
    # this interpreter's pip, installing for the new venv's Python (scripts' #! lines name it)
    _pip("--python", str(bin_dir / "python"), "install", "--no-deps", "--no-compile", str(whl))
    return bin_dir


def _compile_and_compare(llmcc: Path, env: dict[str, str], work: Path) -> None:
    """llmcc's object is gcc -O3's, byte for byte."""
    (work / "s.c").write_text(SRC)
    r = subprocess.run(
        [str(llmcc), "-O3", "-c", "s.c", "-o", "s.o"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    subprocess.run(["gcc", "-O3", "-c", "s.c", "-o", "g.o"], cwd=work, check=True)
    assert (work / "s.o").read_bytes() == (work / "g.o").read_bytes()


def _stop(sock: str) -> None:
    pid = compile_server.server_pid(sock)
    if pid is not None:
        os.kill(pid, 15)


def test_wheel_holds_the_native_client_and_is_tagged_for_the_platform(wheel: Path):
    assert wheel.name.endswith("-py3-none-linux_x86_64.whl"), wheel.name
    with zipfile.ZipFile(wheel) as z:
        scripts = {n.rsplit("/", 1)[1]: n for n in z.namelist() if ".data/scripts/" in n}
        assert set(scripts) == {"llmcc"}, scripts  # llmcc-py is an entry point, written by the installer
        assert z.read(scripts["llmcc"])[:4] == ELF
        entry_points = next(n for n in z.namelist() if n.endswith("entry_points.txt"))
        text = z.read(entry_points).decode()
    assert "llmcc-py = gcc_wrapper.cli:main" in text and "\nllmcc =" not in text


def test_pip_install_into_a_fresh_venv_serves_compiles_through_the_client(
    wheel: Path, tmp_path: Path, llmcc_env: dict[str, str]
):
    bin_dir = _install_wheel(wheel, tmp_path / "venv")
    llmcc = bin_dir / "llmcc"
    assert llmcc.read_bytes()[:4] == ELF
    assert (bin_dir / "llmcc-py").read_text().splitlines()[0] == f"#!{bin_dir / 'python'}"
    sock = compile_server.socket_path(bin_dir)
    env = dict(llmcc_env, LLMCC_SERVER_IDLE="60", PYTHONPATH="")
    work = tmp_path / "w"
    work.mkdir()
    try:
        _compile_and_compare(llmcc, env, work)
        # the client started the server of this installation (socket named after its bin) with
        # the venv's Python, found through llmcc-py's #! line
        assert compile_server.server_pid(sock) is not None
        status = subprocess.run([str(llmcc), "compile-server", "status"], env=env, capture_output=True, text=True)
        assert sock in status.stdout, status.stdout + status.stderr
        _compile_and_compare(llmcc, env, work)  # served warm
    finally:
        _stop(sock)


def test_pipx_install_runs_the_client_through_its_symlink(wheel: Path, tmp_path: Path, llmcc_env: dict[str, str]):
    pipx = shutil.which("pipx", path=str(Path(sys.executable).parent))
    assert pipx, "pipx is a test dependency (pyproject.toml [test])"
    home, bin_link = tmp_path / "pipx-home", tmp_path / "pipx-bin"
    penv = dict(os.environ, PIPX_HOME=str(home), PIPX_BIN_DIR=str(bin_link), PIPX_MAN_DIR=str(tmp_path / "man"))
    r = subprocess.run([pipx, "install", str(wheel)], env=penv, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    llmcc = bin_link / "llmcc"
    assert llmcc.is_symlink() and llmcc.resolve().read_bytes()[:4] == ELF
    # the socket and llmcc-py are found from the client's real path, inside pipx's venv
    real_bin = llmcc.resolve().parent
    assert real_bin != bin_link
    sock = compile_server.socket_path(real_bin)
    env = dict(llmcc_env, LLMCC_SERVER_IDLE="60", PATH=f"{bin_link}:{llmcc_env['PATH']}")
    work = tmp_path / "w"
    work.mkdir()
    try:
        _compile_and_compare(llmcc, env, work)
        assert compile_server.server_pid(sock) is not None
        stop = subprocess.run(["llmcc", "compile-server", "stop"], env=env, capture_output=True, text=True)
        assert "stopped the compile server" in stop.stdout, stop.stdout + stop.stderr
        assert compile_server.server_pid(sock) is None
    finally:
        _stop(sock)


def test_without_a_c_compiler_llmcc_is_the_python_entry(tmp_path_factory, tmp_path: Path, llmcc_env: dict[str, str]):
    empty = _session_dir(tmp_path_factory) / "no-compiler-path"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "CC"}
    env["PATH"] = str(empty)  # no cc, no gcc: pip runs the build backend with its own interpreter
    whl, log = _wheel(tmp_path_factory, "nocc", env)
    notices = [ln for ln in log.splitlines() if "llmcc: native client not built" in ln]
    assert len(notices) == 1 and "no C compiler" in notices[0], log[-2000:]
    bin_dir = _install_wheel(whl, tmp_path / "venv")
    llmcc = bin_dir / "llmcc"
    assert llmcc.read_text().splitlines()[0] == f"#!{bin_dir / 'python'}"
    work = tmp_path / "w"
    work.mkdir()
    _compile_and_compare(llmcc, dict(llmcc_env, PYTHONPATH=""), work)


def test_editable_compat_install_is_what_make_venv_made(llmcc_bin: Path):
    """The suite's own venv comes from the Makefile's `pip install -e . --config-settings
    editable_mode=compat`: its llmcc is the client the build backend compiled from this checkout."""
    assert llmcc_bin.read_bytes()[:4] == ELF
    assert not llmcc_bin.is_symlink()
    first = (llmcc_bin.parent / "llmcc-py").read_text().splitlines()[0]
    assert first == f"#!{Path(sys.executable)}" or first == f"#!{llmcc_bin.parent / 'python'}"
