"""course/slides.py: offline reveal.js decks, without solutions unless asked."""

from __future__ import annotations

import base64
import math
import re
import struct
import zlib
from html import unescape
from pathlib import Path

import nbformat
import pytest
from course_support import (
    NOTEBOOKS,
    cell_of,
    fake_node_modules,
    small_notebook,
    solution_lines,
)
from nbformat.v4 import new_output

from course import slides, slidesize, slidesplit


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory) -> Path:
    """slides/node_modules when `make slides` installed it, placeholders otherwise."""
    real = slides.default_assets()
    if all((real / src).exists() for src in slides.ASSETS):
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
    (deck,) = slides.build_slides([small], tmp_path / "slides", node_modules)
    assert deck.name == "01_small.slides.html"
    assert_offline(deck)
    html = deck.read_text(encoding="utf-8")
    text = _visible_text(html)
    assert html.count("<section") >= 2  # the title slide and the exercises slide
    assert "A small lesson" in text and "Square" in text
    assert (
        "the square of x" not in text and "stored verdict" not in text
    )  # solution and its verdict
    assert slides.WIDGET_PLACEHOLDER in text and "VBox(" not in text
    assert "01_small.slides.html" in (tmp_path / "slides" / "index.html").read_text()
    (answers,) = slides.build_slides([small], tmp_path / "answers", node_modules, solutions=True)
    assert "the square of x" in _visible_text(answers.read_text(encoding="utf-8"))


def test_slides_without_assets_say_how_to_get_them(small, tmp_path):
    with pytest.raises(FileNotFoundError, match="make slides"):
        slides.build_slides([small], tmp_path / "slides", tmp_path / "empty")


@pytest.fixture(scope="module")
def series_decks(tmp_path_factory, node_modules) -> dict[str, Path]:
    if not NOTEBOOKS:
        return {}
    out = tmp_path_factory.mktemp("slides")
    decks = slides.build_slides(NOTEBOOKS, out, node_modules)
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
    for line in solution_lines(nb):
        assert line not in text, f"{deck.name} shows a solution line: {line!r}"


def test_a_deck_build_that_fails_midway_leaves_the_previous_decks(small, tmp_path, monkeypatch):
    out = tmp_path / "slides"
    slides.build_slides([small], out, fake_node_modules(tmp_path / "nm"))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt  # as if the command were stopped halfway

    monkeypatch.setattr(slides, "slides_notebook", stopped)
    with pytest.raises(KeyboardInterrupt):
        slides.build_slides([small], out, fake_node_modules(tmp_path / "nm"))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# --------------------------------------------------------------------------- slides that fit


def png(width: int, height: int) -> str:
    """A blank PNG of ``width`` × ``height`` px, base64, as a notebook stores it."""
    row = b"\x00" + b"\xff" * width
    body = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return base64.b64encode(data).decode()


def figure_cell(source: str, width: int, height: int):
    cell = cell_of("code", source)
    cell.outputs = [
        new_output("display_data", {"image/png": png(width, height), "text/plain": "<Figure>"})
    ]
    return cell


def printing_cell(source: str, lines: int):
    cell = cell_of("code", source)
    cell.outputs = [
        new_output("stream", name="stdout", text="".join(f"row {i}\n" for i in range(lines)))
    ]
    return cell


def slides_of(cells) -> list[list]:
    """The shown cells of a deck, grouped by slide and vertical slide."""
    grouped = []
    for cell in cells:
        kind = cell.metadata["slideshow"]["slide_type"]
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not grouped:
            grouped.append([])
        grouped[-1].append(cell)
    return grouped


def estimated(cell) -> int:
    return sum(height for _, height in slidesplit.pieces(cell))


def test_png_size_reads_the_header():
    assert slidesize.png_size(png(123, 45)) == (123, 45)
    with pytest.raises(ValueError, match="PNG"):
        slidesize.png_size(base64.b64encode(b"GIF89a" + b"\0" * 40).decode())


def test_small_cells_share_a_slide_and_a_tall_section_goes_on_below():
    small = [
        cell_of("md", "## Short", "slide"),
        printing_cell("print(1)", 2),
        cell_of("md", "Done."),
    ]
    assert [len(s) for s in slides_of(slidesplit.fit_slides(small))] == [3]
    tall = [cell_of("md", "## Long", "slide")] + [
        printing_cell(f"print({i})", 12) for i in range(4)
    ]
    laid = slidesplit.fit_slides(tall)
    kinds = [c.metadata["slideshow"]["slide_type"] for c in laid]
    assert kinds[0] == "slide" and "subslide" in kinds and len(slides_of(laid)) >= 2
    for shown in slides_of(laid):
        assert sum(map(estimated, shown)) <= slidesize.BUDGET
    assert tall[1].metadata["slideshow"]["slide_type"] == "-"  # the given cells are unchanged


