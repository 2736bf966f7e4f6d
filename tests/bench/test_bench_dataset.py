"""Reading problem sets: CSV and JSONL, bad rows reported with their reason, never dropped."""

from __future__ import annotations

import csv
import json

import pytest

from gcc_wrapper.tools import dataset

PROG = '#include <stdio.h>\nint main(void) { puts("x"); return 0; }\n'


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["problem_id", "answer", "test_cases", "num_test_cases"])
        for r in rows:
            w.writerow(r)


def cases_json(n):
    return json.dumps([{"input": f"{i}\n", "output": f"{i}\n\n"} for i in range(n)])


def test_csv_good_and_bad_rows(tmp_path):
    path = tmp_path / "set.csv"
    write_csv(
        path,
        [
            ["p1", PROG, cases_json(12), 12],
            ["p2", PROG, "[]", 0],  # no tests
            ["p3", PROG, "", 0],  # no tests, empty cell
            ["p4", "", cases_json(1), 1],  # no program
            ["p5", PROG, "[{not json", 1],
            ["p6", PROG, json.dumps([{"input": "1"}]), 1],  # no output
            ["p1", PROG, cases_json(2), 2],  # repeated id
            ["p7", PROG, cases_json(3), 3],
        ],
    )
    ds = dataset.load(path, tests_per_problem=10)
    assert [p.id for p in ds.problems] == ["p1", "p7"]
    assert len(ds.problems[0].tests) == 10 and ds.problems[0].total_tests == 12
    assert ds.problems[0].tests[3] == dataset.TestCase("3\n", "3\n\n")
    assert ds.problems[1].row == 8
    bad = {(b.row, b.problem_id): b.reason for b in ds.bad}
    assert bad[(2, "p2")] == "no test cases"
    assert bad[(3, "p3")] == "no test cases"
    assert bad[(4, "p4")] == "no program"
    assert bad[(5, "p5")].startswith("test cases are not JSON")
    assert bad[(6, "p6")] == "test case 1 has no string input and output"
    assert bad[(7, "p1")] == "duplicate problem id 'p1'"
    assert ds.rows == 8 and len(ds.bad) + len(ds.problems) == ds.rows


def test_limit_counts_rows_including_bad_ones(tmp_path):
    path = tmp_path / "set.csv"
    write_csv(path, [["a", PROG, "[]", 0], ["b", PROG, cases_json(1), 1], ["c", PROG, cases_json(1), 1]])
    ds = dataset.load(path, limit=2)
    assert ds.rows == 2 and [p.id for p in ds.problems] == ["b"] and [b.problem_id for b in ds.bad] == ["a"]


def test_jsonl_with_list_tests_and_other_column_names(tmp_path):
    path = tmp_path / "set.jsonl"
    lines = [
        {"id": "j1", "code": PROG, "tests": [{"input": "", "output": "x\n"}]},
        {"id": "j2", "code": PROG, "tests": []},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    ds = dataset.load(path)
    assert [p.id for p in ds.problems] == ["j1"] and ds.problems[0].tests[0].output == "x\n"
    assert [(b.row, b.reason) for b in ds.bad] == [(2, "no test cases")]


def test_unreadable_files_are_errors_that_name_the_problem(tmp_path):
    with pytest.raises(dataset.DatasetError, match="no such file"):
        dataset.load(tmp_path / "missing.csv")
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(dataset.DatasetError, match="no answer"):
        dataset.load(p)
    q = tmp_path / "x.txt"
    q.write_text("")
    with pytest.raises(dataset.DatasetError, match="unknown format"):
        dataset.load(q)
    r = tmp_path / "y.jsonl"
    r.write_text("{broken\n")
    with pytest.raises(dataset.DatasetError, match="not JSON"):
        dataset.load(r)


def test_the_shared_dev_set_reads_with_its_empty_rows_reported():
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "shared" / "bench" / "codenet-dev.csv"
    if not path.exists():
        pytest.skip("the shared dev set is not on this machine")
    ds = dataset.load(path, tests_per_problem=10)
    assert ds.rows == 48
    assert all(b.reason == "no test cases" for b in ds.bad) and len(ds.bad) >= 1
    assert all(1 <= len(p.tests) <= 10 for p in ds.problems)
