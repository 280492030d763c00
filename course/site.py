"""Build the static site of the series: every notebook with its stored outputs, offline.

The site is a Jupyter Book 1 book assembled from whatever ``notebooks/NN_*.ipynb`` exist, so a
new notebook needs no edit anywhere: its title and its "What you will learn" bullets are read
from its first cells, and its thumbnail is its first heatmap-like figure (the first image whose
cell draws with ``plot_attention``, ``plot_matrix``, ``imshow`` ...; otherwise its first image;
none if it has no image). Notebooks are never executed: the site shows what is committed.

    python -m course.site                  # what `make site` runs -> build/site/
    python -m course.site --notebooks DIR --out DIR

The sources are put together in ``build/site-src/``: ``site/_config.yml``, a generated
``_toc.yml``, the landing page (``site/index.md`` with the map of the series filled in),
thumbnails, copies of the notebooks, and local copies of MathJax and the widget scripts from
``site/node_modules`` (installed by ``npm ci`` in ``site/``), so no page needs a CDN.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from course.notebooks import (
    ROOT,
    colab_url,
    find_notebooks,
    read_json,
    repository_url,
    source_of,
    title_of,
)

SITE_DIR = ROOT / "site"
#: The marker in ``site/index.md`` that the map of the series replaces.
MAP_MARKER = "<!-- SERIES MAP -->"
#: Calls whose figure counts as a heatmap when a thumbnail is chosen.
HEATMAP_CALLS = ("plot_attention", "plot_matrix", "imshow", "matshow", "pcolormesh", "heatmap")
THUMB_WIDTH = 360

_LEARN_RE = re.compile(r"what you will learn", re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s{0,3}[-*+]\s+(.*\S)\s*$")
_NUMBER_RE = re.compile(r"^(\d\d)_")


@dataclass
class NotebookInfo:
    """What the landing page says about one notebook."""

    path: Path
    number: str
    title: str
    learn: list[str] = field(default_factory=list)
    thumbnail: bytes | None = None

    @property
    def stem(self) -> str:
        return self.path.stem


# --------------------------------------------------------------------------- reading notebooks


def learn_of(nb: dict, first_cells: int = 4) -> list[str]:
    """The bullets that follow "What you will learn" in the first cells ([] if none).

    The bullets may be in the same markdown cell as the phrase or in the next one; they end
    at the first paragraph after them or at the end of their cell.
    """
    cells = [
        source_of(c) for c in nb.get("cells", [])[:first_cells] if c["cell_type"] == "markdown"
    ]
    found = False
    bullets: list[str] = []
    for text in cells:
        lines = text.splitlines()
        if not found:
            hits = [i for i, line in enumerate(lines) if _LEARN_RE.search(line)]
            if not hits:
                continue
            found = True
            lines = lines[hits[0] + 1 :]
        for line in lines:
            bullet = _BULLET_RE.match(line)
            if bullet:
                bullets.append(bullet.group(1))
            elif bullets and line.strip():
                if not line.startswith((" ", "\t")):
                    return bullets
                bullets[-1] += " " + line.strip()
        if bullets:
            return bullets
    return bullets


def _png_outputs(cell: dict):
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        png = data.get("image/png")
        if png:
            yield base64.b64decode("".join(png) if isinstance(png, list) else png)


def thumbnail_of(nb: dict) -> bytes | None:
    """PNG bytes of the first heatmap-like image output, else of the first image, else None."""
    first_image = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        heatmap_cell = any(call in source_of(cell) for call in HEATMAP_CALLS)
        for png in _png_outputs(cell):
            if heatmap_cell:
                return png
            if first_image is None:
                first_image = png
    return first_image


def read_info(path: Path | str) -> NotebookInfo:
    """Number, title, "what you will learn" and thumbnail of the notebook at ``path``."""
    path = Path(path)
    match = _NUMBER_RE.match(path.name)
    if not match:
        raise ValueError(f"{path.name}: expected a name like 04_attention_loops.ipynb")
    nb = read_json(path)
    return NotebookInfo(
        path=path,
        number=match.group(1),
        title=title_of(nb, path),
        learn=learn_of(nb),
        thumbnail=thumbnail_of(nb),
    )


def shrink_png(png: bytes, width: int = THUMB_WIDTH) -> bytes:
    """The PNG scaled down to ``width`` pixels wide (unchanged if already narrower)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        if image.width <= width:
            return png
        height = max(1, round(image.height * width / image.width))
        small = image.convert("RGBA").resize((width, height), Image.LANCZOS)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
        return out.getvalue()


# --------------------------------------------------------------------------- writing the book


def toc_yaml(infos: list[NotebookInfo]) -> str:
    """The Jupyter Book table of contents: the landing page, then every notebook in order."""
    lines = ["# Generated by course/site.py from the notebooks present.", "format: jb-book"]
    lines.append("root: index")
    if infos:
        lines += ["parts:", "  - caption: The series", "    chapters:"]
        lines += [f"      - file: notebooks/{info.stem}" for info in infos]
    return "\n".join(lines) + "\n"


def _card(info: NotebookInfo) -> str:
    title = info.title.replace("`", "")
    lines = [f"::::{{grid-item-card}} {{doc}}`{title} <notebooks/{info.stem}>`"]
    if info.thumbnail is not None:
        lines.append(f":img-top: thumbs/{info.stem}.png")
        lines.append(f":img-alt: first heatmap of {info.path.name}")
    lines.append(":class-card: series-card")
    lines.append("")
    if info.learn:
        lines.append("**What you will learn**")
        lines.append("")
        lines += [f"- {bullet}" for bullet in info.learn]
    else:
        lines.append("*(this notebook lists no learning goals yet)*")
    lines += [
        "",
        ":::{card-footer}",
        f"{{doc}}`Read <notebooks/{info.stem}>` · "
        f"{{download}}`Download the notebook <notebooks/{info.path.name}>` · "
        f"[Open in Colab]({colab_url(info.path.name)})",
        ":::",
        "::::",
    ]
    return "\n".join(lines)


