"""gcc_wrapper.compile.files.write_atomic: every file llmcc writes is old or new, never half, never litter."""

from __future__ import annotations

import threading

import pytest

from gcc_wrapper.compile.files import write_atomic


def test_replaces_content_and_leaves_nothing_else(tmp_path):
    dest = tmp_path / "out.o"
    dest.write_bytes(b"old")
    write_atomic(dest, b"new")
    write_atomic(str(dest), "ünïcode")
    assert dest.read_text(encoding="utf-8") == "ünïcode"
    assert [p.name for p in tmp_path.iterdir()] == ["out.o"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()  # a rename onto a non-empty directory fails
    (dest / "keep").write_text("x")
    with pytest.raises(OSError):
        write_atomic(dest, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    assert (dest / "keep").read_text() == "x"


def test_threads_writing_one_file_do_not_collide(tmp_path):
    dest = tmp_path / "shared.json"
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for _ in range(50):
                write_atomic(dest, f"{i}" * 1000)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    text = dest.read_text()
    assert len(text) == 1000 and len(set(text)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]
