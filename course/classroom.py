"""For the classroom: student copies of the notebooks, and slide decks that work offline.

    python -m course.classroom student [--out build/student] [NOTEBOOK ...]
    python -m course.classroom slides [--out build/slides] [--assets slides/node_modules]
                                               [--solutions] [NOTEBOOK ...]

Without notebook arguments every ``notebooks/NN_*.ipynb`` of the project is used.

**Student copies** (:func:`student_notebook`, :func:`write_student_copies`): every cell
tagged ``solution`` becomes a stub (``# your code here`` then ``raise NotImplementedError``;
a markdown solution becomes "*Write your answer here.*") tagged ``exercise`` instead, every
output and execution count is cleared, and saved widget state is dropped. Next to the
notebooks go what a student needs to run them: the ``attention_utils`` package (the exercise
checks live there; the course builders of this folder are not part of it), ``pyproject.toml``,
the user requirements ``requirements.txt`` (no developers' tools), ``LICENSE``, the names file
when it is present, and a README that says how to start.

**Slides** (:func:`slides_notebook`, :func:`build_slides`): one reveal.js deck per notebook,
made by nbconvert's ``SlidesExporter`` from the cells' ``slideshow`` metadata, with the
stored outputs (figures are embedded as PNG). reveal.js, require.js, jQuery and MathJax
are copied from ``slides/node_modules`` (installed by ``npm ci`` in ``slides/``) into
``build/slides/assets/``, and the decks point there, so a deck has no CDN reference and
works without internet. By default the solution cells are left out of the decks and the
outputs of their checks cleared; ``--solutions`` keeps them (an answer deck).
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from course.notebooks import ROOT, find_notebooks, python_versions, title_of

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
#: What a solution code cell becomes in a student copy.
STUB = "# your code here\nraise NotImplementedError"
#: What a solution markdown cell becomes in a student copy.
MARKDOWN_STUB = "*Write your answer here.*"
#: The output that stands for a live widget in a slide deck.
WIDGET_PLACEHOLDER = "[interactive widget: open the notebook in JupyterLab and run it to use it]"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# --------------------------------------------------------------------------- finding things


def is_solution(cell) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def exercise_cells(nb) -> list[tuple[int, int | None]]:
    """``[(solution index, check index or None)]`` for every solution cell of ``nb``.

    The check of a solution is the first code cell after it that is not itself a solution.
    """
    pairs = []
    for i, cell in enumerate(nb.cells):
        if not is_solution(cell):
            continue
        check = next(
            (
                j
                for j in range(i + 1, len(nb.cells))
                if nb.cells[j].cell_type == "code" and not is_solution(nb.cells[j])
            ),
            None,
        )
        pairs.append((i, check))
    return pairs


def _read(path: Path | str):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    if path.suffix != ".ipynb":
        raise ValueError(f"{path} is not a notebook: expected a .ipynb file")
    return nbformat.read(path, as_version=4)


#: The file that marks a folder as written by this module (so it may be emptied next time).
MARKER = ".classroom-output"


def _fresh_folder(out: Path, sources: Sequence[Path]) -> Path:
    """Empty ``out`` (or create it) for a new build, refusing any folder it could harm.

    ``out`` may not hold the project, the package or a source notebook, and a folder that is
    not empty must carry :data:`MARKER` (written by an earlier build): a ValueError otherwise.
    """
    out = out.resolve()
    package = ROOT / "attention_utils"
    protected = {
        ROOT,
        package,
        Path(__file__).resolve().parent,
        *(s.resolve().parent for s in sources),
    }
    for folder in protected:
        if out == folder or out in folder.parents:
            raise ValueError(
                f"refusing to write into {out}: it holds {folder}; choose a folder of its own "
                "(e.g. build/student or build/slides)"
            )
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise ValueError(
                f"{out} is not empty and was not written by this command: choose another "
                "--out, or empty it first"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text(
        "Written by python -m course.classroom, which empties this folder on each run.\n"
    )
    return out


# --------------------------------------------------------------------------- student copies


def student_notebook(nb):
    """A student copy of ``nb`` (which is not changed): solutions stubbed, outputs cleared.

    Code cells tagged ``solution`` get the source :data:`STUB`; markdown ones
    :data:`MARKDOWN_STUB`; their tag becomes ``exercise``. Every code cell loses its outputs,
    execution count and execution timings; the notebook loses its saved widget state. The
    result is validated with ``nbformat.validate``.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.setdefault("metadata", {})
        meta.pop("execution", None)
        if is_solution(cell):
            meta["tags"] = [EXERCISE_TAG if t == SOLUTION_TAG else t for t in meta["tags"]]
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
    rows = [f"| `notebooks/{p.name}` | {_title(p)} |" for p in notebooks]
    described = {
        "attention_utils": "the helpers the notebooks import, and the exercise checks",
        "data": "the names file (downloaded on first use when it is missing)",
        "requirements.txt": "the exact package versions the series is tested with",
        "pyproject.toml": "makes `attention_utils` installable (`pip install -e .`)",
        "LICENSE": "the terms of the code (MIT)",
    }
    rows += [f"| `{name}` | {described[name]} |" for name in extras if name in described]
    return "\n".join(rows)


