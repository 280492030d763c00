"""Tests for attention_utils.attention: three implementations, masks, multi-head attention."""

from __future__ import annotations

import math
from pathlib import Path

import einops
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from attention_utils.attention import (
    MultiHeadAttention,
    attention_einsum,
    attention_loops,
    attention_matrix,
    causal_mask,
    padding_mask,
)

IMPLEMENTATIONS = [attention_loops, attention_matrix, attention_einsum]
IDS = ["loops", "matrix", "einsum"]
TIGHT = {"atol": 1e-12, "rtol": 1e-10}


# --------------------------------------------------------------------------- random problems


@st.composite
def problems(draw, with_mask: bool | None = None, full_rows: bool = False):
    """A random attention problem in float64: q, k, v with leading axes, and maybe a mask.

    ``full_rows`` keeps at least one allowed key in every row (as PyTorch needs).
    """
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    T_q, T_k = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    d_k, d_v = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    spread = draw(st.sampled_from([0.1, 1.0, 5.0]))
    q = torch.randn(*batch, T_q, d_k, generator=g, dtype=torch.float64) * spread
    k = torch.randn(*batch, T_k, d_k, generator=g, dtype=torch.float64) * spread
    v = torch.randn(*batch, T_k, d_v, generator=g, dtype=torch.float64)
    use_mask = draw(st.booleans()) if with_mask is None else with_mask
    mask = None
    if use_mask:
        # the mask may cover the whole batch or broadcast over it
        mask_batch = batch if draw(st.booleans()) else ()
        mask = torch.rand(*mask_batch, T_q, T_k, generator=g) < draw(st.sampled_from([0.3, 0.7]))
        if full_rows:
            mask[..., 0] = True  # every query may attend at least to the first key
    return q, k, v, mask


SCALES = st.sampled_from([True, False, 0.5, 3.0])


# --------------------------------------------------------------------------- the three agree


@settings(max_examples=80, deadline=None)
@given(problems(), SCALES)
def test_three_implementations_agree_in_float64(problem, scale):
    q, k, v, mask = problem
    out_l, w_l = attention_loops(q, k, v, mask, scale=scale)
    out_m, w_m = attention_matrix(q, k, v, mask, scale=scale)
    out_e, w_e = attention_einsum(q, k, v, mask, scale=scale)
    batch = torch.broadcast_shapes(q.shape[:-2], () if mask is None else mask.shape[:-2])
    assert w_m.shape == (*batch, q.shape[-2], k.shape[-2])
    assert out_m.shape == (*batch, q.shape[-2], v.shape[-1])
    for out, w in ((out_l, w_l), (out_e, w_e)):
        assert out.shape == out_m.shape and w.shape == w_m.shape
        assert out.dtype == w.dtype == torch.float64
        torch.testing.assert_close(w, w_m, **TIGHT)
        torch.testing.assert_close(out, out_m, **TIGHT)


@settings(max_examples=60, deadline=None)
@given(problems(full_rows=True), SCALES)
def test_matches_torch_scaled_dot_product_attention(problem, scale):
    q, k, v, mask = problem
    torch_scale = None if scale is True else 1.0 if scale is False else scale
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=torch_scale)
    for fn in IMPLEMENTATIONS:
        out, _ = fn(q, k, v, mask, scale=scale)
        torch.testing.assert_close(out, want.expand_as(out), **TIGHT)


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
def test_default_is_scaled_by_one_over_sqrt_dk(fn):
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(5, 16, generator=g, dtype=torch.float64) for _ in range(3))
    scaled = fn(q, k, v)
    by_hand = fn(q / math.sqrt(16), k, v, scale=False)
    torch.testing.assert_close(scaled[1], by_hand[1], **TIGHT)
    torch.testing.assert_close(scaled[0], by_hand[0], **TIGHT)
    # and the unscaled form really differs
    assert not torch.allclose(fn(q, k, v, scale=False)[1], scaled[1])


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
def test_a_small_case_worked_by_hand(fn):
    # one query [1, 0] against keys [1, 0] and [0, 1]: scores 1 and 0, unscaled
    q = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    v = torch.tensor([[10.0], [20.0]], dtype=torch.float64)
    out, weights = fn(q, k, v, scale=False)
    e = math.e
    torch.testing.assert_close(weights, torch.tensor([[e / (e + 1), 1 / (e + 1)]]).double())
    torch.testing.assert_close(out, torch.tensor([[(10 * e + 20) / (e + 1)]]).double())


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
def test_huge_scores_do_not_overflow(fn):
    q = torch.tensor([[30.0, 30.0]], dtype=torch.float64)
    k = torch.tensor([[30.0, 30.0], [29.0, 29.0], [-30.0, 0.0]], dtype=torch.float64)
    v = torch.eye(3, dtype=torch.float64)
    out, weights = fn(q, k, v, scale=False)  # scores 1800, 1740, -900: exp(1800) overflows
    assert torch.isfinite(weights).all() and torch.isfinite(out).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(1, dtype=torch.float64))
    assert weights[0, 0] > 0.999


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
def test_float32_stays_float32(fn):
    q, k, v = torch.randn(4, 3), torch.randn(5, 3), torch.randn(5, 2)
    out, weights = fn(q, k, v)
    assert out.dtype == weights.dtype == torch.float32
    ref = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


