"""What a figure shows, in words, for a reader who cannot see it.

Every figure of the series carries a short description, written where the figure is made:
the plotting helpers (:mod:`attention_utils.plotting`, :mod:`attention_utils.diagrams`)
describe what they draw from the numbers they draw, and a figure made in a notebook cell says
``describe(fig, f"...")`` with numbers from the data. In a notebook, :func:`enable` (run when
this module is imported) makes
``plt.show()`` send the description twice: as the ``alt`` of the picture (in the output's
metadata, where nbconvert, the site and the slides read it) and as a caption line under it
(JupyterLab and GitHub's viewer give an image no alternative text, so a screen reader reads the
caption). A figure without a description is shown as before, without either.

    >>> fig, ax = plt.subplots()
    >>> ax.plot(losses)
    >>> describe(fig, f"Line plot of the loss over {len(losses)} steps: it falls from ...")
"""

from __future__ import annotations

import re
from weakref import WeakKeyDictionary

from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: The output metadata key that marks a caption (the site and the slides drop it, since the
#: picture's ``alt`` says the same there).
CAPTION_KEY = "attention_names_caption"
#: How a caption starts.
CAPTION_PREFIX = "Figure: "
#: The fewest words a description may have.
MIN_WORDS = 6

_FIGURES: WeakKeyDictionary[Figure, str] = WeakKeyDictionary()
_PANELS: WeakKeyDictionary[Axes, str] = WeakKeyDictionary()
#: What tools write where nobody gave a description (nbconvert's alt of an undescribed image,
#: the site's old thumbnails): words, but not about the figure.
PLACEHOLDERS = re.compile(
    r"(no description has been provided|"
    r"^((the|an?) )?(first )?(image|figure|picture|plot|output|heatmap)\b.{0,40}\.ipynb$)",
    re.I,
)
_FILE_NAME = re.compile(r"(\.(png|jpe?g|svg|gif)\b|_images/|^[0-9a-f]{16,}$)", re.I)


def check(text) -> str:
    """``text`` if it can be a figure's description; a ValueError that says why not (not a
    string, fewer than :data:`MIN_WORDS` words, a file name, or a tool's placeholder)."""
    if not isinstance(text, str):
        raise ValueError(f"a figure's description is a string, got {type(text).__name__}")
    text = " ".join(text.split())
    if _FILE_NAME.search(text):
        raise ValueError(f"a figure's description says what it shows, not a file name: {text!r}")
    if PLACEHOLDERS.search(text):
        raise ValueError(f"a figure's description says what it shows, not a placeholder: {text!r}")
    if len(text.split()) < MIN_WORDS:
        raise ValueError(
            f"a figure's description needs at least {MIN_WORDS} words (what is on the axes, "
            f"and the one thing to see), got {text!r}"
        )
    return text


def describe(target, text: str):
    """Give a Figure (the whole picture) or an Axes (one panel of it) its description; returns
    ``target``. A figure's own description replaces its panels'; without one, the figure is
    described by its panels' descriptions, in the order of its axes."""
    text = check(text)
    if isinstance(target, Figure):
        _FIGURES[target] = text
    elif isinstance(target, Axes):
        _PANELS[target] = text
    else:
        raise TypeError(f"describe a matplotlib Figure or Axes, got {type(target).__name__}")
    return target


def description(fig: Figure) -> str | None:
    """The description of ``fig``: its own, or its panels' joined; None if it has none."""
    if fig in _FIGURES:
        return _FIGURES[fig]
    panels = [_PANELS[ax] for ax in fig.axes if ax in _PANELS]
    return " ".join(panels) if panels else None


def _publish(fig: Figure) -> None:
    """Send ``fig`` to the notebook at twice its resolution, with its description as the
    picture's ``alt`` and as a caption (the display of a Figure, once :func:`enable` ran)."""
    from IPython.core.pylabtools import retina_figure
    from IPython.display import publish_display_data

    png, size = retina_figure(fig, base64=True, bbox_inches="tight")
    text = description(fig)
    if text is None:
        publish_display_data({"image/png": png, "text/plain": repr(fig)}, {"image/png": size})
        return
    publish_display_data(
        {"image/png": png, "text/plain": text}, {"image/png": {**size, "alt": text}}
    )
    publish_display_data(
        {
            "text/markdown": f"*{CAPTION_PREFIX.strip()}* {text}",
            "text/plain": CAPTION_PREFIX + text,
        },
        {CAPTION_KEY: True},
    )


def enable() -> bool:
    """In an IPython kernel, show every matplotlib figure through :func:`_publish`; True when it
    took effect (False outside a kernel)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.ipython_display_formatter.for_type(Figure, _publish)
    return True


def is_caption(output) -> bool:
    """Whether a notebook output is the caption that :func:`enable` sends after a figure."""
    return bool(output.get("metadata", {}).get(CAPTION_KEY))


enable()  # importing this module (the plotting helpers do) is enough in a notebook
