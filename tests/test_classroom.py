"""Student copies and slide decks (course/classroom.py).

Two kinds of notebooks are used: a small one made here (so every behaviour is tested even
before the series has exercises), and every notebook of the series as it is now.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course import classroom
from course.notebooks import python_versions

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = classroom.find_notebooks(ROOT / "notebooks")
WITH_EXERCISES = [p for p in NOTEBOOKS if classroom.exercise_cells(nbformat.read(p, 4))]

SOLUTION_1 = "square = x * x  # the square of x\nroot_of_square = math.sqrt(square)"
SOLUTION_2 = "def cube(n):\n    return n**3"


def _cell(kind, source, slide="-", tags=None):
    cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
    cell.metadata["slideshow"] = {"slide_type": slide}
    if tags:
        cell.metadata["tags"] = tags
    return cell


def small_notebook():
    """A lesson with two exercises (a value and a function), checked like the series does,
    plus outputs, a widget output and saved widget state, as an executed notebook has."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    check = (
        "def check(ok, what):\n"
        "    return '✅ Correct: well done.' if ok else f'❌ Not yet: {what} is not right.'"
    )
    nb.cells = [
        _cell("md", "# 01 · A small lesson\n\nThe scale is $1/\\sqrt{d_k}$.", "slide"),
        _cell("code", f"import math\n\nx = 3\n{check}\nprint(x)"),
        _cell("md", "## Exercises", "slide"),
        _cell("md", "1. Square `x`."),
        _cell("code", SOLUTION_1, tags=["solution"]),
        _cell("code", "check(square == 9, 'square')"),
        _cell("md", "2. Write `cube(n)`."),
        _cell("code", SOLUTION_2, tags=["solution"]),
        _cell(
            "code",
            "try:\n    ok = cube(2) == 8\nexcept NotImplementedError:\n    ok = False\n"
            "check(ok, 'cube')",
        ),
    ]
    widget = new_output(
        "display_data",
        {
            "application/vnd.jupyter.widget-view+json": {
                "model_id": "abc",
                "version_major": 2,
                "version_minor": 0,
            },
            "text/plain": "VBox(children=(Text(value='abhishek'),))",
        },
    )
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="3\n"), widget]
    nb.cells[1].execution_count = 1
    nb.cells[5].outputs = [
        new_output(
            "execute_result", {"text/plain": "'✅ Correct: stored verdict.'"}, execution_count=3
        )
    ]
    nb.cells[5].execution_count = 3
    nbformat.validate(nb)
    return nb


