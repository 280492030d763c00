"""How tall a cell is on a reveal.js slide of the decks: estimates, and the style they assume.

The numbers are the decks' sizes at reveal.js's 960×700 slide (prose 20 px, code and printed
text 19 px, printed tables 16 px), rounded up; ``tests/browser/test_slides_fit.py`` measures
the real slides.
"""

from __future__ import annotations

import base64
import math
import re
import struct

#: reveal.js's slide in the decks (nbconvert's defaults, kept by course.slides).
SLIDE_WIDTH, SLIDE_HEIGHT = 960, 700
#: What the content of one slide may take, leaving room for the margins of the cells.
BUDGET = 630
#: The width of a cell's content (prompts are hidden in the decks).
CONTENT_WIDTH = 900
#: Pixels per line and characters per line of prose (20 px) and of code and printed text (19 px).
TEXT_LINE, TEXT_CHARS = 26, 80
CODE_LINE, CODE_CHARS = 22, 72
#: What a cell, a paragraph and a code or output box add around their lines.
CELL_GAP, PARAGRAPH_GAP, BOX_PAD = 14, 16, 22
#: A heading's (px per line, characters per line, px of margin), by level (1 is the title).
HEADING = {1: (56, 34, 30), 2: (44, 44, 26), 3: (34, 56, 22)}
LIST_LINE = 31
TABLE_ROW = 37
#: A row of a table printed by a cell (16 px).
OUTPUT_ROW = 31

#: The figures the decks size (the series draws PNGs).
IMAGE_TYPES = ("image/png",)

#: The style of the decks that these sizes assume (course.slides puts it in every deck): no
#: prompts (their width goes to the code), long lines wrap instead of hiding past the edge,
#: headings and printed tables of a size that leaves room, a figure at the size it was given.
DECK_CSS = f"""
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt {{ display: none; }}
.reveal section .jp-Cell pre {{
  white-space: pre-wrap; overflow-wrap: anywhere; line-height: {CODE_LINE - 1}px;
  box-sizing: border-box;
}}
.reveal section .jp-OutputArea-output > pre {{ width: 100%; }}
.reveal section .jp-RenderedMarkdown h1 {{ font-size: 46px; line-height: 56px; }}
.reveal section .jp-RenderedMarkdown h2 {{ font-size: 36px; line-height: 44px; }}
.reveal section .jp-RenderedMarkdown h3 {{ font-size: 28px; line-height: 34px; }}
.reveal section .jp-OutputArea-output table {{ font-size: 16px; }}
.reveal section .jp-OutputArea-output :is(td, th) {{ padding: 0.25em 0.4em; }}
.reveal section .jp-RenderedImage img {{ max-width: 100%; height: auto; margin: 0; }}
/* WCAG AA: the slide number at 4.5:1 (reveal's grey gives 2.8:1), links told from the text
   around them by more than colour */
.reveal .slide-number, .reveal .slide-number a, .reveal .slide-number span {{
  background-color: #4d4d4d; color: #ffffff;
}}
.reveal section a {{ text-decoration: underline !important; }}
"""


def png_size(data: str) -> tuple[int, int]:
    """(width, height) in px of a base64 PNG, read from its header."""
    head = base64.b64decode(data[:44])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG: expected the PNG signature")
    return struct.unpack(">II", head[16:24])


def wrapped(lines: list[str], chars: int) -> int:
    """How many lines ``lines`` take when wrapped at ``chars`` characters."""
    return sum(max(1, math.ceil(len(line.rstrip()) / chars)) for line in lines)


def _visible(line: str) -> str:
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # a link shows its text
    return re.sub(r"[*`]|\$", "", line)


def _logical_lines(source: str) -> list[str]:
    """Markdown's lines as rendered: a paragraph's wrapped source lines make one line."""
    lines, fenced = [], False
    for line in source.splitlines():
        fence = line.startswith("```") or line.strip() == "$$"
        starts = (
            fence
            or fenced
            or not line.strip()
            or re.match(r"^\s{0,3}(?:#|[-*+]\s|\d+\.\s|\|)", line)
        )
        if fence:
            fenced = not fenced
        if starts or not lines or not lines[-1].strip() or lines[-1].startswith(("#", "```", "$$")):
            lines.append(line)
        else:
            lines[-1] += " " + line.strip()
    return lines


def markdown_height(source: str) -> int:
    """Estimated height of a markdown cell's rendering."""
    height, fenced, blank = CELL_GAP, False, True
    for line in _logical_lines(source):
        if line.startswith("```") or line.strip() == "$$":
            fenced = not fenced
            height += 8 if fenced else 0
            continue
        heading = re.match(r"^(#{1,6})\s", line)
        if not line.strip():
            blank = True
            continue
        height += PARAGRAPH_GAP if blank else 0
        blank = False
        if fenced:
            height += CODE_LINE if line.startswith("    ") or "`" in line else 2 * TEXT_LINE
        elif heading:
            px, chars, margin = HEADING.get(len(heading.group(1)), HEADING[3])
            height += margin + px * wrapped([line], chars)
        elif re.match(r"^\s*(?:[-*+]|\d+\.)\s", line):
            height += LIST_LINE * wrapped([_visible(line)], TEXT_CHARS - 6)
        elif line.lstrip().startswith("|"):
            height += 0 if re.match(r"^\s*\|[\s:|-]+\|\s*$", line) else TABLE_ROW
        else:
            height += TEXT_LINE * wrapped([_visible(line)], TEXT_CHARS)
    return height


def code_height(source: str) -> int:
    """Estimated height of a code box showing ``source``."""
    return BOX_PAD + CODE_LINE * wrapped(source.splitlines() or [""], CODE_CHARS)


def output_height(out: dict) -> int:
    """Estimated height of one output (a figure: at its size in the deck)."""
    if out.get("output_type") == "stream":
        return BOX_PAD + CODE_LINE * wrapped(out.get("text", "").splitlines(), CODE_CHARS)
    data = out.get("data", {})
    if any(t in data for t in IMAGE_TYPES):
        return figure_size(out)[1]
    if "text/html" in data:
        html = data["text/html"]
        rows = html.count("<tr")
        return BOX_PAD + (OUTPUT_ROW * rows if rows else CODE_LINE * html.count("<br") + CODE_LINE)
    if "text/markdown" in data:
        return markdown_height(data["text/markdown"])
    text = data.get("text/plain", "")
    return BOX_PAD + CODE_LINE * wrapped(text.splitlines() or [""], CODE_CHARS)


def figure_size(out: dict) -> tuple[int, int]:
    """(width, height) the figure of an output is shown at: as set, or as drawn, scaled to fit."""
    meta = out.get("metadata", {}).get("image/png", {})
    width, height = png_size(out["data"]["image/png"])
    if meta.get("width"):
        return int(meta["width"]), round(height * int(meta["width"]) / width)
    scale = min(1.0, CONTENT_WIDTH / width, (BUDGET - BOX_PAD) / height)
    return round(width * scale), round(height * scale)
