"""Text on the figures reaches WCAG's AA for text (4.5:1) against what is drawn behind it.

Each figure of the plotting helpers and the diagrams is drawn twice: as it is, and with its
text hidden. Behind a piece of text lies the median colour of its box in the second picture
(or the face of its own box, where it has one); the contrast of that with the text's colour
is what a reader sees.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.text import Text

from attention_utils import diagrams, plotting
from attention_utils.plotting import contrast

AA_TEXT = 4.5


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


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


def _qkv(T, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(T, 3, generator=g),
        torch.randn(T, 3, generator=g),
        torch.randn(T, 4, generator=g),
    )


def _weights(T, seed=0, causal=False):
    scores = torch.randn(T, T, generator=torch.Generator().manual_seed(seed)) * 2
    if causal:
        scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(scores, -1)


def _tiny_model():
    from attention_utils.models import CausalTransformer, ModelConfig
    from attention_utils.vocab import CharTable

    table = CharTable.from_names(["ravi", "asha", "kavya"])
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=len(table), d_model=12, n_heads=3, n_layers=2, d_ff=20)
    return CausalTransformer(config), table


def _training_loop():
    from attention_utils.train import History, TrainConfig

    history = History(batch_loss=[3.1, 2.5, 2.25], best_step=3)
    return diagrams.training_loop(TrainConfig(steps=3, batch_size=7, ema=0.9), history)


def _embedding_map():
    symbols = list("^$abcdeiklmnoprstuvy")
    weights = torch.randn(len(symbols), 8, generator=torch.Generator().manual_seed(3))
    return plotting.plot_embedding_map(weights, symbols).figure


FIGURES = {
    "plot_matrix (annotated)": lambda: (
        plotting.plot_matrix(_weights(6), list("^ravi$"), list("^ravi$"), annotate=True).figure
    ),
    "plot_matrix (signed)": lambda: (
        plotting.plot_matrix(
            torch.randn(5, 5, generator=torch.Generator().manual_seed(4)) * 3,
            list("^ravi"),
            list("^ravi"),
            annotate=True,
        ).figure
    ),
    "plot_attention (causal)": lambda: (
        plotting.plot_attention(_weights(7, causal=True), list("^kavya$")).figure
    ),
    "plot_attention_grid": lambda: plotting.plot_attention_grid(
        torch.stack([_weights(5, s) for s in range(4)]),
        list("^ravi"),
        titles=[f"head {h}" for h in range(4)],
        annotate=True,
        suptitle="four heads",
    ),
    "plot_mask": lambda: (
        plotting.plot_mask(torch.ones(5, 5, dtype=torch.bool).tril(), list("^ravi")).figure
    ),
    "plot_embedding_map": _embedding_map,
    "query_path": lambda: diagrams.query_path("^ravi$", *_qkv(6), i=2),
    "matrix_form": lambda: diagrams.matrix_form("^ravi", *_qkv(5), scale=0.5),
    "masked_softmax_steps": lambda: diagrams.masked_softmax_steps(
        "^om$",
        torch.randn(4, 4, generator=torch.Generator().manual_seed(1)),
        torch.ones(4, 4, dtype=torch.bool).tril(),
    ),
    "heads_split_join": lambda: diagrams.heads_split_join(
        "^ravi", torch.randn(5, 8), torch.stack([_weights(5, 1), _weights(5, 2)]), n_heads=2
    ),
    "cross_attention": lambda: diagrams.cross_attention(
        "ab$", "xy", torch.tensor([[0.05, 0.15, 0.8], [0.5, 0.5, 0.0]])
    ),
    "model_diagram": lambda: diagrams.model_diagram(*_tiny_model(), "ravi"),
    "training_loop": _training_loop,
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_text_on_a_figure_reaches_aa_contrast(name):
    torch.manual_seed(0)
    fig = FIGURES[name]()
    worst = lowest_contrasts(fig)
    assert worst, f"{name}: no text found on the figure"
    low = [(round(c, 2), text) for c, text in worst if c < AA_TEXT]
    assert not low, f"{name}: text below {AA_TEXT}:1 contrast: {low}"


def test_the_check_finds_pale_text():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "pale", color="#bbbbbb", fontsize=20)
    ax.text(0.2, 0.2, "dark", color="#333333", fontsize=20)
    ax.set_axis_off()
    (low, text), (high, _) = lowest_contrasts(fig)
    assert text == "pale" and low < 2.0 and high > 10
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((2, 2)), cmap="viridis", vmin=0, vmax=1)  # dark purple behind the text
    ax.text(0, 0, "on purple", color="black", ha="center", fontsize=14)
    ax.set_axis_off()
    assert lowest_contrasts(fig)[0][0] < AA_TEXT
