"""course/output.py: a build is swapped in only when complete, and deletes only its own files."""

from __future__ import annotations

import pytest

from course.output import MARKER, check_output_folder, output_folder, written_before


def files(folder) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MARKER
    }


def build(out, contents: dict[str, str]):
    with output_folder(out) as new:
        for name, text in contents.items():
            (new / name).parent.mkdir(parents=True, exist_ok=True)
            (new / name).write_text(text)


def test_a_build_replaces_its_own_files_and_keeps_everyone_elses(tmp_path):
    out = tmp_path / "out"
    build(out, {"a.txt": "a1", "sub/b.txt": "b1", "old/c.txt": "c1"})
    assert written_before(out) == {"a.txt", "sub/b.txt", "old/c.txt"}
    (out / "grades.csv").write_text("mine")
    (out / "sub" / "notes.txt").write_text("mine too")
    build(out, {"a.txt": "a2", "sub/b.txt": "b2"})
    assert files(out) == {
        "a.txt": b"a2",
        "sub/b.txt": b"b2",
        "grades.csv": b"mine",
        "sub/notes.txt": b"mine too",
    }
    assert not (out / "old").exists()  # emptied by the stale file's removal
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no .part folder left behind


def test_a_failed_build_leaves_the_output_as_it_was(tmp_path):
    out = tmp_path / "out"
    build(out, {"a.txt": "a1"})
    (out / "grades.csv").write_text("mine")
    before, marker = files(out), (out / MARKER).read_text()
    with pytest.raises(RuntimeError, match="halfway"), output_folder(out) as new:
        (new / "a.txt").write_text("a2")
        raise RuntimeError("stopped halfway")
    assert files(out) == before and (out / MARKER).read_text() == marker
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_folders_that_are_not_ours_are_refused(tmp_path):
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    with pytest.raises(ValueError, match="not written by this command"):
        check_output_folder(foreign)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        check_output_folder(a_file)
    with pytest.raises(ValueError, match="refusing to write into"):
        check_output_folder(tmp_path, [tmp_path / "01_a.ipynb"])
    assert (foreign / "thesis.tex").read_text() == "keep me"
