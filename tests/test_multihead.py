"""attention_utils.attention.MultiHeadAttention against torch.nn.MultiheadAttention.

With the weights of a PyTorch module copied in, our module gives the same outputs and the same
per-head weights ``(B, H, T, T)`` on random sizes, weights and inputs, with and without the
causal mask and with padded names. PyTorch's boolean ``attn_mask`` and ``key_padding_mask``
mean True = *not* allowed, the opposite of ours: the tests pass ``~mask``.
"""

from __future__ import annotations

import einops
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from attention_utils.attention import (
    MultiHeadAttention,
    attention_matrix,
    causal_mask,
    padding_mask,
)

SETTINGS = settings(max_examples=40, deadline=None)


def _pair(seed: int, d_model: int, n_heads: int, bias: bool = True):
    """A torch module with random weights (biases too, so they are not all zero) and ours."""
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True)
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0, 0.5)
    ours = MultiHeadAttention(d_model, n_heads, bias=bias).load_from_torch(theirs)
    return theirs, ours


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    B=st.integers(1, 3),
    T=st.integers(1, 9),
    n_heads=st.integers(1, 4),
    d_head=st.integers(1, 4),
    bias=st.booleans(),
    causal=st.booleans(),
)
def test_equal_to_torch_multihead_attention(seed, B, T, n_heads, d_head, bias, causal):
    d_model = n_heads * d_head
    theirs, ours = _pair(seed, d_model, n_heads, bias)
    x = torch.randn(B, T, d_model, generator=torch.Generator().manual_seed(seed + 1))
    attn_mask = ~causal_mask(T) if causal else None  # PyTorch: True = NOT allowed
    want_out, want_w = theirs(x, x, x, attn_mask=attn_mask, average_attn_weights=False)
    out, weights = ours(x, causal=causal)
    assert out.shape == (B, T, d_model) and weights.shape == (B, n_heads, T, T)
    torch.testing.assert_close(weights, want_w, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(out, want_out, atol=1e-5, rtol=1e-4)
    if causal:
        assert (weights[..., ~causal_mask(T)] == 0).all()


@SETTINGS
@given(seed=st.integers(0, 10_000), lengths=st.lists(st.integers(1, 7), min_size=1, max_size=4))
def test_padding_mask_equal_to_torch_key_padding_mask(seed, lengths):
    T = max(lengths)
    theirs, ours = _pair(seed, 6, 3)
    x = torch.randn(len(lengths), T, 6, generator=torch.Generator().manual_seed(seed))
    keep = padding_mask(lengths, T)  # (B, 1, T), True = a real character
    want_out, want_w = theirs(
        x, x, x, key_padding_mask=~keep[:, 0], attn_mask=~causal_mask(T), average_attn_weights=False
    )
    out, weights = ours(x, mask=keep, causal=True)
    torch.testing.assert_close(weights, want_w, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(out, want_out, atol=1e-5, rtol=1e-4)


def test_heads_are_consecutive_blocks_of_the_projections():
    """Head h attends with features h*d_head ... (h+1)*d_head - 1 of q, k and v."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(2, 5, 8)
    out, weights = mha(x)
    q, k, v = mha.q_proj(x), mha.k_proj(x), mha.v_proj(x)
    heads = []
    for h in range(2):
        cols = slice(4 * h, 4 * h + 4)
        head_out, head_w = attention_matrix(q[..., cols], k[..., cols], v[..., cols])
        torch.testing.assert_close(weights[:, h], head_w)
        heads.append(head_out)
    torch.testing.assert_close(out, mha.out_proj(torch.cat(heads, dim=-1)))
    split = einops.rearrange(q, "b t (h d) -> b h t d", h=2)
    torch.testing.assert_close(split[:, 1], q[..., 4:])


def test_parameters_do_not_depend_on_the_number_of_heads():
    for d_model in (8, 12):
        counts = {
            sum(p.numel() for p in MultiHeadAttention(d_model, h).parameters()) for h in (1, 2, 4)
        }
        assert counts == {4 * d_model * d_model + 4 * d_model}
    assert sum(p.numel() for p in MultiHeadAttention(8, 2, bias=False).parameters()) == 4 * 64


def test_weights_can_be_drawn_per_head_and_rows_sum_to_one():
    torch.manual_seed(0)
    _, weights = MultiHeadAttention(8, 4)(torch.randn(3, 6, 8), causal=True)
    assert weights.shape == (3, 4, 6, 6)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4, 6))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("d_model", "n_heads", "match"),
    [
        (8, 3, "d_model=8 is not divisible by n_heads=3"),
        (8, 0, "at least 1, got 8, 0"),
        (0, 2, "at least 1, got 0, 2"),
    ],
)
def test_bad_sizes(d_model, n_heads, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(d_model, n_heads)


def test_bad_inputs_and_masks():
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"x must be \(B, T, d_model=8\), got \(5, 8\)"):
        mha(torch.randn(5, 8))
    with pytest.raises(ValueError, match=r"got \(1, 5, 6\)"):
        mha(torch.randn(1, 5, 6))
    with pytest.raises(ValueError, match="mask must be boolean"):
        mha(torch.randn(1, 5, 8), mask=torch.ones(5, 5))
    with pytest.raises(ValueError, match=r"mask of shape \(4, 4\) does not broadcast"):
        mha(torch.randn(1, 5, 8), mask=causal_mask(4))


def test_load_from_torch_refuses_modules_that_do_not_fit():
    with pytest.raises(ValueError, match="theirs d_model=8, n_heads=4; ours d_model=8, n_heads=2"):
        MultiHeadAttention(8, 2).load_from_torch(nn.MultiheadAttention(8, 4))
    with pytest.raises(ValueError, match="bias differs: theirs bias=True, ours bias=False"):
        MultiHeadAttention(8, 2, bias=False).load_from_torch(nn.MultiheadAttention(8, 2))
    with pytest.raises(ValueError, match="bias differs: theirs bias=False, ours bias=True"):
        MultiHeadAttention(8, 2).load_from_torch(nn.MultiheadAttention(8, 2, bias=False))
    with pytest.raises(ValueError, match="packed in_proj_weight"):
        MultiHeadAttention(8, 2).load_from_torch(nn.MultiheadAttention(8, 2, kdim=4, vdim=4))
    with pytest.raises(ValueError, match="add_bias_kv"):
        MultiHeadAttention(8, 2).load_from_torch(nn.MultiheadAttention(8, 2, add_bias_kv=True))
