"""Text on the figures reaches WCAG's AA for text (4.5:1) against what is drawn behind it.

Every figure of the plotting helpers and the diagrams, drawn here, and every figure a notebook
shows, the ones its cells draw themselves included, measured while the notebook runs
(``tests/contrastlib.py`` says how).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
import torch
from contrastlib import AA_TEXT, lowest_contrasts, notebook_contrasts
from support import ROOT, write_notebook

from attention_utils import diagrams, plotting
from course.links import INSTALL_TAG
from course.notebooks import find_notebooks


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


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


def _imports_cell(nb) -> int:
    """The index of the code cell after the install cell: the notebook's imports."""
    install = next(i for i, c in enumerate(nb.cells) if INSTALL_TAG in c.metadata.get("tags", []))
    return next(i for i, c in enumerate(nb.cells) if i > install and c.cell_type == "code")


@pytest.mark.parametrize("notebook", [p.name for p in find_notebooks()])
def test_every_figure_a_notebook_shows_reaches_aa_contrast(notebook, tmp_path):
    path = ROOT / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
    drawn = [  # the stored figures, less a widget's picture (the explorer draws it, tested above)
        i
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
        and "application/vnd.jupyter.widget-view+json" not in o["data"]
    ]
    figures = notebook_contrasts(path, tmp_path, _imports_cell(nb))
    assert [f["cell"] for f in figures] == drawn, "a figure was shown but not measured"
    low = [(f["cell"], round(c, 2), text) for f in figures for c, text in f["worst"] if c < AA_TEXT]
    assert not low, f"{notebook}: text below {AA_TEXT}:1 contrast (cell, contrast, text): {low}"


def test_a_notebook_figure_with_pale_text_is_found(tmp_path):
    cells = [
        nbformat.v4.new_markdown_cell("# 01 · pale"),
        nbformat.v4.new_code_cell("pass", metadata={"tags": [INSTALL_TAG]}),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nimport attention_utils.describe"
        ),
        nbformat.v4.new_code_cell(
            "fig, ax = plt.subplots()\n"
            "ax.text(0.5, 0.5, 'pale', color='#cccccc', fontsize=20)\n"
            "ax.set_axis_off()\nplt.show()"
        ),
    ]
    path = write_notebook(tmp_path / "notebooks" / "01_pale.ipynb", cells)
    (figure,) = notebook_contrasts(path, tmp_path, _imports_cell(nbformat.read(path, 4)))
    assert figure["cell"] == 3
    assert figure["worst"][0][1] == "pale" and figure["worst"][0][0] < 2.0
