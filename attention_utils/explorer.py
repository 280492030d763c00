"""The attention explorer of notebook 09: type a name, see where every character looks.

    >>> from attention_utils.explorer import Explorer
    >>> explorer = Explorer()          # the trained model of notebook 08 (cached or trained)
    >>> explorer                       # in a notebook: the controls and the heatmap

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

In the page the class sits on the widget's own element (``.explorer-name input``,
``img.explorer-heatmap``, whose ``blob:`` URL changes with every redraw). A name the model
cannot read keeps the last heatmap and writes why into ``explorer-message`` ("The model
cannot read 'é' in 'josé': ..."); a good one empties it.

**Callbacks.** Every control calls :meth:`Explorer.redraw` (the generate button calls
:meth:`Explorer.generate_names`). They run without a browser too: set
``explorer.name.value = "priya"`` or call ``explorer.generate.click()``, then read
``explorer.shown`` (the weights drawn), ``explorer.heatmap.value`` (the PNG),
``explorer.figure``, ``explorer.message.value`` and ``explorer.redraw_ms``.

**Speed.** The weights come from the model's own
:meth:`~attention_utils.models.CausalTransformer.attention_maps`; the PNG from a
:class:`~attention_utils.render.HeatmapRenderer`, which builds each figure once per name length
and layout (all of them in the kernel's idle time once the explorer is shown, or at once with
:meth:`Explorer.warm_up`), then repaints only what changed (blitting).
``python -m course.bench --explorer`` (in a checkout) prints the redraw time.
"""

from __future__ import annotations

import base64
import functools
import html
import re
import time
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from attention_utils import idle
from attention_utils.data import load_names, split_names
from attention_utils.models import CausalTransformer, check_model_table
from attention_utils.pretrained import load_or_train, untrained_model
from attention_utils.render import HeatmapRenderer
from attention_utils.sampling import mark_new, sample
from attention_utils.vocab import CharTable, check_name, friendly

ALL_HEADS = "all"


