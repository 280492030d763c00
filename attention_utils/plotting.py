"""Heatmaps and the other figures of the series.

Every attention heatmap goes through :func:`plot_attention` (one) or
:func:`plot_attention_grid` (several names or heads), so they all look alike: queries down,
keys across, the characters on both axes, one colour map (:data:`CMAP`), a colour bar and a
title. :func:`plot_matrix` is the same picture for any labelled matrix (a one-hot matrix, a
table of embeddings). Labels and titles are drawn as typed, never read as mathematics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

#: The one colour map of the series.
CMAP = "viridis"


def colour_list(name: str = CMAP, n: int = 256) -> list[str]:
    """The colour map as ``n`` CSS colours ``#rrggbb``, from 0 to 1 (for the explorer's
    drawing in the browser)."""
    from matplotlib import colormaps

    rgb = colormaps[name](np.linspace(0.0, 1.0, n))[:, :3]
    return ["#" + "".join(f"{round(255 * c):02x}" for c in row) for row in rgb]


def _as_2d(weights, what: str = "weights") -> np.ndarray:
    """A tensor or array -> 2-D NumPy array; leading axes of size 1 are dropped."""
    if isinstance(weights, torch.Tensor):
        weights = weights.detach().cpu().numpy()
    w = np.asarray(weights, dtype=float)
    while w.ndim > 2 and w.shape[0] == 1:
        w = w[0]
    if w.ndim != 2:
        raise ValueError(
            f"{what} must be a (T_q, T_k) matrix, got shape {w.shape}: pick one name and one "
            "head, e.g. weights[0, head]"
        )
    return w


def _labels(labels, n: int, axis: str) -> list[str]:
    labels = list(labels)
    if len(labels) != n:
        raise ValueError(f"{len(labels)} {axis} labels {labels!r} for {n} {axis}s")
    return [str(x) for x in labels]


def plot_matrix(
    matrix,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    ax=None,
    annotate: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = CMAP,
    colorbar: bool = True,
    fmt: str = ".2f",
):
    """Draw a labelled matrix as an image; returns the Axes.

    ``matrix (R, C)``; ``row_labels`` has R entries, ``col_labels`` C.
    """
    m = _as_2d(matrix, "matrix")
    rows = _labels(row_labels, m.shape[0], "row")
    cols = _labels(col_labels, m.shape[1], "column")
    if ax is None:
        size = (max(3.0, 0.42 * len(cols) + 1.6), max(2.5, 0.42 * len(rows) + 0.8))
        _, ax = plt.subplots(figsize=size)
    image = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    # parse_math=False: every text is drawn as typed ("a$$b" is no formula)
    ax.set_xticks(range(len(cols)), cols, parse_math=False)
    ax.set_yticks(range(len(rows)), rows, parse_math=False)
    ax.tick_params(top=True, labeltop=True, bottom=False, labelbottom=False)
    if xlabel:
        ax.set_xlabel(xlabel, parse_math=False)
        ax.xaxis.set_label_position("top")
    if ylabel:
        ax.set_ylabel(ylabel, parse_math=False)
    if title:
        ax.set_title(
            title, pad=8, parse_math=False
        )  # matplotlib lifts it above the top tick labels and x label
    if annotate:
        lo, hi = image.get_clim()
        middle = (lo + hi) / 2
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                colour = "black" if m[i, j] > middle else "white"
                ax.text(
                    j, i, format(m[i, j], fmt), ha="center", va="center", fontsize=7, color=colour
                )
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_attention(
    weights,
    query_labels: Sequence[str],
    key_labels: Sequence[str] | None = None,
    ax=None,
    annotate: bool = False,
    title: str | None = None,
    vmax: float | None = 1.0,
    colorbar: bool = True,
):
    """Draw one attention matrix, ``weights (T_q, T_k)``: queries down, keys across.

    ``query_labels`` are usually the characters of the name (``list("^abhishek$")``);
    ``key_labels`` default to the same. The colour scale runs from 0 to ``vmax`` (1 by
    default, so heatmaps can be compared; ``None`` fits it to the data). Returns the Axes.
    """
    key_labels = query_labels if key_labels is None else key_labels
    return plot_matrix(
        weights,
        query_labels,
        key_labels,
        ax=ax,
        annotate=annotate,
        title=title if title is not None else "attention weights",
        xlabel="key (attended to)",
        ylabel="query (attending)",
        vmin=0.0,
        vmax=vmax,
        colorbar=colorbar,
    )


def plot_attention_grid(
    weights,
    labels,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    annotate: bool = False,
    vmax: float | None = 1.0,
    suptitle: str | None = None,
    panel_size: float = 3.2,
):
    """Draw several attention matrices side by side; returns the Figure.

    ``weights`` is a sequence of ``(T_q, T_k)`` matrices or a tensor ``(N, T, T)``, e.g. the
    heads of one name (``weights[0]`` of a ``(B, H, T, T)`` tensor) or several names.
    ``labels`` is one label sequence for every panel, or one per panel (names of different
    lengths); ``titles`` one per panel. Padding beyond a label sequence is cropped.
    """
    panels = [_as_2d(w) for w in weights]
    n = len(panels)
    if n == 0:
        raise ValueError("nothing to draw: weights is empty")
    if labels and isinstance(labels[0], str) and len(labels[0]) == 1 or isinstance(labels, str):
        labels = [labels] * n  # one label sequence shared by all panels
    if len(labels) != n:
        raise ValueError(f"{len(labels)} label sequences for {n} panels")
    if titles is not None and len(titles) != n:
        raise ValueError(f"{len(titles)} titles for {n} panels")
    ncols = ncols or min(n, 4)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size * ncols + 0.8, panel_size * nrows + 0.4),
        squeeze=False,
        gridspec_kw={"hspace": 0.45},  # room for a row's title and top tick labels
    )
    for idx, ax in enumerate(axes.flat):
        if idx >= n:
            ax.axis("off")
            continue
        lab = list(labels[idx])
        w = panels[idx][: len(lab), : len(lab)]
        plot_attention(
            w,
            lab,
            ax=ax,
            annotate=annotate,
            vmax=vmax,
            colorbar=False,
            title=titles[idx] if titles is not None else "",
        )
        if idx % ncols:
            ax.set_ylabel("")
        if idx >= ncols:
            ax.set_xlabel("")
    image = axes.flat[0].images[0]
    fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.02, pad=0.02)
    if suptitle:
        fig.suptitle(suptitle, y=1.0, parse_math=False)  # above the first row's titles
    return fig


def embedding_map(weights) -> tuple[torch.Tensor, float]:
    """Rows of an embedding table ``(V, d)`` -> ``(coords (V, 2), explained)``: the rows,
    centred, on their two main directions (principal components, by SVD), and the share of
    the variance those two directions hold."""
    w = torch.as_tensor(weights).detach().double()
    if w.dim() != 2 or min(w.shape) < 2:
        raise ValueError(
            f"an embedding table (V, d) with V, d >= 2 is needed, got {tuple(w.shape)}"
        )
    centred = w - w.mean(dim=0)
    _, s, vt = torch.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T, float((s[:2] ** 2).sum() / (s**2).sum())


def plot_embedding_map(weights, symbols: Sequence[str], ax=None, title: str = "embeddings"):
    """The 2-D map of :func:`embedding_map`, one labelled point per symbol: vowels orange,
    ``^`` and ``$`` red, the other letters blue. Returns the Axes."""
    coords, explained = embedding_map(weights)
    if len(symbols) != len(coords):
        raise ValueError(f"{len(symbols)} symbols for {len(coords)} rows of embeddings")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    for symbol, (x, y) in zip(symbols, coords.tolist(), strict=True):
        colour = "tab:orange" if symbol in "aeiou" else "tab:red" if symbol in "^$" else "tab:blue"
        ax.scatter(x, y, color=colour, s=14)
        ax.annotate(
            symbol,
            (x, y),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=11,
            color=colour,
            parse_math=False,
        )
    ax.set(xlabel="first principal component", ylabel="second principal component")
    ax.set_title(f"{title} ({explained:.0%} of the variance)", parse_math=False)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    return ax
