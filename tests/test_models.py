"""attention_utils.models: batches, the count baselines, the MLP and GRU, the transformer."""

from __future__ import annotations

import math

import pytest
import torch

from attention_utils.models import (
    GRU,
    IGNORE_INDEX,
    MLP,
    CausalTransformer,
    GRUConfig,
    MLPConfig,
    ModelConfig,
    NGramModel,
    count_parameters,
    encode_batch,
)
from attention_utils.vocab import CharTable

NAMES = ["asha", "arjun", "kavya", "om", "meera", "ravi"]
TABLE = CharTable.from_names("abcdefghijklmnopqrstuvwxyz")


def tiny_model(seed: int = 0, **sizes) -> CausalTransformer:
    torch.manual_seed(seed)
    cfg = dict(vocab_size=len(TABLE), block_size=8, d_model=16, n_heads=2, n_layers=2, d_ff=32)
    return CausalTransformer(ModelConfig(**{**cfg, **sizes}))


# --------------------------------------------------------------------------- batches


def test_encode_batch_pads_inputs_and_ignores_padding_in_targets():
    idx, targets = encode_batch(["om", "asha"], TABLE)
    assert idx.shape == targets.shape == (2, 5)  # longest name + 1
    assert TABLE.decode(idx[0]) == "^om$$"  # padded with the end token's id
    assert TABLE.decode(idx[1]) == "^asha"
    assert TABLE.decode(targets[1]) == "asha$"
    assert TABLE.decode(targets[0, :3]) == "om$"
    assert targets[0, 3:].tolist() == [IGNORE_INDEX, IGNORE_INDEX]
    # every letter and the end token count once: len(name) + 1 predictions per name
    assert int((targets != IGNORE_INDEX).sum()) == (2 + 1) + (4 + 1)


@pytest.mark.parametrize(("bad", "match"), [([], "empty"), ("asha", "list of names")])
def test_encode_batch_rejects_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        encode_batch(bad, TABLE)


def test_encode_batch_names_an_unknown_character():
    with pytest.raises(KeyError, match="'é'"):
        encode_batch(["josé"], TABLE)


# --------------------------------------------------------------------------- count baselines


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
def test_ngram_probabilities_sum_to_one_and_never_predict_start(n, alpha):
    model = NGramModel(n, TABLE, alpha=alpha).fit(NAMES)
    probs = model.probs()
    assert probs.shape == (len(TABLE),) * n
    assert torch.allclose(probs.sum(-1), torch.ones(probs.shape[:-1], dtype=probs.dtype))
    assert (probs >= 0).all()
    assert (probs[..., TABLE.stoi["^"]] == 0).all()


def test_bigram_counts_and_probabilities_by_hand():
    model = NGramModel(2, TABLE, alpha=0.0).fit(["ab", "ac", "b"])
    s = TABLE.stoi
    assert model.counts[s["^"], s["a"]] == 2
    assert model.counts[s["^"], s["b"]] == 1
    assert model.counts[s["b"], s["$"]] == 2
    assert model.counts.sum() == 3 + 3 + 2  # len(name) + 1 pairs per name
    p = model.probs()
    assert p[s["^"], s["a"]] == pytest.approx(2 / 3)
    assert p[s["a"], s["b"]] == pytest.approx(1 / 2)
    # add-alpha: (count + alpha) / (total + alpha * (V - 1)); ^ is never a next character
    model.alpha = 1.0
    V = len(TABLE)
    assert model.probs()[s["^"], s["a"]] == pytest.approx((2 + 1) / (3 + (V - 1)))


def test_trigram_uses_two_characters_of_context_padded_with_start():
    model = NGramModel(3, TABLE, alpha=0.0).fit(["ab"])
    s = TABLE.stoi
    assert model.counts[s["^"], s["^"], s["a"]] == 1
    assert model.counts[s["^"], s["a"], s["b"]] == 1
    assert model.counts[s["a"], s["b"], s["$"]] == 1
    idx, targets = encode_batch(["ab"], TABLE)
    logits, loss = model(idx, targets)
    # every step is certain under these counts: probability 1, loss 0
    assert loss.item() == pytest.approx(0.0, abs=1e-9)
    assert logits.shape == (1, 3, len(TABLE))


