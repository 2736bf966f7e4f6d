"""Build step that pyproject.toml cannot declare: the native client as the `llmcc` command.

Every install (`pip install .`, `pip install -e .` in any editable mode, `pipx install .`) puts
two commands in the environment's bin: `llmcc-py`, the Python entry point ([project.scripts]), and
`llmcc`, gcc_wrapper/compile/client.c compiled here. The client finds its Python through
llmcc-py's `#!` line and its compile server's socket through its own real path, both in that same
bin directory, so it works wherever the installer puts the scripts (a venv, a pipx venv behind
~/.local/bin symlinks, --user).

With no working C compiler the `llmcc` command is a Python script instead (the same entry as
llmcc-py, each compile paying Python's start-up) and the build says so in one line.

Why setuptools and not scikit-build-core: it is one C file with no dependencies, built by one
compiler call; setuptools is already the backend (compat editable installs need it), and CMake
would be a build dependency that can fail on exactly the machines the fallback exists for.
"""

import os
import shlex
import shutil
import subprocess
import sys

from setuptools import setup
from distutils.command.build_scripts import build_scripts  # setuptools provides distutils

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools with the wheel package
    from wheel.bdist_wheel import bdist_wheel

CLIENT_SOURCE = "gcc_wrapper/compile/client.c"
CLIENT_FLAGS = ["-O2", "-Wall"]

# the fallback `llmcc`: what [project.scripts] would have written for it
PYTHON_ENTRY = """\
import sys
from gcc_wrapper.cli import main
sys.exit(main())
"""


def _compilers() -> list[list[str]]:
    """C compilers to try, the one $CC names first."""
    tries = []
    if os.environ.get("CC"):
        tries.append(shlex.split(os.environ["CC"]))
    tries += [["cc"], ["gcc"]]
    return [t for t in tries if t and shutil.which(t[0])]


def build_client(source: str, out: str) -> str | None:
    """Compile the client to `out`; None on success, else why it could not be built."""
    tmp = out + ".tmp"
    why = "no C compiler (cc, gcc or $CC) on PATH"
    for cc in _compilers():
        try:
            r = subprocess.run([*cc, *CLIENT_FLAGS, "-o", tmp, source], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            why = f"{cc[0]}: {e}"
            continue
        if r.returncode == 0:
            os.replace(tmp, out)
            return None
        last = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        why = f"{' '.join(cc)} failed: {last}"
    if os.path.exists(tmp):
        os.unlink(tmp)
    return why


class BuildClient(build_scripts):
    """The one 'script' is client.c; what lands in the scripts directory is `llmcc`, the
    compiled client, or the Python entry when nothing can compile it."""

    def copy_scripts(self):
        self.mkpath(self.build_dir)
        out = os.path.join(self.build_dir, "llmcc")
        if os.path.lexists(out):
            os.unlink(out)  # a rebuild replaces the file, never writes through it
        why = build_client(CLIENT_SOURCE, out)
        if why is not None:
            print(
                f"llmcc: native client not built ({why}); `llmcc` is the Python entry point, slower per compile",
                file=sys.stderr,
            )
            with open(out, "w", encoding="utf-8") as f:
                f.write(f"#!{self.executable}\n{PYTHON_ENTRY}")
        self._change_modes([out])
        return [out], [out]


class PlatformWheel(bdist_wheel):
    """The wheel holds a compiled program: tag it for this platform, never py3-none-any."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        # any Python 3 runs it (it only execs llmcc-py): no interpreter or ABI in the tag
        return "py3", "none", super().get_tag()[2]


setup(scripts=[CLIENT_SOURCE], cmdclass={"build_scripts": BuildClient, "bdist_wheel": PlatformWheel})
