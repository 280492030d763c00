"""Cutting a notebook's cells into slides that fit reveal.js's slide (no scrolling, nothing cut).

The cells' ``slideshow`` metadata says where a section starts (``slide``, ``subslide``); within
a section :func:`fit_slides` lays the cells out top to bottom with an estimate of their height
at the deck's sizes and starts a new vertical slide (a ``subslide``) where the next piece would
not fit. Rules:

* A cell that fits on a slide stays whole and shares its slide with its neighbours.
* A code cell whose output has a figure and whose code only draws it (it calls matplotlib or a
  ``plot_*`` function of the package) shows the figure without its code; the code stays in the
  notebook. Any other code cell too tall for a slide is cut into its code and its outputs.
* A figure is scaled to fit the slide's height, shrinking to share a slide with what comes
  before it only down to :data:`MIN_FIGURE_SHARE` of its height, else it opens a slide.
* Code, printed text or markdown taller than a slide is split at blank lines (markdown: at
  paragraphs and list items), then at lines.
"""

from __future__ import annotations

import copy
import re

import nbformat

from course.slidesize import (
    BUDGET,
    CELL_GAP,
    IMAGE_TYPES,
    code_height,
    figure_size,
    markdown_height,
    output_height,
)

#: A figure shares a slide (shrunk) only if it keeps this much of its height and this many px.
MIN_FIGURE_SHARE, MIN_FIGURE_HEIGHT = 0.75, 280

#: Code that draws: matplotlib calls and the plotting functions of attention_utils.plotting.
DRAWS = re.compile(r"\b(?:plt|ax|axes|fig)\.\w+\(|\bplot_\w+\(")
#: Lines kept out of the decks: the marker of checked outputs speaks to the test runner.
HIDDEN_LINE = re.compile(r"^\s*#\s*NBVAL_\w+\s*$")


# --------------------------------------------------------------------------- pieces


def markdown_blocks(source: str) -> list[str]:
    """Markdown cut before each paragraph, list item, heading, fenced code or display math;
    the blocks, joined, give back ``source``."""
    blocks, fenced = [], False
    for line in source.splitlines(keepends=True):
        fence = line.startswith("```") or line.strip() == "$$"
        item = re.match(r"^(?:#|[-*+]\s|\d+\.\s)", line)
        after_blank = blocks and not blocks[-1].splitlines()[-1].strip()
        if not blocks or (not fenced and line.strip() and (item or after_blank or fence)):
            blocks.append(line)
        else:
            blocks[-1] += line
        if fence:
            fenced = not fenced
    return blocks


def code_units(source: str) -> list[str]:
    """Code cut at blank lines; the units, joined, give back ``source``."""
    return re.split(r"(?<=\n)(?=\s*\n)", source)


def pack(units: list[str], height_of, budget: int = BUDGET, weak=None) -> list[str]:
    """Consecutive ``units`` joined into parts of at most ``budget`` px (by ``height_of``); a unit
    too tall on its own is cut into its lines. A part rather ends before a unit that is not
    ``weak`` (say, a list item) if that leaves it at least half full."""
    parts, current = [], []
    for group in units:
        lines = [group] if height_of(group) <= budget else group.splitlines(keepends=True)
        for unit in lines:
            if (
                current
                and "".join(current).strip()
                and height_of("".join(current + [unit])) > budget
            ):
                cut = len(current)
                if weak is not None and weak(current[-1]):
                    strong = [i for i in range(1, cut) if not weak(current[i])]
                    if strong and height_of("".join(current[: strong[-1]])) >= budget / 2:
                        cut = strong[-1]
                parts.append("".join(current[:cut]))
                current = current[cut:]
            current.append(unit)
    if "".join(current).strip():
        parts.append("".join(current))
    return [part.strip("\n") for part in parts]


def list_item(block: str) -> bool:
    """A markdown block that is an item of a list."""
    return bool(re.match(r"^\s*(?:[-*+]|\d+\.)\s", block))


def draws_only(cell) -> bool:
    """A code cell whose output has a figure and whose code draws it: the deck shows the figure."""
    has_figure = any(
        any(t in out.get("data", {}) for t in IMAGE_TYPES) for out in cell.get("outputs", [])
    )
    return has_figure and bool(DRAWS.search(cell.source))


def _hidden(cell) -> bool:
    return bool(cell.metadata.get("transient", {}).get("remove_source"))


def _part(cell, source=None, outputs=None, hide_source=False):
    new = copy.deepcopy(cell)
    if source is not None:
        new.source = source
    if outputs is not None:
        new.outputs = outputs
    if hide_source:
        new.metadata.setdefault("transient", {})["remove_source"] = True
    return new


