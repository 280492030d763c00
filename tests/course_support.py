"""What the tests of the course builders share: the series' notebooks and a small lesson."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course import notebooks
from course.slides import ASSETS
from course.student import STUB

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = notebooks.find_notebooks(ROOT / "notebooks")
WITH_EXERCISES = [p for p in NOTEBOOKS if notebooks.exercise_cells(nbformat.read(p, 4))]

SOLUTION_1 = "square = x * x  # the square of x\nroot_of_square = math.sqrt(square)"
SOLUTION_2 = "def cube(n):\n    return n**3"


def cell_of(kind, source, slide="-", tags=None):
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
        cell_of("md", "# 01 · A small lesson\n\nThe scale is $1/\\sqrt{d_k}$.", "slide"),
        cell_of("code", f"import math\n\nx = 3\n{check}\nprint(x)"),
        cell_of("md", "## Exercises", "slide"),
        cell_of("md", "1. Square `x`."),
        cell_of("code", SOLUTION_1, tags=["solution"]),
        cell_of("code", "check(square == 9, 'square')"),
        cell_of("md", "2. Write `cube(n)`."),
        cell_of("code", SOLUTION_2, tags=["solution"]),
        cell_of(
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


def fake_node_modules(folder: Path) -> Path:
    """A node_modules with a placeholder for every asset (so slides build without npm)."""
    for src in ASSETS:
        path = folder / src
        if Path(src).suffix or Path(src).name.isupper():  # a file (LICENSE has no suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"/* {src} */\n")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "placeholder.js").write_text("/* folder */\n")
    return folder


def solution_lines(nb) -> list[str]:
    """The lines of solution cells that appear nowhere else in the teacher's notebook."""
    elsewhere = "\n".join(c.source for c in nb.cells if not notebooks.is_solution(c))
    lines = []
    for i, _ in notebooks.exercise_cells(nb):
        for line in nb.cells[i].source.splitlines():
            line = line.strip()
            if len(line) >= 6 and line not in elsewhere and line not in STUB:
                lines.append(line)
    return lines
