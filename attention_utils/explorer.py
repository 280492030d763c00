"""The attention explorer of notebook 12: type a name, see where every character looks.

    >>> from attention_utils.explorer import Explorer
    >>> explorer = Explorer()          # the trained model of notebook 08 (cached or trained)
    >>> explorer                       # in a notebook: the controls, the heatmaps, new names

One explorer, two places: this widget (an `anywidget <https://anywidget.dev>`_) and the
explorer page of the site draw with the same JavaScript, ``explorer.js`` next to this module
(canvas heatmaps of every layer and head, the next-character table, generated names). Here
the numbers come from PyTorch in the kernel; on the page, from the model in plain JavaScript.

**The traits** (synced with the page's controls, so a cell can drive it too):
``name`` (as typed), ``kind`` ("trained" or "untrained"), ``causal`` (the mask), ``layer``,
``head`` ("all" or "0", "1", ...), ``temperature``, and ``clicks`` (the generate button). A
change of ``name``, ``kind`` or ``causal`` computes ``result``: the attention of every layer
and head and the next-character probabilities of ``^name``, or a ``message`` for a name the
model cannot read ("The model cannot read 'é' in 'josé': ..."), which keeps the last picture.
A click computes ``samples``: new names, those not among the training names marked new.

**In the page**: the root element has the class ``explorer``; inside it ``input.explorer-name``,
``select.explorer-layer``, ``select.explorer-head``, ``fieldset.explorer-model``,
``input.explorer-mask``, ``.explorer-message``, ``.explorer-panels canvas`` (one per head
drawn), ``.explorer-caption``, ``table.explorer-next``, ``input.explorer-temperature``,
``button.explorer-generate`` and ``.explorer-samples``. The element's ``explorer`` property is
the drawing's view (``.state.redrawMs``: milliseconds from a change to its picture).

**Where no widget runs** (GitHub's viewer, the site, nbviewer, a student copy's preview), the
output is a picture of the heatmaps shown and a line of text (:meth:`_repr_mimebundle_`).
"""

from __future__ import annotations

import base64
import io
import struct
import time
from collections.abc import Sequence
from pathlib import Path

import anywidget
import matplotlib.pyplot as plt
import numpy as np
import torch
import traitlets

from attention_utils.data import load_names, split_names
from attention_utils.describe import description
from attention_utils.models import CausalTransformer, check_model_table, evaluating
from attention_utils.plotting import colour_list, plot_attention, plot_attention_grid
from attention_utils.pretrained import load_or_train, untrained_model
from attention_utils.runtime import one_thread
from attention_utils.sampling import mark_new, sample
from attention_utils.vocab import END, START, CharTable, check_name, friendly

HERE = Path(__file__).parent
#: The drawing, shared with the explorer page (a classic script there, this widget's module here).
DRAWING = HERE / "explorer.js"
STYLE = HERE / "explorer.css"
ALL_HEADS = "all"
#: Digits the weights and probabilities are sent with (the page draws colours and tenths of %).
DIGITS = 5


@torch.no_grad()
def read_name(model: CausalTransformer, table: CharTable, name: str, causal: bool = True):
    """What the model makes of ``^name``: per layer ``(n_heads, T, T)`` attention weights, and
    ``(T, V)`` next-character probabilities at every position (float64)."""
    idx = table.batch(name)  # ^name: what the model reads
    with evaluating(model), one_thread():
        logits, _ = model(idx, causal=causal)
    maps = [layer[0].double() for layer in model.last_weights]
    return maps, torch.softmax(logits[0].double(), dim=-1)


#: The name the explorers open with, where the model's letters spell it.
FIRST_NAME = "abhishek"


def first_name(table: CharTable, names: Sequence[str] = ()) -> str:
    """The name an explorer opens with: :data:`FIRST_NAME` where ``table`` spells it, else
    the first of ``names`` (a teacher's own list) it spells, else its first letter."""
    for name in (FIRST_NAME, *sorted(names)):
        if name and all(ch in table.stoi and ch not in (START, END) for ch in name):
            return name
    return next(s for s in table.symbols if s not in (START, END))


def drawing_info(config, table: CharTable) -> dict:
    """What the drawing needs to know of a model: its symbols, sizes and longest name, and
    the colour map (the widget's ``info``; the page's model.js holds it too)."""
    return {
        "symbols": list(table.symbols),
        "start": START,
        "end": END,
        "max_letters": config.block_size - 1,  # ^name must fit in block_size
        "sizes": {"n_layers": config.n_layers, "n_heads": config.n_heads},
        "cmap": colour_list(),
    }


def _rounded(values: torch.Tensor) -> list[float]:
    return [round(v, DIGITS) for v in values.reshape(-1).tolist()]


