"""The landing page of the site: what each notebook is (title, goals, thumbnail), as cards.

A new notebook needs no edit anywhere: its title and its "What you will learn" bullets are
read from its first cells, and its thumbnail is its first heatmap-like figure (the first image
whose cell draws with ``plot_attention``, ``plot_matrix``, ``imshow`` ...; otherwise its first
image; none if it has no image).
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from course.notebooks import colab_url, read_notebook, title_of

#: The marker in ``site/index.md`` that the map of the series replaces.
MAP_MARKER = "<!-- SERIES MAP -->"
#: Calls whose figure counts as a heatmap when a thumbnail is chosen.
HEATMAP_CALLS = ("plot_attention", "plot_matrix", "imshow", "matshow", "pcolormesh", "heatmap")
THUMB_WIDTH = 360
#: The explorer page of the site (:mod:`course.webexplorer`), next to the landing page.
EXPLORER_PAGE = "explorer.html"

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
    #: What the thumbnail shows: the description its notebook stored with the figure.
    thumbnail_alt: str | None = None

    @property
    def stem(self) -> str:
        return self.path.stem


# --------------------------------------------------------------------------- reading notebooks


def learn_of(nb: dict, first_cells: int = 4) -> list[str]:
    """The bullets that follow "What you will learn" in the first cells ([] if none).

    The bullets may be in the same markdown cell as the phrase or in the next one; they end
    at the first paragraph after them or at the end of their cell.
    """
    cells = [c.source for c in nb.get("cells", [])[:first_cells] if c["cell_type"] == "markdown"]
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


def png_outputs(cell: dict):
    """``(PNG bytes, its description or None)`` of every image output of a cell (the
    description is the ``alt`` that :mod:`attention_utils.describe` stores with it)."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        png = data.get("image/png")
        if png:
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            yield base64.b64decode("".join(png) if isinstance(png, list) else png), alt


def thumbnail_with_alt(nb: dict) -> tuple[bytes, str | None] | None:
    """The first heatmap-like image output, else the first image, else None: ``(PNG bytes,
    description)``."""
    first_image = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        heatmap_cell = any(call in cell.source for call in HEATMAP_CALLS)
        for found in png_outputs(cell):
            if heatmap_cell:
                return found
            if first_image is None:
                first_image = found
    return first_image


def thumbnail_of(nb: dict) -> bytes | None:
    """PNG bytes of the first heatmap-like image output, else of the first image, else None."""
    found = thumbnail_with_alt(nb)
    return None if found is None else found[0]


def read_info(path: Path | str) -> NotebookInfo:
    """Number, title, "what you will learn" and thumbnail of the notebook at ``path``."""
    path = Path(path)
    match = _NUMBER_RE.match(path.name)
    if not match:
        raise ValueError(f"{path.name}: expected a name like 04_attention_loops.ipynb")
    nb = read_notebook(path)
    thumbnail, alt = thumbnail_with_alt(nb) or (None, None)
    return NotebookInfo(
        path=path,
        number=match.group(1),
        title=title_of(nb, path),
        learn=learn_of(nb),
        thumbnail=thumbnail,
        thumbnail_alt=alt,
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
        alt = info.thumbnail_alt or f"a figure of notebook {info.number}, {info.title}"
        lines.append(f":img-alt: {' '.join(alt.split())}")
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


def explorer_card() -> str:
    """MyST markdown for the card that links the explorer page (:data:`EXPLORER_PAGE`)."""
    return (
        ":::{card} Explorer: type a name, right in the page\n"
        ":class-card: explorer-card\n\n"
        "The model trained in notebook 08 runs in your browser, no Python needed: type any name "
        "and see its attention, layer by layer and head by head, trained or untrained, with the "
        "causal mask on or off, and which character the model expects next.\n\n"
        f'<a class="explorer-link" href="{EXPLORER_PAGE}">Open the explorer</a>\n'
        ":::\n"
    )


def landing_page(infos: list[NotebookInfo], template: str) -> str:
    """``site/index.md`` with :data:`MAP_MARKER` replaced by the map of the series and the
    card of the explorer page."""
    if MAP_MARKER not in template:
        raise ValueError(f"the landing page template has no {MAP_MARKER!r} marker")
    return template.replace(MAP_MARKER, series_map(infos) + "\n" + explorer_card())
