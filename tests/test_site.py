"""course/site.py: the book's configuration and its staged sources (the browser tests check
the built site itself)."""

from __future__ import annotations

import shutil

import nbformat
import pytest
import yaml

from course import site
from course.landing import EXPLORER_PAGE
from course.notebooks import colab_url, repository_url


def test_book_config_carries_the_repository_and_the_launch_buttons():
    config = yaml.safe_load(site.book_config(site.SITE_DIR / "_config.yml"))
    assert config["repository"]["url"] == repository_url()
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert config["execute"]["execute_notebooks"] == "off"


def test_stage_without_npm_assets_says_how_to_get_them(small, tmp_path):
    fake_site = tmp_path / "site"
    fake_site.mkdir()
    for name in ("_config.yml", "index.md", *site.OWN_FILES):
        (fake_site / name).write_bytes((site.SITE_DIR / name).read_bytes())
    with pytest.raises(FileNotFoundError, match="npm ci"):
        site.stage([small], tmp_path / "src", fake_site)


def test_stage_writes_the_book_sources(small, tmp_path):
    if not (site.SITE_DIR / "node_modules").is_dir():
        pytest.skip("site/node_modules is not installed (make site installs it)")
    infos = site.stage([small], tmp_path / "src")
    src = tmp_path / "src"
    assert [i.path for i in infos] == [small]
    staged, nb = nbformat.read(src / "notebooks" / small.name, 4), nbformat.read(small, 4)
    assert "widgets" in nb.metadata  # saved widget state is dropped: the site shows the picture
    nb.metadata.pop("widgets")
    assert staged == nb
    assert "notebooks/01_small" in (src / "_toc.yml").read_text()
    assert colab_url(small.name) in (src / "index.md").read_text()
    assert (src / site.ASSETS_DIR / "mathjax" / "tex-mml-chtml.js").is_file()
    # The explorer page and its model go to the root of the site as they are.
    assert (src / site.EXTRA_DIR / EXPLORER_PAGE).is_file()
    assert (src / site.EXTRA_DIR / "explorer" / "model.js").is_file()
    assert f'href="{EXPLORER_PAGE}"' in (src / "index.md").read_text()


def fake_jupyter_book(tmp_path, html: str | None) -> str:
    """A stand-in for jupyter-book: writes ``html`` as the built index page, or fails."""
    script = tmp_path / "jupyter-book"
    body = (
        'mkdir -p "$2/_build/html" && printf %s "$HTML" > "$2/_build/html/index.html"'
        if html is not None
        else "exit 3"
    )
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_a_failed_site_build_leaves_the_previous_site(small, tmp_path, monkeypatch):
    out, src = tmp_path / "site", tmp_path / "site-src"
    monkeypatch.setattr(
        site, "stage", lambda notebooks, src, site_dir=None, names=None: src.mkdir() or []
    )
    monkeypatch.setenv("HTML", "<p>first</p>")
    monkeypatch.setattr(site, "_jupyter_book", lambda: fake_jupyter_book(tmp_path, "x"))
    site.build(small.parent, out, src)
    assert (out / "index.html").read_text() == "<p>first</p>"
    (out / "notes.txt").write_text("mine")
    shutil.rmtree(src)
    monkeypatch.setattr(site, "_jupyter_book", lambda: fake_jupyter_book(tmp_path, None))
    with pytest.raises(RuntimeError, match="jupyter-book build failed"):
        site.build(small.parent, out, src)
    assert (out / "index.html").read_text() == "<p>first</p>"
    assert (out / "notes.txt").read_text() == "mine"


def test_downloads_are_the_notebooks_as_committed(small, tmp_path):
    html = tmp_path / "html"
    staged = html / "_downloads" / "0123abcd" / small.name
    other = html / "_downloads" / "4567ef01" / "notes.ipynb"
    for path in (staged, other):
        path.parent.mkdir(parents=True)
        path.write_text("{}", encoding="utf-8")  # what a staged copy without its widgets is
    assert site.hand_out_as_committed(html, [small]) == 1
    assert staged.read_bytes() == small.read_bytes()
    assert other.read_text(encoding="utf-8") == "{}"  # not a notebook of the series: left
