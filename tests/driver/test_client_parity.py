"""Where the native client (client.c) repeats a decision of the Python side, both give the same
answer on the same input: the protocol's constants and the request's encoding (protocol.py), the
socket path, the configuration-file rule (config_files.py), the link-or-query words
(options.link_or_query_word) and the gcc the client execs for a plain line
(compiler.find_real_compiler, run_name, child_env). The client is built with -DLLMCC_PARITY_TEST:
the same functions the installed client runs, with an entry that prints what they decide."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gcc_wrapper import cli
from gcc_wrapper.compile import args, options, protocol

CLIENT_C = Path(__file__).resolve().parents[2] / "gcc_wrapper" / "compile" / "client.c"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def parity(tmp_path_factory) -> Path:
    exe = tmp_path_factory.mktemp("parity") / "client-parity"
    subprocess.run(
        [
            "gcc",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wno-unused-function",
            "-DLLMCC_PARITY_TEST",
            "-o",
            str(exe),
            str(CLIENT_C),
        ],
        check=True,
    )
    return exe


def _c(parity: Path, *words: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    r = subprocess.run([str(parity), *words], capture_output=True, env=env, cwd=cwd, check=True)
    return r.stdout.decode("utf-8", "surrogateescape")


def _py(code: str, env: dict[str, str], cwd: Path) -> str:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, check=True)
    return r.stdout


def test_protocol_constants_are_the_same(parity):
    got = dict(line.split("=", 1) for line in _c(parity, "constants").splitlines())
    assert bytes.fromhex(got["magic"]) == protocol.MAGIC
    assert int(got["head"]) == protocol.HEAD_SIZE and int(got["reply"]) == protocol.REPLY_SIZE
    assert [got[t].encode() for t in ("pgid", "exit", "pyth")] == [protocol.PGID, protocol.EXIT, protocol.PYTH]
    assert (got["argv0_env"], got["start_env"], got["off_env"]) == (
        protocol.ARGV0_ENV,
        protocol.START_ENV,
        protocol.OFF_ENV,
    )
    # cli spells the two hand-off variables itself (a run need not import protocol to look)
    assert (cli._ARGV0_ENV, cli._START_ENV) == (protocol.ARGV0_ENV, protocol.START_ENV)


def test_request_encoding_is_the_same(parity, tmp_path):
    words = ["-c", "a b.c", "", '-DX="q"', "é.c", "-o", "out dir/x.o"]
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "ODD": "a=b=c", "EMPTY": "", "UTF": "ü"}
    cmd = ["sh", "-c", 'umask 027; exec "$0" "$@"', str(parity), "payload", "llmcc", *words]
    payload = subprocess.run(cmd, capture_output=True, env=env, cwd=tmp_path, check=True).stdout
    req = protocol.decode_payload(payload)
    assert req.cwd == os.path.realpath(tmp_path) and req.umask == 0o027
    assert req.argv0 == str(VENV_BIN / "llmcc")  # a bare name is resolved on PATH, as for a script
    assert req.args == words
    assert {k: v for k, v in (item.split("=", 1) for item in req.env) if k in env} == env
    assert protocol.encode_payload(req) == payload
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_payload(payload[: payload.rindex(b"\0", 0, len(payload) - 1) + 1])  # a field short


@pytest.mark.parametrize("name", ["plain", "with space", "ünï", "deep/er"])
def test_socket_path_is_the_same(parity, tmp_path, name):
    d = tmp_path / name
    d.mkdir(parents=True)
    real = os.path.realpath(d)
    assert _c(parity, "socket-path", real).strip() == protocol.socket_path(real)
    assert _c(parity, "socket-path", str(VENV_BIN.resolve())).strip() == protocol.socket_path(str(VENV_BIN))


def test_config_file_rule_is_the_same(parity, tmp_path):
    """config_files.any_exists() and the client's config_file_exists() in the same places."""
    home = tmp_path / "home"
    deep = tmp_path / "proj" / "sub" / "dir"
    deep.mkdir(parents=True)
    home.mkdir()
    link = tmp_path / "elsewhere"
    link.symlink_to(deep)  # the rule walks up from the real directory, not from the link's
    base = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    code = "from gcc_wrapper.compile import config_files; print(int(config_files.any_exists()))"

    def both(env: dict[str, str], cwd: Path) -> tuple[str, str]:
        return _c(parity, "config-exists", env=env, cwd=cwd).strip(), _py(code, env, cwd).strip()

    xdg = {**base, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert both(xdg, deep) == ("0", "0")
    (tmp_path / "proj" / "llmcc.toml").mkdir()  # a directory of that name is no file
    assert both(xdg, deep) == ("0", "0")
    (tmp_path / "proj" / "llmcc.toml").rmdir()
    (tmp_path / "proj" / "llmcc.toml").write_text("")
    assert both(xdg, deep) == ("1", "1")
    assert both(xdg, link) == ("1", "1")
    (tmp_path / "proj" / "llmcc.toml").unlink()
    (home / ".config" / "llmcc").mkdir(parents=True)
    (home / ".config" / "llmcc" / "config.toml").write_text("")
    assert both(base, deep) == ("1", "1")  # no XDG_CONFIG_HOME: ~/.config
    assert both({**base, "XDG_CONFIG_HOME": ""}, deep) == ("1", "1")  # empty: as unset
    assert both(xdg, deep) == ("0", "0")  # XDG_CONFIG_HOME set: ~/.config is not read


WORDS = [
    *options.LINK_OR_QUERY_EXACT,
    *options.LINK_OR_QUERY_PREFIX,
    *(p + "x" for p in options.LINK_OR_QUERY_PREFIX),
    "-Wall",
    "-W",
    "-Wa,--noexecstack",
    "-Wp,-MD,x.d",
    "-Wl,-z,now",
    "-Werror=format",
    "-fPIC",
    "-f",
    "-flto",
    "-flto=auto",
    "-fsyntax-only",
    "-fdump-tree-all",
    "-fno-lto",
    "-fprofile-use",
    "-c",
    "-S",
    "-E",
    "-M",
    "-x",
    "-o",
    "-O",
    "-O3",
    "-g",
    "-g3",
    "-march=native",
    "-std=c11",
    "-lm",
    "-L/opt/lib",
    "-I.",
    "-DX",
    "-UX",
    "a.o",
    "a.a",
    "a.so",
    "a.so.1",
    "libz.so.1.2",
    ".o",
    ".a",
    ".so",
    ".so.",
    "a.c",
    "a.s",
    "a.S",
    "a",
    "",
    "-",
    "a.o.c",
    "x.so.c",
    "--version",
    "--versions",
    "-v",
    "-###",
    "-print-file-name=libc.so",
    "-print-",
    "-static-pie",
    "-pie",
    "-no-pie",
    "-nostdlib",
    "-r",
    "@resp",
]


def test_link_or_query_words_are_the_same(parity):
    got = _c(parity, "words", *WORDS).split()
    assert len(got) == len(WORDS)
    differ = [(w, c) for w, c in zip(WORDS, got) if (c == "1") != options.link_or_query_word(w)]
    assert not differ, differ


LINES = [
    ["-o", "prog", "a.o", "b.o", "-lm"],
    ["--version"],
    ["-dumpmachine"],
    ["-print-file-name=libc.so"],
    ["-O2", "-g", "-o", "prog", "main.o", "-Wl,--as-needed", "-L.", "-lz"],
    ["-shared", "-o", "libx.so", "x.o"],
    ["-c", "a.c"],
    ["-O2", "a.c", "-o", "prog"],
    ["-o", "a.o", "-c", "a.c"],
    ["-E", "a.c"],
    ["-fsyntax-only", "a.o"],
    ["-flto", "-o", "p", "a.o"],
    ["-o"],
    ["-x", "c", "a.o"],
    ["-Wa,-a", "a.o"],
    ["-S", "-o", "x.s", "a.c"],
]


def test_plain_lines_are_pass_throughs_for_python_too(parity, tmp_path):
    """A line the client execs gcc for by itself is one the Python llmcc passes through too; and a
    configuration file (which could name another compiler) or LLMCC_CC makes the client ask."""
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    plain = []
    for words in LINES:
        said = _c(parity, "plain", str(VENV_BIN), "llmcc", *words, env=env, cwd=tmp_path).strip()
        if said == "1":
            plain.append(words)
            assert args.parse(words).kind == "passthrough", words
    assert len(plain) >= 5 and ["-c", "a.c"] not in plain and ["-E", "a.c"] not in plain  # (-E: Python's to say)
    line = ["-o", "prog", "a.o"]
    assert _c(parity, "plain", str(VENV_BIN), "llmcc", *line, env=env, cwd=tmp_path).strip() == "1"
    assert _c(parity, "plain", str(VENV_BIN), "gcc", *line, env=env, cwd=tmp_path).strip() == "0"  # masquerading
    assert (
        _c(parity, "plain", str(VENV_BIN), "llmcc", *line, env={**env, "LLMCC_CC": "cc"}, cwd=tmp_path).strip() == "0"
    )
    (tmp_path / "llmcc.toml").write_text("")
    assert _c(parity, "plain", str(VENV_BIN), "llmcc", *line, env=env, cwd=tmp_path).strip() == "0"


FIND = """\
import sys
from gcc_wrapper.compile import compiler
argv0 = sys.argv[1]
sys.argv[0] = argv0
lk = compiler.Lookups()
try:
    cc, _ = compiler.find_real_compiler(argv0, [], None, lk)
except compiler.CompilerNotFound:
    print("none")
else:
    print(cc)
    print(compiler.run_name(cc, lk))
    print(compiler.child_env(cc, lk).get("LLMCC_SEEN", ""))
"""


def test_gcc_lookup_is_the_same(parity, tmp_path):
    """The gcc the client execs for a plain line is the one compiler.find_real_compiler picks,
    run by the same name, with the same LLMCC_SEEN: past llmcc itself on PATH and past a
    compiler llmcc already ran."""
    real_gcc = shutil.which("gcc", path="/usr/bin:/bin")
    assert real_gcc
    dirs = {name: tmp_path / name for name in ("selfish", "wrapper", "plain", "empty")}
    for d in dirs.values():
        d.mkdir()
    (dirs["selfish"] / "gcc").symlink_to(VENV_BIN / "llmcc")  # llmcc installed as gcc: skipped
    (dirs["wrapper"] / "gcc").write_text(f'#!/bin/sh\nexec {real_gcc} "$@"\n')
    (dirs["wrapper"] / "gcc").chmod(0o755)
    (dirs["plain"] / "gcc").symlink_to(real_gcc)
    argv0 = str(VENV_BIN / "llmcc")
    cases = [
        [dirs["selfish"], dirs["plain"]],
        [dirs["plain"], dirs["wrapper"]],
        [dirs["wrapper"], dirs["plain"]],
        [dirs["empty"], dirs["selfish"]],
        [dirs["selfish"], Path("/usr/bin")],
    ]
    seen_cases = ["", str(dirs["wrapper"] / "gcc"), os.path.realpath(real_gcc), f"/x:{os.path.realpath(real_gcc)}"]
    answers = set()
    for path_dirs in cases:
        for seen in seen_cases:
            env = {"PATH": ":".join(map(str, path_dirs)), "HOME": str(tmp_path)}
            if seen:
                env["LLMCC_SEEN"] = seen
            c = _c(parity, "gcc", str(VENV_BIN), argv0, env=env, cwd=tmp_path).splitlines()
            p = subprocess.run(
                [sys.executable, "-c", FIND, argv0], capture_output=True, text=True, env=env, cwd=tmp_path, check=True
            ).stdout.splitlines()
            assert c == p, (path_dirs, seen)
            answers.add(c[0] if len(c) == 1 else (c[0], c[1]))
    # the cases reach every branch: none, the first gcc by its bare name, a later one by its path
    assert "none" in answers
    assert any(isinstance(a, tuple) and a[1] == "gcc" for a in answers)
    assert any(isinstance(a, tuple) and a[1] != "gcc" for a in answers)
