"""The native client and the compile server: a compile served by the warm server is the compile
the Python llmcc makes; the client falls back to Python whenever the server cannot serve it,
forwards Ctrl-C, and keeps masquerade mode.

Each test runs a private installation (a copy of the client binary in its own directory, with
llmcc-py beside it): the client names its server's socket after its directory, so these
servers are the tests' own, and are stopped at the end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cache.stats import Stats
from gcc_wrapper.compile import server as compile_server

SRC = "int scale(int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i] * 3; return s; }\n"


class Install:
    def __init__(self, root: Path, venv_bin: Path, env: dict[str, str]) -> None:
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        shutil.copy2(venv_bin / "llmcc", self.bin / "llmcc")
        (self.bin / "llmcc-py").symlink_to(venv_bin / "llmcc-py")
        self.llmcc = self.bin / "llmcc"
        self.env = dict(env, LLMCC_SERVER_IDLE="60")
        self.sock = compile_server.socket_path(self.bin)

    def run(self, *words: str, cwd: Path, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.llmcc), *words], cwd=cwd, env=env or self.env, capture_output=True, **kw)

    def server(self) -> int | None:
        return compile_server.server_pid(self.sock)

    def wait_for_server(self) -> int:
        for _ in range(100):
            pid = self.server()
            if pid is not None and os.path.exists(self.sock):
                return pid
            time.sleep(0.05)
        raise AssertionError("no compile server started")

    def start_server(self, cwd: Path) -> int:
        """Have the Python llmcc start a server (a command line the client does not pass straight
        to gcc, with no server there yet); its pid."""
        self.run("-E", "-x", "c", os.devnull, cwd=cwd)
        return self.wait_for_server()

    def stop(self) -> None:
        pid = self.server()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)


@pytest.fixture
def inst(tmp_path: Path, llmcc_bin: Path, env: dict[str, str]):
    i = Install(tmp_path / "inst", llmcc_bin.parent, env)
    yield i
    i.stop()


def _parent_cmdline_logger(tmp_path: Path, gcc: str, log: Path, delay: float = 0.0) -> Path:
    """A real-gcc stand-in named gcc that records who ran it, pid and command line, one line per
    -S compile."""
    d = tmp_path / "fakebin"
    d.mkdir(exist_ok=True)
    fake = d / "gcc"
    fake.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" -S "*)\n'
        f'  printf "%s " $PPID >> "{log}"; tr "\\0" " " < /proc/$PPID/cmdline >> "{log}"; echo >> "{log}"\n'
        f"  sleep {delay}\n"
        '  echo done >> "' + str(log) + '.done" ;;\n'
        "esac\n"
        f'exec "{gcc}" "$@"\n'
    )
    fake.chmod(0o755)
    return fake


def _start_compile(inst: Install, work: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start compiling s.c in the background; return once the (logging) gcc has started."""
    (work / "s.c").write_text(SRC)
    p = subprocess.Popen(
        [str(inst.llmcc), "-c", "s.c", "-o", "s.o"], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    for _ in range(200):
        if log.exists():
            return p
        time.sleep(0.05)
    raise AssertionError("the compile did not start")


def _slow_served_compile(inst: Install, work: Path, gcc: str, tmp_path: Path, delay: float):
    """A compile of s.c running in the server, its gcc sleeping `delay` s first; (process, log)."""
    inst.start_server(work)
    log = tmp_path / "who"
    env = dict(inst.env, LLMCC_CC=str(_parent_cmdline_logger(tmp_path, gcc, log, delay=delay)), LLMCC_TU_CACHE="0")
    return _start_compile(inst, work, env, log), log


def test_second_compile_is_served_and_equals_gccs(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    log = tmp_path / "who"
    env = dict(inst.env, LLMCC_CC=str(_parent_cmdline_logger(tmp_path, gcc, log)))
    (work / "s.c").write_text(SRC)
    first = inst.run("-O2", "-c", "s.c", "-o", "first.o", cwd=work, env=env)
    assert first.returncode == 0, first.stderr
    inst.wait_for_server()
    second = inst.run("-O2", "-c", "s.c", "-o", "second.o", cwd=work, env=dict(env, LLMCC_TU_CACHE="0"))
    assert second.returncode == 0 and second.stderr == b""
    runners = log.read_text().splitlines()
    # no server at first: the client started one and waited for it, rather than run Python
    assert "compile.server" in runners[0] and "compile.server" in runners[1], runners
    subprocess.run([gcc, "-O3", "-c", "s.c", "-o", "ref.o"], cwd=work, check=True)
    for o in ("first.o", "second.o"):
        assert (work / o).read_bytes() == (work / "ref.o").read_bytes(), o


def test_errors_stdin_and_status_through_the_server(inst: Install, work: Path, gcc: str) -> None:
    inst.start_server(work)
    (work / "bad.c").write_text("int f(void) { return nope; }\n")
    mine = inst.run("-c", "bad.c", cwd=work)
    theirs = subprocess.run([gcc, "-c", "bad.c"], cwd=work, capture_output=True, env=inst.env)
    assert mine.returncode == theirs.returncode == 1
    assert mine.stderr == theirs.stderr and b"nope" in mine.stderr
    piped = inst.run("-x", "c", "-c", "-", "-o", "piped.o", cwd=work, input=SRC.encode())
    assert piped.returncode == 0 and (work / "piped.o").stat().st_size > 0
    v = inst.run("--version", cwd=work)
    assert v.stdout == subprocess.run([gcc, "--version"], capture_output=True).stdout
    assert inst.run("config", cwd=work).returncode == 0  # management commands: the Python llmcc


def test_switched_off_runs_python(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    inst.start_server(work)
    log = tmp_path / "who"
    env = dict(inst.env, LLMCC_CC=str(_parent_cmdline_logger(tmp_path, gcc, log)), LLMCC_COMPILE_SERVER="0")
    (work / "s.c").write_text(SRC)
    assert inst.run("-c", "s.c", cwd=work, env=env).returncode == 0
    assert "llmcc-py" in log.read_text()


def test_a_server_that_dies_mid_compile_costs_nothing(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    p, log = _slow_served_compile(inst, work, gcc, tmp_path, delay=1.5)
    server = inst.server()
    children = [int(c) for c in Path(f"/proc/{server}/task/{server}/children").read_text().split()]
    assert children, "the compile is not running in the server"
    for c in children:
        os.kill(c, signal.SIGKILL)  # the server's child doing this compile
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    subprocess.run([gcc, "-O3", "-c", "s.c", "-o", "ref.o"], cwd=work, check=True)
    assert (work / "s.o").read_bytes() == (work / "ref.o").read_bytes()
    assert "compile.server" in log.read_text().splitlines()[0] and "llmcc-py" in log.read_text().splitlines()[-1]


def test_ctrl_c_reaches_the_compiler(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    p, log = _slow_served_compile(inst, work, gcc, tmp_path, delay=30)
    assert "compile.server" in log.read_text()
    started = time.monotonic()
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=20)
    assert time.monotonic() - started < 15  # the 30 s compile was interrupted, not waited for
    assert p.returncode != 0
    assert not (work / "s.o").exists() and not Path(str(log) + ".done").exists()


def test_masquerade_as_gcc_through_a_symlink(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    inst.start_server(work)
    masq = tmp_path / "masq"
    masq.mkdir()
    (masq / "gcc").symlink_to(inst.llmcc)
    env = dict(inst.env, PATH=f"{masq}{os.pathsep}{inst.env['PATH']}")
    (work / "s.c").write_text(SRC)
    r = subprocess.run(["gcc", "-O2", "-c", "s.c", "-o", "m.o"], cwd=work, env=env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    subprocess.run([gcc, "-O3", "-c", "s.c", "-o", "ref.o"], cwd=work, check=True)
    assert (work / "m.o").read_bytes() == (work / "ref.o").read_bytes()
    v = subprocess.run(["gcc", "--version"], cwd=work, env=env, capture_output=True, timeout=60)
    assert v.stdout == subprocess.run([gcc, "--version"], capture_output=True).stdout


def test_sigterm_stops_the_compile_and_is_not_retried(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    p, log = _slow_served_compile(inst, work, gcc, tmp_path, delay=30)
    p.send_signal(signal.SIGTERM)  # what make does to its jobs when it is stopped
    p.communicate(timeout=20)
    assert p.returncode == -signal.SIGTERM
    time.sleep(0.5)
    runners = log.read_text().splitlines()
    assert len(runners) == 1 and "compile.server" in runners[0], runners  # no Python redo
    assert not (work / "s.o").exists()


def test_an_edited_llmcc_is_never_served_by_the_old_server(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"  # a copy of llmcc's code that the test may edit
    root = Path(compile_server.__file__).resolve().parents[2]
    for name in ("gcc_wrapper", "cache"):
        shutil.copytree(root / name, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    log = tmp_path / "who"
    env = dict(
        inst.env, PYTHONPATH=str(pkg), LLMCC_CC=str(_parent_cmdline_logger(tmp_path, gcc, log)), LLMCC_TU_CACHE="0"
    )
    (work / "s.c").write_text(SRC)
    assert inst.run("-c", "s.c", cwd=work, env=env).returncode == 0
    old = inst.wait_for_server()
    assert inst.run("-c", "s.c", cwd=work, env=env).returncode == 0
    assert "compile.server" in log.read_text().splitlines()[-1]
    driver = pkg / "gcc_wrapper" / "compile" / "driver.py"
    os.utime(driver, ns=(driver.stat().st_atime_ns, driver.stat().st_mtime_ns + 10**9))
    assert inst.run("-c", "s.c", cwd=work, env=env).returncode == 0
    assert "llmcc-py" in log.read_text().splitlines()[-1]  # the stale server handed it to Python
    for _ in range(100):
        if inst.server() != old:
            break
        time.sleep(0.05)
    assert inst.server() != old  # and went away
    assert inst.run("-c", "s.c", cwd=work, env=env).returncode == 0  # (this one starts a new server)
    assert inst.wait_for_server() != old


def _loggers(inst: Install, tmp_path: Path, gcc: str, log: Path) -> Path:
    """Record how each command line was run: the installation's llmcc-py becomes a wrapper that
    logs "python" (the client handed the command line to the Python llmcc), and the directory
    returned holds a stand-in `gcc` that logs "gcc|LLMCC_SEEN|its arguments" (LLMCC_SEEN: the
    recursion guard llmcc gives the compilers it runs), then runs gcc."""
    real_py = (inst.bin / "llmcc-py").resolve()
    (inst.bin / "llmcc-py").unlink()
    (inst.bin / "llmcc-py").write_text(f'#!/bin/sh\necho python >> "{log}"\nexec "{real_py}" "$@"\n')
    (inst.bin / "llmcc-py").chmod(0o755)
    d = tmp_path / "logbin"
    d.mkdir(exist_ok=True)
    fake = d / "gcc"
    fake.write_text(f'#!/bin/sh\necho "gcc|$LLMCC_SEEN|$*" >> "{log}"\nexec "{gcc}" "$@"\n')
    fake.chmod(0o755)
    return d


def test_links_and_questions_go_straight_to_gcc(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    log = tmp_path / "log"
    fakebin = _loggers(inst, tmp_path, gcc, log)
    # LLMCC_COMPILE_SERVER=0: whatever the client does not pass straight to gcc goes to Python
    env = dict(inst.env, PATH=f"{fakebin}{os.pathsep}{inst.env['PATH']}", LLMCC_COMPILE_SERVER="0")
    for src in ("k.c", "main.c"):
        subprocess.run([gcc, "-O2", "-c", src], cwd=work, check=True)
    straight = [
        ["--version"],
        ["-dumpmachine"],
        ["-O2", "-o", "prog", "main.o", "k.o", "-lm"],
        ["-print-prog-name=cc1"],
    ]
    for words in straight:
        mine = inst.run(*words, cwd=work, env=env)
        theirs = subprocess.run([gcc, *words], cwd=work, capture_output=True)
        assert (mine.returncode, mine.stdout, mine.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr), words
    assert (work / "prog").exists()
    lines = log.read_text().splitlines()
    assert lines == [f"gcc|{(fakebin / 'gcc').resolve()}|{' '.join(words)}" for words in straight]
    # compiles, and anything the list does not know, take the long way
    long_way = [["-c", "k.c", "-o", "k2.o"], ["-O2", "-o", "prog2", "k.c"], ["-E", "k.c"], ["-v", "-o", "p3", "k.o"]]
    for words in long_way:
        log.unlink()
        inst.run(*words, cwd=work, env=env)
        assert log.read_text().startswith("python\n"), (words, log.read_text())
    # with the server allowed, a link still starts none (only Python starts servers)
    assert inst.run("-o", "prog", "main.o", "k.o", cwd=work).returncode == 0
    assert inst.server() is None


def test_a_config_file_or_another_compiler_takes_the_long_way(
    inst: Install, work: Path, gcc: str, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    fakebin = _loggers(inst, tmp_path, gcc, log)
    env = dict(inst.env, PATH=f"{fakebin}{os.pathsep}{inst.env['PATH']}", LLMCC_COMPILE_SERVER="0")
    masquerade = tmp_path / "masq"
    masquerade.mkdir()
    (masquerade / "gcc").symlink_to(inst.llmcc)
    (work / "sub").mkdir()
    cases = [
        ([str(inst.llmcc), "--version"], work / "sub", env, "llmcc.toml"),  # a configuration file may name another cc
        ([str(inst.llmcc), "--version"], work, dict(env, LLMCC_CC=str(fakebin / "gcc")), None),
        ([str(masquerade / "gcc"), "--version"], work, env, None),  # masquerade: the name decides which gcc
    ]
    for cmd, cwd, e, config in cases:
        if config:
            (work / config).write_text('mode = "off"\n')
        if log.exists():
            log.unlink()
        r = subprocess.run(cmd, cwd=cwd, env=e, capture_output=True)
        assert r.returncode == 0 and r.stdout == subprocess.run([gcc, "--version"], capture_output=True).stdout
        assert log.read_text().startswith("python\n"), (cmd, log.read_text())
        if config:
            (work / config).unlink()


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True  # dead, waiting for init to collect it
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def _waiting_workers(server: int) -> list[int]:
    """The server's workers, once the one that served the -E that started it waits again."""
    time.sleep(0.2)
    for _ in range(100):
        workers = _children(server)
        # (where a process sleeps, when the kernel says: an accept() on a Unix socket waits in
        # __skb_wait_for_more_packets)
        where = [Path(f"/proc/{w}/wchan").read_text() for w in workers]
        if workers and all("skb_wait" in w or "accept" in w or w == "0" for w in where):
            return workers
        time.sleep(0.05)
    raise AssertionError(f"workers not waiting: {_children(server)}")


def test_workers_killed_while_waiting_are_replaced_at_once(inst: Install, work: Path, gcc: str, tmp_path: Path) -> None:
    server = inst.start_server(work)
    workers = _waiting_workers(server)
    for w in workers:
        os.kill(w, signal.SIGKILL)
    # A killed process that has not run yet can still take a connection that arrives meanwhile
    # (the kernel hands it over before the signal is acted on) and die with it, and the client
    # would then fall back to Python: connect only once they are dead.
    assert all(_gone(w) for w in workers)
    log = tmp_path / "who"
    env = dict(inst.env, LLMCC_CC=str(_parent_cmdline_logger(tmp_path, gcc, log)), LLMCC_TU_CACHE="0")
    (work / "s.c").write_text(SRC)
    # with no worker waiting nobody would accept: the client would wait (here: until the timeout fails the test)
    r = subprocess.run([str(inst.llmcc), "-c", "s.c", "-o", "s.o"], cwd=work, env=env, capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert "compile.server" in log.read_text()  # served, by a worker forked in place of the killed ones
    assert _worker_pids(log)[0] not in workers
    assert inst.server() == server


@pytest.mark.parametrize("how", ["idle", "stop"])
def test_the_workers_go_with_the_server(inst: Install, work: Path, how: str) -> None:
    if how == "idle":
        inst.env["LLMCC_SERVER_IDLE"] = "1"
    server = inst.start_server(work)
    workers = _waiting_workers(server)
    if how == "stop":
        assert inst.run("compile-server", "stop", cwd=work).returncode == 0
    assert _gone(server), (server, Path(f"/proc/{server}/stat").read_text() if Path(f"/proc/{server}").exists() else "")
    assert all(_gone(w) for w in workers)
    assert not os.path.exists(inst.sock)


def test_workers_end_with_a_killed_server_once_their_compile_is_done(
    inst: Install, work: Path, gcc: str, tmp_path: Path
) -> None:
    """A server that dies without cleaning up (SIGKILL, the OOM killer) leaves no worker waiting
    forever on a socket nobody can reach; a compile in progress still ends as it should."""
    p, log = _slow_served_compile(inst, work, gcc, tmp_path, delay=1.5)
    server = inst.server()
    workers = _children(server)
    os.kill(server, signal.SIGKILL)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert [line for line in log.read_text().splitlines() if "llmcc-py" in line] == []  # not redone in Python
    subprocess.run([gcc, "-O3", "-c", "s.c", "-o", "ref.o"], cwd=work, check=True)
    assert (work / "s.o").read_bytes() == (work / "ref.o").read_bytes()
    assert workers and all(_gone(w) for w in workers)


def test_a_server_whose_socket_was_removed_costs_only_speed(
    inst: Install, work: Path, gcc: str, tmp_path: Path
) -> None:
    """A /tmp cleaner may remove the socket of a running server, which still holds its lock: the
    client does not start another while the lock says one runs (after a short wait, Python
    compiles), and the server notices within seconds and leaves, so a new one starts."""
    server = inst.start_server(work)
    os.unlink(inst.sock)
    log = tmp_path / "who"
    env = dict(inst.env, LLMCC_CC=str(_parent_cmdline_logger(tmp_path, gcc, log)), LLMCC_TU_CACHE="0")
    (work / "s.c").write_text(SRC)
    r = subprocess.run([str(inst.llmcc), "-c", "s.c", "-o", "s.o"], cwd=work, env=env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr  # (by Python, or by a new server if the old one has left already)
    subprocess.run([gcc, "-O3", "-c", "s.c", "-o", "ref.o"], cwd=work, check=True)
    assert (work / "s.o").read_bytes() == (work / "ref.o").read_bytes()
    assert _gone(server, within=20)
    r = subprocess.run([str(inst.llmcc), "-c", "s.c", "-o", "s.o"], cwd=work, env=env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "compile.server" in log.read_text().splitlines()[-1]
    assert inst.server() not in (None, server)


def _worker_pids(log: Path) -> list[int]:
    return [int(line.split()[0]) for line in log.read_text().splitlines() if "compile.server" in line]


def test_a_worker_serves_compile_after_compile_each_as_if_fresh(
    inst: Install, work: Path, gcc: str, tmp_path: Path
) -> None:
    """Workers are reused; nothing of one compile (directory, umask, environment, cache, remembered
    paths, streams) reaches the next."""
    server = inst.start_server(work)
    log, other_log = tmp_path / "who", tmp_path / "who2"
    other = tmp_path / "other"
    other.mkdir()
    other_logger = shutil.move(_parent_cmdline_logger(tmp_path, gcc, other_log), other / "gcc")
    logger = _parent_cmdline_logger(tmp_path, gcc, log)
    for name in ("a", "b"):
        (work / name).mkdir()
        for src in ("k.c", "w.c"):
            shutil.copy(work / src, work / name / src)
    cache_a, cache_b = tmp_path / "cache-a", tmp_path / "cache-b"
    # (no translation-unit cache: every compile runs gcc -S, so the logger sees who served it)
    env_a = dict(inst.env, LLMCC_CC=str(logger), LLMCC_CACHE_DIR=str(cache_a), LLMCC_MODE="off", LLMCC_TU_CACHE="0")
    env_b = dict(env_a, LLMCC_CACHE_DIR=str(cache_b))

    def compile_(where: str, src: str, env: dict[str, str], umask: int = 0o022) -> subprocess.CompletedProcess:
        _waiting_workers(server)  # (each compile finds the workers of the last ones waiting: none is forked)
        r = subprocess.run(
            [str(inst.llmcc), "-Wall", "-c", src],
            cwd=work / where,
            env=env,
            capture_output=True,
            umask=umask,
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        return r

    compile_("a", "k.c", env_a)
    compile_("b", "k.c", env_b, umask=0o077)
    warned = compile_("a", "w.c", env_a)
    quiet = compile_("b", "k.c", env_b, umask=0o077)
    compile_("b", "w.c", dict(env_b, LLMCC_CC=str(other_logger)))
    compile_("a", "k.c", env_a)

    pids = _worker_pids(log)
    assert len(pids) == 5 and len(set(pids)) < len(pids), pids  # served, by fewer workers than compiles
    assert len(_worker_pids(other_log)) == 1  # the compile's own LLMCC_CC, not the gcc found before
    for stem in ("k", "w"):
        subprocess.run(
            [gcc, "-Wall", "-O3", "-c", f"{stem}.c", "-o", f"ref-{stem}.o"], cwd=work, check=True, capture_output=True
        )
    for where in ("a", "b"):
        for stem in ("k", "w"):
            assert (work / where / f"{stem}.o").read_bytes() == (work / f"ref-{stem}.o").read_bytes(), (where, stem)
    assert (work / "b" / "k.o").stat().st_mode & 0o777 == 0o600  # its own umask, not the last one's
    assert (work / "a" / "k.o").stat().st_mode & 0o777 == 0o644
    assert warned.stderr.count(b"warning: unused variable") == 1 and quiet.stderr == b""
    for cache in (cache_a, cache_b):  # each compile counted in its own cache
        assert Stats(cache).totals().get("compiles") == 3, cache


def test_a_compile_that_leaves_state_behind_ends_its_worker(
    inst: Install, work: Path, gcc: str, tmp_path: Path
) -> None:
    """A one-shot compile and link imports modules the server never loaded (their state is not
    reset between compiles), so its worker serves no other compile; a plain -c keeps its worker."""
    inst.start_server(work)
    log = tmp_path / "who"
    env = dict(inst.env, LLMCC_CC=str(_parent_cmdline_logger(tmp_path, gcc, log)), LLMCC_MODE="off", LLMCC_TU_CACHE="0")
    r = subprocess.run(
        [str(inst.llmcc), "-o", "prog", "main.c", "k.c"], cwd=work, env=env, capture_output=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    linked = _worker_pids(log)[-1]
    assert _gone(linked)
    r = subprocess.run([str(inst.llmcc), "-c", "k.c"], cwd=work, env=env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    plain = _worker_pids(log)[-1]
    assert plain != linked and not _gone(plain, within=0.5)  # waiting for the next compile
