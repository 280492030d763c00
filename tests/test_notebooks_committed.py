"""The committed notebooks as a reader sees them: executed in order, no errors, the series' shape.

(`make test` also re-runs every notebook with nbval and compares the checked outputs.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def test_the_series_is_numbered_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers, "no notebooks found"
    assert numbers == list(range(1, len(numbers) + 1)), [p.name for p in NOTEBOOKS]


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    path = request.param
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return path, nb


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_executed_in_order_from_a_fresh_kernel(notebook):
    path, nb = notebook
    counts = [c.execution_count for c in code_cells(nb)]
    assert None not in counts, f"{path.name}: cells never executed"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts}"


def test_no_error_outputs_and_figures_are_stored(notebook):
    path, nb = notebook
    images = 0
    for i, cell in enumerate(code_cells(nb)):
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{path.name} cell {i}: {out.get('ename')}"
            if out.output_type == "stream" and out.name == "stderr":
                assert "Traceback" not in out.text, f"{path.name} cell {i}: traceback on stderr"
            data = out.get("data", {})
            images += "image/png" in data
            assert not re.search(
                r"<(matplotlib|Figure|Axes).* at 0x", data.get("text/plain", "")
            ), f"{path.name} cell {i} shows a stray object repr instead of a figure"
    assert images >= 1, f"{path.name}: no figure is stored, a reader would see none"


#: What nbval compares of a cell that prints: its output must reproduce on any machine.
CHECKED = "nbval-check-output"
#: A cell whose output is this machine's (a timing, an object's address): never compared.
MACHINE_OWN = "nbval-ignore-output"


def test_every_printed_number_is_compared_or_said_to_be_this_machines(notebook):
    """nbval's lax mode compares only the cells tagged to be checked: a cell that prints and
    carries neither tag would print other numbers on another CPU without any test seeing it."""
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb)):
        prints = any(o.output_type in ("stream", "execute_result") for o in cell.outputs)
        tags = set(cell.metadata.get("tags", []))
        assert not {CHECKED, MACHINE_OWN} <= tags, f"{path.name} cell {i}: both tags"
        if prints:
            assert tags & {CHECKED, MACHINE_OWN}, (
                f"{path.name} cell {i} prints but is not compared by nbval: tag it "
                f"{CHECKED!r}, or {MACHINE_OWN!r} if it prints this machine's timings"
            )


def test_a_static_view_reads_every_output(notebook):
    """GitHub's viewer and the site show the text of a widget or a progress bar: it must say
    what happened, not a repr of widget classes or a bar stuck at its start."""
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb)):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = data.get("text/plain", "") + out.get("text", "")
            assert not re.match(r"\s*(VBox|HBox|Output|Text|Dropdown)\(", text), (
                f"{path.name} cell {i} shows a widget's repr: {text[:60]!r}"
            )
            assert not re.search(r"\b0%\|", text), f"{path.name} cell {i}: a progress bar at 0%"
            if "application/vnd.jupyter.widget-view+json" in data:
                assert "image/png" in data, f"{path.name} cell {i}: a widget with no picture"
    # Saved widget state would make nbviewer and nbconvert's HTML pick the widget over its
    # picture, and draw nothing (its module is not on their CDN): make notebooks saves none.
    assert "widgets" not in nb.metadata, f"{path.name} keeps saved widget state"


def test_shape_of_a_lesson(notebook):
    path, nb = notebook
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert md and md[0].startswith(f"# {path.name[:2]}"), (
        f"{path.name}: first cell is not the title"
    )
    text = "\n".join(md)
    for heading in ("What you will learn", "Recap", "Exercises"):
        assert heading in text, f"{path.name}: no '{heading}' section"
    install, first_code = (c.source for c in code_cells(nb)[:2])
    assert 'find_spec("attention_utils")' in install, f"{path.name}: no install cell first"
    assert "attention_utils" in first_code and "set_seed(" in first_code, (
        f"{path.name}: the code cell after the install cell should import attention_utils "
        "and call set_seed"
    )


def test_exercises_have_solutions_and_checks(notebook):
    path, nb = notebook
    cells = nb.cells
    solutions = [i for i, c in enumerate(cells) if "solution" in c.metadata.get("tags", [])]
    assert 2 <= len(solutions) <= 4, f"{path.name}: {len(solutions)} solution cells"
    for i in solutions:
        assert cells[i].cell_type == "code"
        assert "hide-cell" in cells[i].metadata.tags, f"{path.name}: solution {i} shows on the site"
        assert cells[i].metadata.get("jupyter", {}).get("source_hidden"), (
            f"{path.name}: solution cell {i} is not collapsed in JupyterLab"
        )
        later = "\n".join(c.source for c in cells[i + 1 : i + 3] if c.cell_type == "code")
        assert re.search(r"\bnb\d\d\.check_\w+\(", later), (
            f"{path.name}: solution cell {i} is not followed by a check"
        )


def test_every_exercise_is_numbered_and_labelled_alike(notebook):
    path, nb = notebook
    starts = [
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if re.match(r"\*\*(Exercise|\d)", line)
    ]
    assert starts, f"{path.name}: no exercise"
    for n, line in enumerate(starts, 1):
        assert re.match(rf"\*\*Exercise {n} \((easy|medium|stretching)\)[:.]", line), (
            f"{path.name}: {line[:60]!r} is not '**Exercise {n} (easy|medium|stretching)...'"
        )


def test_test_markers_are_cell_tags_not_comments_a_reader_sees(notebook):
    path, nb = notebook
    marked = [i for i, c in enumerate(code_cells(nb)) if "NBVAL" in c.source]
    assert not marked, f"{path.name}: code cells {marked} show an NBVAL comment; tag them"
    tagged = [c for c in code_cells(nb) if "nbval-check-output" in c.metadata.get("tags", [])]
    assert tagged, f"{path.name}: no cell tagged nbval-check-output, nbval compares nothing"


def test_slide_metadata(notebook):
    path, nb = notebook
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert kinds[0] == "slide", f"{path.name}: the title cell should start a slide"
    for c, kind in zip(nb.cells, kinds, strict=True):
        if c.cell_type == "markdown" and c.source.startswith("## "):
            assert kind in ("slide", "subslide"), f"{path.name}: section {c.source[:40]!r}"


def test_notebooks_are_plain_json_with_stable_formatting():
    for path in NOTEBOOKS:
        raw = path.read_text(encoding="utf-8")
        assert json.loads(raw)["nbformat"] == 4
        assert raw.endswith("\n"), f"{path.name}: no final newline"


def test_every_figure_says_what_it_shows(notebook):
    """A reader who cannot see a figure hears its description: the picture's ``alt`` (the site
    and the slides read it from the output's metadata) and, for a figure of the notebook, a
    caption after it (JupyterLab and GitHub's viewer give a picture no alternative text)."""
    from attention_utils.describe import CAPTION_PREFIX, check, is_caption

    path, nb = notebook
    for i, cell in enumerate(code_cells(nb)):
        outputs = cell.get("outputs", [])
        for k, out in enumerate(outputs):
            data = out.get("data", {})
            if "image/png" not in data:
                continue
            alt = out.get("metadata", {}).get("image/png", {}).get("alt")
            assert alt, f"{path.name} cell {i}: a figure without a description (describe(fig, ...))"
            check(alt)  # a real description: words, not a file name
            if "application/vnd.jupyter.widget-view+json" in data:
                continue  # the explorer's picture: its own line of text says what it shows
            after = outputs[k + 1] if k + 1 < len(outputs) else {}
            assert is_caption(after), f"{path.name} cell {i}: a figure without its caption"
            assert after["data"]["text/plain"] == CAPTION_PREFIX + alt


#: Link texts that do not say where a link goes (WCAG 2.4.4).
VAGUE_LINKS = {"here", "this", "link", "click here", "this link", "more", "read more"}


def test_headings_go_in_order_and_links_say_where_they_go(notebook):
    """A screen reader lists a page's headings and links out of their context: one ``#`` title,
    then levels that never skip one; every link's text names its target (never "here")."""
    path, nb = notebook
    levels = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            match = re.match(r"(#{1,6}) \S", line)
            if match and not fenced:
                levels.append((len(match.group(1)), line.strip()))
        for text, target in re.findall(r"\[([^\]]*)\]\(([^)]*)\)", cell.source):
            assert text.strip(), f"{path.name}: a link to {target} without text"
            assert text.strip().lower() not in VAGUE_LINKS, f"{path.name}: link text {text!r}"
            assert not re.fullmatch(r"https?://\S+", text.strip()), (
                f"{path.name}: a bare address as link text, {text!r}: name the page instead"
            )
    assert levels and levels[0][0] == 1, f"{path.name}: the first heading is not the # title"
    assert [lvl for lvl, _ in levels].count(1) == 1, f"{path.name}: more than one # title"
    for (before, _), (level, line) in zip(levels, levels[1:], strict=False):
        assert level <= before + 1, f"{path.name}: {line!r} skips a level after h{before}"


def test_every_table_a_notebook_shows_has_a_header_row(notebook):
    """A table's header cells tell a screen reader what each column holds: every HTML table of
    the outputs has ``<th>`` cells, every markdown table its header line."""
    path, nb = notebook
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            rows = [line for line in cell.source.splitlines() if line.lstrip().startswith("|")]
            if rows:
                assert len(rows) >= 2 and re.fullmatch(r"\s*\|[\s:|-]+\|\s*", rows[1]), (
                    f"{path.name} cell {i}: a markdown table without its header line"
                )
            continue
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            for table in re.findall(r"<table.*?</table>", html, flags=re.S):
                assert "<th" in table, f"{path.name} cell {i}: a table without header cells"
