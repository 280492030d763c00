"""course/notebooks.py: finding the series' notebooks and their exercise cells."""

from __future__ import annotations

import pytest
from course_support import (
    small_notebook,
)

from course import notebooks


def test_exercise_cells_pair_each_solution_with_the_next_code_cell():
    nb = small_notebook()
    assert notebooks.exercise_cells(nb) == [(4, 5), (7, 8)]
    nb.cells[5].metadata["tags"] = ["solution"]  # two solution cells in a row share the check
    assert notebooks.exercise_cells(nb)[:2] == [(4, 8), (5, 8)]


def test_find_notebooks_keeps_only_numbered_notebooks_in_order(tmp_path):
    for name in ("02_b.ipynb", "01_a.ipynb", "scratch.ipynb", "1_x.ipynb", "03_c.txt"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in notebooks.find_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb"]
    with pytest.raises(FileNotFoundError, match="no notebooks folder"):
        notebooks.find_notebooks(tmp_path / "missing")


def test_free_port_is_a_port_nothing_listens_on():
    import socket

    port = notebooks.free_port()
    assert 1024 <= port < 65536
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", port))
