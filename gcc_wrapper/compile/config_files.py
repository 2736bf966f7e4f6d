"""Where llmcc's configuration files are: the one rule. `config.load` reads the files;
`compiler.pass_through_early` only asks whether there is any (then a file could change what a
command line does, and the driver must read it); the native client repeats the rule in C
(client.c: config_file_exists, kept equal by tests/driver/test_client_parity.py).

  the user's file      $XDG_CONFIG_HOME/llmcc/config.toml, else ~/.config/llmcc/config.toml
  the project's file   llmcc.toml in the working directory (its real path) or the nearest parent
                       that has one
"""

from __future__ import annotations

import os

PROJECT_FILE = "llmcc.toml"


def user_file() -> str:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return os.path.join(xdg if xdg else os.path.join(os.path.expanduser("~"), ".config"), "llmcc", "config.toml")


def project_file(start: str | os.PathLike | None = None, realpath=os.path.realpath) -> str | None:
    """llmcc.toml in `start` (default: the working directory), resolved, or in the nearest of its
    parents that has one. (`realpath`: a compile's remembering one, compiler.Lookups.realpath.)"""
    d = realpath(os.getcwd() if start is None else os.fspath(start))
    while True:
        f = os.path.join(d, PROJECT_FILE)
        if os.path.isfile(f):
            return f
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def any_exists(realpath=os.path.realpath) -> bool:
    """Whether a configuration file would be read."""
    return os.path.isfile(user_file()) or project_file(None, realpath) is not None
