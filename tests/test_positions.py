"""attention_utils.positions and the causal mask: what order and the future do to attention.

- without positions, self-attention is permutation equivariant: shuffle the characters and the
  outputs and weights are shuffled the same way; with positions added, they are not;
- the sinusoidal encodings have their known properties (values, norms, relative positions);
- the causal mask hides the future: changing positions > i leaves output i unchanged;
- bad sizes and shapes raise ValueError.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attention_utils.attention import MultiHeadAttention, attention_matrix, causal_mask
from attention_utils.positions import LearnedPositions, SinusoidalPositions, sinusoidal_positions

SETTINGS = settings(max_examples=40, deadline=None)


def _random_attention(seed: int, T: int, d_model: int, n_heads: int):
    """Seeded inputs ``x (1, T, d_model)``, an attention layer and a non-identity permutation."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    attn = MultiHeadAttention(d_model, n_heads)
    x = torch.randn(1, T, d_model, generator=g)
    perm = torch.randperm(T, generator=g)
    if torch.equal(perm, torch.arange(T)):
        perm = perm.roll(1)
    return attn, x, perm


# --------------------------------------------------------------------------- order


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    T=st.integers(2, 10),
    n_heads=st.sampled_from([1, 2, 4]),
)
def test_without_positions_attention_is_permutation_equivariant(seed, T, n_heads):
    attn, x, perm = _random_attention(seed, T, 8, n_heads)
    out, weights = attn(x)
    out_p, weights_p = attn(x[:, perm])
    torch.testing.assert_close(out_p, out[:, perm], atol=1e-5, rtol=1e-5)
    # query perm[i] and key perm[j] of the original are query i and key j of the shuffle
    torch.testing.assert_close(weights_p, weights[:, :, perm][:, :, :, perm], atol=1e-6, rtol=1e-5)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    T=st.integers(2, 10),
    kind=st.sampled_from(["learned", "sinusoidal"]),
)
def test_with_positions_a_permutation_changes_the_outputs(seed, T, kind):
    attn, x, perm = _random_attention(seed, T, 8, 2)
    pos = LearnedPositions(12, 8) if kind == "learned" else SinusoidalPositions(12, 8)
    out, _ = attn(pos(x))
    out_p, _ = attn(pos(x[:, perm]))
    assert not torch.allclose(out_p, out[:, perm], atol=1e-4)


def test_repeated_letters_get_identical_rows_without_positions_and_not_with_them():
    torch.manual_seed(0)
    emb, attn = torch.nn.Embedding(28, 8), MultiHeadAttention(8, 1)
    ids = torch.tensor([[1, 2, 3, 9, 10, 20, 9, 6, 12, 0]])  # ^abhishek$: h at 3 and 6
    _, weights = attn(emb(ids))
    torch.testing.assert_close(weights[0, 0, 3], weights[0, 0, 6], atol=0, rtol=0)
    for pos in (LearnedPositions(10, 8), SinusoidalPositions(10, 8)):
        _, weights = attn(pos(emb(ids)))
        assert not torch.allclose(weights[0, 0, 3], weights[0, 0, 6], atol=1e-3)


def test_learned_positions_add_one_trainable_row_per_position():
    pos = LearnedPositions(max_len=12, d_model=4)
    x = torch.zeros(2, 5, 4)
    torch.testing.assert_close(pos(x), pos.table.weight[:5].expand(2, 5, 4))
    torch.testing.assert_close(pos(torch.zeros(5, 4)), pos.table.weight[:5])  # no batch axis
    pos(torch.ones(1, 3, 4)).sum().backward()
    assert pos.table.weight.grad[:3].eq(1).all() and pos.table.weight.grad[3:].eq(0).all()


def test_sinusoidal_module_is_a_buffer_not_a_parameter():
    pos = SinusoidalPositions(max_len=20, d_model=6)
    assert list(pos.parameters()) == []
    assert "table" in pos.state_dict()
    torch.testing.assert_close(pos(torch.zeros(7, 6)), sinusoidal_positions(7, 6))


# --------------------------------------------------------------------------- sinusoidal


def test_sinusoidal_first_rows_and_columns():
    P = sinusoidal_positions(50, 8)
    assert P.shape == (50, 8) and P.dtype == torch.float32
    assert P[0].tolist() == [0.0, 1.0] * 4  # position 0: sin 0 = 0, cos 0 = 1
    t = torch.arange(50, dtype=torch.float32)
    torch.testing.assert_close(P[:, 0], torch.sin(t))  # pair 0 has frequency 1
    torch.testing.assert_close(P[:, 1], torch.cos(t))
    torch.testing.assert_close(P[:, 6], torch.sin(t / 10000 ** (6 / 8)))  # the slowest pair


@SETTINGS
@given(T=st.integers(1, 80), half=st.integers(1, 16))
def test_sinusoidal_values_norms_and_prefixes(T, half):
    d_model = 2 * half
    P = sinusoidal_positions(T, d_model)
    assert P.abs().max() <= 1.0
    # each (sin, cos) pair lies on the unit circle, so every row has norm sqrt(d_model / 2)
    pairs = P[:, 0::2] ** 2 + P[:, 1::2] ** 2
    torch.testing.assert_close(pairs, torch.ones_like(pairs))
    torch.testing.assert_close(P.norm(dim=1), torch.full((T,), math.sqrt(d_model / 2)))
    # the encoding of position t does not depend on how many positions were asked for
    torch.testing.assert_close(sinusoidal_positions(T + 5, d_model)[:T], P)