def series_map(infos: list[NotebookInfo]) -> str:
    """MyST markdown for the map of the series: one card per notebook, in order."""
    if not infos:
        return "*No notebook is in `notebooks/` yet.*\n"
    cards = "\n\n".join(_card(info) for info in infos)
    return f":::::{{grid}} 1 1 2 2\n:gutter: 3\n\n{cards}\n:::::\n"


def landing_page(infos: list[NotebookInfo], template: str) -> str:
    """``site/index.md`` with :data:`MAP_MARKER` replaced by the map of the series."""
    if MAP_MARKER not in template:
        raise ValueError(f"the landing page template has no {MAP_MARKER!r} marker")
    return template.replace(MAP_MARKER, series_map(infos))


#: What is copied from site/node_modules into the site's _static/ (source -> destination).
#: The widget manager fetches its fonts from ``<data-jupyter-widgets-cdn>@jupyter-widgets/...``,
#: so it keeps its npm path under ``widgets/``.
ASSETS = {
    "mathjax/es5": "mathjax",
    "requirejs/require.js": "widgets/require.js",
    "@jupyter-widgets/html-manager/dist": "widgets/@jupyter-widgets/html-manager/dist",
}
#: The site's own files, copied from site/ into the site's _static/ (source -> destination).
OWN_FILES = {"series.css": "series.css", "widgets-setup.js": "widgets/setup.js"}
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


def copy_assets(node_modules: Path, static: Path) -> None:
    """Copy the local MathJax and widget scripts into ``static`` (the site's ``_static/``)."""
    for source, dest in ASSETS.items():
        src = node_modules / source
        if not src.exists():
            raise FileNotFoundError(
                f"{src} is missing: run `npm ci` in {node_modules.parent} (`make site` does)"
            )
        target = static / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("*.map"))
        else:
            shutil.copy2(src, target)


def stage(notebooks: list[Path], src: Path, site_dir: Path = SITE_DIR) -> list[NotebookInfo]:
    """Write the book's sources into ``src`` (emptied first); returns what was read."""
    infos = [read_info(path) for path in notebooks]
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "thumbs").mkdir()
    (src / "_config.yml").write_text(book_config(site_dir / "_config.yml"), encoding="utf-8")
    (src / ASSETS_DIR).mkdir()
    copy_assets(site_dir / "node_modules", src / ASSETS_DIR)
    for name, dest in OWN_FILES.items():
        shutil.copy2(site_dir / name, src / ASSETS_DIR / dest)
    # Opened from disk (file://), the widget manager asks for its icon fonts at
    # notebooks/@jupyter-widgets/ (its URL has no origin to build on): put a copy there.
    fonts = src / ASSETS_DIR / "widgets" / "@jupyter-widgets" / "html-manager" / "dist"
    file_fonts = src / EXTRA_DIR / "notebooks" / "@jupyter-widgets"
    file_fonts.mkdir(parents=True)
    for font in fonts.glob("*.*"):
        if font.suffix in (".woff2", ".woff", ".ttf", ".eot", ".svg"):
            shutil.copy2(font, file_fonts / font.name)
    (src / "_toc.yml").write_text(toc_yaml(infos), encoding="utf-8")
    template = (site_dir / "index.md").read_text(encoding="utf-8")
    (src / "index.md").write_text(landing_page(infos, template), encoding="utf-8")
    for info in infos:
        shutil.copy2(info.path, src / "notebooks" / info.path.name)
        if info.thumbnail is not None:
            (src / "thumbs" / f"{info.stem}.png").write_bytes(shrink_png(info.thumbnail))
    return infos


def _jupyter_book() -> str:
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.exists():
        return str(exe)
    found = shutil.which("jupyter-book")
    if not found:
        raise FileNotFoundError("jupyter-book is not installed: run `make setup`")
    return found


def build(
    notebooks_dir: Path, out: Path, src: Path, site_dir: Path = SITE_DIR
) -> list[NotebookInfo]:
    """Stage the sources in ``src``, build them with Jupyter Book, copy the HTML into ``out``.

    The project's own ``notebooks/`` may not exist yet (then the site has only its landing
    page); any other missing folder is an error.
    """
    default = Path(notebooks_dir).resolve() == (ROOT / "notebooks").resolve()
    notebooks = find_notebooks(notebooks_dir, missing_ok=default)
    infos = stage(notebooks, src, site_dir)
    cmd = [_jupyter_book(), "build", str(src), "--path-output", str(src), "--all", "--keep-going"]
    result = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    (src / "build.log").write_text(log, encoding="utf-8")
    html = src / "_build" / "html"
    if result.returncode != 0 or not (html / "index.html").exists():
        raise RuntimeError(f"jupyter-book build failed (exit {result.returncode}):\n{log[-4000:]}")
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    for line in warnings:
        print(line, file=sys.stderr)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html, out)
    return infos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--src", type=Path, default=ROOT / "build" / "site-src")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    infos = build(args.notebooks, args.out, args.src)
    for info in infos:
        thumb = "thumbnail" if info.thumbnail is not None else "no image"
        print(f"  {info.path.name}: {info.title!r}, {len(info.learn)} goals, {thumb}")
    seconds = time.perf_counter() - start
    print(f"site of {len(infos)} notebooks written to {args.out}/index.html in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