@pytest.fixture()
def small(tmp_path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    path = folder / "01_small.ipynb"
    nbformat.write(small_notebook(), path)
    return path


# --------------------------------------------------------------------------- what a solution is


def test_exercise_cells_pair_each_solution_with_the_next_code_cell():
    nb = small_notebook()
    assert classroom.exercise_cells(nb) == [(4, 5), (7, 8)]
    nb.cells[5].metadata["tags"] = ["solution"]  # two solution cells in a row share the check
    assert classroom.exercise_cells(nb)[:2] == [(4, 8), (5, 8)]


def test_find_notebooks_keeps_only_numbered_notebooks_in_order(tmp_path):
    for name in ("02_b.ipynb", "01_a.ipynb", "scratch.ipynb", "1_x.ipynb", "03_c.txt"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in classroom.find_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb"]
    with pytest.raises(FileNotFoundError, match="no notebooks folder"):
        classroom.find_notebooks(tmp_path / "missing")


# --------------------------------------------------------------------------- student copies


def test_student_notebook_stubs_solutions_and_clears_outputs():
    nb = small_notebook()
    before = json.dumps(nb, sort_keys=True)
    student = classroom.student_notebook(nb)
    assert json.dumps(nb, sort_keys=True) == before, "the teacher's notebook was changed"
    nbformat.validate(student)
    assert student.cells[4].source == classroom.STUB == student.cells[7].source
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
    student = classroom.student_notebook(nb)
    assert student.cells[3].cell_type == "markdown"
    assert student.cells[3].source == classroom.MARKDOWN_STUB
    assert student.cells[3].metadata["tags"] == ["exercise", "keep-me"]


def test_write_student_copies_writes_what_a_student_needs(small, tmp_path):
    out = tmp_path / "student"
    classroom.write_student_copies([small], out)
    (out / "notebooks" / "99_stale.ipynb").write_text(SOLUTION_1)  # left by an earlier run
    (small.parent / "picture.png").write_bytes(b"\x89PNG")
    written = classroom.write_student_copies([small], out)
    assert written == [out / "notebooks" / "01_small.ipynb"]
    assert not (out / "notebooks" / "99_stale.ipynb").exists()
    assert (out / "notebooks" / "picture.png").read_bytes() == b"\x89PNG"
    assert (out / "attention_utils" / "exercises" / "_core.py").is_file()
    assert not list(out.rglob("__pycache__"))
    assert (out / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (out / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert (out / "data").is_dir()  # the package caches the names there, as in a checkout
    package = {p.name for p in (out / "attention_utils").rglob("*.py")}
    assert not package & {"site.py", "classroom.py", "links.py"}  # no course builder
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
        classroom.write_student_copies([], tmp_path / "out")
    text = tmp_path / "01_x.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a notebook"):
        classroom.write_student_copies([text], tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        classroom.write_student_copies([tmp_path / "02_missing.ipynb"], tmp_path / "out")


def test_output_folders_that_could_be_harmed_are_refused(small, tmp_path):
    for out in (small.parent, tmp_path, ROOT, ROOT / "attention_utils"):
        with pytest.raises(ValueError, match="refusing to write into"):
            classroom.write_student_copies([small], out)
    assert small.exists() and (ROOT / "course" / "classroom.py").exists()
    foreign = tmp_path / "somebody_elses"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    with pytest.raises(ValueError, match="not written by this command"):
        classroom.build_slides([small], foreign, fake_node_modules(tmp_path / "nm"))
    assert (foreign / "thesis.tex").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    classroom.write_student_copies([small], empty)
    assert (empty / classroom.MARKER).exists()


def test_command_line_student_and_its_errors(small, tmp_path):
    run = [sys.executable, "-m", "course.classroom", "student", "--out"]
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


def _solution_lines(nb) -> list[str]:
    """The lines of solution cells that appear nowhere else in the teacher's notebook."""
    elsewhere = "\n".join(c.source for c in nb.cells if not classroom.is_solution(c))
    lines = []
    for i, _ in classroom.exercise_cells(nb):
        for line in nb.cells[i].source.splitlines():
            line = line.strip()
            if len(line) >= 6 and line not in elsewhere and line not in classroom.STUB:
                lines.append(line)
    return lines


def assert_no_solution_survives(teacher, student_path: Path):
    raw = student_path.read_text(encoding="utf-8")
    student = nbformat.reads(raw, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    lines = _solution_lines(teacher)
    for line in lines:
        escaped = json.dumps(line, ensure_ascii=False)[1:-1]
        assert line not in text and escaped not in raw, f"{student_path.name} leaks {line!r}"
    return lines


def test_leak_check_catches_a_leak(small, tmp_path):
    teacher = nbformat.read(small, 4)
    leaky = tmp_path / "leaky.ipynb"
    copy = classroom.student_notebook(teacher)
    copy.cells[2].source += "\n\n" + SOLUTION_2  # a solution pasted into a markdown cell
    nbformat.write(copy, leaky)
    with pytest.raises(AssertionError, match="leaks"):
        assert_no_solution_survives(teacher, leaky)


@pytest.fixture(scope="module")
def student_copies(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    if NOTEBOOKS:
        classroom.write_student_copies(NOTEBOOKS, out)
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_series_student_copy_is_valid_and_empty_of_outputs(path, student_copies):
    student = nbformat.read(student_copies / "notebooks" / path.name, 4)
    nbformat.validate(student)
    teacher = nbformat.read(path, 4)
    assert len(student.cells) == len(teacher.cells)
    for cell in student.cells:
        assert "solution" not in cell.metadata.get("tags", [])
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
    pairs = classroom.exercise_cells(teacher)
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
    verdicts = run_stubs_against_checks(teacher, classroom.student_notebook(teacher), small.parent)
    assert len(verdicts) == 2 and "square is not right" in verdicts[0]


def test_stub_runner_allows_a_demo_of_an_exercise_but_not_a_broken_cell(small):
    teacher = nbformat.read(small, 4)
    teacher.cells.insert(6, _cell("code", "print(square + 1)"))  # uses exercise 1's answer
    verdicts = run_stubs_against_checks(teacher, classroom.student_notebook(teacher), small.parent)
    assert len(verdicts) == 2
    teacher.cells.insert(7, _cell("code", "print(undefined_thing)"))
    with pytest.raises(CellExecutionError, match="undefined_thing"):
        run_stubs_against_checks(teacher, classroom.student_notebook(teacher), small.parent)


def test_stub_runner_notices_a_check_that_passes_without_an_answer(small):
    teacher = nbformat.read(small, 4)
    student = classroom.student_notebook(teacher)
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
    assert len(verdicts) == len({c for _, c in classroom.exercise_cells(teacher)})


# --------------------------------------------------------------------------- slides


def fake_node_modules(folder: Path) -> Path:
    """A node_modules with a placeholder for every asset (so slides build without npm)."""
    for src in classroom.ASSETS:
        path = folder / src
        if Path(src).suffix or Path(src).name.isupper():  # a file (LICENSE has no suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"/* {src} */\n")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "placeholder.js").write_text("/* folder */\n")
    return folder


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory) -> Path:
    """slides/node_modules when `make slides` installed it, placeholders otherwise."""
    real = classroom.default_assets()
    if all((real / src).exists() for src in classroom.ASSETS):
        return real
    return fake_node_modules(tmp_path_factory.mktemp("node_modules"))


def _visible_text(html: str) -> str:
    """The text of a page without its tags (highlighted code is split into spans)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def _strip_comments(html: str) -> str:
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    html = re.sub(r"/\*.*?\*/", "", html, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$", "", html)


#: The ways a page can load something from an http(s) URL (a plain link to a page is fine).
REMOTE_LOADS = [
    r"<(?:script|link|img|iframe|source|embed)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?https?://[^\"'\s>]+",
    r"url\(\s*[\"']?https?://[^\"')]+",
    r"@import\s+[\"']https?://[^\"']+",
    r"\bimport\b[^;\"']*[\"']https?://[^\"']+",
    r"[\"']https?://[^\"'\s]+\.(?:m?js|css)(?:\?[^\"'\s]*)?[\"']",
]


def assert_offline(deck: Path) -> None:
    """No script, style sheet, module, image or font from an http(s) URL, and every local script, style sheet and module that
    the deck loads exists next to it."""
    html = deck.read_text(encoding="utf-8")
    code = _strip_comments(html)
    remote = [m.group(0) for pattern in REMOTE_LOADS for m in re.finditer(pattern, code)]
    assert not remote, f"{deck.name} loads from the internet: {remote}"
    local = re.findall(r"<(?:script|link)\b[^>]*?(?:src|href)=\"([^\"#]+)\"", html)
    local += re.findall(r"\"(assets/[^\"]+\.js)\"", html)  # the modules require.js loads
    assert any("reveal.js" in u for u in local) and any("require.js" in u for u in local)
    for url in local:
        assert (deck.parent / url.split("?")[0]).is_file(), f"{deck.name}: {url} is missing"


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://unpkg.com/reveal.js@4.0.2/dist/reveal.js"></script>',
        "<link rel='stylesheet' href='https://cdn.example.org/theme.css'>",
        "<style>@font-face { src: url(https://fonts.example.org/a.woff); }</style>",
        "<script type='module'>import mermaid from 'https://cdn.example.org/m.mjs';</script>",
        "<script>var src = 'https://unpkg.com/@jupyter-widgets/html-manager/embed-amd.js';</script>",
    ],
)
def test_offline_check_catches_a_cdn(tmp_path, snippet):
    deck = tmp_path / "deck.html"
    deck.write_text(snippet + '<a href="https://example.org/names.txt">the source</a>')
    with pytest.raises(AssertionError, match="internet"):
        assert_offline(deck)


def test_nbconvert_default_deck_is_not_offline(small, tmp_path):
    from nbconvert import SlidesExporter

    body, _ = SlidesExporter().from_notebook_node(nbformat.read(small, 4))
    deck = tmp_path / "default.slides.html"
    deck.write_text(body, encoding="utf-8")
    with pytest.raises(AssertionError, match="internet"):
        assert_offline(deck)


def test_small_deck_is_offline_and_hides_solutions(small, tmp_path, node_modules):
    (deck,) = classroom.build_slides([small], tmp_path / "slides", node_modules)
    assert deck.name == "01_small.slides.html"
    assert_offline(deck)
    html = deck.read_text(encoding="utf-8")
    text = _visible_text(html)
    assert html.count("<section") >= 2  # the title slide and the exercises slide
    assert "A small lesson" in text and "Square" in text
    assert (
        "the square of x" not in text and "stored verdict" not in text
    )  # solution and its verdict
    assert classroom.WIDGET_PLACEHOLDER in text and "VBox(" not in text
    assert "01_small.slides.html" in (tmp_path / "slides" / "index.html").read_text()
    (answers,) = classroom.build_slides([small], tmp_path / "answers", node_modules, solutions=True)
    assert "the square of x" in _visible_text(answers.read_text(encoding="utf-8"))


def test_slides_without_assets_say_how_to_get_them(small, tmp_path):
    with pytest.raises(FileNotFoundError, match="make slides"):
        classroom.build_slides([small], tmp_path / "slides", tmp_path / "empty")


@pytest.fixture(scope="module")
def series_decks(tmp_path_factory, node_modules) -> dict[str, Path]:
    if not NOTEBOOKS:
        return {}
    out = tmp_path_factory.mktemp("slides")
    decks = classroom.build_slides(NOTEBOOKS, out, node_modules)
    return {d.name: d for d in decks}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_series_deck_builds_offline(path, series_decks):
    deck = series_decks[f"{path.stem}.slides.html"]
    assert_offline(deck)
    html = deck.read_text(encoding="utf-8")
    text = _visible_text(html)
    nb = nbformat.read(path, 4)
    slides = sum(c.metadata.get("slideshow", {}).get("slide_type") == "slide" for c in nb.cells)
    assert html.count("<section") >= slides
    title = next(c.source.splitlines()[0][2:] for c in nb.cells if c.cell_type == "markdown")
    assert title.split("·")[-1].strip() in text
    for line in _solution_lines(nb):
        assert line not in text, f"{deck.name} shows a solution line: {line!r}"