def test_ngram_forward_gives_log_probabilities_of_the_table():
    model = NGramModel(2, TABLE, alpha=0.5).fit(NAMES)
    idx, targets = encode_batch(["ravi"], TABLE)
    logits, loss = model(idx, targets)
    p = model.probs()
    want = (
        -sum(
            math.log(p[TABLE.stoi[a], TABLE.stoi[b]]) for a, b in zip("^ravi", "ravi$", strict=True)
        )
        / 5
    )
    assert loss.item() == pytest.approx(want, rel=1e-5)
    assert torch.allclose(logits.exp().sum(-1), torch.ones(1, 5))


def test_ngram_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n must be at least 1"):
        NGramModel(0, TABLE)
    with pytest.raises(ValueError, match="alpha"):
        NGramModel(2, TABLE, alpha=-1)


def test_ngram_parameter_count():
    V = len(TABLE)
    assert count_parameters(NGramModel(2, TABLE)) == V * (V - 2)
    assert count_parameters(NGramModel(3, TABLE)) == V * V * (V - 2)


# --------------------------------------------------------------------------- the transformer


def test_transformer_shapes_and_loss_at_initialisation():
    model = tiny_model()
    idx, targets = encode_batch(NAMES, TABLE)
    logits, loss = model(idx, targets)
    assert logits.shape == (len(NAMES), idx.shape[1], len(TABLE))
    # small initial weights: close to uniform over the vocabulary
    assert abs(loss.item() - math.log(len(TABLE))) < 0.2
    assert model(idx)[1] is None


def test_every_layers_attention_maps_are_causal_and_rows_sum_to_one():
    model = tiny_model(n_layers=3)
    idx, _ = encode_batch(NAMES, TABLE)
    weights = model.attention_maps(idx)
    assert len(weights) == 3
    T = idx.shape[1]
    for w in weights:
        assert w.shape == (len(NAMES), 2, T, T)
        assert torch.allclose(w.sum(-1), torch.ones(len(NAMES), 2, T))
        assert (w.triu(1) == 0).all()  # no weight on later characters
    assert model.training  # attention_maps restores the mode
    model.eval()(idx)  # and they are the weights of a forward pass in eval mode
    for a, b in zip(weights, model.last_weights, strict=True):
        torch.testing.assert_close(a, b)


def peaked(model: CausalTransformer) -> CausalTransformer:
    """``model`` with large query and key weights: attention far from uniform."""
    with torch.no_grad():
        for block in model.blocks:
            block.attn.q_proj.weight.mul_(200)
            block.attn.k_proj.weight.mul_(10)
    return model


def test_attention_maps_without_the_mask_look_ahead():
    model = peaked(tiny_model(dropout=0.0)).eval()
    idx = TABLE.batch("priya")
    on, off = model.attention_maps(idx), model.attention_maps(idx, causal=False)
    future = torch.ones(6, 6, dtype=torch.bool).triu(1)  # ^priya
    for layer_on, layer_off in zip(on, off, strict=True):
        assert layer_on[..., future].abs().max() == 0
        assert layer_off[..., future].sum() > 0.1
        torch.testing.assert_close(layer_off.sum(-1), torch.ones(1, 2, 6))
    assert not model.training


def test_attention_maps_refuse_a_flat_idx():
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        tiny_model().attention_maps(TABLE.encode("^abc$"))


def test_changing_later_characters_does_not_change_earlier_logits():
    model = tiny_model().eval()
    a = encode_batch(["kavya"], TABLE)[0]
    b = a.clone()
    b[0, 3:] = torch.tensor([TABLE.stoi[c] for c in "zq$"])  # ^kav|ya -> ^kav|zq
    la, _ = model(a)
    lb, _ = model(b)
    assert torch.allclose(la[0, :3], lb[0, :3], atol=1e-6)
    assert not torch.allclose(la[0, 3:], lb[0, 3:], atol=1e-4)  # the later ones do change


