"""course/links.py: every notebook opens with its launch links and the install cell."""

from __future__ import annotations

import nbformat
import pytest

from course import links, notebooks
from course.notebooks import find_notebooks

NOTEBOOKS = find_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebooks_carry_current_links_and_install_cell(path):
    nb = nbformat.read(path, 4)
    assert links.update(nb, path.name) is False, "run `python -m course.links` (make notebooks)"
    assert links.links_line(path.name) in nb.cells[0].source
    assert nb.cells[1].source == links.install_cell()
    assert notebooks.install_source() in nb.cells[1].source


def test_links_are_made_from_the_one_address_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nrequires-python = ">=3.11"\n'
        '[project.urls]\nRepository = "https://github.com/someone/fork"\n'
    )
    colab = notebooks.colab_url("04_a.ipynb", tmp_path)
    assert colab == (
        "https://colab.research.google.com/github/someone/fork/blob/main/notebooks/04_a.ipynb"
    )
    assert "/v2/gh/someone/fork/main?" in notebooks.binder_url("04_a.ipynb", tmp_path)
    assert (
        notebooks.install_source(tmp_path)
        == "attention-names @ git+https://github.com/someone/fork.git"
    )
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "gitlab.com/x"\n')
    with pytest.raises(ValueError, match="expected https://github.com/OWNER/NAME"):
        notebooks.repository_url(tmp_path)


def test_update_adds_links_and_install_cell_once_and_keeps_the_title():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · A title\n\nSome words."),
        nbformat.v4.new_code_cell("import torch"),
    ]
    assert links.update(nb, "01_a.ipynb") is True
    assert nb.cells[0].source.startswith("# 01 · A title\n\n[Open in Colab](")
    assert nb.cells[0].source.endswith("\n\nSome words.")
    assert nb.cells[1].metadata["tags"] == [links.INSTALL_TAG, "remove-cell"]
    assert nb.cells[2].source == "import torch"
    assert links.update(nb, "01_a.ipynb") is False  # a second run changes nothing
    assert len(nb.cells) == 3


def test_a_notebook_without_a_title_cell_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="first cell must be"):
        links.update(nb, "01_a.ipynb")


def test_check_mode_reports_stale_notebooks_without_writing(tmp_path, capsys):
    path = tmp_path / "01_a.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · A title")]
    nbformat.write(nb, path)
    before = path.read_bytes()
    assert links.main(["--check", str(path)]) == 1
    assert path.read_bytes() == before and "1 notebook(s) out of date" in capsys.readouterr().out
    assert links.main([str(path)]) == 0
    assert links.main(["--check", str(path)]) == 0
