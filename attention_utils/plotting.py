"""Heatmaps and the other figures of the series.

Every attention heatmap goes through :func:`plot_attention` (one) or
:func:`plot_attention_grid` (several names or heads), so they all look alike: queries down,
keys across, the characters on both axes, one colour map (:data:`CMAP`), a colour bar and a
title. :func:`plot_matrix` is the same picture for any labelled matrix (a one-hot matrix, a
table of embeddings): a matrix with values of both signs gets the diverging map
(:data:`DIVERGING`), centred on 0, so that the sign can be read. :func:`plot_mask` draws a
boolean mask in two colours with a key. Labels and titles are drawn as typed, never read as
mathematics. In a notebook, figures are sent at twice their resolution (:func:`sharp_figures`).
Each helper describes what it drew, from the numbers it drew (:mod:`attention_utils.describe`),
for a reader who cannot see the figure.
"""

from __future__ import annotations

import functools
import math
import unicodedata
import warnings
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from attention_utils import describe as _describe
from attention_utils.vocab import shown

#: The one colour map of the series, for weights and other values of one sign.
CMAP = "viridis"
#: The colour map of signed values (embeddings, positions, weighted values): blue below 0,
#: white at 0, red above, readable by the common forms of colour blindness.
DIVERGING = "RdBu_r"
#: The two colours of a boolean mask: forbidden, allowed (the ends of :data:`CMAP`).
MASK_COLOURS = ((0.267, 0.005, 0.329), (0.993, 0.906, 0.144))
#: How each kind of symbol is drawn where a figure tells them apart: colour *and* marker, so
#: that the kinds can be told apart without colour (Okabe-Ito colours).
KINDS = {
    "vowel": {"color": "#e69f00", "marker": "o", "label": "vowels a e i o u"},
    "consonant": {"color": "#0072b2", "marker": "s", "label": "consonants"},
    "marker": {"color": "#d55e00", "marker": "D", "label": "start ^ and end $"},
}


def symbol_kind(symbol: str) -> str:
    """``"vowel"``, ``"marker"`` (``^`` or ``$``) or ``"consonant"``: the classes of
    :data:`KINDS`."""
    return "vowel" if symbol in "aeiou" else "marker" if symbol in "^$" else "consonant"