def _title(path: Path) -> str:
    try:
        return title_of(_read(path), path)
    except (OSError, ValueError):
        return path.stem


def write_student_copies(
    notebooks: Iterable[Path | str] | None = None, out: Path | str = "build/student"
) -> list[Path]:
    """Write a student copy of each notebook to ``out/notebooks/`` plus what a student needs.

    Returns the paths of the notebooks written. ``out`` is emptied first (see
    :func:`_fresh_folder`), so a solution of an earlier run cannot linger there.
    """
    sources = [Path(p) for p in notebooks] if notebooks is not None else find_notebooks()
    if not sources:
        raise ValueError("no notebooks given: expected notebooks/NN_*.ipynb files")
    out = _fresh_folder(Path(out), sources)
    (out / "notebooks").mkdir()
    written = []
    for src in sources:
        dest = out / "notebooks" / src.name
        nbformat.write(student_notebook(_read(src)), dest)
        written.append(dest)
    # Files next to the notebooks that they may read (pictures, small tables).
    for folder in {src.parent for src in sources}:
        for extra in folder.iterdir():
            if extra.is_file() and extra.suffix != ".ipynb" and not extra.name.startswith("."):
                shutil.copy2(extra, out / "notebooks" / extra.name)
    extras = []
    package = ROOT / "attention_utils"
    shutil.copytree(
        package, out / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    extras.append(package.name)
    for name in ("requirements.txt", "pyproject.toml", "LICENSE"):
        shutil.copy2(ROOT / name, out / name)
        extras.append(name)
    from attention_utils import data  # only here: it is not needed for the conversion

    # data/ next to pyproject.toml: the package caches the names and the model there.
    (out / "data").mkdir()
    names_file = data.DATA_DIR / data.DEFAULT_FILE
    if names_file.is_file():
        shutil.copy2(names_file, out / "data" / data.DEFAULT_FILE)
    extras.append("data")
    readme = STUDENT_README.format(rows=_student_rows(sources, extras), python=python_versions())
    (out / "README.md").write_text(readme, encoding="utf-8")
    return written


# --------------------------------------------------------------------------- slides

#: Where each offline asset comes from (relative to ``node_modules``) and goes (relative to
#: ``assets/`` next to the decks). A folder is copied whole.
ASSETS: dict[str, str] = {
    "reveal.js/dist/reveal.js": "reveal.js/dist/reveal.js",
    "reveal.js/dist/reveal.css": "reveal.js/dist/reveal.css",
    "reveal.js/dist/reset.css": "reveal.js/dist/reset.css",
    "reveal.js/dist/theme": "reveal.js/dist/theme",
    "reveal.js/plugin/notes": "reveal.js/plugin/notes",
    "reveal.js/LICENSE": "reveal.js/LICENSE",
    "requirejs/require.js": "require.js",
    "jquery/dist/jquery.min.js": "jquery.min.js",
    "mathjax/MathJax.js": "mathjax/MathJax.js",
    "mathjax/LICENSE": "mathjax/LICENSE",
    "mathjax/config/TeX-AMS_CHTML-full.js": "mathjax/config/TeX-AMS_CHTML-full.js",
    "mathjax/config/Safe.js": "mathjax/config/Safe.js",
    "mathjax/extensions": "mathjax/extensions",
    "mathjax/jax/input/TeX": "mathjax/jax/input/TeX",
    "mathjax/jax/output/CommonHTML": "mathjax/jax/output/CommonHTML",
    "mathjax/jax/element": "mathjax/jax/element",
    "mathjax/fonts/HTML-CSS/TeX/woff": "mathjax/fonts/HTML-CSS/TeX/woff",
}
ASSET_DIR = "assets"

#: The URLs of the decks, relative to the deck (they sit in the same folder as ``assets/``).
SLIDE_URLS = {
    "reveal_url_prefix": f"{ASSET_DIR}/reveal.js",
    "require_js_url": f"{ASSET_DIR}/require.js",
    "jquery_url": f"{ASSET_DIR}/jquery.min.js",
    "mathjax_url": f"{ASSET_DIR}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}

# The reveal template of nbconvert, less its mermaid.js import (from a CDN; the series has
# no mermaid diagrams).
_TEMPLATE_NAME = "attention_names_offline_reveal.html.j2"
_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def default_assets() -> Path:
    """``slides/node_modules`` of the project (``make slides`` installs it)."""
    return ROOT / "slides" / "node_modules"


def copy_assets(node_modules: Path | str, out: Path | str) -> Path:
    """Copy the files of :data:`ASSETS` from ``node_modules`` to ``out/assets``; return it.

    A missing file raises FileNotFoundError naming it and how to install it.
    """
    node_modules, dest_root = Path(node_modules), Path(out) / ASSET_DIR
    missing = [src for src in ASSETS if not (node_modules / src).exists()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} slide asset(s) missing in {node_modules}, e.g. {missing[0]}; "
            "run `make slides` (or `npm ci` in slides/) to install reveal.js, require.js, "
            "jQuery and MathJax"
        )
    for src, dest in ASSETS.items():
        source, target = node_modules / src, dest_root / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    return dest_root


def slides_notebook(nb, solutions: bool = False):
    """The notebook as it goes into a deck (``nb`` is not changed).

    Live widgets cannot run in a deck: their outputs become a one-line note
    (:data:`WIDGET_PLACEHOLDER`) and the saved widget state is dropped (it would load the
    widget renderer from a CDN). Unless ``solutions``, solution cells are skipped and the
    outputs of their checks cleared.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    if not solutions:
        for sol, check in exercise_cells(nb):
            nb.cells[sol].metadata.setdefault("slideshow", {})["slide_type"] = "skip"
            if check is not None:
                nb.cells[check].outputs = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                out["data"] = {"text/plain": WIDGET_PLACEHOLDER}
    return nb


def slides_exporter():
    """nbconvert's SlidesExporter set up for offline decks (see :data:`SLIDE_URLS`)."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    for name, url in SLIDE_URLS.items():
        setattr(config.SlidesExporter, name, url)
    config.SlidesExporter.reveal_scroll = True  # a tall figure scrolls instead of spilling
    config.SlidesExporter.reveal_number = "c/t"
    return SlidesExporter(
        config=config,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
    )


def build_slides(
    notebooks: Iterable[Path | str] | None = None,
    out: Path | str = "build/slides",
    assets: Path | str | None = None,
    solutions: bool = False,
) -> list[Path]:
    """Write ``out/NN_name.slides.html`` for each notebook and the assets they load.

    ``assets`` is the ``node_modules`` folder holding reveal.js, requirejs, jquery and
    mathjax (default: ``slides/node_modules``). Returns the paths of the decks.
    """
    sources = [Path(p) for p in notebooks] if notebooks is not None else find_notebooks()
    if not sources:
        raise ValueError("no notebooks given: expected notebooks/NN_*.ipynb files")
    out = _fresh_folder(Path(out), sources)
    copy_assets(assets if assets is not None else default_assets(), out)
    exporter = slides_exporter()
    decks = []
    for src in sources:
        nb = slides_notebook(_read(src), solutions=solutions)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": src.stem}})
        deck = out / f"{src.stem}.slides.html"
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
    index = "\n".join(
        f'<li><a href="{d.name}">{_title(s)}</a></li>' for s, d in zip(sources, decks, strict=True)
    )
    (out / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>attention-names slides</title></head>\n<body><h1>attention-names: slides</h1>\n"
        f"<ol>\n{index}\n</ol>\n</body></html>\n",
        encoding="utf-8",
    )
    return decks


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course.classroom",
        description="Student copies of the notebooks, or offline slide decks.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="write student copies (solutions stubbed)")
    student.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    student.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    slides = sub.add_parser("slides", help="write one offline reveal.js deck per notebook")
    slides.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    slides.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
    slides.add_argument("--assets", type=Path, default=None, help="default: slides/node_modules")
    slides.add_argument("--solutions", action="store_true", help="keep the solution cells")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or None
    try:
        if args.command == "student":
            written = write_student_copies(notebooks, args.out)
            print(
                f"{len(written)} student notebooks in {args.out}/notebooks (README in {args.out})"
            )
        else:
            written = build_slides(notebooks, args.out, args.assets, solutions=args.solutions)
            print(f"{len(written)} slide decks in {args.out} (open {args.out}/index.html)")
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
