"""Student copies of the notebooks: solutions stubbed, outputs cleared, ready to hand out.

    python -m course.student [--out build/student] [NOTEBOOK ...]

Without notebook arguments every ``notebooks/NN_*.ipynb`` of the project is used. Every cell
tagged ``solution`` becomes a stub (``# your code here`` then ``raise NotImplementedError``;
a markdown solution becomes "*Write your answer here.*") tagged ``exercise`` instead, every
output and execution count is cleared, and saved widget state is dropped
(:func:`student_notebook`). Next to the notebooks go what a student needs to run them
(:func:`write_student_copies`): the ``attention_utils`` package (the exercise checks live
there; the course builders are not part of it), ``pyproject.toml``, the user requirements
``requirements.txt`` (no developers' tools), ``LICENSE``, ``data/`` with the names file when
it is present, and a README that says how to start.
"""

from __future__ import annotations

import copy
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from course.notebooks import (
    HIDE_TAG,
    ROOT,
    SOLUTION_TAG,
    command_line,
    find_notebooks,
    is_solution,
    notebook_title,
    python_versions,
    read_notebook,
    run_builder,
)
from course.output import output_folder

EXERCISE_TAG = "exercise"
#: What a solution code cell becomes in a student copy.
STUB = "# your code here\nraise NotImplementedError"
#: What a solution markdown cell becomes in a student copy.
MARKDOWN_STUB = "*Write your answer here.*"


def student_notebook(nb):
    """A student copy of ``nb`` (which is not changed): solutions stubbed, outputs cleared.

    Code cells tagged ``solution`` get the source :data:`STUB`; markdown ones
    :data:`MARKDOWN_STUB`; their tag becomes ``exercise``, and they are shown (no
    ``hide-cell`` tag, not collapsed). Every code cell loses its outputs,
    execution count and execution timings; the notebook loses its saved widget state. The
    result is validated with ``nbformat.validate``.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.setdefault("metadata", {})
        meta.pop("execution", None)
        if is_solution(cell):
            meta["tags"] = [
                EXERCISE_TAG if t == SOLUTION_TAG else t for t in meta["tags"] if t != HIDE_TAG
            ]
            meta.get("jupyter", {}).pop("source_hidden", None)  # the stub is to be seen
            cell.source = STUB if cell.cell_type == "code" else MARKDOWN_STUB
            cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    return nb


STUDENT_README = """\
# attention-names: student copies

These are the notebooks of the series *attention-names* (self-attention, step by step, on
Indian first names), ready for you to work through.

Each notebook ends with **Exercises**. Where you see

```python
# your code here
raise NotImplementedError
```

replace both lines with your answer, run the cell, then run the cell below it: it checks
your answer and prints either `✅ Correct: ...` or `❌ Not yet: ...` with a hint about
what is wrong. The notebooks have no outputs yet: run each one from the top
(*Run → Run All Cells* stops at the first exercise you have not done yet).

## Getting started

You need Python {python}. In this folder, on Linux or macOS:

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/pip install --no-deps -e .
.venv/bin/jupyter lab notebooks
```

On Windows, in PowerShell:

```powershell
py -m venv .venv
.venv\\Scripts\\pip install -r requirements.txt
.venv\\Scripts\\pip install --no-deps -e .
.venv\\Scripts\\jupyter lab notebooks
```

`requirements.txt` takes PyTorch's CPU build (a download of about 0.2 GB rather than several
GB of GPU libraries). The names file is in `data/` (or is downloaded there on first use).

## What is here

| | |
|---|---|
{rows}
"""


def _student_rows(notebooks: Sequence[Path], extras: Sequence[str]) -> str:
    rows = [f"| `notebooks/{p.name}` | {notebook_title(p)} |" for p in notebooks]
    described = {
        "attention_utils": "the helpers the notebooks import, and the exercise checks",
        "data": "the names file (downloaded on first use when it is missing)",
        "requirements.txt": "the exact package versions the series is tested with",
        "pyproject.toml": "makes `attention_utils` installable (`pip install -e .`)",
        "LICENSE": "the terms of the code (MIT)",
    }
    rows += [f"| `{name}` | {described[name]} |" for name in extras if name in described]
    return "\n".join(rows)


def write_student_copies(
    notebooks: Iterable[Path | str] | None = None, out: Path | str = "build/student"
) -> list[Path]:
    """Write a student copy of each notebook to ``out/notebooks/`` plus what a student needs.

    Returns the paths of the notebooks written. Every notebook is read before ``out`` is
    touched; the copies are built aside and swapped in when complete, a copy that an earlier
    run wrote and this one did not is removed, and nothing else in ``out`` is touched (see
    :mod:`course.output`).
    """
    sources = [Path(p) for p in notebooks] if notebooks is not None else find_notebooks()
    if not sources:
        raise ValueError("no notebooks given: expected notebooks/NN_*.ipynb files")
    teacher = [read_notebook(src) for src in sources]  # a missing or broken one stops us here
    with output_folder(Path(out), sources) as new:
        (new / "notebooks").mkdir()
        for src, nb in zip(sources, teacher, strict=True):
            nbformat.write(student_notebook(nb), new / "notebooks" / src.name)
        _copy_what_students_need(sources, new)
    return [Path(out).resolve() / "notebooks" / src.name for src in sources]


def _copy_what_students_need(sources: Sequence[Path], new: Path) -> None:
    # Files next to the notebooks that they may read (pictures, small tables).
    for folder in {src.parent for src in sources}:
        for extra in folder.iterdir():
            if extra.is_file() and extra.suffix != ".ipynb" and not extra.name.startswith("."):
                shutil.copy2(extra, new / "notebooks" / extra.name)
    extras = []
    package = ROOT / "attention_utils"
    shutil.copytree(
        package, new / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    extras.append(package.name)
    for name in ("requirements.txt", "pyproject.toml", "LICENSE"):
        shutil.copy2(ROOT / name, new / name)
        extras.append(name)
    from attention_utils import data  # only here: it is not needed for the conversion

    # data/ next to pyproject.toml: the package caches the names and the model there.
    (new / "data").mkdir()
    names_file = data.DATA_DIR / data.DEFAULT_FILE
    if names_file.is_file():
        shutil.copy2(names_file, new / "data" / data.DEFAULT_FILE)
    else:
        (new / "data" / "README.md").write_text("The names are downloaded here on first use.\n")
    extras.append("data")
    readme = STUDENT_README.format(rows=_student_rows(sources, extras), python=python_versions())
    (new / "README.md").write_text(readme, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_line("student", __doc__, notebooks=True, out=ROOT / "build" / "student")
    args = parser.parse_args(argv)
    return run_builder(
        lambda: write_student_copies(args.notebooks or None, args.out),
        lambda written: (
            f"{len(written)} student notebooks in {args.out}/notebooks (README in {args.out})"
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
