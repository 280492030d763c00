"""How legible a figure's text is: WCAG contrast against what is drawn behind each piece of text.

A figure is drawn twice, as it is and with its text hidden. Behind a piece of text lies the
median colour of its box in the second picture (or the face of its own box, where it has one);
the contrast of that with the text's colour, faded by its alpha, is what a reader sees.
:func:`notebook_contrasts` runs a notebook and measures every figure it shows that way.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from nbclient import NotebookClient

from attention_utils.plotting import contrast

#: WCAG 2.1 AA for text.
AA_TEXT = 4.5

#: Run in the kernel after the notebook's imports: every figure the notebook shows is measured
#: first, then shown as the package shows it.
_HOOK = """
import json as _json
import sys as _sys

_sys.path.insert(0, {tests!r})
import attention_utils.describe as _describe
from contrastlib import lowest_contrasts as _lowest
from IPython import get_ipython as _ipython
from matplotlib.figure import Figure as _Figure


def _measured(fig, _show=_describe._publish):
    worst = [(float(c), str(text)) for c, text in _lowest(fig, worst=2)]
    with open({out!r}, "a") as f:
        f.write(_json.dumps({{"cell": _CELL, "worst": worst}}) + "\\n")
    return _show(fig)


_ipython().display_formatter.ipython_display_formatter.for_type(_Figure, _measured)
"""


def _texts(fig) -> list[Text]:
    found = fig.findobj(Text)
    return [t for t in found if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0]


def lowest_contrasts(fig, worst: int = 3) -> list[tuple[float, str]]:
    """The ``worst`` lowest contrasts of the figure's text, each with what the text says."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _texts(fig)
    boxes = [t.get_window_extent(renderer) for t in texts]
    for t in texts:
        t.set_visible(False)
    fig.canvas.draw()
    behind = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    for t in texts:
        t.set_visible(True)
    height, width = behind.shape[:2]
    found = []
    for t, box in zip(texts, boxes, strict=True):
        x0, x1 = max(int(box.x0), 0), min(int(np.ceil(box.x1)), width)
        y0, y1 = max(int(height - box.y1), 0), min(int(np.ceil(height - box.y0)), height)
        if x1 <= x0 or y1 <= y0:
            continue  # outside the picture: nobody sees it
        patch = t.get_bbox_patch()
        if patch is not None and to_rgba(patch.get_facecolor())[3] == 1.0:
            background = np.array(to_rgba(patch.get_facecolor())[:3])
        else:
            background = np.median(behind[y0:y1, x0:x1].reshape(-1, 3), axis=0)
        r, g, b, a = to_rgba(t.get_color(), t.get_alpha())
        seen = a * np.array([r, g, b]) + (1 - a) * background  # faded text over its background
        found.append((contrast(seen, background), t.get_text()))
    return sorted(found)[:worst]


def notebook_contrasts(path: Path, work: Path, after_cell: int) -> list[dict]:
    """Run the notebook at ``path`` in a fresh kernel (from its own folder) with every figure
    it shows measured: one ``{"cell": index, "worst": [(contrast, text), ...]}`` per figure.
    The measuring starts after cell ``after_cell`` (the notebook's imports)."""
    nb = nbformat.read(path, as_version=4)
    out = work / f"{path.stem}.jsonl"
    out.unlink(missing_ok=True)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and i > after_cell:
            cell.source = f"_CELL = {i}\n{cell.source}"
        cells.append(cell)
        if i == after_cell:
            hook = _HOOK.format(tests=str(Path(__file__).parent), out=str(out))
            cells.append(nbformat.v4.new_code_cell(hook))
    nb.cells = cells
    resources = {"metadata": {"path": str(path.parent)}}
    NotebookClient(nb, timeout=900, kernel_name="python3", resources=resources).execute()
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines()]