@SETTINGS
@given(half=st.integers(1, 8), k=st.integers(0, 20))
def test_sinusoidal_dot_products_depend_only_on_distance(half, k):
    P = sinusoidal_positions(60, 2 * half).double()
    dots = (P[: 60 - k] * P[k:]).sum(-1)  # P[t] . P[t + k] for every t
    torch.testing.assert_close(dots, dots[:1].expand_as(dots), atol=1e-5, rtol=1e-5)
    # and P[t + k] is a fixed rotation of P[t]: each pair turns by the angle k * freq_i
    freq = 10000 ** (-torch.arange(0, 2 * half, 2, dtype=torch.float64) / (2 * half))
    cos, sin = torch.cos(k * freq), torch.sin(k * freq)
    s, c = P[: 60 - k, 0::2], P[: 60 - k, 1::2]
    torch.testing.assert_close(P[k:, 0::2], s * cos + c * sin, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(P[k:, 1::2], c * cos - s * sin, atol=1e-5, rtol=1e-5)


def test_sinusoidal_rows_are_distinct_for_names():
    P = sinusoidal_positions(24, 8)  # longer than any name with ^ and $
    distances = torch.cdist(P, P) + torch.eye(24) * 100
    assert distances.min() > 0.5


# --------------------------------------------------------------------------- the causal mask


def test_causal_mask_is_lower_triangular_true_means_may_attend():
    m = causal_mask(4)
    assert m.dtype == torch.bool
    assert m.int().tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    _, weights = attention_matrix(torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3), m)
    assert (weights[~m] == 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(4))


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    T=st.integers(2, 10),
    n_heads=st.sampled_from([1, 2, 4]),
    data=st.data(),
)
def test_causal_outputs_at_i_ignore_changes_after_i(seed, T, n_heads, data):
    i = data.draw(st.integers(0, T - 2), label="i")
    attn, x, _ = _random_attention(seed, T, 8, n_heads)
    changed = x.clone()
    changed[:, i + 1 :] = torch.randn(1, T - i - 1, 8, generator=torch.Generator().manual_seed(1))
    out, weights = attn(x, causal=True)
    out_c, weights_c = attn(changed, causal=True)
    torch.testing.assert_close(out_c[:, : i + 1], out[:, : i + 1], atol=1e-6, rtol=0)
    torch.testing.assert_close(weights_c[:, :, : i + 1], weights[:, :, : i + 1], atol=1e-6, rtol=0)
    # without the mask the future leaks: the same change moves output i
    leak, _ = attn(x)
    leak_c, _ = attn(changed)
    assert not torch.allclose(leak_c[:, : i + 1], leak[:, : i + 1], atol=1e-4)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("T", "d_model", "match"),
    [
        (0, 8, "T must be at least 1, got 0"),
        (-3, 8, "T must be at least 1"),
        (5, 7, "d_model must be even"),
        (5, 0, "d_model must be at least 2"),
        (2.5, 8, "T must be an integer, got 2.5"),
        (5, "8", "d_model must be an integer"),
    ],
)
def test_sinusoidal_bad_sizes(T, d_model, match):
    with pytest.raises(ValueError, match=match):
        sinusoidal_positions(T, d_model)


@pytest.mark.parametrize("cls", [LearnedPositions, SinusoidalPositions])
def test_position_modules_bad_input(cls):
    with pytest.raises(ValueError, match="max_len must be at least 1, got 0"):
        cls(0, 8)
    pos = cls(10, 8)
    with pytest.raises(ValueError, match=r"length 11 is longer than max_len=10"):
        pos(torch.zeros(1, 11, 8))
    with pytest.raises(ValueError, match=r"d_model=8\), got \(1, 5, 6\)"):
        pos(torch.zeros(1, 5, 6))
    with pytest.raises(ValueError, match=r"got \(8,\)"):
        pos(torch.zeros(8))
    with pytest.raises(ValueError, match="must be a tensor"):
        pos([[0.0] * 8])


def test_causal_mask_bad_size():
    with pytest.raises(ValueError, match="T must be between 1 and 20,000, got 0"):
        causal_mask(0)


def test_relative_positions_give_each_head_a_score_per_distance():
    from attention_utils.positions import RelativePositions

    rel = RelativePositions(max_len=6, n_heads=2)
    assert rel(4).shape == (2, 4, 4) and (rel(4) == 0).all()  # no preference at the start
    with torch.no_grad():
        rel.table.copy_(torch.arange(12.0).reshape(2, 6))
    bias = rel(4)
    assert bias[0, 3, 2] == 1 and bias[0, 3, 0] == 3  # one back, three back
    assert bias[1, 2, 2] == 6  # distance 0 of head 1
    assert torch.equal(bias[0].diagonal(-1), torch.ones(3))  # the same distance, the same score
    with pytest.raises(ValueError, match="max_len=6"):
        rel(7)


def test_learned_positions_from_a_start_are_the_rows_after_it():
    from attention_utils.positions import LearnedPositions

    torch.manual_seed(0)
    pos = LearnedPositions(6, 4)
    x = torch.zeros(1, 6, 4)
    whole = pos(x)
    torch.testing.assert_close(pos(x[:, :2], start=4), whole[:, 4:])
    with pytest.raises(ValueError, match="from position 5 does not fit max_len=6"):
        pos(x[:, :2], start=5)
