"""course/student.py: student copies (solutions stubbed, outputs cleared, what a student needs),
no solution line survives, and every stub fails its check."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_support import (
    NOTEBOOKS,
    ROOT,
    SOLUTION_2,
    WITH_EXERCISES,
    cell_of,
    fake_node_modules,
    small_notebook,
    solution_lines,
)
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell

from course import notebooks, slides
from course import student as builder
from course.notebooks import python_versions
from course.output import MARKER


def test_student_notebook_stubs_solutions_and_clears_outputs():
    nb = small_notebook()
    before = json.dumps(nb, sort_keys=True)
    student = builder.student_notebook(nb)
    assert json.dumps(nb, sort_keys=True) == before, "the teacher's notebook was changed"
    nbformat.validate(student)
    assert student.cells[4].source == builder.STUB == student.cells[7].source
    assert student.cells[4].metadata["tags"] == ["exercise"]
    assert "widgets" not in student.metadata
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    # everything else is kept as it was
    for i in (0, 1, 2, 3, 5, 6, 8):
        assert student.cells[i].source == nb.cells[i].source
        assert student.cells[i].metadata["slideshow"] == nb.cells[i].metadata["slideshow"]


def test_a_markdown_solution_becomes_a_markdown_stub():
    nb = small_notebook()
    nb.cells[3].metadata["tags"] = ["solution", "keep-me"]
    student = builder.student_notebook(nb)
    assert student.cells[3].cell_type == "markdown"
    assert student.cells[3].source == builder.MARKDOWN_STUB
    assert student.cells[3].metadata["tags"] == ["exercise", "keep-me"]


def test_write_student_copies_writes_what_a_student_needs(small, tmp_path):
    out = tmp_path / "student"
    stale = small.parent / "99_stale.ipynb"
    stale.write_bytes(small.read_bytes())
    builder.write_student_copies([small, stale], out)  # an earlier run, with one more notebook
    (small.parent / "picture.png").write_bytes(b"\x89PNG")
    written = builder.write_student_copies([small], out)
    assert written == [out / "notebooks" / "01_small.ipynb"]
    assert not (out / "notebooks" / "99_stale.ipynb").exists()  # that run's copy is gone
    assert (out / "notebooks" / "picture.png").read_bytes() == b"\x89PNG"
    assert (out / "attention_utils" / "exercises" / "core.py").is_file()
    assert not list(out.rglob("__pycache__"))
    assert (out / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (out / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert (out / "data").is_dir()  # the package caches the names there, as in a checkout
    package = {p.name for p in (out / "attention_utils").rglob("*.py")}
    assert not package & {"site.py", "student.py", "slides.py", "links.py"}  # no course builder
    assert not (out / "course").exists() and not (out / "requirements-dev.txt").exists()
    assert "pytest" not in (out / "requirements.txt").read_text()
    readme = (out / "README.md").read_text()
    for needle in (
        "raise NotImplementedError",
        "pip install -r requirements.txt",
        "01 · A small",
        f"Python {python_versions()}",
        ".venv\\Scripts\\jupyter lab notebooks",
    ):
        assert needle in readme
    assert "x * x" not in (out / "notebooks" / "01_small.ipynb").read_text()


def test_write_student_copies_refuses_nothing_and_non_notebooks(tmp_path):
    with pytest.raises(ValueError, match="no notebooks"):
        builder.write_student_copies([], tmp_path / "out")
    text = tmp_path / "01_x.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a notebook"):
        builder.write_student_copies([text], tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        builder.write_student_copies([tmp_path / "02_missing.ipynb"], tmp_path / "out")


def test_output_folders_that_could_be_harmed_are_refused(small, tmp_path):
    for out in (small.parent, tmp_path, ROOT, ROOT / "attention_utils"):
        with pytest.raises(ValueError, match="refusing to write into"):
            builder.write_student_copies([small], out)
    assert small.exists() and (ROOT / "course" / "student.py").exists()
    foreign = tmp_path / "somebody_elses"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    with pytest.raises(ValueError, match="not written by this command"):
        slides.build_slides([small], foreign, fake_node_modules(tmp_path / "nm"))
    assert (foreign / "thesis.tex").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    builder.write_student_copies([small], empty)
    assert (empty / MARKER).exists()
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        builder.write_student_copies([small], a_file)
    assert a_file.read_text() == "not a folder"


def test_a_missing_notebook_or_a_failure_midway_loses_nothing(small, tmp_path, monkeypatch):
    out = tmp_path / "student"
    builder.write_student_copies([small], out)
    (out / "grades.csv").write_text("asha,10\n")  # the teacher's own file
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(FileNotFoundError, match="missing.ipynb"):
        builder.write_student_copies([small, small.parent / "missing.ipynb"], out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

    def fails_on_the_readme(*args, **kwargs):
        raise KeyboardInterrupt  # as if the command were stopped halfway

    monkeypatch.setattr(builder, "_student_rows", fails_on_the_readme)
    with pytest.raises(KeyboardInterrupt):
        builder.write_student_copies([small], out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    monkeypatch.undo()
    builder.write_student_copies([small], out)  # a re-run keeps the teacher's file
    assert (out / "grades.csv").read_text() == "asha,10\n"


def test_command_line_student_and_its_errors(small, tmp_path):
    run = [sys.executable, "-m", "course.student", "--out"]
    ok = subprocess.run([*run, str(tmp_path / "s"), str(small)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "1 student notebooks" in ok.stdout
    assert (tmp_path / "s" / "notebooks" / "01_small.ipynb").is_file()
    bad = subprocess.run(
        [*run, str(tmp_path / "t"), str(tmp_path / "02_missing.ipynb")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "02_missing.ipynb" in bad.stderr


# --------------------------------------------------------------------------- no solution survives


def assert_no_solution_survives(teacher, student_path: Path):
    raw = student_path.read_text(encoding="utf-8")
    student = nbformat.reads(raw, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    lines = solution_lines(teacher)
    for line in lines:
        escaped = json.dumps(line, ensure_ascii=False)[1:-1]
        assert line not in text and escaped not in raw, f"{student_path.name} leaks {line!r}"
    return lines


def test_leak_check_catches_a_leak(small, tmp_path):
    teacher = nbformat.read(small, 4)
    leaky = tmp_path / "leaky.ipynb"
    copy = builder.student_notebook(teacher)
    copy.cells[2].source += "\n\n" + SOLUTION_2  # a solution pasted into a markdown cell
    nbformat.write(copy, leaky)
    with pytest.raises(AssertionError, match="leaks"):
        assert_no_solution_survives(teacher, leaky)


@pytest.fixture(scope="module")
def student_copies(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    if NOTEBOOKS:
        builder.write_student_copies(NOTEBOOKS, out)
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_series_student_copy_is_valid_and_empty_of_outputs(path, student_copies):
    student = nbformat.read(student_copies / "notebooks" / path.name, 4)
    nbformat.validate(student)
    teacher = nbformat.read(path, 4)
    assert len(student.cells) == len(teacher.cells)
    for cell in student.cells:
        assert "solution" not in cell.metadata.get("tags", [])
        if "exercise" in cell.metadata.get("tags", []):  # a stub is there to be seen
            assert "hide-cell" not in cell.metadata.tags, "a stub is hidden on the site"
            assert not cell.metadata.get("jupyter", {}).get("source_hidden"), "stub collapsed"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_series_student_copy_contains_no_solution_line(path, student_copies):
    teacher = nbformat.read(path, 4)
    lines = assert_no_solution_survives(teacher, student_copies / "notebooks" / path.name)
    assert lines, f"{path.name}: its solution cells have no line of their own to look for"


# --------------------------------------------------------------------------- stubs fail checks


def _defined_names(source: str) -> tuple[set[str], set[str]]:
    """(variables, functions) that a solution cell defines at its top level."""
    variables, functions = set(), set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            functions.add(node.name)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            variables.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return variables, functions


def _used_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
        if out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


def run_stubs_against_checks(teacher, student, folder: Path) -> list[str]:
    """Execute the student copy in a fresh kernel up to its last check.

    Each stub must raise NotImplementedError. Then the names its solution would have
    defined and that the kernel does not know yet are given unfinished values (``...`` for
    a value, a function raising NotImplementedError for a function), and the check cell
    runs: it must print a "❌ Not yet" verdict, not pass and not crash. Returns the verdicts.

    Any other cell must run, except one that uses a name an exercise defines (a demo of the
    student's function after its check): until the exercise is done it may fail, as the
    stub does.
    """
    pairs = notebooks.exercise_cells(teacher)
    stubs = {sol: check for sol, check in pairs}
    checks = {check for _, check in pairs}
    last = max(checks)
    verdicts, exercise_names = [], set()
    client = NotebookClient(
        student,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(folder)}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(student.cells[: last + 1]):
            if cell.cell_type != "code":
                continue
            if index in stubs:
                with pytest.raises(CellExecutionError) as failure:
                    client.execute_cell(cell, index)
                assert failure.value.ename == "NotImplementedError", failure.value
                variables, functions = _defined_names(teacher.cells[index].source)
                exercise_names |= variables | functions
                unfinished = [
                    f"if {name!r} not in globals(): {name} = ..." for name in sorted(variables)
                ] + [
                    f"if {name!r} not in globals():\n"
                    f"    def {name}(*args, **kwargs):\n        raise NotImplementedError"
                    for name in sorted(functions)
                ]
                probe = new_code_cell("\n".join(unfinished) or "pass")
                client.execute_cell(probe, index)
                continue
            if index not in checks:
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError:
                    if not _used_names(cell.source) & exercise_names:
                        raise
            else:
                client.execute_cell(cell, index)
                text = _output_text(cell)
                where = f"check in cell {index}: {text!r}"
                assert "❌" in text and "✅" not in text, (
                    f"an unfinished exercise passes its {where}"
                )
                verdicts.append(text)
    return verdicts


def test_stubs_of_the_small_notebook_fail_their_checks(small):
    teacher = nbformat.read(small, 4)
    verdicts = run_stubs_against_checks(teacher, builder.student_notebook(teacher), small.parent)
    assert len(verdicts) == 2 and "square is not right" in verdicts[0]


def test_stub_runner_allows_a_demo_of_an_exercise_but_not_a_broken_cell(small):
    teacher = nbformat.read(small, 4)
    teacher.cells.insert(6, cell_of("code", "print(square + 1)"))  # uses exercise 1's answer
    verdicts = run_stubs_against_checks(teacher, builder.student_notebook(teacher), small.parent)
    assert len(verdicts) == 2
    teacher.cells.insert(7, cell_of("code", "print(undefined_thing)"))
    with pytest.raises(CellExecutionError, match="undefined_thing"):
        run_stubs_against_checks(teacher, builder.student_notebook(teacher), small.parent)


def test_stub_runner_notices_a_check_that_passes_without_an_answer(small):
    teacher = nbformat.read(small, 4)
    student = builder.student_notebook(teacher)
    student.cells[5].source = "check(True, 'square')"  # a check that accepts anything
    with pytest.raises(AssertionError, match="unfinished exercise passes"):
        run_stubs_against_checks(teacher, student, small.parent)


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_series_stubs_fail_their_checks(path, student_copies):
    teacher = nbformat.read(path, 4)
    student_path = student_copies / "notebooks" / path.name
    verdicts = run_stubs_against_checks(
        teacher, nbformat.read(student_path, 4), student_path.parent
    )
    assert len(verdicts) == len({c for _, c in notebooks.exercise_cells(teacher)})