# --------------------------------------------------------------------------- weights


@settings(max_examples=60, deadline=None)
@given(problems(with_mask=True), SCALES)
def test_rows_sum_to_one_and_masked_weights_are_exactly_zero(problem, scale):
    q, k, v, mask = problem
    for fn in IMPLEMENTATIONS:
        _, weights = fn(q, k, v, mask, scale=scale)
        full = mask.expand_as(weights)
        assert torch.isfinite(weights).all(), fn.__name__  # rows with no key give no NaN
        assert (weights[~full] == 0).all(), fn.__name__  # exactly zero, not merely small
        assert (weights >= 0).all()
        has_key = full.any(-1)
        sums = weights.sum(-1)
        torch.testing.assert_close(sums[has_key], torch.ones_like(sums[has_key]), **TIGHT)


@settings(max_examples=40, deadline=None)
@given(problems(with_mask=False))
def test_rows_sum_to_one_without_mask(problem):
    q, k, v, _ = problem
    for fn in IMPLEMENTATIONS:
        _, weights = fn(q, k, v)
        torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]).double())


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
def test_fully_masked_row_gives_zero_weights_and_output_without_nan(fn):
    g = torch.Generator().manual_seed(3)
    q = torch.randn(4, 3, generator=g, dtype=torch.float64)
    k = torch.randn(5, 3, generator=g, dtype=torch.float64)
    v = torch.randn(5, 2, generator=g, dtype=torch.float64)
    mask = torch.rand(4, 5, generator=g) < 0.6
    mask[:, 0] = True
    mask[2] = False  # query 2 may attend to nothing
    out, weights = fn(q, k, v, mask)
    assert torch.isfinite(out).all() and torch.isfinite(weights).all()
    assert (weights[2] == 0).all() and (out[2] == 0).all()
    # the other rows are exactly what they are without the empty row
    keep = [0, 1, 3]
    out_rest, weights_rest = fn(q[keep], k, v, mask[keep])
    torch.testing.assert_close(out[keep], out_rest, **TIGHT)
    torch.testing.assert_close(weights[keep], weights_rest, **TIGHT)
    # older PyTorch versions give NaN on that row, newer ones zeros: ours agrees with both
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(out, torch.nan_to_num(ref, nan=0.0), **TIGHT)


def test_fully_masked_row_has_finite_gradients():
    q = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    k = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    v = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, False, False], [False, False, False], [True, True, True]])
    for fn in (attention_matrix, attention_einsum):
        out, _ = fn(q, k, v, mask)
        out.sum().backward()
        for t in (q, k, v):
            assert torch.isfinite(t.grad).all(), fn.__name__
            t.grad = None


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
def test_a_mask_with_batch_axes_of_its_own_broadcasts_in_all_three(fn):
    g = torch.Generator().manual_seed(4)
    q = torch.randn(3, 2, generator=g, dtype=torch.float64)
    k = torch.randn(4, 2, generator=g, dtype=torch.float64)
    v = torch.randn(4, 2, generator=g, dtype=torch.float64)
    mask = padding_mask([1, 2, 4], T=4)  # (3, 1, 4): three padded lengths for one sequence
    out, weights = fn(q, k, v, mask)
    assert weights.shape == (3, 3, 4) and out.shape == (3, 3, 2)
    want_out, want_weights = attention_matrix(q, k, v, mask)
    torch.testing.assert_close(weights, want_weights, **TIGHT)
    torch.testing.assert_close(out, want_out, **TIGHT)
    assert (weights[0, :, 1:] == 0).all() and (weights[1, :, 2:] == 0).all()


# --------------------------------------------------------------------------- masks


