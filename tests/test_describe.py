"""attention_utils.describe: every figure says what it shows, from its own numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from attention_utils import describe as d
from attention_utils.diagrams import cross_attention
from attention_utils.plotting import plot_attention, plot_attention_grid, plot_mask


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("../_images/f95bb622c8dc.png", "file name"),
        ("f95bb622c8dc4f0e9a1b", "file name"),
        ("first heatmap", "at least"),
        ("No description has been provided for this image", "placeholder"),
        ("the first heatmap of notebook 04_self_attention.ipynb", "placeholder"),
        ("", "at least"),
        (None, "a string"),
    ],
)
def test_a_description_is_words_not_a_file_name(text, why):
    with pytest.raises(ValueError, match=why):
        d.check(text)


def test_a_figure_is_described_by_its_own_text_or_by_its_panels():
    fig, (a, b) = plt.subplots(1, 2)
    assert d.description(fig) is None
    d.describe(b, "The second panel: a line that rises from 1 to 3.")
    d.describe(a, "The first panel: a line that falls from 3 to 1.")
    assert d.description(fig).startswith("The first panel") and "second panel" in d.description(fig)
    d.describe(fig, "Two panels, one line rising and one falling between 1 and 3.")
    assert d.description(fig) == "Two panels, one line rising and one falling between 1 and 3."
    with pytest.raises(TypeError):
        d.describe("not a figure", "Some words that describe nothing at all here.")
    plt.close(fig)


def test_an_attention_heatmap_says_its_largest_weight_and_what_holds_for_every_row():
    w = torch.tensor([[1.0, 0.0, 0.0], [0.3, 0.7, 0.0], [0.1, 0.6, 0.3]])
    ax = plot_attention(w, list("^ab"), title="three letters")
    text = d.description(ax.figure)
    assert "'three letters'" in text
    # the first row of a causal map is 1 by force: the largest weight is looked for after it
    assert (
        "largest weight after the first row, 0.70, is query 'a' (1) attending to key 'a' (1)"
        in text
    )
    assert "every row sums to 1 and no query attends to a later key" in text
    plt.close(ax.figure)
    ax = plot_attention(torch.tensor([[0.2, 0.8], [0.9, 0.1]]), list("^a"))
    text = d.description(ax.figure)
    assert "largest weight, 0.90, is query 'a' (1) attending to key '^' (0)" in text
    assert "later key" not in text
    plt.close(ax.figure)


def test_a_grid_names_the_largest_weight_of_every_panel():
    w = torch.softmax(torch.tensor([[[0.0, 2.0], [1.0, 0.0]], [[3.0, 0.0], [0.0, 0.0]]]), -1)
    fig = plot_attention_grid(w, list("^a"), titles=["head 0", "head 1"], suptitle="two heads")
    text = d.description(fig)
    assert text.startswith("2 heatmaps of attention weights (two heads), for ^a")
    assert f"head 0: {w[0].max():.2f}" in text and f"head 1: {w[1].max():.2f}" in text
    plt.close(fig)


def test_a_mask_and_a_diagram_count_what_they_draw():
    ax = plot_mask(torch.ones(4, 4).tril().bool(), list("^abc"))
    assert "10 cells may attend and 6 are hidden" in d.description(ax.figure)
    assert "the causal mask" in d.description(ax.figure)
    plt.close(ax.figure)
    w = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    fig = cross_attention(list("ab"), list("ba"), w)
    assert "'b' reads 'a' (0.90), 'a' reads 'b' (0.80)" in d.description(fig)
    plt.close(fig)


def test_outside_a_kernel_nothing_is_registered_and_a_caption_is_recognised():
    assert d.enable() is False
    assert d.is_caption({"metadata": {d.CAPTION_KEY: True}})
    assert not d.is_caption({"metadata": {}})