class Explorer:
    """The widgets of notebook 09 and what happens when they change (see the module doc).

    ``trained``: the ``(model, table, ...)`` of :func:`~attention_utils.pretrained.load_or_train`
    (loaded when not given); ``untrained``: the same model before training (default:
    :func:`~attention_utils.pretrained.untrained_model`); ``train_names``: the names seen in
    training, so generated names can be marked new (default: the training split); ``name``:
    the first name shown; ``warm_up``: when to build the figures of every name length and
    layout (about a second each): ``None`` (default) in the kernel's idle time, so the explorer
    shows at once and a typed name finds its figure ready; ``True`` now, before it is shown
    (the benchmark); ``False`` each when first needed.
    """

    def __init__(
        self,
        trained=None,
        untrained: CausalTransformer | None = None,
        train_names: Sequence[str] | None = None,
        name: str = "abhishek",
        warm_up: bool | None = None,
    ):
        if trained is None:
            trained = load_or_train(progress=False)
        untrained = untrained or untrained_model(trained[0].config)
        self.models = {"trained": trained[0], "untrained": untrained}
        for model in self.models.values():
            check_model_table(model, trained[1])
        self.table: CharTable = trained[1]
        if train_names is None:
            train_names = split_names(load_names())[0]
        self.train_names = set(train_names)
        config = self.models["trained"].config
        self.max_letters = config.block_size - 1  # ^name must fit in block_size
        self.renderer = HeatmapRenderer()
        self.shown: np.ndarray | None = None  # (n_panels, T, T): the weights drawn last
        self.labels: list[str] = []
        self.redraw_ms: list[float] = []
        self.samples: list[tuple[str, bool]] = []

        def tagged(widget, css):
            widget.add_class(css)
            return widget

        self.name = tagged(
            widgets.Text(value=name, description="name", continuous_update=True), "explorer-name"
        )
        self.layer = tagged(
            widgets.Dropdown(
                options=[(f"layer {i}", i) for i in range(config.n_layers)],
                value=config.n_layers - 1,
                description="layer",
            ),
            "explorer-layer",
        )
        self.head = tagged(
            widgets.Dropdown(
                options=[("all heads", ALL_HEADS)]
                + [(f"head {h}", h) for h in range(config.n_heads)],
                value=ALL_HEADS,
                description="head",
            ),
            "explorer-head",
        )
        self.model = tagged(
            widgets.ToggleButtons(
                options=["trained", "untrained"], value="trained", description="model"
            ),
            "explorer-model",
        )
        self.mask = tagged(widgets.Checkbox(value=True, description="causal mask"), "explorer-mask")
        self.message = tagged(widgets.HTML(value=""), "explorer-message")
        self.heatmap = tagged(widgets.Image(format="png"), "explorer-heatmap")
        self.caption = tagged(widgets.HTML(value=""), "explorer-caption")
        self.temperature = tagged(
            widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1, description="temperature"),
            "explorer-temperature",
        )
        self.generate = tagged(
            widgets.Button(description="generate", tooltip="write new names with the model"),
            "explorer-generate",
        )
        self.samples_html = tagged(widgets.HTML(value=""), "explorer-samples")
        self.widget = tagged(
            widgets.VBox(
                [
                    widgets.HBox([self.name, self.layer, self.head]),
                    widgets.HBox([self.model, self.mask]),
                    self.message,
                    self.heatmap,
                    self.caption,
                    widgets.HBox([self.temperature, self.generate]),
                    self.samples_html,
                ]
            ),
            "explorer",
        )
        for control in (self.name, self.layer, self.head, self.model, self.mask):
            control.observe(self.redraw, names="value")
        self.generate.on_click(self.generate_names)
        #: the figures built in idle time (:mod:`attention_utils.idle`), or None
        self.idle = None
        self.warm_up_seconds = self.warm_up() if warm_up is True else 0.0
        self.redraw()
        if warm_up is None:
            self.idle = idle.start(self._figure_jobs())

    # ------------------------------------------------------------------ callbacks

    def weights(self, name: str) -> list[torch.Tensor]:
        """The selected model's attention for ``^name``: per layer ``(n_heads, T, T)``."""
        model = self.models[self.model.value]
        maps = model.attention_maps(self.table.batch(name), causal=self.mask.value)
        return [layer[0] for layer in maps]

    def warm_up(self, lengths: Sequence[int] | None = None) -> float:
        """Build the heatmap figures ahead of time, for names of these ``lengths`` (default:
        every length the model can read), one head and all heads.

        Returns the seconds it took. Without it, the first name of each length is slower.
        """
        start = time.perf_counter()
        for job in self._figure_jobs(lengths):
            job()
        return time.perf_counter() - start

    def _figure_jobs(self, lengths: Sequence[int] | None = None):
        """One job per figure to build: the lengths nearest the name shown first."""
        if lengths is None:
            lengths = range(1, self.max_letters + 1)
        n_heads = self.models["trained"].config.n_heads
        titles = [f"head {h}" for h in range(n_heads)]
        for length in sorted(lengths, key=lambda n: (abs(n - len(self.name.value)), n)):
            yield functools.partial(self.renderer.prepare, 1, length + 1)
            yield functools.partial(self.renderer.prepare, n_heads, length + 1, titles)

    def redraw(self, change=None) -> bool:
        """Draw the heatmap for the current controls; True if drawn, False for a bad name.

        A bad name writes a friendly message into :attr:`message` and keeps the last
        heatmap; a drawn one empties the message.
        """
        start = time.perf_counter()
        if self.idle is not None:
            self.idle.busy()
        try:
            name = check_name(self.name.value, self.table, self.max_letters)
        except (KeyError, ValueError) as error:
            self.message.value = f'<span style="color:#b00020">⚠ {html.escape(friendly(error, self.name.value, self.table))}</span>'
            return False
        layer = self.weights(name)[self.layer.value]  # (H, T, T)
        labels = list(self.table.reads(name))  # ^name: what the model reads
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
        self.redraw_ms.append(1000 * (time.perf_counter() - start))
        if self.idle is not None:
            self.idle.busy()  # the reader is here: figures wait until they pause
        return True

    def generate_names(self, button=None, n: int = 10) -> list[tuple[str, bool]]:
        """Write ``n`` names from the selected model at the slider's temperature.

        Each click draws different names (the seed counts the clicks). Returns and shows
        ``[(name, is_new)]``; a name not among the training names is marked new.
        """
        self._clicks = getattr(self, "_clicks", 0) + 1
        model, temperature = self.models[self.model.value], self.temperature.value
        names = sample(model, self.table, n=n, temperature=temperature, seed=self._clicks)
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
        """:attr:`message` as plain text ("" when the name is fine)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.message.value)).strip()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The widget live; where no widget can run (GitHub's viewer, the site without the
        widget state, a student copy's preview), the last heatmap and a line of text."""
        if hasattr(self.widget, "_repr_mimebundle_"):  # ipywidgets 8
            bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        else:  # ipywidgets 7 (Colab's) shows a widget by this view of its model instead
            view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
            bundle = {"application/vnd.jupyter.widget-view+json": view}
        caption = html.unescape(re.sub(r"<[^>]+>", "", self.caption.value))
        bundle["text/plain"] = f"Attention explorer (run the notebook to use it): {caption}"
        if self.heatmap.value:
            bundle["image/png"] = base64.b64encode(self.heatmap.value).decode()
        return bundle

    @property
    def figure(self) -> Figure | None:
        """The matplotlib Figure the heatmap was drawn with."""
        return self.renderer.figure

    def median_redraw_ms(self) -> float:
        """The median time of the redraws so far, in milliseconds."""
        if not self.redraw_ms:
            raise ValueError("nothing has been drawn yet")
        return float(np.median(self.redraw_ms))