class Explorer(anywidget.AnyWidget):
    """The explorer of notebook 12 (see the module doc).

    ``trained``: the ``(model, table, ...)`` of :func:`~attention_utils.pretrained.load_or_train`
    (loaded when not given); ``untrained``: the same model before training (default:
    :func:`~attention_utils.pretrained.untrained_model`); ``train_names``: the names seen in
    training, so generated names can be marked new (default: the training split); ``name``:
    the first name shown.
    """

    _esm = (
        DRAWING.read_text(encoding="utf-8")
        + "\nexport default { render: AttentionExplorer.render };\n"
    )
    _css = STYLE.read_text(encoding="utf-8")

    info = traitlets.Dict().tag(sync=True)
    name = traitlets.Unicode("abhishek").tag(sync=True)
    kind = traitlets.Enum(["trained", "untrained"], "trained").tag(sync=True)
    causal = traitlets.Bool(True).tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    head = traitlets.Unicode(ALL_HEADS).tag(sync=True)
    temperature = traitlets.Float(1.0).tag(sync=True)
    clicks = traitlets.Int(0).tag(sync=True)
    result = traitlets.Dict().tag(sync=True)
    samples = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        trained=None,
        untrained: CausalTransformer | None = None,
        train_names: Sequence[str] | None = None,
        name: str | None = None,
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
        name = name if name is not None else first_name(self.table, self.train_names)
        config = self.models["trained"].config
        #: milliseconds the kernel took for each result (the drawing's own are in the page)
        self.compute_ms: list[float] = []
        self._computed = 0
        self._drawn: tuple | None = None  # (name, maps, probs) of the last result drawn
        super().__init__(
            info=drawing_info(config, self.table),
            name=name,
            layer=config.n_layers - 1,
        )
        self.max_letters = self.info["max_letters"]  # ^name must fit in block_size
        self.observe(self._compute, names=["name", "kind", "causal"])
        self.observe(self._generate, names=["clicks"])
        self._compute()

    # ------------------------------------------------------------------ what the page shows

    def _compute(self, change=None) -> None:
        start = time.perf_counter()
        self._computed += 1
        try:
            name = check_name(self.name, self.table, self.max_letters)
        except (KeyError, ValueError) as error:
            self.result = {"n": self._computed, "message": friendly(error, self.name, self.table)}
            return
        maps, probs = read_name(self.models[self.kind], self.table, name, self.causal)
        self._drawn = (name, maps, probs)
        self.result = {
            "n": self._computed,
            "name": name,
            "kind": self.kind,
            "causal": self.causal,
            "labels": list(self.table.reads(name)),
            "maps": [[_rounded(head) for head in layer] for layer in maps],
            "probs": _rounded(probs),
        }
        self.compute_ms.append(1000 * (time.perf_counter() - start))

    def _generate(self, change=None) -> None:
        model = self.models[self.kind]
        names = sample(model, self.table, n=10, temperature=self.temperature, seed=self.clicks)
        self.samples = {
            "kind": self.kind,
            "temperature": self.temperature,
            "names": [list(pair) for pair in mark_new(names, self.train_names)],
        }

    def generate_names(self) -> list[tuple[str, bool]]:
        """Click "generate": 10 names from the selected model at ``temperature``, as
        ``[(name, is_new)]``. Each click draws different names (the seed counts the clicks)."""
        self.clicks += 1
        return [tuple(pair) for pair in self.samples["names"]]

    @property
    def message(self) -> str:
        """Why the name typed cannot be drawn, or "" when it is drawn."""
        return self.result.get("message", "")

    @property
    def labels(self) -> list[str]:
        """The characters on the axes of the heatmaps shown: ``^`` and the name."""
        return list(self.table.reads(self._drawn[0]))

    @property
    def shown(self) -> np.ndarray:
        """The weights of the heatmaps shown, ``(n_panels, T, T)``: every head of the layer,
        or the head chosen."""
        layer = self._drawn[1][self.layer].numpy()
        return layer if self.head == ALL_HEADS else layer[int(self.head)][None]

    @property
    def next_probs(self) -> np.ndarray:
        """The next-character probabilities of the name shown, ``(T, V)``."""
        return self._drawn[2].numpy()

    def caption(self) -> str:
        """What the heatmaps shown are, in words."""
        heads = "all heads" if self.head == ALL_HEADS else f"head {self.head}"
        mask = "on" if self.result.get("causal", self.causal) else "off"
        kind = self.result.get("kind", self.kind)
        return (
            f"{self._drawn[0]} · {kind} model · layer {self.layer} · {heads} · causal mask "
            f"{mask}. Rows: the character asking (query); columns: the characters it looks at "
            "(keys)."
        )

    def picture(self, dpi: int = 200) -> bytes:
        """PNG bytes of the heatmaps shown, drawn by matplotlib (the static view), at twice
        the resolution it is shown at (:meth:`_repr_mimebundle_` halves its size)."""
        return self._picture(dpi)[0]

    def _picture(self, dpi: int = 200) -> tuple[bytes, str]:
        """The PNG bytes of :meth:`picture` and the description of what it shows."""
        panels, labels = self.shown, self.labels
        if len(panels) == 1:
            size = 0.42 * len(labels)
            figure, ax = plt.subplots(figsize=(size + 2.6, size + 1.6))
            plot_attention(
                panels[0],
                labels,
                ax=ax,
                title=f"'{self._drawn[0]}' · layer {self.layer} · head {self.head}",
            )
            figure.tight_layout()
        else:
            titles = [f"head {h}" for h in range(len(panels))]
            figure = plot_attention_grid(
                list(panels), labels, titles=titles, ncols=2, panel_size=3.0
            )
            # above the first row's titles and its characters
            figure.suptitle(f"'{self._drawn[0]}' · layer {self.layer}", y=1.04, parse_math=False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        text = description(figure)
        plt.close(figure)
        return buffer.getvalue(), text

    #: ipywidgets 7 (Colab's) shows a widget through ``_ipython_display_``, which IPython
    #: prefers to the bundle below and which holds no picture: none, so the bundle is used.
    _ipython_display_ = None

    def _repr_mimebundle_(self, **kwargs):
        """The widget live; where no widget can run, a picture of the heatmaps and a line of
        text."""
        data, metadata = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = f"Attention explorer (run the notebook to use it): {self.caption()}"
        png, text = self._picture()
        data["image/png"] = base64.b64encode(png).decode()
        width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR chunk
        metadata = dict(metadata or {})
        metadata["image/png"] = {
            "width": width // 2,
            "height": height // 2,
            "alt": f"Attention explorer: {self.caption()} {text}",
        }
        return data, metadata