def test_gradients_are_finite_and_reach_every_parameter():
    model = tiny_model()
    idx, targets = encode_batch(NAMES, TABLE)
    _, loss = model(idx, targets)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    assert any(p.grad.abs().sum() > 0 for p in model.parameters())


def test_padding_does_not_change_the_loss_of_a_name():
    model = tiny_model().eval()
    alone = model(*encode_batch(["om"], TABLE))[1]
    idx, targets = encode_batch(["om", "kavya"], TABLE)  # "om" is now padded to 6
    logits, _ = model(idx, targets)
    padded = torch.nn.functional.cross_entropy(logits[0], targets[0], ignore_index=IGNORE_INDEX)
    assert padded.item() == pytest.approx(alone.item(), rel=1e-5)


def test_transformer_rejects_bad_input():
    model = tiny_model()
    with pytest.raises(ValueError, match="block_size=8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        model(torch.zeros(9, dtype=torch.long))
    with pytest.raises(ValueError, match="ids must be in 0..27"):
        model(torch.tensor([[1, 28]]))
    with pytest.raises(ValueError, match="targets must be"):
        model(torch.zeros(1, 3, dtype=torch.long), torch.zeros(1, 4, dtype=torch.long))


@pytest.mark.parametrize(
    ("sizes", "match"),
    [
        ({"d_model": 30, "n_heads": 4}, "not divisible"),
        ({"n_layers": 0}, "n_layers must be at least 1"),
        ({"dropout": 1.0}, "dropout"),
        ({"positions": "sinusoidal"}, "positions must be"),
    ],
)
def test_model_config_rejects_bad_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        ModelConfig(**sizes)


def test_parameter_count_matches_the_sizes():
    d, f, V, L, T = 16, 32, len(TABLE), 2, 8
    per_layer = 2 * 2 * d + 4 * (d * d + d) + (d * f + f) + (f * d + d)
    want = V * d + T * d + L * per_layer + 2 * d + (d * V + V)
    assert count_parameters(tiny_model()) == want


def test_tied_weights_share_one_matrix_and_count_it_once():
    tied, untied = tiny_model(tie_weights=True), tiny_model()
    assert tied.head.weight is tied.tok_emb.weight
    assert count_parameters(untied) - count_parameters(tied) == len(TABLE) * 16
    idx, targets = encode_batch(NAMES, TABLE)
    tied(idx, targets)[1].backward()
    assert tied.tok_emb.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("positions", ["learned", "relative", "both"])
def test_the_fast_training_path_computes_the_same_attention(positions):
    model = peaked(tiny_model(dropout=0.0, positions=positions))
    with torch.no_grad():
        for block in model.blocks:
            if block.rel is not None:
                block.rel.table.normal_()  # a preference per distance
    idx, targets = encode_batch(NAMES, TABLE)
    fast, _ = model.train()(idx, targets)  # training: fused attention, no weights kept
    assert model.last_weights == []
    slow, _ = model.eval()(idx, targets)  # eval: the attention written out, weights kept
    assert len(model.last_weights) == 2
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)


# --------------------------------------------------------------------------- MLP and GRU


def tiny_baseline(kind: str, seed: int = 0):
    torch.manual_seed(seed)
    if kind == "mlp":
        return MLP(MLPConfig(vocab_size=len(TABLE), context=3, d_emb=8, d_hidden=16), 1)
    return GRU(GRUConfig(vocab_size=len(TABLE), d_emb=8, d_hidden=16))


