"""Fast redraws of attention heatmaps to PNG, for the explorer of notebook 09 (blitting).

    >>> from attention_utils.render import HeatmapRenderer
    >>> renderer = HeatmapRenderer()
    >>> png = renderer.render(weights, list("^priya$"), ["head 0", "head 1"], suptitle="'priya'")

:class:`HeatmapRenderer` turns ``(N, T, T)`` attention weights into PNG bytes in tens of
milliseconds, fast enough to follow every keystroke in a text box. It builds each figure
once per shape with :func:`~attention_utils.plotting.plot_attention` (one panel) or
:func:`~attention_utils.plotting.plot_attention_grid` (a grid), draws it once without the
parts that change (the heatmaps, the characters on the axes and the title), keeps those
pixels, and afterwards draws only the changing parts over them with matplotlib's own
``draw_artist`` (blitting). A full matplotlib draw of the same figure takes hundreds of
milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image  # matplotlib's own dependency

from attention_utils.plotting import plot_attention, plot_attention_grid


@dataclass
class _Canvas:
    """A drawn figure whose heatmaps, characters and title are drawn again on their own."""

    figure: Figure
    axes: list  # the Axes holding a heatmap
    labels: list  # (position in the name, Text) for every character on every axis
    title: Text
    bare: object  # the pixels of everything else
    named: object = None  # ``bare`` with the characters and title of ``name_key``
    name_key: tuple = ()


def _stand_ins(figure: Figure, ax) -> list[tuple[int, Text]]:
    """Animated copies of ``ax``'s tick labels, at the same place; the tick labels turn clear.

    A tick label is drawn by its axis with every full draw; its copy only when asked, so the
    saved background holds no character and a new name costs a few text draws.
    """
    to_figure = figure.transFigure.inverted()
    copies = []
    for axis in (ax.xaxis, ax.yaxis):
        for pos, label in enumerate(axis.get_ticklabels()):
            anchor = label.get_transform().transform(label.get_position())
            x, y = to_figure.transform(anchor)
            copy = figure.text(
                x,
                y,
                label.get_text(),
                fontproperties=label.get_fontproperties(),
                color=label.get_color(),
                ha=label.get_horizontalalignment(),
                va=label.get_verticalalignment(),
                rotation=label.get_rotation(),
                parse_math=False,
                animated=True,
            )
            label.set_alpha(0.0)  # still laid out (the axis labels keep their room), not seen
            copies.append((pos, copy))
    return copies


class HeatmapRenderer:
    """Draws attention heatmaps to PNG, fast enough to follow every keystroke.

    ``render(panels (N, T, T), labels, titles, suptitle)`` -> PNG bytes. The figure of a shape
    (N, T and the panel titles) is built once (:meth:`prepare`) and kept; colour bars, axis
    labels and panel titles are never drawn again.
    """

    def __init__(self, dpi: int = 72):
        self.dpi = dpi
        self.canvases: dict[tuple, _Canvas] = {}
        self.current: _Canvas | None = None

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
                list(panels), labels, titles=titles, ncols=2, panel_size=3.0
            )
            plt.close(figure)  # drawn here, never shown by pyplot
            figure.set_dpi(self.dpi)
            width, height = figure.get_size_inches()
            figure.set_size_inches(width, height + 0.5)  # room for the name above the titles
            scale = height / (height + 0.5)
            for ax in figure.axes:
                box = ax.get_position()
                ax.set_position([box.x0, box.y0 * scale, box.width, box.height * scale])
            title = figure.suptitle("name", y=1 - 0.125 / (height + 0.5), parse_math=False)
        title.set_parse_math(False)  # a name is drawn as typed
        FigureCanvasAgg(figure)
        figure.canvas.draw()  # places every tick label
        axes = [ax for ax in figure.axes if ax.images]
        stand_ins = [copy for ax in axes for copy in _stand_ins(figure, ax)]
        for ax in axes:
            ax.images[0].set_animated(True)
        title.set_animated(True)
        figure.canvas.draw()  # everything but the heatmaps, the characters and the title
        bare = figure.canvas.copy_from_bbox(figure.bbox)
        return _Canvas(figure, axes, stand_ins, title, bare)

    def render(self, panels, labels: Sequence[str], titles=None, suptitle: str = "") -> bytes:
        """PNG bytes of ``panels (N, T, T)`` with ``labels`` (T characters) on both axes."""
        panels = np.asarray(panels, dtype=float)
        labels = [str(x) for x in labels]
        if panels.ndim != 3 or 0 in panels.shape or panels.shape[1:] != (len(labels), len(labels)):
            raise ValueError(
                f"panels must be (N, T, T) with T = {len(labels)} labels, got {panels.shape}"
            )
        self.prepare(len(panels), len(labels), titles)
        c = self.current = self.canvases[(len(panels), len(labels), tuple(titles or ()))]
        figure, canvas = c.figure, c.figure.canvas
        name_key = (tuple(labels), suptitle)
        if c.name_key != name_key:
            canvas.restore_region(c.bare)
            for pos, text in c.labels:
                text.set_text(labels[pos])
                figure.draw_artist(text)
            c.title.set_text(suptitle)
            figure.draw_artist(c.title)
            c.named, c.name_key = canvas.copy_from_bbox(figure.bbox), name_key
        else:
            canvas.restore_region(c.named)
        for ax, weights in zip(c.axes, panels, strict=True):
            ax.images[0].set_data(weights)
            figure.draw_artist(ax.images[0])
            for spine in ax.spines.values():  # the frame goes over the heatmap
                figure.draw_artist(spine)
        rgba = np.asarray(canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    @property
    def figure(self) -> Figure | None:
        """The Figure drawn last (its heatmaps hold the weights of the last render)."""
        return self.current.figure if self.current else None
