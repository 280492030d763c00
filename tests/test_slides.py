"""course/slides.py: offline reveal.js decks, without solutions unless asked."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import nbformat
import pytest
from course_support import (
    NOTEBOOKS,
    fake_node_modules,
    solution_lines,
)

from course import slides


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