def test_causal_mask_is_lower_triangular_and_matches_is_causal():
    m = causal_mask(4)
    assert m.dtype == torch.bool and m.shape == (4, 4)
    assert m.tolist() == [[i >= j for j in range(4)] for i in range(4)]
    q, k, v = (torch.randn(2, 4, 3, dtype=torch.float64) for _ in range(3))
    want = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    for fn in IMPLEMENTATIONS:
        out, weights = fn(q, k, v, m)
        torch.testing.assert_close(out, want, **TIGHT)
        assert (weights.triu(1) == 0).all()
        torch.testing.assert_close(weights[..., 0, 0], torch.ones(2).double())


@pytest.mark.parametrize("T", [0, -1])
def test_causal_mask_rejects_empty(T):
    with pytest.raises(ValueError, match=f"T must be between 1 and 20,000, got {T}"):
        causal_mask(T)


def test_padding_mask_marks_real_tokens_and_broadcasts_over_queries():
    m = padding_mask(torch.tensor([3, 1, 2]))
    assert m.shape == (3, 1, 3) and m.dtype == torch.bool
    assert m[:, 0].tolist() == [[True, True, True], [True, False, False], [True, True, False]]
    assert padding_mask([2], T=5)[0, 0].tolist() == [True, True, False, False, False]


def test_padding_mask_gives_padded_keys_zero_weight_in_a_batch():
    lengths = torch.tensor([5, 3, 1])
    B, T, d = 3, 5, 4
    g = torch.Generator().manual_seed(5)
    x = torch.randn(B, T, d, generator=g, dtype=torch.float64)
    mask = padding_mask(lengths, T)
    for fn in IMPLEMENTATIONS:
        out, weights = fn(x, x, x, mask)
        for b, n in enumerate(lengths.tolist()):
            assert (weights[b, :, n:] == 0).all()
            # a padded name gives its real positions exactly what the unpadded one gives
            alone_out, alone_w = fn(x[b, :n], x[b, :n], x[b, :n])
            torch.testing.assert_close(weights[b, :n, :n], alone_w, **TIGHT)
            torch.testing.assert_close(out[b, :n], alone_out, **TIGHT)


@pytest.mark.parametrize(
    "lengths, T", [([0, 2], 3), ([4, 2], 3), ([-1], None)], ids=["zero", "too-long", "negative"]
)
def test_padding_mask_rejects_bad_lengths(lengths, T):
    with pytest.raises(ValueError, match="lengths must be between 1 and T"):
        padding_mask(lengths, T)


# --------------------------------------------------------------------------- bad input


def _t(*shape):
    return torch.zeros(*shape, dtype=torch.float64)


BAD_SHAPES = [
    pytest.param(_t(5, 4), _t(6, 3), _t(6, 2), None, "same last size d_k", id="d_k"),
    pytest.param(_t(5, 4), _t(6, 4), _t(7, 2), None, "same number of positions T_k", id="T_k"),
    pytest.param(_t(4), _t(6, 4), _t(6, 2), None, r"need shape \(..., T, d\)", id="1-d"),
    pytest.param(_t(2, 5, 4), _t(3, 6, 4), _t(3, 6, 2), None, "do not broadcast", id="batch"),
    pytest.param(_t(0, 4), _t(6, 4), _t(6, 2), None, "at least one position", id="empty"),
    pytest.param(
        _t(5, 4), _t(6, 4), _t(6, 2), torch.ones(5, 5, dtype=torch.bool), "mask of shape", id="mask"
    ),
]


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
@pytest.mark.parametrize("q, k, v, mask, message", BAD_SHAPES)
def test_bad_shapes_raise_value_error_naming_the_shapes(fn, q, k, v, mask, message):
    with pytest.raises(ValueError, match=message) as info:
        fn(q, k, v, mask)
    text = str(info.value)
    for name, t in (("q", q), ("k", k), ("v", v)):
        assert f"{name} {tuple(t.shape)}" in text
    if mask is not None:
        assert str(tuple(mask.shape)) in text