def sharp_figures() -> bool:
    """Send inline figures at twice their resolution (PNG at 2x, shown at the same size), so
    that they stay sharp on high-density screens and when zoomed. Does nothing outside an
    IPython kernel with the inline backend; True when it took effect."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or "inline" not in plt.get_backend():
        return False
    set_matplotlib_formats("retina")  # a figure with a description: describe.enable()
    return True


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
    if w.size == 0:
        raise ValueError(f"{what} is empty (shape {w.shape}): there is nothing to draw")
    return w


def _labels(labels, n: int, axis: str) -> list[str]:
    labels = list(labels)
    if len(labels) != n:
        raise ValueError(f"{len(labels)} {axis} labels {labels!r} for {n} {axis}s")
    return drawable([shown(str(x)) for x in labels])


# --------------------------------------------------------------------------- any script

#: Where a font for a script is found, when matplotlib's own (DejaVu Sans) lacks it.
FONT_HINT = (
    "install a font that has them (Debian or Ubuntu: `apt-get install fonts-noto-core`, or "
    "fonts-lohit-deva for Devanagari alone; macOS and Windows have such fonts), then restart "
    "the kernel"
)


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError):
        return frozenset()


def _drawn(ch: str) -> bool:
    """Whether ``ch`` needs no glyph (a space or a zero-width character)."""
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Zs")


@functools.cache
def _add_system_fonts() -> None:
    """Make fonts installed since matplotlib built its font cache known to it."""
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known and path.lower().endswith((".ttf", ".otf")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                pass  # a font matplotlib cannot read is one it cannot draw with


def fonts_for(text: str) -> list[str] | None:
    """The font families that draw every character of ``text``: matplotlib's default first,
    then installed fonts for what it lacks (matplotlib falls back from one to the next). None
    when no installed font draws some character."""
    from matplotlib import font_manager, rcParams

    default = font_manager.findfont(font_manager.FontProperties(family=rcParams["font.family"]))
    families = [font_manager.FontProperties(fname=default).get_name()]
    missing = {ord(ch) for ch in text if not _drawn(ch)} - _charmap(default)
    if missing:
        _add_system_fonts()
    for entry in sorted(font_manager.fontManager.ttflist, key=lambda f: (f.name, f.fname)):
        if not missing:
            break
        found = missing & _charmap(entry.fname)
        if found and entry.style == "normal" and "Last Resort" not in entry.name:
            families.append(entry.name)
            missing -= found
    return None if missing else families


def drawable(labels: list[str]) -> list[str]:
    """``labels`` as every installed font can draw them: unchanged where a font has each
    character (the plotting helpers then use :func:`fonts_for`), else each character no font
    has spelled as its code point (``U+0930``), with a warning that names them and says how
    to get a font, so that a label is never an empty box."""
    if fonts_for("".join(labels)) is not None:
        return labels
    families = fonts_for("")
    from matplotlib import font_manager

    have = set().union(*(_charmap(font_manager.findfont(f)) for f in families))
    for entry in font_manager.fontManager.ttflist:
        if "Last Resort" not in entry.name:  # matplotlib's font of boxes for what none draws
            have |= _charmap(entry.fname)
    lacking = sorted({ch for ch in "".join(labels) if not _drawn(ch) and ord(ch) not in have})
    named = ", ".join(f"{ch!r} ({unicodedata.name(ch, '?')})" for ch in lacking[:6])
    warnings.warn(
        f"no installed font draws {named}"
        f"{' and more' if len(lacking) > 6 else ''}: the labels show their code points "
        f"instead (U+{ord(lacking[0]):04X}); {FONT_HINT}",
        stacklevel=3,
    )
    return ["".join(f"U+{ord(c):04X}" if c in lacking else c for c in label) for label in labels]


def use_fonts(target) -> None:
    """Let every text of ``target`` (an Axes or a Figure: tick labels on both sides, titles,
    axis labels, annotations) draw its script, with the fonts :func:`fonts_for` finds."""
    from matplotlib.text import Text

    for text in target.findobj(Text):
        if text.get_text().isascii():
            continue
        families = fonts_for(text.get_text())
        if families is not None and len(families) > 1:
            text.set_fontfamily(families)


def _spell(labels: Sequence[str], most: int = 12) -> str:
    """Labels as a reader hears them: ``^ a b h i`` (or the first and last few)."""
    labels = [str(x) for x in labels]
    if len(labels) > most:
        labels = [*labels[:4], "...", *labels[-2:]]
    return " ".join(labels)


def _where(m: np.ndarray, rows: Sequence[str], cols: Sequence[str], what: str) -> str:
    """Where the largest value of ``m`` is: ``the largest value, 0.20, at row 'h' (3), ...``."""
    r, c = np.unravel_index(int(np.nanargmax(m)), m.shape)
    return (
        f"the largest {what}, {m[r, c]:.2f}, at row {rows[r]!r} ({r}) and column {cols[c]!r} ({c})"
    )


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
    cmap: str | None = None,
    colorbar: bool = True,
    fmt: str = ".2f",
):
    """Draw a labelled matrix as an image; returns the Axes.

    ``matrix (R, C)``; ``row_labels`` has R entries, ``col_labels`` C. Without ``cmap``, a
    matrix of one sign is drawn with :data:`CMAP`, and one with values below and above 0
    with :data:`DIVERGING` on a scale centred on 0 (``vmin = -vmax``). Annotations are black
    or white, whichever stands out more from the colour of their cell.
    """
    m = _as_2d(matrix, "matrix")
    if cmap is None:
        finite = m[np.isfinite(m)]
        signed = (vmin is not None and vmin < 0) or (
            vmin is None and finite.size > 0 and finite.min() < 0 < finite.max()
        )
        cmap = DIVERGING if signed else CMAP
        if signed and vmin is None and vmax is None:
            vmax = float(np.abs(finite).max())
            vmin = -vmax
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
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                colour = text_colour(image.cmap(image.norm(m[i, j])))
                ax.text(
                    j, i, format(m[i, j], fmt), ha="center", va="center", fontsize=7, color=colour
                )
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    use_fonts(ax)
    finite = m[np.isfinite(m)]
    scale = "a blue-white-red scale centred on 0" if cmap == DIVERGING else "one colour scale"
    _describe.describe(
        ax,
        f"Heatmap{f' {title!r}' if title else ''} of a {m.shape[0]} by {m.shape[1]} matrix on "
        f"{scale}: rows {_spell(rows)}{f' ({ylabel})' if ylabel else ''}, columns "
        f"{_spell(cols)}{f' ({xlabel})' if xlabel else ''}; values from {finite.min():.2f} to "
        f"{finite.max():.2f}, {_where(m, rows, cols, 'value')}."
        if finite.size
        else f"Heatmap of a {m.shape[0]} by {m.shape[1]} matrix with no finite value.",
    )
    return ax


def _luminance(rgb) -> float:
    """The relative luminance of an sRGB colour (WCAG 2.1's definition)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b) -> float:
    """The contrast ratio of two colours (1 to 21; WCAG's AA asks 4.5 of text)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background) -> str:
    """``"black"`` or ``"white"``: the text colour of higher contrast on ``background``."""
    black = contrast(background, (0.0, 0.0, 0.0))
    return "black" if black >= contrast(background, (1.0, 1.0, 1.0)) else "white"


def cell_css(value: float, vmin: float, vmax: float, cmap: str = CMAP) -> str:
    """The CSS of a table cell coloured like a heatmap (``DataFrame.style.map``): its colour on
    ``cmap`` between ``vmin`` and ``vmax``, and black or white text, whichever contrasts more
    (at least 4.5:1 on every colour of :data:`CMAP`, WCAG's AA for text)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    share = 0.0 if vmax == vmin else min(max((value - vmin) / (vmax - vmin), 0.0), 1.0)
    rgb = colormaps[cmap](share)
    return f"background-color: {to_hex(rgb)}; color: {text_colour(rgb)}"


def plot_mask(mask, query_labels: Sequence[str], key_labels=None, ax=None, title=None):
    """Draw a boolean mask ``(T_q, T_k)`` (True = may attend) in two colours, each cell marked
    1 or 0, with a key of two entries instead of a colour bar. Returns the Axes."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    m = _as_2d(torch.as_tensor(mask).to(torch.float64), "mask")
    ax = plot_matrix(
        m,
        query_labels,
        query_labels if key_labels is None else key_labels,
        ax=ax,
        annotate=True,
        fmt=".0f",
        title=title if title is not None else "mask: 1 = may attend",
        xlabel="key (attended to)",
        ylabel="query (attending)",
        vmin=0,
        vmax=1,
        cmap=ListedColormap(np.array(MASK_COLOURS)),  # not a pair: (colour, alpha)
        colorbar=False,
    )
    handles = [
        Patch(facecolor=MASK_COLOURS[1], edgecolor="grey", label="1: may attend"),
        Patch(facecolor=MASK_COLOURS[0], edgecolor="grey", label="0: hidden"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    allowed = m > 0.5
    causal = allowed.shape[0] == allowed.shape[1] and np.array_equal(
        allowed, np.tril(np.ones_like(allowed))
    )
    _describe.describe(
        ax,
        f"Mask{f' {ax.get_title()!r}' if ax.get_title() else ''} of {m.shape[0]} queries by "
        f"{m.shape[1]} keys, each cell marked 1 (may attend, light) or 0 (hidden, dark): "
        f"{int(allowed.sum())} cells may attend and {int((~allowed).sum())} are hidden"
        + (", every key after its query hidden (the causal mask)." if causal else "."),
    )
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
    title = title if title is not None else "attention weights"
    weights = _as_2d(weights)  # errors name the weights
    ax = plot_matrix(
        weights,
        query_labels,
        key_labels,
        ax=ax,
        annotate=annotate,
        title=title,
        xlabel="key (attended to)",
        ylabel="query (attending)",
        vmin=0.0,
        vmax=vmax,
        colorbar=colorbar,
    )
    _describe.describe(ax, _attention_text(weights, query_labels, key_labels, title))
    return ax


def _peak(w: np.ndarray) -> tuple[int, int, bool]:
    """Where the largest weight of an attention map is, ``(row, column, causal)``: in a causal
    map the first row can only attend to itself (a weight of 1 that says nothing), so it is
    left out there."""
    causal = w.shape[0] == w.shape[1] and w.shape[0] > 1 and np.abs(np.triu(w, 1)).max() < 1e-9
    rest = w[1:] if causal else w
    r, c = np.unravel_index(int(np.nanargmax(rest)), rest.shape)
    return int(r) + int(causal), int(c), bool(causal)


def _attention_text(w: np.ndarray, queries, keys, title: str) -> str:
    """The description of one attention heatmap: the labels, the largest weight, and what
    holds for every row (sums to 1, nothing after the query)."""
    queries, keys = [str(x) for x in queries], [str(x) for x in keys]
    r, c, causal = _peak(w)
    text = (
        f"Heatmap{f' {title!r}' if title else ''} of attention weights, queries "
        f"{_spell(queries)} down and keys {_spell(keys)} across; the largest weight"
        f"{' after the first row' if causal else ''}, {w[r, c]:.2f}, is query {queries[r]!r} "
        f"({r}) attending to key {keys[c]!r} ({c})"
    )
    facts = []
    if np.allclose(w.sum(-1), 1.0, atol=1e-3):
        facts.append("every row sums to 1")
    if causal:
        facts.append("no query attends to a later key")
    return text + ("; " + " and ".join(facts) if facts else "") + "."


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
        use_fonts(fig.suptitle(suptitle, y=1.0, parse_math=False))  # above the first row's titles
    peaks, every_causal = [], True
    for idx in range(n):
        lab = [str(x) for x in labels[idx]]
        w = panels[idx][: len(lab), : len(lab)]
        r, c, causal = _peak(w)
        name = titles[idx] if titles is not None and titles[idx] else f"panel {idx + 1}"
        peaks.append(f"{name}: {w[r, c]:.2f}, {lab[r]!r} ({r}) to {lab[c]!r} ({c})")
        every_causal = every_causal and causal
    names = list(dict.fromkeys("".join(str(x) for x in lab) for lab in labels))  # panel order
    _describe.describe(
        fig,
        f"{n} heatmaps of attention weights{f' ({suptitle})' if suptitle else ''}, for "
        f"{', '.join(names)}; queries down and keys across in each, one colour scale from "
        f"0 to {'the largest weight' if vmax is None else f'{vmax:.2f}'}. The largest weight of "
        f"each{' after its first row (causal: no query attends to a later key)' if every_causal else ''}: "
        + "; ".join(peaks)
        + ".",
    )
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
    """The 2-D map of :func:`embedding_map`, one labelled point per symbol, each kind of
    symbol (:data:`KINDS`: vowels, consonants, ``^`` and ``$``) in its own colour and marker,
    with a legend. Returns the Axes."""
    coords, explained = embedding_map(weights)
    if len(symbols) != len(coords):
        raise ValueError(f"{len(symbols)} symbols for {len(coords)} rows of embeddings")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    shown = set()
    for symbol, (x, y) in zip(symbols, coords.tolist(), strict=True):
        kind = symbol_kind(symbol)
        style = KINDS[kind]
        ax.scatter(
            x,
            y,
            color=style["color"],
            marker=style["marker"],
            s=18,
            label=None if kind in shown else style["label"],
        )
        shown.add(kind)
        ax.annotate(
            symbol,
            (x, y),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=11,
            color="black",
            parse_math=False,
        )
    ax.legend(loc="best", fontsize=8, framealpha=0.8)
    ax.set(xlabel="first principal component", ylabel="second principal component")
    ax.set_title(f"{title} ({explained:.0%} of the variance)", parse_math=False)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    centres = []
    for kind, style in KINDS.items():
        rows = [i for i, s in enumerate(symbols) if symbol_kind(s) == kind]
        if rows:
            x, y = coords[rows].mean(0).tolist()
            centres.append(f"{style['label']} around ({x:.2f}, {y:.2f})")
    _describe.describe(
        ax,
        f"Scatter map {title!r} of the embeddings of {len(symbols)} symbols on their two main "
        f"directions, which hold {explained:.0%} of the variance; each point is labelled with "
        f"its symbol, each kind in its own colour and marker: {'; '.join(centres)}.",
    )
    return ax


sharp_figures()
