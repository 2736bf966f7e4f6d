"""The file proposer: candidate assembly read from files (tests, `llmcc verify`, hand-written
rewrites). "file:PATH" in the proposer setting: PATH is a .s file holding one function, or a
directory where NAME.s holds the candidate for function NAME. Each file is proposed once."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from gcc_wrapper.optimize.candidate import Candidate, Context, Feedback


class FileProposer:
    name = "file"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._given: set[tuple[str, str]] = set()

    def propose(self, ctx: Context, feedback: Sequence[Feedback], n: int) -> list[Candidate]:
        f = self.path / f"{ctx.name}.s" if self.path.is_dir() else self.path
        if n <= 0 or (ctx.key, str(f)) in self._given or not f.is_file():
            return []
        self._given.add((ctx.key, str(f)))
        try:
            text = f.read_text()
        except OSError as e:
            return [Candidate("", f"file:{f}", meta={"error": f"cannot read {f}: {e}"})]
        return [Candidate(text, f"file:{f}", origin=str(f))]
