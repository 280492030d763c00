"""Tests for attention_utils.plotting: what ends up on the matplotlib axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests draw off screen; notebooks keep their inline backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from attention_utils.plotting import CMAP, plot_attention, plot_attention_grid, plot_matrix


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def tick_texts(ax, axis: str) -> list[str]:
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


def random_weights(T_q: int, T_k: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(T_q, T_k, generator=g), dim=-1)


# --------------------------------------------------------------------------- plot_attention


def test_plot_attention_puts_the_characters_on_both_axes():
    name = "^abhishek$"
    weights = random_weights(10, 10)
    ax = plot_attention(weights, list(name), title="untrained attention on abhishek")
    assert tick_texts(ax, "y") == list(name)  # queries down
    assert tick_texts(ax, "x") == list(name)  # keys across
    assert ax.get_title() == "untrained attention on abhishek"
    assert ax.get_ylabel() == "query (attending)"
    assert ax.get_xlabel() == "key (attended to)"
    # the ticks sit on the cells: label i is at position i
    assert list(ax.get_yticks()) == list(range(10)) and list(ax.get_xticks()) == list(range(10))


def test_plot_attention_draws_queries_as_rows_with_different_key_labels():
    weights = random_weights(3, 5, seed=1)
    ax = plot_attention(weights, ["q0", "q1", "q2"], key_labels=list("abcde"))
    assert tick_texts(ax, "y") == ["q0", "q1", "q2"]
    assert tick_texts(ax, "x") == list("abcde")
    image = ax.images[0]
    np.testing.assert_allclose(np.asarray(image.get_array()), weights.numpy(), rtol=1e-6)
    assert image.get_array().shape == (3, 5)  # 3 rows of queries, 5 columns of keys
    assert image.get_cmap().name == CMAP
    assert image.get_clim() == (0.0, 1.0)  # fixed scale, so heatmaps compare


def test_plot_attention_has_a_colour_bar_and_a_default_title():
    ax = plot_attention(random_weights(4, 4), list("^ab$"))
    fig = ax.figure
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    assert ax.get_title() == "attention weights"
    ax2 = plot_attention(random_weights(4, 4), list("^ab$"), colorbar=False)
    assert len(ax2.figure.axes) == 1


def test_plot_attention_annotates_every_cell_with_its_value():
    weights = torch.tensor([[0.25, 0.75], [1.0, 0.0]])
    ax = plot_attention(weights, ["x", "y"], annotate=True)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["0.25", "0.75", "1.00", "0.00"])
    assert len(plot_attention(weights, ["x", "y"]).texts) == 0


def test_plot_attention_draws_on_a_given_axes_and_accepts_numpy_and_leading_ones():
    fig, ax = plt.subplots()
    weights = random_weights(3, 3).numpy()
    got = plot_attention(weights[None, None], list("abc"), ax=ax)  # (1, 1, T, T)
    assert got is ax
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), weights, rtol=1e-6)


def test_plot_attention_rejects_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"3 row labels \['a', 'b', 'c'\] for 4 rows"):
        plot_attention(random_weights(4, 4), list("abc"))
    with pytest.raises(ValueError, match="2 column labels .* for 4 columns"):
        plot_attention(random_weights(4, 4), list("abcd"), key_labels=["x", "y"])


def test_plot_attention_rejects_a_stack_of_matrices():
    with pytest.raises(ValueError, match=r"must be a \(T_q, T_k\) matrix, got shape \(2, 3, 3\)"):
        plot_attention(torch.rand(2, 3, 3), list("abc"))


# --------------------------------------------------------------------------- plot_attention_grid


def test_grid_gives_each_name_its_own_labels_and_crops_the_padding():
    names = ["^ram$", "^abhishek$", "^om$"]
    T = max(map(len, names))
    weights = torch.stack([random_weights(T, T, seed=s) for s in range(3)])
    fig = plot_attention_grid(weights, [list(n) for n in names], titles=names, ncols=2)
    heatmaps = [ax for ax in fig.axes if ax.images and ax.get_title() in names]
    assert [ax.get_title() for ax in heatmaps] == names
    for ax, name in zip(heatmaps, names, strict=True):
        assert tick_texts(ax, "y") == list(name)
        assert tick_texts(ax, "x") == list(name)
        assert ax.images[0].get_array().shape == (len(name), len(name))
    # 2 x 2 panels, one switched off, plus one shared colour bar
    assert len(fig.axes) == 5
    assert sum(not ax.axison for ax in fig.axes) == 1


def test_grid_shares_one_label_sequence_across_heads():
    heads = torch.stack([random_weights(4, 4, seed=s) for s in range(4)])
    fig = plot_attention_grid(heads, list("^ab$"), titles=[f"head {h}" for h in range(4)])
    panels = [ax for ax in fig.axes if ax.get_title().startswith("head")]
    assert len(panels) == 4
    for ax in panels:
        assert tick_texts(ax, "x") == list("^ab$") and tick_texts(ax, "y") == list("^ab$")
    fig = plot_attention_grid(heads, "^ab$", suptitle="four heads")
    assert fig._suptitle.get_text() == "four heads"


def test_grid_rejects_mismatched_inputs():
    heads = torch.rand(2, 3, 3)
    with pytest.raises(ValueError, match="3 label sequences for 2 panels"):
        plot_attention_grid(heads, [list("abc")] * 3)
    with pytest.raises(ValueError, match="1 titles for 2 panels"):
        plot_attention_grid(heads, list("abc"), titles=["one"])
    with pytest.raises(ValueError, match="nothing to draw"):
        plot_attention_grid([], list("abc"))


# --------------------------------------------------------------------------- plot_matrix


def test_plot_matrix_labels_rows_and_columns():
    m = torch.arange(6.0).reshape(2, 3)
    ax = plot_matrix(m, ["r0", "r1"], ["c0", "c1", "c2"], xlabel="dims", ylabel="chars")
    assert tick_texts(ax, "y") == ["r0", "r1"] and tick_texts(ax, "x") == ["c0", "c1", "c2"]
    assert ax.get_xlabel() == "dims" and ax.get_ylabel() == "chars"
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), m.numpy())


def test_text_a_user_types_is_drawn_as_typed():
    """'$' in a name or title is a character, not the start of a formula."""
    labels = list("^a$$b$")
    ax = plot_attention(np.eye(6), labels, title="'a$$b'")
    ax.figure.canvas.draw()  # mathtext would raise on '$$' here
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert ax.get_title() == "'a$$b'"
    figure = plot_attention_grid([np.eye(3)] * 2, list("$x$"), titles=["$", "$$"], suptitle="$$")
    figure.canvas.draw()
    plt.close("all")


# --------------------------------------------------------------------------- colour and meaning


def test_signed_values_get_a_diverging_map_centred_on_zero():
    from attention_utils.plotting import DIVERGING

    signed = plot_matrix(torch.tensor([[-0.5, 2.0], [1.0, 0.0]]), list("ab"), list("xy"))
    image = signed.images[0]
    assert image.cmap.name == DIVERGING and image.get_clim() == (-2.0, 2.0)
    one_sign = plot_matrix(torch.tensor([[0.5, 2.0], [1.0, 0.0]]), list("ab"), list("xy"))
    assert one_sign.images[0].cmap.name == CMAP
    weights = plot_attention(random_weights(3, 3), list("abc"))
    assert weights.images[0].cmap.name == CMAP  # weights are never signed


def test_annotations_stand_out_from_their_cell():
    from attention_utils.plotting import contrast

    m = torch.linspace(-1, 1, 12).reshape(3, 4)
    ax = plot_matrix(m, list("abc"), list("wxyz"), annotate=True)
    image = ax.images[0]
    texts = ax.texts
    assert len(texts) == 12
    for text, value in zip(texts, m.flatten().tolist(), strict=True):
        cell = image.cmap(image.norm(value))
        assert contrast(matplotlib.colors.to_rgb(text.get_color()), cell) >= 4.5, value


def test_contrast_follows_wcag():
    from attention_utils.plotting import contrast, text_colour

    assert round(contrast((0, 0, 0), (1, 1, 1)), 1) == 21.0
    assert contrast((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) == 1.0
    assert text_colour((1, 1, 0.8)) == "black" and text_colour((0.1, 0.0, 0.3)) == "white"


def test_a_mask_is_two_colours_with_a_key_not_a_colour_bar():
    from attention_utils.plotting import MASK_COLOURS, plot_mask

    mask = torch.ones(4, 4, dtype=torch.bool).tril()
    ax = plot_mask(mask, list("^abc"))
    assert len(ax.figure.axes) == 1  # no colour bar
    assert ax.images[0].cmap.N == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1: may attend", "0: hidden"]
    assert [t.get_text() for t in ax.texts] == ["1", "0", "0", "0", "1", "1", "0", "0"] + [
        "1",
        "1",
        "1",
        "0",
        "1",
        "1",
        "1",
        "1",
    ]
    allowed = matplotlib.colors.to_rgba(MASK_COLOURS[1])
    assert tuple(ax.images[0].cmap(1.0)) == allowed


def test_the_embedding_map_tells_kinds_apart_by_marker_and_legend():
    from attention_utils.plotting import KINDS, plot_embedding_map

    symbols = list("$^abeko")
    weights = torch.randn(len(symbols), 4, generator=torch.Generator().manual_seed(0))
    ax = plot_embedding_map(weights, symbols)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == sorted(k["label"] for k in KINDS.values())
    shapes = {tuple(np.round(c.get_paths()[0].vertices, 3).flatten()) for c in ax.collections}
    assert len(shapes) == 3  # three different marker shapes
    assert {KINDS[k]["marker"] for k in KINDS} == {"o", "s", "D"}


def test_figures_are_sharp_only_in_a_notebook():
    from attention_utils.plotting import sharp_figures

    assert sharp_figures() is False  # no IPython kernel here
