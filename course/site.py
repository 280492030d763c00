"""Build the static site of the series: every notebook with its stored outputs, offline.

The site is a Jupyter Book 1 book assembled from whatever ``notebooks/NN_*.ipynb`` exist, with
a landing page of cards made by :mod:`course.landing`. Notebooks are never executed: the site
shows what is committed.

    python -m course.site                  # what `make site` runs -> build/site/
    python -m course.site --notebooks DIR --out DIR

The sources are put together in ``build/site-src/``: ``site/_config.yml``, a generated
``_toc.yml``, the landing page (``site/index.md`` with the map of the series filled in),
thumbnails, copies of the notebooks, the explorer page with the trained model
(:mod:`course.webexplorer`), and a local copy of MathJax from ``site/node_modules``
(installed by ``npm ci`` in ``site/``), so no page needs a CDN. Notebook 12's live explorer
is shown as the picture it leaves (its widget needs a kernel); the explorer page is the live
one.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

from attention_utils.describe import is_caption
from course import webexplorer
from course.landing import (
    NotebookInfo,
    landing_page,
    png_outputs,
    read_info,
    shrink_png,
    toc_yaml,
)
from course.notebooks import (
    ROOT,
    command_line,
    copy_assets,
    find_notebooks,
    read_notebook,
    repository_url,
)
from course.output import MARKER, check_output_folder, output_folder

SITE_DIR = ROOT / "site"


#: What is copied from site/node_modules into the site's _static/ (source -> destination).
ASSETS = {"mathjax/es5": "mathjax"}
#: The site's own files, copied from site/ into the site's _static/ (source -> destination).
OWN_FILES = {"series.css": "series.css"}
#: The source folder of the static files. Not ``_static``: Jupyter Book would add every
#: script found there (all of MathJax's) to every page.
ASSETS_DIR = "assets"
#: Files copied as they are into the root of the site.
EXTRA_DIR = "extra"


def book_config(path: Path) -> str:
    """``site/_config.yml`` with the repository's address (from ``pyproject.toml``) filled in.

    Jupyter Book makes each page's Colab and Binder launch buttons from it.
    """
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.setdefault("repository", {})["url"] = repository_url()
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def stage(
    notebooks: list[Path], src: Path, site_dir: Path = SITE_DIR, names: str | None = None
) -> list[NotebookInfo]:
    """Write the book's sources into ``src`` (emptied first); returns what was read.

    ``src`` must be empty or a staging folder of an earlier build (it carries the marker):
    a folder of somebody else's files is refused, never emptied.
    """
    infos = [read_info(path) for path in notebooks]
    src = check_output_folder(src, notebooks)
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / MARKER).write_text("A staging folder of course/site.py, emptied on each build.\n")
    (src / "thumbs").mkdir()
    (src / "_config.yml").write_text(book_config(site_dir / "_config.yml"), encoding="utf-8")
    (src / ASSETS_DIR).mkdir()
    hint = f"run `npm ci` in {site_dir} (`make site` does)"
    copy_assets(site_dir / "node_modules", ASSETS, src / ASSETS_DIR, hint)
    for name, dest in OWN_FILES.items():
        shutil.copy2(site_dir / name, src / ASSETS_DIR / dest)
    # The explorer page and the trained model it runs, at the root of the site.
    webexplorer.write(src / EXTRA_DIR, site_dir / "explorer", names=names)
    (src / "_toc.yml").write_text(toc_yaml(infos), encoding="utf-8")
    template = (site_dir / "index.md").read_text(encoding="utf-8")
    (src / "index.md").write_text(landing_page(infos, template), encoding="utf-8")
    for info in infos:
        nb = read_notebook(info.path)
        nb.metadata.pop("widgets", None)  # saved widget state would load a widget manager
        for cell in nb.cells:  # a figure's caption: the page gives the picture its alt instead
            if cell.cell_type == "code":
                cell.outputs = [out for out in cell.outputs if not is_caption(out)]
        nbformat.write(nb, src / "notebooks" / info.path.name)
        if info.thumbnail is not None:
            (src / "thumbs" / f"{info.stem}.png").write_bytes(shrink_png(info.thumbnail))
    return infos


def image_descriptions(notebooks: list[Path]) -> dict[str, str]:
    """``{file name in _images/: description}`` of every described image of ``notebooks``:
    MyST-NB names an output's image by the SHA-256 of its bytes, and gives it its path as
    ``alt`` (it reads ``alt`` only from a cell's metadata, one for all of a cell's images)."""
    found = {}
    for path in notebooks:
        for cell in read_notebook(path).cells:
            if cell.cell_type != "code":
                continue
            for png, alt in png_outputs(cell):
                if alt:
                    found[hashlib.sha256(png).hexdigest() + ".png"] = alt
    return found


_IMG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\bsrc="([^"]*)"')
_ALT = re.compile(r'\balt="[^"]*"')


def describe_images(html_dir: Path, descriptions: dict[str, str]) -> int:
    """Give every ``<img>`` of the pages in ``html_dir`` whose file is in ``descriptions`` that
    description as its ``alt``; returns how many were given one."""
    given = 0

    def one(match: re.Match) -> str:
        nonlocal given
        tag = match.group(0)
        src = _SRC.search(tag)
        text = descriptions.get(src.group(1).rsplit("/", 1)[-1]) if src else None
        if text is None:
            return tag
        given += 1
        alt = f'alt="{html.escape(text, quote=True)}"'
        return (
            _ALT.sub(lambda _: alt, tag, count=1)
            if _ALT.search(tag)
            else tag[:4] + " " + alt + tag[4:]
        )

    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _IMG.sub(one, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    return given


#: The theme's controls whose accessible name and visible label differ (WCAG 2.5.3), mended
#: on every page: the search field's "Search" label hides its visible "Search Ctrl+K", and the
#: colour-mode button's icons carry titles ("Light", "Dark") that are not its name, and a
#: hidden cell's summary is labelled otherwise than it reads.
THEME_FIXES = (
    (
        re.compile(
            r'(<button class="btn search-button-field search-button__button[^"]*"[^>]*?) aria-label="Search"'
        ),
        r"\1",
    ),
    (
        re.compile(r'(<i class="theme-switch [^"]*" data-mode="\w+")\s+title="[^"]*"></i>'),
        r'\1 aria-hidden="true"></i>',
    ),
    # a hidden cell's "Show code cell content": its label said only "Toggle hidden content"
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
)


def mend_theme(html_dir: Path) -> int:
    """Apply :data:`THEME_FIXES` to every page of ``html_dir``; returns how many were made."""
    made = 0
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for pattern, replacement in THEME_FIXES:
            text, n = pattern.subn(replacement, text)
            made += n
        page.write_text(text, encoding="utf-8")
    return made


def _jupyter_book() -> str:
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.exists():
        return str(exe)
    found = shutil.which("jupyter-book")
    if not found:
        raise FileNotFoundError("jupyter-book is not installed: run `make setup`")
    return found


def hand_out_as_committed(html_dir: Path, notebooks: list[Path]) -> int:
    """Put each notebook, byte for byte as committed, in place of the staged copy (without
    widget state and captions) that Jupyter Book copied to ``_downloads/``; returns how many."""
    by_name = {path.name: path for path in notebooks}
    replaced = 0
    for copy in sorted((html_dir / "_downloads").glob("*/*.ipynb")):
        if copy.name in by_name:
            shutil.copyfile(by_name[copy.name], copy)
            replaced += 1
    return replaced


def build(
    notebooks_dir: Path, out: Path, src: Path, site_dir: Path = SITE_DIR, names: str | None = None
) -> list[NotebookInfo]:
    """Stage the sources in ``src``, build them with Jupyter Book, put the HTML into ``out``.

    ``out`` changes only when the build succeeded, and then only in the files that a build
    wrote (:mod:`course.output`).

    The project's own ``notebooks/`` may not exist yet (then the site has only its landing
    page); any other missing folder is an error.
    """
    default = Path(notebooks_dir).resolve() == (ROOT / "notebooks").resolve()
    notebooks = find_notebooks(notebooks_dir, missing_ok=default)
    check_output_folder(out, notebooks)  # before anything is built
    infos = stage(notebooks, src, site_dir, names=names)
    cmd = [_jupyter_book(), "build", str(src), "--path-output", str(src), "--all", "--keep-going"]
    result = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    (src / "build.log").write_text(log, encoding="utf-8")
    pages = src / "_build" / "html"
    if result.returncode != 0 or not (pages / "index.html").exists():
        raise RuntimeError(f"jupyter-book build failed (exit {result.returncode}):\n{log[-4000:]}")
    describe_images(pages, image_descriptions(notebooks))
    mend_theme(pages)
    hand_out_as_committed(pages, notebooks)
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    for line in warnings:
        print(line, file=sys.stderr)
    with output_folder(out, notebooks) as new:  # swapped in whole, or not at all
        shutil.copytree(pages, new, dirs_exist_ok=True)
    return infos


def main(argv: list[str] | None = None) -> int:
    parser = command_line("site", __doc__, out=ROOT / "build" / "site")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--src", type=Path, default=ROOT / "build" / "site-src")
    parser.add_argument(
        "--names", help="the explorer page's model: trained on this names file or address"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    infos = build(args.notebooks, args.out, args.src, names=args.names)
    for info in infos:
        thumb = "thumbnail" if info.thumbnail is not None else "no image"
        print(f"  {info.path.name}: {info.title!r}, {len(info.learn)} goals, {thumb}")
    seconds = time.perf_counter() - start
    print(f"site of {len(infos)} notebooks written to {args.out}/index.html in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