def pieces(cell) -> list[tuple[object, int]]:
    """A shown cell as (cell, estimated height) pieces, each no taller than a slide where it can
    be cut (a figure is scaled to fit instead)."""
    if cell.cell_type == "markdown":
        if markdown_height(cell.source) <= BUDGET:
            return [(_part(cell), markdown_height(cell.source))]
        parts = pack(markdown_blocks(cell.source), markdown_height, weak=list_item)
        return [(_part(cell, p), markdown_height(p)) for p in parts]
    if cell.cell_type != "code":
        return [(_part(cell), CELL_GAP)]
    source = "\n".join(line for line in cell.source.splitlines() if not HIDDEN_LINE.match(line))
    cell = _part(cell, source)
    outputs = cell.get("outputs", [])
    for out in outputs:
        if any(t in out.get("data", {}) for t in IMAGE_TYPES):
            size = out.setdefault("metadata", {}).setdefault("image/png", {})
            size["width"] = figure_size(out)[0]
    hide = draws_only(cell) or not source.strip() or _hidden(cell)
    whole = CELL_GAP + (0 if hide else code_height(source)) + sum(map(output_height, outputs))
    if whole <= BUDGET:
        return [(_part(cell, hide_source=hide), whole)]
    found = []
    if not hide:
        for part in pack(code_units(source), code_height):
            found.append((_part(cell, part, outputs=[]), CELL_GAP + code_height(part)))
    for out in outputs:
        for shown in _split_output(out):
            found.append((_part(cell, "", [shown], hide_source=True), output_height(shown)))
    return found


def _split_output(out) -> list[dict]:
    if out.get("output_type") != "stream" or output_height(out) <= BUDGET:
        return [out]
    text = out["text"]
    parts = pack(code_units(text), lambda t: output_height({**out, "text": t}))
    return [nbformat.from_dict({**out, "text": part + "\n"}) for part in parts]


# --------------------------------------------------------------------------- layout


def fit_slides(cells: list) -> list:
    """The cells of a deck, cut and marked (``slide``, ``subslide``, ``-``) so every slide fits.

    A piece that does not fit opens a vertical slide; a markdown piece just before it that does
    not open its slide (the words that introduce it) goes along with it if both fit. ``skip``
    and ``notes`` cells are passed through; the given cells are not changed.
    """
    laid, on_slide = [], []  # on_slide: (piece, height) of the slide being filled
    for cell in cells:
        show = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if show in ("skip", "notes"):
            laid.append(cell)
            continue
        for n, (piece, height) in enumerate(pieces(cell)):
            kind = show if n == 0 and show in ("slide", "subslide") else "-"
            used, overflow = sum(h for _, h in on_slide), False
            if kind == "-" and used + height > BUDGET:
                piece, height, kind = _shrink_to(piece, height, BUDGET - used)
                overflow = kind == "subslide"
            if kind == "-":
                on_slide.append((piece, height))
            else:
                intro = on_slide[-1] if len(on_slide) > 1 else None
                if overflow and intro and intro[0].cell_type == "markdown":
                    if intro[1] + height <= BUDGET:  # the intro goes along
                        intro[0].metadata["slideshow"]["slide_type"] = "subslide"
                        kind, on_slide = "-", [intro]
                on_slide = [*on_slide, (piece, height)] if kind == "-" else [(piece, height)]
            piece.metadata.setdefault("slideshow", {})["slide_type"] = kind
            if n and "id" in piece:
                piece["id"] = f"{cell['id']}-{n}"  # a cell's parts keep ids of their own
            laid.append(piece)
    return laid


def _shrink_to(piece, height: int, room: int) -> tuple[object, int, str]:
    """(piece, height, slide type): the piece with its only figure shrunk to ``room`` px if that
    keeps enough of the figure, else the piece as it is, opening a subslide."""
    outputs = piece.get("outputs", []) if piece.cell_type == "code" else []
    hidden = _hidden(piece)
    if (
        len(outputs) != 1
        or not hidden
        or not any(t in outputs[0].get("data", {}) for t in IMAGE_TYPES)
    ):
        return piece, height, "subslide"
    width, full = figure_size(outputs[0])
    target = room - CELL_GAP
    if target < max(MIN_FIGURE_HEIGHT, MIN_FIGURE_SHARE * full):
        return piece, height, "subslide"
    shown = outputs[0].setdefault("metadata", {}).setdefault("image/png", {})
    shown["width"] = int(width * target / full)
    return piece, room, "-"