@pytest.mark.parametrize("kind", ["mlp", "gru"])
def test_baseline_shapes_and_loss_is_the_cross_entropy(kind):
    model = tiny_baseline(kind)
    idx, targets = encode_batch(NAMES, TABLE)
    logits, loss = model(idx, targets)
    assert logits.shape == (len(NAMES), idx.shape[1], len(TABLE))
    want = torch.nn.functional.cross_entropy(
        logits.reshape(-1, len(TABLE)), targets.reshape(-1), ignore_index=IGNORE_INDEX
    )
    assert loss.item() == pytest.approx(want.item())
    assert abs(loss.item() - math.log(len(TABLE))) < 0.5  # untrained: near uniform
    assert model(idx)[1] is None
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("kind", ["mlp", "gru"])
def test_baseline_predictions_never_depend_on_later_characters(kind):
    model = tiny_baseline(kind).eval()
    a = encode_batch(["kavya"], TABLE)[0]
    b = a.clone()
    b[0, 3:] = torch.tensor([TABLE.stoi[c] for c in "zq$"])  # ^kav|ya -> ^kav|zq
    la, lb = model(a)[0], model(b)[0]
    torch.testing.assert_close(la[0, :3], lb[0, :3])
    assert not torch.allclose(la[0, 3:], lb[0, 3:], atol=1e-4)


def test_the_mlp_reads_a_window_of_context_characters_padded_with_start():
    model = tiny_baseline("mlp")
    idx = TABLE.encode("^priya$")[None]  # a name as training reads it, end token included
    windows = model.windows(idx)
    assert windows.shape == (1, 7, 3)
    assert TABLE.decode(windows[0, 0]) == "^^^"
    assert TABLE.decode(windows[0, 2]) == "^pr"
    assert TABLE.decode(windows[0, 6]) == "ya$"
    # so a character more than `context` places back changes nothing
    other = idx.clone()
    other[0, 1] = TABLE.stoi["q"]
    torch.testing.assert_close(model.eval()(idx)[0][0, 4:], model(other)[0][0, 4:])


@pytest.mark.parametrize("kind", ["mlp", "gru"])
def test_padding_does_not_change_a_baselines_loss_of_a_name(kind):
    model = tiny_baseline(kind).eval()
    alone = model(*encode_batch(["om"], TABLE))[1]
    idx, targets = encode_batch(["om", "kavya"], TABLE)
    logits, _ = model(idx, targets)
    padded = torch.nn.functional.cross_entropy(logits[0], targets[0], ignore_index=IGNORE_INDEX)
    assert padded.item() == pytest.approx(alone.item(), rel=1e-5)


@pytest.mark.parametrize("kind", ["mlp", "gru"])
def test_baselines_reject_bad_input(kind):
    model = tiny_baseline(kind)
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        model(torch.zeros(9, dtype=torch.long))
    with pytest.raises(ValueError, match="ids must be in 0..27"):
        model(torch.tensor([[1, 28]]))
    with pytest.raises(TypeError, match="integer ids"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="targets must be"):
        model(torch.zeros(1, 3, dtype=torch.long), torch.zeros(1, 4, dtype=torch.long))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MLPConfig(context=0), "context must be at least 1"),
        (lambda: MLPConfig(dropout=1.0), "dropout"),
        (lambda: GRUConfig(d_hidden=0), "d_hidden must be at least 1"),
        (lambda: GRUConfig(dropout=-0.1), "dropout"),
    ],
)
def test_baseline_configs_reject_bad_sizes(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_relative_positions_replace_the_position_table_and_stay_causal():
    model = tiny_model(positions="relative").eval()
    assert model.pos is None and all(b.rel.table.shape == (2, 8) for b in model.blocks)
    with torch.no_grad():
        for block in model.blocks:
            block.rel.table.normal_()
    a = encode_batch(["kavya"], TABLE)[0]
    b = a.clone()
    b[0, 3:] = torch.tensor([TABLE.stoi[c] for c in "zq$"])
    torch.testing.assert_close(model(a)[0][0, :3], model(b)[0][0, :3])
    for w in model.attention_maps(a):
        assert (w.triu(1) == 0).all()
        torch.testing.assert_close(w.sum(-1), torch.ones(1, 2, 6))
