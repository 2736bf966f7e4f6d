"""Problem sets for `llmcc bench`: CSV or JSONL files in the SuperCoder / Project CodeNet shape.

Each row holds a problem id, one whole C program and its stdin/stdout test cases:

    problem_id,answer,test_cases,num_test_cases
    p00135,"#include <stdio.h> ...","[{""input"": ""4\\n..."", ""output"": ""alert\\n...""}]",102

JSONL files carry the same fields, one object per line; `test_cases` may be a JSON string or a
list. A few other spellings of the columns are accepted (`id`, `code`/`source`/`program`,
`tests`) because derived releases rename them.

Rows that cannot be benchmarked at all (no program, no tests, unreadable tests, a repeated id)
are returned as BadRow with the reason: `llmcc bench` reports them as excluded, never drops them
silently. Whether a program compiles and passes its own tests is decided later, by running it.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

ID_FIELDS = ("problem_id", "id", "name")
PROGRAM_FIELDS = ("answer", "code", "source", "program", "c_code")
TESTS_FIELDS = ("test_cases", "tests")


class DatasetError(Exception):
    """The file itself cannot be read as a problem set (missing, wrong format, no usable columns)."""


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # not a pytest test class, despite the name

    input: str
    output: str  # the expected stdout, as the data set has it


@dataclass(frozen=True)
class Problem:
    id: str
    source: str  # the whole C program
    tests: tuple[TestCase, ...]  # already cut to --tests-per-problem
    row: int  # 1-based data row in the file, for messages
    total_tests: int  # how many tests the file lists for it


@dataclass(frozen=True)
class BadRow:
    row: int
    problem_id: str
    reason: str


@dataclass(frozen=True)
class Dataset:
    path: str
    problems: tuple[Problem, ...]
    bad: tuple[BadRow, ...]
    rows: int  # rows considered (after --limit)


def load(path: str | Path, *, limit: int | None = None, tests_per_problem: int | None = None) -> Dataset:
    """Read a problem set. `limit` counts rows of the file (bad ones included, so the rows an
    exclusion is reported for are the ones a smaller run would also have seen);
    `tests_per_problem` keeps the first K tests of each problem (SuperCoder used 10)."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"{p}: no such file")
    problems: list[Problem] = []
    bad: list[BadRow] = []
    seen: set[str] = set()
    n = 0
    for row_no, record in _records(p):
        if limit is not None and n >= limit:
            break
        n += 1
        pid = _field(record, ID_FIELDS).strip() or f"row{row_no}"
        problem, reason = _problem(record, pid, row_no, tests_per_problem)
        if problem is not None and pid in seen:
            problem, reason = None, f"duplicate problem id {pid!r}"
        if problem is None:
            bad.append(BadRow(row_no, pid, reason))
            continue
        seen.add(pid)
        problems.append(problem)
    return Dataset(str(p), tuple(problems), tuple(bad), n)


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson", ".json"):
            yield from _jsonl(path)
        elif suffix in (".csv", ".tsv"):
            yield from _csv(path, "\t" if suffix == ".tsv" else ",")
        else:
            raise DatasetError(f"{path}: unknown format (expected .csv, .tsv or .jsonl)")
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DatasetError(f"{path}: {e}") from None


def _csv(path: Path, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # Whole programs and their test data live in single cells: lift csv's 128 KiB cell limit.
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        _check_columns(path, reader.fieldnames or [])
        for i, rec in enumerate(reader, start=1):
            yield i, rec


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    checked = False
    with open(path, encoding="utf-8") as f:
        row = 0
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            row += 1
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise DatasetError(f"{path}:{line_no}: not JSON: {e}") from None
            if not isinstance(rec, dict):
                raise DatasetError(f"{path}:{line_no}: expected a JSON object per line")
            if not checked:
                _check_columns(path, list(rec))
                checked = True
            yield row, rec


def _check_columns(path: Path, names: list[str]) -> None:
    for wanted in (PROGRAM_FIELDS, TESTS_FIELDS):
        if not any(w in names for w in wanted):
            raise DatasetError(f"{path}: no {' / '.join(wanted)} column (found: {', '.join(names) or 'nothing'})")


def _field(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in record and record[name] is not None:
            return record[name]
    return ""


def _problem(record: dict[str, Any], pid: str, row: int, keep: int | None) -> tuple[Problem | None, str]:
    source = _field(record, PROGRAM_FIELDS)
    if not isinstance(source, str) or not source.strip():
        return None, "no program"
    raw = _field(record, TESTS_FIELDS)
    if isinstance(raw, str):
        if not raw.strip():
            return None, "no test cases"
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as e:
            return None, f"test cases are not JSON: {e}"
    if not isinstance(raw, list):
        return None, "test cases are not a list"
    tests: list[TestCase] = []
    for i, t in enumerate(raw, start=1):
        if not isinstance(t, dict) or not isinstance(t.get("input"), str) or not isinstance(t.get("output"), str):
            return None, f"test case {i} has no string input and output"
        tests.append(TestCase(t["input"], t["output"]))
    if not tests:
        return None, "no test cases"
    kept = tests if keep is None else tests[:keep]
    return Problem(pid, source, tuple(kept), row, len(tests)), ""