@pytest.mark.parametrize("fn", IMPLEMENTATIONS, ids=IDS)
def test_bad_mask_and_scale_raise_value_error(fn):
    q, k, v = _t(3, 2), _t(3, 2), _t(3, 2)
    with pytest.raises(ValueError, match="mask must be boolean.*torch.int64"):
        fn(q, k, v, torch.ones(3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="mask must be a boolean tensor, got list"):
        fn(q, k, v, [[True] * 3] * 3)
    with pytest.raises(ValueError, match="scale must be True, False or a number, got 'big'"):
        fn(q, k, v, scale="big")
    with pytest.raises(ValueError, match="q must be a tensor"):
        fn([[1.0, 2.0]], k, v)


# --------------------------------------------------------------------------- multi-head


def test_multi_head_matches_torch_multihead_attention():
    torch.manual_seed(0)
    d_model, n_heads, B, T = 8, 2, 3, 5
    theirs = torch.nn.MultiheadAttention(d_model, n_heads, batch_first=True).double()
    ours = MultiHeadAttention(d_model, n_heads).double().load_from_torch(theirs)
    x = torch.randn(B, T, d_model, dtype=torch.float64)
    allowed = causal_mask(T)
    out, weights = ours(x, mask=allowed)
    want_out, want_weights = theirs(
        x, x, x, attn_mask=~allowed, need_weights=True, average_attn_weights=False
    )
    assert weights.shape == (B, n_heads, T, T) and out.shape == (B, T, d_model)
    torch.testing.assert_close(out, want_out, **TIGHT)
    torch.testing.assert_close(weights, want_weights, **TIGHT)
    # causal=True is the same as passing the causal mask
    out_c, weights_c = ours(x, causal=True)
    torch.testing.assert_close(out_c, out, **TIGHT)
    torch.testing.assert_close(weights_c, weights, **TIGHT)


def test_multi_head_heads_are_attention_matrix_on_slices():
    torch.manual_seed(1)
    mha = MultiHeadAttention(6, 3).double()
    x = torch.randn(2, 4, 6, dtype=torch.float64)
    _, weights = mha(x)
    q = mha.q_proj(x).view(2, 4, 3, 2).transpose(1, 2)
    k = mha.k_proj(x).view(2, 4, 3, 2).transpose(1, 2)
    v = mha.v_proj(x).view(2, 4, 3, 2).transpose(1, 2)
    _, want = attention_matrix(q, k, v)
    torch.testing.assert_close(weights, want, **TIGHT)


def test_multi_head_rejects_bad_sizes():
    with pytest.raises(ValueError, match="d_model=10 is not divisible by n_heads=3"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match=r"x must be \(B, T, d_model=8\), got \(5, 8\)"):
        MultiHeadAttention(8, 2)(torch.randn(5, 8))
    with pytest.raises(ValueError, match="sizes differ"):
        MultiHeadAttention(8, 2).load_from_torch(torch.nn.MultiheadAttention(8, 4))


# --------------------------------------------------------------------------- notebooks 04 and 05


def test_notebooks_04_and_05_show_the_same_attention_of_abhishek():
    """Notebook 05 claims to redo notebook 04 on the same name and weights: both committed
    notebooks print the first row of weights, and it is the row these seeded layers give."""
    import nbformat

    from attention_utils import set_seed
    from attention_utils.vocab import CharTable

    folder = Path(__file__).resolve().parent.parent / "notebooks"
    paths = [folder / "04_attention_loops.ipynb", folder / "05_attention_matrix.ipynb"]
    if not all(p.exists() for p in paths):
        pytest.skip("notebooks 04 and 05 are not in the tree")
    set_seed(0)
    table = CharTable(["$", "^", *"abcdefghijklmnopqrstuvwxyz"])
    embedding = torch.nn.Embedding(len(table), 8)
    value = torch.nn.Linear(8, 8, bias=False)
    query = torch.nn.Linear(8, 4, bias=False)
    key = torch.nn.Linear(8, 4, bias=False)
    with torch.no_grad():
        x = embedding(table.encode("^abhishek$"))
        _, weights = attention_loops(query(x), key(x), value(x), scale=False)
    want = str(weights[0].numpy().round(3))
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        printed = [
            line.split(":", 1)[1].strip()
            for cell in nb.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            for line in out.get("text", "").splitlines()
            if line.startswith("first row")
        ]
        assert printed, f"{path.name} prints no first row of weights"
        assert all(row == want for row in printed), (path.name, printed, want)


# =========================================================================== MultiHeadAttention

MH_SETTINGS = settings(max_examples=40, deadline=None)


def _pair(seed: int, d_model: int, n_heads: int, bias: bool = True):
    """A torch module with random weights (biases too, so they are not all zero) and ours."""
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True)
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_(0, 0.5)
    ours = MultiHeadAttention(d_model, n_heads, bias=bias).load_from_torch(theirs)
    return theirs, ours


@MH_SETTINGS
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


@MH_SETTINGS
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
