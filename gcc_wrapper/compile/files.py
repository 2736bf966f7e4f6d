"""Writing a file so that a reader sees the old content or the new one, never half of it.

On the compile path (the driver writes objects, assembly and dependency files with it), so it
imports only os and _thread. The temporary file sits beside the destination (a rename is atomic
only within one file system), is named per process and thread (builds run many llmcc processes,
`llmcc optimize --jobs` and the model client run threads), and is removed when the write fails.
"""

from __future__ import annotations

import os
from _thread import get_ident


def temp_beside(dest: str | os.PathLike) -> str:
    """A temporary path in dest's directory, private to this process and thread."""
    d, base = os.path.split(os.fspath(dest))
    return os.path.join(d, f".{base}.llmcc-{os.getpid()}-{get_ident()}.tmp")


def write_atomic(dest: str | os.PathLike, data: bytes | str) -> None:
    """Replace dest with data (str is written as UTF-8). Permissions follow the umask, as for any
    new file. Raises OSError as open/write/rename do; nothing is left behind then."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = temp_beside(dest)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
