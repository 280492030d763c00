"""attention_utils.render: blitted heatmaps equal matplotlib's full draw, figures are reused."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

from attention_utils.render import HeatmapRenderer

matplotlib.use("Agg")

PNG = b"\x89PNG\r\n\x1a\n"


def test_renderer_draws_like_matplotlib():
    """The blitted picture (characters and heatmap drawn alone) matches a full draw."""
    renderer = HeatmapRenderer()
    labels = list("^kavya$")
    panels = torch.softmax(torch.randn(1, 7, 7, generator=torch.Generator().manual_seed(0)), -1)
    renderer.render(np.zeros((1, 7, 7)), list("^abcde$"), suptitle="'abcde'")  # another name first
    png = renderer.render(panels.numpy(), labels, suptitle="'kavya'")
    assert png.startswith(PNG)
    fast = np.asarray(renderer.figure.canvas.buffer_rgba()).astype(int).copy()
    # The same figure drawn in full by matplotlib, tick labels and all.
    ax = renderer.current.axes[0]
    for text in ax.get_xticklabels() + ax.get_yticklabels():
        text.set_alpha(None)
    ax.set_xticks(range(7), labels)
    ax.set_yticks(range(7), labels)
    for artist in (ax.images[0], renderer.current.title):
        artist.set_animated(False)
    renderer.figure.canvas.draw()  # the stand-in characters are animated: not drawn here
    full = np.asarray(renderer.figure.canvas.buffer_rgba()).astype(int)
    differs = np.abs(fast - full).max(-1) > 60
    # Matplotlib places the axis labels and the title from the tick labels' sizes, which the
    # fast path fixes when the figure is built: they may sit a pixel or two apart.
    height = differs.shape[0]
    renderer_ = renderer.figure.canvas.get_renderer()
    for artist in (ax.xaxis.label, ax.yaxis.label, renderer.current.title):
        box = artist.get_window_extent(renderer_).padded(3)
        differs[height - int(box.y1) : height - int(box.y0), int(box.x0) : int(box.x1)] = False
    n_labels = 2 * len(labels)  # a pixel here and there where a character lands apart
    assert differs.sum() < 6 * n_labels, f"{differs.sum()} pixels differ"
    # and the comparison can fail: other characters over the same heatmap differ in many pixels
    renderer.current.name_key = ()
    for artist in (ax.images[0], renderer.current.title):
        artist.set_animated(True)
    renderer.render(panels.numpy(), list("^abcde$"), suptitle="'kavya'")
    other = np.asarray(renderer.figure.canvas.buffer_rgba()).astype(int)
    assert (np.abs(other - full).max(-1) > 60).sum() > 15 * n_labels


def test_renderer_reuses_its_figures_and_checks_shapes():
    renderer = HeatmapRenderer()
    a = renderer.render(np.eye(5)[None], list("^abc$"))
    b = renderer.render(np.eye(5)[None] * 0.5, list("^xyz$"))
    assert a != b and len(renderer.canvases) == 1
    renderer.render(np.ones((2, 4, 4)) / 4, list("^ab$"), titles=["head 0", "head 1"])
    assert len(renderer.canvases) == 2
    with pytest.raises(ValueError, match=r"\(N, T, T\)"):
        renderer.render(np.eye(5), list("^abc$"))
    with pytest.raises(ValueError, match="T = 4 labels"):
        renderer.render(np.eye(5)[None], list("^ab$"))


@pytest.mark.parametrize("name", ["ab", "subrahmanyam"])
def test_all_heads_grid_keeps_titles_clear_of_the_panels_above(name):
    """In the 2 x 2 grid, a lower panel's title and top tick labels sit below the panel above
    it, and the name sits above the first row's titles."""
    labels = ["^", *name, "$"]
    T = len(labels)
    renderer = HeatmapRenderer()
    renderer.render(np.ones((4, T, T)) / T, labels, [f"head {h}" for h in range(4)], "'x'")
    figure = renderer.figure
    drawn = figure.canvas.get_renderer()
    axes = renderer.current.axes
    assert len(axes) == 4
    for upper, lower in ((axes[0], axes[2]), (axes[1], axes[3])):
        bottom_of_upper = upper.get_window_extent(drawn).y0
        above_lower = [lower.title, *lower.get_xticklabels()]
        top_of_lower = max(t.get_window_extent(drawn).y1 for t in above_lower)
        assert top_of_lower < bottom_of_upper, (
            f"{lower.get_title()!r} reaches y = {top_of_lower:.0f} px, into the panel above "
            f"(its bottom at {bottom_of_upper:.0f} px)"
        )
    first_row_top = max(
        t.get_window_extent(drawn).y1 for ax in axes[:2] for t in (ax.title, ax.xaxis.label)
    )
    assert renderer.current.title.get_window_extent(drawn).y0 > first_row_top
