"""The site hides every solution behind a click: a reader sees the question and its check,
and opens the answer only when they choose to.
"""

from __future__ import annotations

import nbformat
import pytest
from browserlib import series_notebooks

from course.notebooks import is_solution

NOTEBOOKS = series_notebooks()


def first_line(cell) -> str:
    return next(line.strip() for line in cell.source.splitlines() if line.strip())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_solution_is_shown_without_a_click(context, site_url, path):
    solutions = [c for c in nbformat.read(path, 4).cells if is_solution(c)]
    assert solutions, f"{path.name} has no solution cell"
    page = context.new_page()
    page.goto(f"{site_url}/notebooks/{path.stem}.html")
    cells = page.locator("main .cell.tag_solution")
    assert cells.count() == len(solutions), (
        f"{path.name}: {len(solutions)} solution cells, {cells.count()} on the page"
    )
    for i, cell in enumerate(solutions):
        on_page = cells.nth(i)
        code = on_page.locator(".cell_input").get_by_text(first_line(cell), exact=False).first
        assert not code.is_visible(), f"{path.name}: solution {i} is visible without a click"
        on_page.locator("summary").first.click()
        assert code.is_visible(), f"{path.name}: solution {i} does not open on a click"
    page.close()
