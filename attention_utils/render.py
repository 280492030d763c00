"""Fast redraw of attention heatmaps, for interactive use (the explorer of notebook 09).

    >>> from attention_utils.render import HeatmapRenderer
    >>> renderer = HeatmapRenderer()
    >>> png = renderer.render(weights, list("^priya$"), ["head 0", "head 1"], suptitle="'priya'")

:class:`HeatmapRenderer` turns ``(N, T, T)`` attention weights into PNG bytes in tens of
milliseconds, fast enough to follow every keystroke in a text box. It builds each figure
once per shape with :func:`~attention_utils.plotting.plot_attention` (one panel) or
:func:`~attention_utils.plotting.plot_attention_grid` (a grid), saves the drawn background,
and afterwards repaints only what changed over it (blitting): the heatmap images, and for a
new name its characters and title. A full matplotlib draw takes hundreds of milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from attention_utils.plotting import plot_attention, plot_attention_grid


def _add_room_on_top(figure: Figure, inches: float) -> None:
    """Make ``figure`` taller by ``inches`` at the top, keeping every Axes where it was."""
    width, height = figure.get_size_inches()
    scale = height / (height + inches)
    figure.set_size_inches(width, height + inches)
    for ax in figure.axes:
        box = ax.get_position()
        ax.set_position([box.x0, box.y0 * scale, box.width, box.height * scale])
    if figure._suptitle is not None:
        figure._suptitle.set_y(1 - 0.25 * inches / (height + inches))


@dataclass
class _Canvas:
    """A drawn figure whose heatmaps, tick labels and title can be redrawn alone (blitting)."""

    figure: Figure
    axes: list  # the Axes holding a heatmap
    slots: list  # where each tick label goes: (position, axis, anchor x, anchor y) in pixels
    title: object  # the Text of the title
    bare: object  # the pixels of everything but the heatmaps, tick labels and title
    named: object = None  # ``bare`` with the tick labels and title of ``name_key``
    name_key: tuple = ()


class HeatmapRenderer:
    """Draws attention heatmaps to PNG, fast enough to follow every keystroke.

    ``render(panels (N, T, T), labels, titles, suptitle)`` -> PNG bytes. The figure is
    built by :func:`plot_attention` (N = 1) or :func:`plot_attention_grid` (N > 1) once per
    shape (N, T and the panel titles; kept, see :meth:`prepare`), and drawn once without its
    heatmaps, tick labels and title (the "bare" background). A render then draws only what
    changed, over a saved background: the title and the characters when the name changed
    (each character is drawn once by matplotlib in the tick labels' font, then its pixels
    are pasted where the tick labels go), the heatmap images always. Colour bars, axis
    labels and panel titles are never drawn again.
    """

    def __init__(self, dpi: int = 72):
        self.dpi = dpi
        self.canvases: dict[tuple, _Canvas] = {}
        self.current: _Canvas | None = None
        self._glyphs: dict[tuple, np.ndarray] = {}

    def prepare(self, n_panels: int, T: int, titles=None) -> None:
        """Build the figure for ``n_panels`` heatmaps of ``T`` characters ahead of time."""
        key = (n_panels, T, tuple(titles or ()))
        if key not in self.canvases:
            self.canvases[key] = self._build(np.zeros((n_panels, T, T)), ["x"] * T, titles)

    def _build(self, panels: np.ndarray, labels: list[str], titles) -> _Canvas:
        if len(panels) == 1:
            size = 0.42 * len(labels)
            figure = Figure(figsize=(size + 2.6, size + 1.6), dpi=self.dpi)
            ax = figure.add_subplot()
            plot_attention(panels[0], labels, ax=ax, title="name")
            figure.tight_layout()
            title = ax.title
        else:
            figure = plot_attention_grid(
                list(panels), labels, titles=titles, ncols=2, suptitle="name", panel_size=3.0
            )
            plt.close(figure)  # drawn here, never shown by pyplot
            figure.set_dpi(self.dpi)
            _add_room_on_top(figure, inches=0.5)  # the name and the panel titles overlap else
            title = figure._suptitle
        FigureCanvasAgg(figure)
        figure.canvas.draw()  # places every tick label
        renderer = figure.canvas.get_renderer()
        axes = [ax for ax in figure.axes if ax.images]
        slots = []
        for ax in axes:
            ax.images[0].set_animated(True)
            for axis in "xy":
                for pos, text in enumerate(getattr(ax, f"get_{axis}ticklabels")()):
                    box = text.get_window_extent(renderer)
                    # x labels sit above the heatmap, centred; y labels left of it, right-aligned
                    anchor = (box.x0 + box.x1) / 2 if axis == "x" else box.x1
                    slots.append((pos, axis, anchor, (box.y0 + box.y1) / 2, text))
                    text.set_alpha(0.0)  # laid out (the axis labels make room), not seen
        title.set_animated(True)
        figure.canvas.draw()  # everything but the heatmaps, tick labels and title
        bare = figure.canvas.copy_from_bbox(figure.bbox)
        slots = [(pos, axis, x, y) for pos, axis, x, y, text in slots]
        self._font = text.get_fontproperties()
        return _Canvas(figure, axes, slots, title, bare)

    def glyph(self, char: str) -> np.ndarray:
        """``char`` in the tick labels' font as RGB pixels (its whole line box), black on white.

        Needs a figure built first (:meth:`prepare`): the font is that of its tick labels.
        """
        if char not in self._glyphs:
            figure = Figure(figsize=(1, 1), dpi=self.dpi, facecolor="white")
            FigureCanvasAgg(figure)
            text = figure.text(0.5, 0.5, char, fontproperties=self._font, ha="center", va="center")
            figure.canvas.draw()
            box = text.get_window_extent(figure.canvas.get_renderer())
            rgb = np.asarray(figure.canvas.buffer_rgba())[..., :3]
            height = rgb.shape[0]
            y0, y1 = height - int(round(box.y1)), height - int(round(box.y0))
            x0, x1 = int(round(box.x0)), int(round(box.x1))
            self._glyphs[char] = rgb[y0:y1, x0:x1].copy()
        return self._glyphs[char]

    def _paste(self, pixels: np.ndarray, char: str, axis: str, x: float, y: float) -> None:
        glyph = self.glyph(char)
        h, w = glyph.shape[:2]
        left = int(round(x - w / 2)) if axis == "x" else int(round(x - w))
        top = pixels.shape[0] - int(round(y + h / 2))
        region = pixels[top : top + h, left : left + w, :3]
        np.minimum(region, glyph[: region.shape[0], : region.shape[1]], out=region)

    def render(self, panels, labels: Sequence[str], titles=None, suptitle: str = "") -> bytes:
        panels = np.asarray(panels, dtype=float)
        labels = [str(x) for x in labels]
        if panels.ndim != 3 or panels.shape[1:] != (len(labels), len(labels)):
            raise ValueError(
                f"panels must be (N, T, T) with T = {len(labels)} labels, got {panels.shape}"
            )
        self.prepare(len(panels), len(labels), titles)
        c = self.current = self.canvases[(len(panels), len(labels), tuple(titles or ()))]
        figure, canvas = c.figure, c.figure.canvas
        name_key = (tuple(labels), suptitle)
        if c.name_key != name_key:
            canvas.restore_region(c.bare)
            c.title.set_text(suptitle)
            figure.draw_artist(c.title)
            pixels = np.asarray(canvas.buffer_rgba())
            for pos, axis, x, y in c.slots:
                self._paste(pixels, labels[pos], axis, x, y)
            c.named, c.name_key = canvas.copy_from_bbox(figure.bbox), name_key
        else:
            canvas.restore_region(c.named)
        for ax, weights in zip(c.axes, panels, strict=True):
            ax.images[0].set_data(weights)
            figure.draw_artist(ax.images[0])
            for spine in ax.spines.values():  # the frame goes over the heatmap
                figure.draw_artist(spine)
        from PIL import Image  # matplotlib's own dependency

        rgba = np.asarray(canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    @property
    def figure(self) -> Figure | None:
        """The Figure drawn last (its heatmaps hold the weights of the last render)."""
        return self.current.figure if self.current else None
