"""attention_utils.exercises.nb07: the checks of notebook 07 (many heads)."""

from __future__ import annotations

import einops
import pytest
import torch
from support import fails, not_written, passes

from attention_utils.exercises import nb07

# --------------------------------------------------------------------------- nb07, exercise 1


def test_head_shapes_reference_passes():
    passes(nb07.check_head_shapes((3, 4, 12, 4), (3, 4, 12, 12)))
    passes(nb07.check_head_shapes(torch.Size([3, 4, 12, 4]), [3, 4, 12, 12]))


@pytest.mark.parametrize(
    ("q_shape", "w_shape", "message"),
    [
        ((3, 12, 4, 4), (3, 4, 12, 12), "head axis comes before the time axis"),
        ((3, 4, 12, 16), (3, 4, 12, 12), "does not see all d_model features"),
        ((3, 12, 16), (3, 4, 12, 12), "has 3 axes"),
        ((3, 4, 12, 4), (3, 12, 12), "its own attention map"),
        ((3, 4, 12, 4), (3, 4, 12, 4), "compare positions with positions"),
        ((3, 4, 4, 12), (3, 4, 12, 12), "not right"),
        (..., (3, 4, 12, 12), "still empty"),
        ((3.0, 4, 12, 4), (3, 4, 12, 12), "tuple of whole numbers"),
    ],
)
def test_head_shapes_wrong_answers(q_shape, w_shape, message):
    result = nb07.check_head_shapes(q_shape, w_shape)
    fails(result)
    assert message in result.message, result.message


# --------------------------------------------------------------------------- nb07, exercise 2


def split_heads(x, n_heads):
    return einops.rearrange(x, "b t (h d) -> b h t d", h=n_heads)


def split_heads_view(x, n_heads):
    B, T, d_model = x.shape
    return x.view(B, T, n_heads, d_model // n_heads).transpose(1, 2)


def test_split_heads_reference_and_view_transpose_pass():
    for fn in (split_heads, split_heads_view):
        result = nb07.check_split_heads(fn)
        assert result.passed, result.message


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda x, h: einops.rearrange(x, "b t (d h) -> b h t d", h=h), "'(h d)'"),
        (lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1), "reshapes without moving"),
        (lambda x, h: einops.rearrange(x, "b t (h d) -> b t h d", h=h), "head axis before"),
        (lambda x, h: split_heads(x, h).transpose(-2, -1), "transposed"),
        (lambda x, h: split_heads(x, h)[:, :, :-1], "has shape"),
        (lambda x, h: einops.rearrange(x, "b t (h d) -> b h t d"), "raised"),
        (not_written, "not written yet"),
    ],
)
def test_split_heads_wrong_answers(fn, message):
    result = nb07.check_split_heads(fn)
    fails(result)
    assert message in result.message, result.message


# --------------------------------------------------------------------------- nb07, exercise 3


def causal_mult_adds(d_model, n_heads, T):
    return 4 * T * d_model**2 + T * (T + 1) * d_model


def test_causal_mult_adds_reference_passes():
    passes(nb07.check_causal_mult_adds(causal_mult_adds))
    passes(nb07.check_causal_mult_adds(lambda d, h, T: float(causal_mult_adds(d, h, T))))

    def counted(d_model, n_heads, T):  # the pairs the mask leaves, one by one
        pairs = sum(1 for i in range(T) for j in range(T) if j <= i)
        return 4 * T * d_model**2 + 2 * pairs * d_model

    passes(nb07.check_causal_mult_adds(counted))


def test_causal_mult_adds_has_no_reference_to_wrap():
    """The shortcut was a lambda around the check module's own reference function: there is
    none to import now (the check counts the mask itself)."""
    assert not [name for name in dir(nb07) if "reference" in name]


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda d, h, T: 4 * T * d * d + 2 * T * T * d, "all T² pairs"),
        (lambda d, h, T: T * (T + 1) * d, "projections cost"),
        (lambda d, h, T: 4 * T * d * d + T * (T - 1) * d, "look at itself"),
        (lambda d, h, T: 4 * T * d * d + T * (T + 1) * d * h, "heads split d_model"),
        (lambda d, h, T: 4 * T * d * d + T * (T + 1) // 2 * d, "weighted sum"),
        (lambda d, h, T: causal_mult_adds(d, h, T) + 1, "too high"),
        (lambda d, h, T: "1088", "whole number"),
        (not_written, "not written yet"),
    ],
)
def test_causal_mult_adds_wrong_answers(fn, message):
    result = nb07.check_causal_mult_adds(fn)
    fails(result)
    assert message in result.message, result.message
