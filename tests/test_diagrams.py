"""attention_utils.diagrams: the pictures are drawn from the numbers they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from attention_utils.diagrams import query_path


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def qkv(T=6, d_k=3, d_v=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(T, d_k, generator=g),
        torch.randn(T, d_k, generator=g),
        torch.randn(T, d_v, generator=g),
    )


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_query_path_draws_the_characters_scores_and_weights_of_the_query():
    q, k, v = qkv()
    word = "^ravi$"
    fig = query_path(word, q, k, v, i=2)
    drawn = texts(fig)
    scores = k @ q[2]
    weights = torch.softmax(scores, -1)
    for ch in word:
        assert ch in drawn
    for s, w in zip(scores.tolist(), weights.tolist(), strict=True):
        assert f"{s:.2f}" in drawn and f"{w:.3f}" in drawn
    out = weights @ v
    assert any(f"[{out[0]:.2f}, {out[1]:.2f}, {out[2]:.2f}, ...]" in t for t in drawn)
    assert "'a' (position 2)" in fig.axes[0].get_title()


def test_query_path_with_a_scale_shows_it_and_uses_it():
    q, k, v = qkv()
    fig = query_path("^ravi$", q, k, v, i=0, scale=0.5)
    drawn = texts(fig)
    assert any("× 0.5" in t for t in drawn)
    weights = torch.softmax(k @ q[0] * 0.5, -1)
    assert all(f"{w:.3f}" in drawn for w in weights.tolist())


def test_query_path_refuses_labels_or_a_query_that_do_not_fit():
    q, k, v = qkv()
    with pytest.raises(ValueError, match="5 characters"):
        query_path("^ravi", q, k, v, i=0)
    with pytest.raises(ValueError, match="query 6"):
        query_path("^ravi$", q, k, v, i=6)


def test_matrix_form_draws_each_product_from_the_real_matrices():
    from attention_utils.diagrams import matrix_form

    q, k, v = qkv(T=5, d_k=3, d_v=2)
    fig = matrix_form("^ravi", q, k, v, scale=0.5)
    panels = [ax.images[0].get_array() for ax in fig.axes]
    scores = q @ k.T * 0.5
    weights = torch.softmax(scores, -1)
    for got, want in zip(panels, [q, k.T, scores, weights, v, weights @ v], strict=True):
        assert torch.allclose(torch.as_tensor(got.data), want.double(), atol=1e-6)
    titles = [ax.get_title() for ax in fig.axes]
    assert "Q  (5, 3)" in titles[0] and "K^T  (3, 5)" in titles[1] and "× 0.5" in titles[2]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list("^ravi")


def test_masked_softmax_steps_hides_exactly_the_forbidden_scores():
    from attention_utils.diagrams import masked_softmax_steps

    scores = torch.randn(4, 4, generator=torch.Generator().manual_seed(1))
    mask = torch.ones(4, 4, dtype=torch.bool).tril()
    fig = masked_softmax_steps("^om$", scores, mask)
    hidden = [t.get_text() for t in fig.axes[1].texts]
    assert hidden.count("-inf") == int((~mask).sum())
    weights = torch.as_tensor(fig.axes[2].images[0].get_array().data)
    assert (weights[~mask] == 0).all()
    assert torch.allclose(weights.sum(-1), torch.ones(4, dtype=torch.float64))
    want = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1).double()
    assert torch.allclose(weights, want, atol=1e-6)


def test_heads_split_join_draws_one_panel_per_head_and_checks_its_input():
    from attention_utils.diagrams import heads_split_join

    g = torch.Generator().manual_seed(2)
    x = torch.randn(5, 8, generator=g)
    w = torch.softmax(torch.randn(2, 5, 5, generator=g), -1)
    fig = heads_split_join("^ravi", x, w, n_heads=2)
    heads = [ax for ax in fig.axes if ax.get_title().startswith("head ")]
    assert len(heads) == 2
    for h, ax in enumerate(heads):
        assert torch.allclose(torch.as_tensor(ax.images[0].get_array().data), w[h].double())
    drawn = texts(fig)
    assert "head 1: features 4-7" in drawn and any("(5, 8)" in t for t in drawn)
    with pytest.raises(ValueError, match="3 heads"):
        heads_split_join("^ravi", x, w, n_heads=3)


def test_cross_attention_draws_a_line_per_weight_above_the_least_and_each_rows_largest():
    from matplotlib.patches import FancyArrowPatch

    from attention_utils.diagrams import cross_attention

    w = torch.tensor([[0.05, 0.15, 0.8], [0.5, 0.5, 0.0]])
    fig = cross_attention("ab$", "xy", w, least=0.1)
    arrows = [p for ax in fig.axes for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 4  # 0.15 and 0.8 of the first row, 0.5 and 0.5 of the second
    widths = sorted(round(a.get_linewidth(), 3) for a in arrows)
    assert widths == sorted(round(0.5 + 3.5 * x, 3) for x in (0.15, 0.8, 0.5, 0.5))
    drawn = texts(fig)
    assert {"a", "b", "$", "x", "y", "0.80", "0.50"} <= set(drawn)
    with pytest.raises(ValueError, match="3 characters"):
        cross_attention("abc", "xyz", w)


def _tiny_model():
    from attention_utils.models import CausalTransformer, ModelConfig
    from attention_utils.vocab import CharTable

    table = CharTable.from_names(["ravi", "asha"])
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=len(table), d_model=12, n_heads=3, n_layers=3, d_ff=20)
    return CausalTransformer(config), table


def test_model_diagram_reads_its_sizes_and_shapes_from_the_model_and_the_run():
    from attention_utils.diagrams import model_diagram

    model, table = _tiny_model()
    model.train()
    drawn = " | ".join(texts(model_diagram(model, table, "ravi")))
    assert "causal attention, 3 heads" in drawn and "repeated 3 times" in drawn
    assert "MLP: 12 -> 20, GELU, -> 12" in drawn and "(1, 5, 12)" in drawn
    assert f"(1, 5, {len(table)})" in drawn  # the head's scores: 5 positions, every symbol
    assert model.training  # its mode is given back
    probs = torch.softmax(model.eval()(table.batch("ravi"))[0][0, -1], -1)
    best = table.itos[int(probs.argmax())]
    assert f"next character after ^ravi: {best} {probs.max():.2f}" in drawn


def test_training_loop_draws_the_numbers_of_its_config_and_run():
    from attention_utils.diagrams import training_loop
    from attention_utils.train import History, TrainConfig

    history = History(batch_loss=[3.1, 2.5, 2.25], best_step=3)
    drawn = " | ".join(texts(training_loop(TrainConfig(steps=3, batch_size=7, ema=0.9), history)))
    assert "a batch of 7 training names" in drawn
    assert "3.10 at step 1, 2.25 at step 3" in drawn
    assert "ema 0.9" in drawn and "step 3" in drawn
    no_ema = " | ".join(texts(training_loop(TrainConfig(steps=3, ema=0.0), history)))
    assert "average the weights" not in no_ema