def test_a_drawing_cell_shows_its_figure_alone_scaled_to_the_slide():
    cells = [
        cell_of("md", "## A tall figure", "slide"),
        figure_cell("plot_matrix(W)\nplt.show()", 600, 1800),
    ]
    laid = slidesplit.fit_slides(cells)
    figure = laid[-1]
    assert figure.metadata["transient"]["remove_source"] is True
    width, height = slidesize.figure_size(figure.outputs[0])
    assert figure.outputs[0].metadata["image/png"]["width"] == width
    assert height <= slidesize.BUDGET and width == round(600 * height / 1800)
    # an image that the code does not draw keeps its code
    shown = figure_cell("Image(filename='names.png')", 300, 200)
    ((piece, _),) = slidesplit.pieces(shown)
    assert not piece.metadata.get("transient", {}).get("remove_source")


def test_a_figure_shrinks_to_share_a_slide_only_a_little():
    intro = cell_of(
        "md", "## Figure\n\n" + "A line of prose that explains the figure. " * 6, "slide"
    )
    room = slidesize.BUDGET - estimated(intro)
    fits = figure_cell("ax.plot(x)", 800, int(room * 1.1))  # shrinks by less than a quarter
    laid = slidesplit.fit_slides([intro, fits])
    assert len(slides_of(laid)) == 1
    assert slidesize.figure_size(laid[1].outputs[0])[1] <= room
    too_tall = figure_cell("ax.plot(x)", 800, int(room * 1.6))
    laid = slidesplit.fit_slides([intro, too_tall])
    assert [len(s) for s in slides_of(laid)] == [1, 1]


def test_long_markdown_is_cut_at_paragraphs_and_list_items():
    paragraphs = [f"Paragraph {i} says something " + "and more " * 12 for i in range(12)]
    source = (
        "## Many words\n\n"
        + "\n\n".join(paragraphs)
        + "\n\n"
        + "\n".join(f"- item {i}" for i in range(8))
    )
    assert "".join(slidesplit.markdown_blocks(source)) == source
    parts = slidesplit.fit_slides([cell_of("md", source, "slide")])
    assert len(parts) >= math.ceil(slidesize.markdown_height(source) / slidesize.BUDGET) >= 2
    assert all(slidesize.markdown_height(p.source) <= slidesize.BUDGET for p in parts)
    assert all(p.source.startswith(("## ", "Paragraph", "- item")) for p in parts)
    words = lambda text: text.split()  # noqa: E731
    assert sum((words(p.source) for p in parts), []) == words(source)
    assert len({p.id for p in parts}) == len(parts)


def test_long_code_and_long_output_are_cut_at_blank_lines():
    blocks = ["\n".join(f"x{b}_{i} = {i}" for i in range(5)) for b in range(12)]
    cell = printing_cell("# NBVAL_CHECK_OUTPUT\n" + "\n\n".join(blocks), 60)
    parts = [p for p in slidesplit.fit_slides([cell_of("md", "## Code", "slide"), cell])][1:]
    code = [p for p in parts if not p.metadata.get("transient", {}).get("remove_source")]
    outputs = [p for p in parts if p.metadata.get("transient", {}).get("remove_source")]
    assert len(code) >= 2 and len(outputs) >= 2 and all(not p.outputs for p in code)
    assert "\n\n".join(p.source for p in code) == "\n\n".join(blocks)  # cut between blocks only
    assert "NBVAL" not in "".join(p.source for p in code)
    printed = "".join(p.outputs[0].text for p in outputs)
    assert printed == "".join(f"row {i}\n" for i in range(60))
    assert all(estimated(p) <= slidesize.BUDGET for p in parts)


def test_deck_shows_figures_without_drawing_code(tmp_path, node_modules):
    nb = small_notebook()
    nb.cells.insert(1, figure_cell("plot_attention(weights, list(word))\nplt.show()", 640, 480))
    path = tmp_path / "01_small.ipynb"
    nbformat.write(nb, path)
    (deck,) = slides.build_slides([path], tmp_path / "slides", node_modules)
    html = deck.read_text(encoding="utf-8")
    (img,) = re.findall(r"<img\b[^>]*>", html)
    assert 'src="data:image/png;base64,' in img and re.search(r'\bwidth="?\d+', img)
    assert "plot_attention" not in _visible_text(html)
    assert re.search(r"var scroll = false\b", html)  # a slide never scrolls: it fits


def test_the_words_that_introduce_a_piece_go_along_with_it():
    heading = cell_of("md", "## Two tables", "slide")
    first, second = printing_cell("print(a)", 14), printing_cell("print(b)", 14)
    intro = cell_of("md", "The second table, row by row:")
    laid = slidesplit.fit_slides([heading, first, intro, second])
    assert [[c.source for c in s] for s in slides_of(laid)] == [
        ["## Two tables", "print(a)"],
        ["The second table, row by row:", "print(b)"],
    ]
    # a section the notebook opens keeps its own start
    laid = slidesplit.fit_slides([heading, first, intro, cell_of("md", "## Next", "subslide")])
    assert [len(s) for s in slides_of(laid)] == [3, 1]
