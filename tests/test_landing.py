"""course/landing.py: what the landing page and the table of contents are made of, read
from notebooks made here (the browser tests check the built site itself)."""

from __future__ import annotations

import base64
import io

import nbformat
import pytest

from course import landing, notebooks


def png(width: int = 40, height: int = 30, value: float = 0.5) -> bytes:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width / 10, height / 10), dpi=10)
    fig.patch.set_facecolor((value, value, value))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def image_output(data: bytes) -> dict:
    return nbformat.v4.new_output(
        "display_data", data={"image/png": base64.b64encode(data).decode(), "text/plain": "<Fig>"}
    )


def notebook(*cells) -> dict:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def md(text):
    return nbformat.v4.new_markdown_cell(text)


def code(source, *outputs):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


INTRO = """# 04 · Attention by loops: every character asks every other

Notebook 03 gave every character a vector.

**What you will learn**

- how each character makes a **query**;
- the scores, computed by a
  double loop;
- the `softmax`.

Notebook 05 then shows the matrix form.
"""


def test_title_is_the_first_heading():
    nb = notebook(md("Some words first"), md(INTRO))
    assert notebooks.title_of(nb) == "04 · Attention by loops: every character asks every other"


def test_a_notebook_without_a_title_is_an_error_naming_it():
    with pytest.raises(ValueError, match="05_x.ipynb.*no '# Title'"):
        notebooks.title_of(notebook(md("## only a section"), code("1")), "05_x.ipynb")


def test_learn_bullets_stop_at_the_next_paragraph_and_join_wrapped_lines():
    assert landing.learn_of(notebook(md(INTRO))) == [
        "how each character makes a **query**;",
        "the scores, computed by a double loop;",
        "the `softmax`.",
    ]


def test_learn_bullets_may_be_in_the_next_cell():
    nb = notebook(md("# 01 · Names\n\n## What you will learn"), md("* one\n* two"), md("- not"))
    assert landing.learn_of(nb) == ["one", "two"]


def test_no_learn_section_gives_no_bullets():
    assert landing.learn_of(notebook(md("# 01 · Names\n\n- a bullet of something else"))) == []


def test_thumbnail_prefers_the_first_heatmap_over_an_earlier_image():
    histogram, heatmap, later = png(value=0.1), png(value=0.6), png(value=0.9)
    nb = notebook(
        md(INTRO),
        code("plt.hist(lengths)\nplt.show()", image_output(histogram)),
        code("plot_attention(weights, labels)\nplt.show()", image_output(heatmap)),
        code("ax.imshow(x)", image_output(later)),
    )
    assert landing.thumbnail_of(nb) == heatmap


def test_thumbnail_falls_back_to_the_first_image_then_to_none():
    first = png(value=0.2)
    nb = notebook(md(INTRO), code("plt.plot(x)", image_output(first), image_output(png())))
    assert landing.thumbnail_of(nb) == first
    assert landing.thumbnail_of(notebook(md(INTRO), code("print(1)"))) is None


def test_read_info_and_the_generated_pages(tmp_path):
    heatmap = png(width=800, height=600)
    nbformat.write(
        notebook(md(INTRO), code("plot_attention(w, l)", image_output(heatmap))),
        tmp_path / "04_attention_loops.ipynb",
    )
    nbformat.write(notebook(md("# 01 · Names\n\nno goals")), tmp_path / "01_names.ipynb")
    (tmp_path / "notes.ipynb").write_text("{}")  # not part of the series: ignored

    paths = notebooks.find_notebooks(tmp_path)
    assert [p.name for p in paths] == ["01_names.ipynb", "04_attention_loops.ipynb"]
    infos = [landing.read_info(p) for p in paths]
    assert [i.number for i in infos] == ["01", "04"]
    assert infos[0].thumbnail is None and infos[1].thumbnail == heatmap
    assert len(infos[1].learn) == 3

    toc = landing.toc_yaml(infos)
    assert toc.index("notebooks/01_names") < toc.index("notebooks/04_attention_loops")
    assert "root: index" in toc

    page = landing.landing_page(infos, f"# Series\n\n{landing.MAP_MARKER}\n\nmake lab\n")
    assert landing.MAP_MARKER not in page
    assert page.index("01 · Names") < page.index("04 · Attention by loops")
    assert ":img-top: thumbs/04_attention_loops.png" in page
    assert ":img-top: thumbs/01_names" not in page
    assert "{download}`Download the notebook <notebooks/04_attention_loops.ipynb>`" in page
    assert "the `softmax`." in page
    assert page.index("04 · Attention by loops") < page.index(f'href="{landing.EXPLORER_PAGE}"')

    small = landing.shrink_png(heatmap, width=120)
    from PIL import Image

    assert Image.open(io.BytesIO(small)).size == (120, 90)


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="expected a name like 04_attention_loops.ipynb"):
        landing.read_info(tmp_path / "attention.ipynb")
    broken = tmp_path / "02_broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="02_broken.ipynb: not a notebook"):
        landing.read_info(broken)
    with pytest.raises(FileNotFoundError, match="no notebooks folder"):
        notebooks.find_notebooks(tmp_path / "missing")
    assert notebooks.find_notebooks(tmp_path / "missing", missing_ok=True) == []
    with pytest.raises(ValueError, match="no '<!-- SERIES MAP -->' marker"):
        landing.landing_page([], "# a page without the marker")
