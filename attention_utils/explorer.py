"""The attention explorer of notebook 09: type a name, see where every character looks.

    >>> from attention_utils.explorer import Explorer
    >>> explorer = Explorer()          # the trained model of notebook 08 (cached or trained)
    >>> explorer.widget                # in a notebook: the controls and the heatmap

**Layout** (:attr:`Explorer.widget`, top to bottom). Every widget has a stable CSS class,
given with ``add_class``, for styling and browser tests:

==========================  ===============================  ===================================
widget                      CSS class                        what it does
==========================  ===============================  ===================================
the whole ``VBox``          ``explorer``
``Text`` "name"             ``explorer-name``                any name; redraws on every keystroke
``Dropdown`` "layer"        ``explorer-layer``               layer 0 ... n_layers - 1
``Dropdown`` "head"         ``explorer-head``                "all heads" (a grid) or one head
``ToggleButtons`` "model"   ``explorer-model``               "trained" or "untrained"
``Checkbox`` "causal mask"  ``explorer-mask``                mask on (as trained) or off
``HTML`` message            ``explorer-message``             empty, or a friendly message for a
                                                             name the model cannot read
``Image`` (PNG)             ``explorer-heatmap``             the heatmap (an ``<img>`` in the page)
``HTML`` caption            ``explorer-caption``             what the heatmap shows
``FloatSlider`` temperature ``explorer-temperature``         0.1 ... 2.0
``Button`` "generate"       ``explorer-generate``            writes new names from the model
``HTML`` names              ``explorer-samples``             the generated names, new ones marked
==========================  ===============================  ===================================

Three rows are ``HBox`` es: (name, layer, head), (model, mask), and near the bottom
(temperature, generate). In the page, the class sits on the widget's own element: the
``<input>`` to type into is ``.explorer-name input``, the heatmap is ``img.explorer-heatmap``
(its ``src``, a ``blob:`` URL of the PNG, changes with every redraw), the message is the text of
``.explorer-message``. A name the model cannot read (a character outside the vocabulary,
an empty or too long name) leaves the last heatmap in place and writes the reason into
``explorer-message`` (e.g. "The model cannot read 'é' in 'josé': ..."); a good name
empties the message and changes the heatmap. The Text widget sends every keystroke.

**Callbacks.** Every control calls :meth:`Explorer.redraw` (the generate button calls
:meth:`Explorer.generate_names`). They run without a browser too: set
``explorer.name.value = "priya"`` or call ``explorer.generate.click()``, then read
``explorer.shown`` (the weights drawn), ``explorer.heatmap.value`` (the PNG),
``explorer.figure`` (the matplotlib Figure), ``explorer.message.value`` and
``explorer.redraw_ms`` (how long each redraw took).

**Speed.** A figure is built by :func:`~attention_utils.plotting.plot_attention` (one
head) or :func:`~attention_utils.plotting.plot_attention_grid` (all heads) once for each
name length and layout (:meth:`Explorer.warm_up` builds them all when the explorer starts).
A redraw then computes the weights (one thread: the model is tiny) and repaints only what
changed over the saved background of that figure (blitting): the heatmap images, and for
a new name its characters and title (see :class:`~attention_utils.render.HeatmapRenderer`). That takes tens of
milliseconds where a full matplotlib draw takes hundreds; notebook 09 prints the median.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from attention_utils.models import CausalTransformer
from attention_utils.render import HeatmapRenderer
from attention_utils.vocab import CharTable

ALL_HEADS = "all"

# --------------------------------------------------------------------------- model side


def untrained_copy(model: CausalTransformer, seed: int | None = None) -> CausalTransformer:
    """A freshly initialised model with the sizes of ``model``, in eval mode.

    With the default ``seed`` (the training seed, ``DEFAULT_TRAIN.seed``) these are the
    very weights the default model started from (as ``standard.fresh_model``), but the global
    random state is left as it was.
    """
    if seed is None:
        from attention_utils.standard import DEFAULT_TRAIN

        seed = DEFAULT_TRAIN.seed
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fresh = CausalTransformer(model.config)
    return fresh.eval()


@torch.no_grad()
def attention_maps(model: CausalTransformer, idx: torch.Tensor, causal: bool = True):
    """Every layer's attention weights for ``idx (B, T)``, with the causal mask on or off.

    Returns a list of ``n_layers`` tensors ``(B, n_heads, T, T)``, queries on rows. With
    ``causal=True`` this is ``model.attention_weights(idx)``; with ``causal=False`` every
    layer runs without the mask (what the trained queries and keys do when they may look
    ahead, which the model never did in training). Eval mode, no dropout.
    """
    if idx.dim() != 2:
        raise ValueError(f"idx must be (B, T), got shape {tuple(idx.shape)}")
    was_training = model.training
    model.eval()
    try:
        x = model.pos(model.tok_emb(idx))
        maps = []
        for block in model.blocks:  # Block.forward, with the mask as chosen
            out, weights = block.attn(block.ln1(x), causal=causal)
            x = x + out
            x = x + block.mlp(block.ln2(x))
            maps.append(weights)
    finally:
        model.train(was_training)
    return maps


def check_name(text: str, table: CharTable, max_letters: int) -> str:
    """The name in ``text`` as the model reads it: stripped and lowercased.

    Raises ValueError for an empty or too long name, KeyError (from the table) naming a
    character outside the vocabulary.
    """
    name = text.strip().lower()
    if not name:
        raise ValueError("type a name (letters a-z)")
    table.encode(name)  # KeyError for an unknown character
    if len(name) > max_letters:
        raise ValueError(
            f"{name!r} has {len(name)} letters; this model reads names of at most "
            f"{max_letters} letters"
        )
    return name


def friendly(error: Exception, text: str, table: CharTable) -> str:
    """A message for the explorer: what is wrong with ``text``, in plain words."""
    if isinstance(error, KeyError):
        bad = sorted({ch for ch in text.strip().lower() if ch not in table.stoi}, key=text.find)
        shown = ", ".join(repr(ch) for ch in bad)
        return (
            f"The model cannot read {shown} in {text.strip()!r}: it only knows the letters "
            f"a-z (vocabulary {table.describe()}). Try a name spelled with those."
        )
    return str(error)[:1].upper() + str(error)[1:] + "."


# --------------------------------------------------------------------------- the explorer


class Explorer:
    """The widgets of notebook 09 and what happens when they change (see the module doc).

    ``trained``: the ``(model, table, ...)`` of :func:`attention_utils.standard.load_or_train_default`
    (loaded when not given); ``untrained``: a model of the same sizes (default: a fresh
    initialisation, :func:`untrained_copy`); ``train_names``: the names seen in training,
    so generated names can be marked new (default: the training split of the names);
    ``name``: the first name shown; ``warm_up``: build the figures for every name length
    first (:meth:`warm_up`; a few seconds, after which every redraw is fast).
    """

    def __init__(
        self,
        trained=None,
        untrained: CausalTransformer | None = None,
        train_names: Sequence[str] | None = None,
        name: str = "abhishek",
        warm_up: bool = True,
    ):
        import ipywidgets as w

        if trained is None:
            from attention_utils.standard import load_or_train_default

            trained = load_or_train_default(progress=False)
        self.models = {"trained": trained[0], "untrained": untrained or untrained_copy(trained[0])}
        self.table: CharTable = trained[1]
        if train_names is None:
            from attention_utils.data import load_names, split_names

            train_names = split_names(load_names())[0]
        self.train_names = set(train_names)
        config = self.models["trained"].config
        self.max_letters = config.block_size - 2  # ^name$ must fit in block_size
        self.renderer = HeatmapRenderer()
        self.shown: np.ndarray | None = None  # (n_panels, T, T): the weights drawn last
        self.labels: list[str] = []
        self.redraw_ms: list[float] = []
        self.samples: list[tuple[str, bool]] = []
        self._draws = 0

        def tagged(widget, css):
            widget.add_class(css)
            return widget

        self.name = tagged(
            w.Text(value=name, description="name", continuous_update=True), "explorer-name"
        )
        self.layer = tagged(
            w.Dropdown(
                options=[(f"layer {i}", i) for i in range(config.n_layers)],
                value=config.n_layers - 1,
                description="layer",
            ),
            "explorer-layer",
        )
        self.head = tagged(
            w.Dropdown(
                options=[("all heads", ALL_HEADS)]
                + [(f"head {h}", h) for h in range(config.n_heads)],
                value=ALL_HEADS,
                description="head",
            ),
            "explorer-head",
        )
        self.model = tagged(
            w.ToggleButtons(options=["trained", "untrained"], value="trained", description="model"),
            "explorer-model",
        )
        self.mask = tagged(w.Checkbox(value=True, description="causal mask"), "explorer-mask")
        self.message = tagged(w.HTML(value=""), "explorer-message")
        self.heatmap = tagged(w.Image(format="png"), "explorer-heatmap")
        self.caption = tagged(w.HTML(value=""), "explorer-caption")
        self.temperature = tagged(
            w.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1, description="temperature"),
            "explorer-temperature",
        )
        self.generate = tagged(
            w.Button(description="generate", tooltip="write new names with the model"),
            "explorer-generate",
        )
        self.samples_html = tagged(w.HTML(value=""), "explorer-samples")
        self.widget = tagged(
            w.VBox(
                [
                    w.HBox([self.name, self.layer, self.head]),
                    w.HBox([self.model, self.mask]),
                    self.message,
                    self.heatmap,
                    self.caption,
                    w.HBox([self.temperature, self.generate]),
                    self.samples_html,
                ]
            ),
            "explorer",
        )
        for control in (self.name, self.layer, self.head, self.model, self.mask):
            control.observe(self.redraw, names="value")
        self.generate.on_click(self.generate_names)
        self.warm_up_seconds = self.warm_up() if warm_up else 0.0
        self.redraw()

    # ------------------------------------------------------------------ callbacks

    def weights(self, name: str) -> list[torch.Tensor]:
        """The selected model's attention for ``^name$``: per layer ``(n_heads, T, T)``.

        Runs on one thread: for a model this small, waking more threads costs more than
        the sums themselves (hundreds of milliseconds on a busy machine instead of one).
        """
        idx = self.table.encode(self.table.wrap(name))[None]
        model = self.models[self.model.value]
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            maps = attention_maps(model, idx, causal=self.mask.value)
        finally:
            torch.set_num_threads(threads)
        return [w[0] for w in maps]

    def warm_up(self, lengths: Sequence[int] | None = None) -> float:
        """Build the heatmap figures ahead of time, for names of these ``lengths`` (default:
        every length the model can read), one head and all heads.

        Returns the seconds it took. Without it, the first name of each length is slower.
        """
        start = time.perf_counter()
        if lengths is None:
            lengths = range(1, self.max_letters + 1)
        n_heads = self.models["trained"].config.n_heads
        for length in sorted(lengths):
            self.renderer.prepare(1, length + 2)
            self.renderer.prepare(n_heads, length + 2, [f"head {h}" for h in range(n_heads)])
        if self.renderer.canvases:
            for symbol in self.table.symbols:
                self.renderer.glyph(symbol)
        return time.perf_counter() - start

    def redraw(self, change=None) -> bool:
        """Draw the heatmap for the current controls; True if drawn, False for a bad name.

        A bad name writes a friendly message into :attr:`message` and keeps the last
        heatmap; a drawn one empties the message.
        """
        start = time.perf_counter()
        try:
            name = check_name(self.name.value, self.table, self.max_letters)
        except (KeyError, ValueError) as error:
            self.message.value = f'<span style="color:#b00020">⚠ {html.escape(friendly(error, self.name.value, self.table))}</span>'
            return False
        layer = self.weights(name)[self.layer.value]  # (H, T, T)
        labels = list(self.table.wrap(name))
        head = self.head.value
        mask = "causal mask on" if self.mask.value else "causal mask off"
        where = f"{self.model.value} model · layer {self.layer.value}"
        if head == ALL_HEADS:
            panels = layer.numpy()
            titles = [f"head {h}" for h in range(len(panels))]
            what = f"{where} · all heads · {mask}"
        else:
            panels = layer[head : head + 1].numpy()
            titles = None
            what = f"{where} · head {head} · {mask}"
        self.heatmap.value = self.renderer.render(panels, labels, titles, suptitle=f"'{name}'")
        self.shown, self.labels = panels, labels
        self.message.value = ""
        self.caption.value = (
            f"<b>{html.escape(name)}</b> · {what}. Rows: the character asking (query); "
            "columns: the characters it looks at (keys)."
        )
        self._draws += 1
        self.redraw_ms.append(1000 * (time.perf_counter() - start))
        return True

    def generate_names(self, button=None, n: int = 10) -> list[tuple[str, bool]]:
        """Write ``n`` names from the selected model at the slider's temperature.

        Each click draws different names (the seed counts the clicks). Returns and shows
        ``[(name, is_new)]``; a name not among the training names is marked new.
        """
        from attention_utils.train import mark_new, sample

        self._clicks = getattr(self, "_clicks", 0) + 1
        names = sample(
            self.models[self.model.value],
            self.table,
            n=n,
            temperature=self.temperature.value,
            seed=self._clicks,
        )
        self.samples = mark_new(names, self.train_names)
        items = "".join(
            f"<li><b>{html.escape(s)}</b> <i>(new)</i></li>"
            if new
            else f"<li>{html.escape(s)}</li>"
            for s, new in self.samples
        )
        self.samples_html.value = (
            f"<p>{self.model.value} model, temperature {self.temperature.value:.1f}: "
            f"{sum(new for _, new in self.samples)} of {n} names are new</p><ul>{items}</ul>"
        )
        return self.samples

    @property
    def message_text(self) -> str:
        """The message shown in :attr:`message`, as plain text ("" when the name is fine)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.message.value)).strip()

    @property
    def figure(self) -> Figure | None:
        """The matplotlib Figure the heatmap was drawn with."""
        return self.renderer.figure

    def median_redraw_ms(self) -> float:
        """The median time of the redraws so far, in milliseconds."""
        if not self.redraw_ms:
            raise ValueError("nothing has been drawn yet")
        return float(np.median(self.redraw_ms))
