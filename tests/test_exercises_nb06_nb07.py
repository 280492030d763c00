"""The exercise checks of notebooks 06 and 07: reference solutions pass, and the typical wrong
answers (transposed, unmasked, swapped, wrong shape, not written yet) fail with the message
meant for them."""

from __future__ import annotations

import math

import einops
import pytest
import torch

from attention_utils.exercises import nb06, nb07

# --------------------------------------------------------------------------- nb06, exercise 1


def causal(T):
    return torch.tril(torch.ones(T, T, dtype=torch.bool))


def causal_other_way(T):  # another correct answer: compare position numbers
    i = torch.arange(T)
    return i[None, :] <= i[:, None]


def _todo(*args):
    raise NotImplementedError


def test_causal_mask_reference_and_other_correct_answers_pass():
    for fn in (causal, causal_other_way):
        result = nb06.check_causal_mask(fn)
        assert result.passed, result.message


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda T: ~causal(T), "True and False swapped"),
        (lambda T: causal(T).T, "is transposed"),
        (lambda T: causal(T).tril(-1), "diagonal False"),
        (lambda T: torch.ones(T, T, dtype=torch.bool), "all True"),
        (lambda T: torch.ones(T, T).tril(), "make it boolean"),
        (lambda T: causal(T + 1), "should be (T, T)"),
        (lambda T: causal(T).tolist(), "should return a tensor"),
        (lambda T: causal(T) & (torch.arange(T) != 0), "entries are wrong"),
        (_todo, "not written yet"),
        (lambda T: torch.tril(T), "raised"),
        (None, "still empty"),
    ],
)
def test_causal_mask_wrong_answers(fn, message):
    result = nb06.check_causal_mask(fn)
    assert not result.passed
    assert message in result.message, result.message


# --------------------------------------------------------------------------- nb06, exercise 2


@pytest.fixture()
def scores():
    return torch.randn(10, 10, generator=torch.Generator().manual_seed(3)) * 2


def test_masked_weights_reference_passes(scores):
    allowed = causal(10)
    weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    result = nb06.check_masked_weights(weights, scores)
    assert result.passed, result.message
    # a very negative number instead of -inf is just as right
    weights = torch.softmax(scores.masked_fill(~allowed, -1e9), dim=-1)
    assert nb06.check_masked_weights(weights, scores).passed


def test_masked_weights_wrong_answers(scores):
    allowed = causal(10)
    right = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    cases = [
        (torch.softmax(scores, -1), "without the mask"),
        (torch.softmax(scores, -1) * allowed, "after the softmax"),
        (torch.softmax(scores.masked_fill(~allowed, 0.0), -1), "mask forbids"),
        (torch.softmax(scores.masked_fill(allowed, float("-inf")), -1), "NaN"),
        (torch.softmax(scores.masked_fill(allowed, -1e9), -1), "mask forbids"),
        (right.T, "transposed"),
        (right[:9], "has shape (9, 10)"),
        (..., "still empty"),
        (torch.softmax(scores.masked_fill(~allowed, float("-inf")), 0), "sum to 1"),
    ]
    for weights, message in cases:
        result = nb06.check_masked_weights(weights, scores)
        assert not result.passed, message
        assert message in result.message, (message, result.message)


# --------------------------------------------------------------------------- nb06, exercise 3


def sinusoidal(T, d_model):
    P = torch.zeros(T, d_model)
    t = torch.arange(T).float()[:, None]
    freq = 1 / 10000 ** (torch.arange(0, d_model, 2).float() / d_model)
    P[:, 0::2] = torch.sin(t * freq)
    P[:, 1::2] = torch.cos(t * freq)
    return P


def sinusoidal_loops(T, d_model):
    return torch.tensor(
        [
            [
                math.sin(t / 10000 ** (i / d_model))
                if i % 2 == 0
                else math.cos(t / 10000 ** ((i - 1) / d_model))
                for i in range(d_model)
            ]
            for t in range(T)
        ]
    )


def test_sinusoidal_reference_and_loops_pass():
    for fn in (sinusoidal, sinusoidal_loops):
        result = nb06.check_sinusoidal(fn)
        assert result.passed, result.message


def _swapped(T, d):
    P = sinusoidal(T, d)
    return torch.stack([P[:, 1::2], P[:, 0::2]], dim=-1).reshape(T, d)


def _wrong_freq(T, d):
    P = torch.zeros(T, d)
    t = torch.arange(T).float()[:, None]
    freq = 1 / 10000 ** (torch.arange(0, d // 2).float() / d)  # i instead of 2i
    P[:, 0::2], P[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
    return P


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (_swapped, "sin and cos are swapped"),
        (
            lambda T, d: torch.cat([sinusoidal(T, d)[:, 0::2], sinusoidal(T, d)[:, 1::2]], 1),
            "alternate",
        ),
        (_wrong_freq, "frequency of pair i"),
        (lambda T, d: sinusoidal(T, d).T, "one row per position"),
        (lambda T, d: sinusoidal(T + 1, d), "has shape"),
        (_todo, "not written yet"),
    ],
)
def test_sinusoidal_wrong_answers(fn, message):
    result = nb06.check_sinusoidal(fn)
    assert not result.passed
    assert message in result.message, result.message


# --------------------------------------------------------------------------- nb07, exercise 1


def test_head_shapes_reference_passes():
    assert nb07.check_head_shapes((3, 4, 12, 4), (3, 4, 12, 12)).passed
    assert nb07.check_head_shapes(torch.Size([3, 4, 12, 4]), [3, 4, 12, 12]).passed


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
    assert not result.passed
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
        (_todo, "not written yet"),
    ],
)
def test_split_heads_wrong_answers(fn, message):
    result = nb07.check_split_heads(fn)
    assert not result.passed
    assert message in result.message, result.message


# --------------------------------------------------------------------------- nb07, exercise 3


def n_params(d_model, n_heads):
    return 4 * d_model * d_model + 4 * d_model


def test_param_count_reference_passes():
    assert nb07.check_param_count(n_params).passed
    assert nb07.check_param_count(lambda d, h: float(4 * d * (d + 1))).passed


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda d, h: 4 * d * d, "have biases too"),
        (lambda d, h: 3 * d * d + 3 * d, "four projections"),
        (lambda d, h: (4 * d * d + 4 * d) * h, "share the projections"),
        (lambda d, h: 4 * d * d // h + 4 * d, "slice of the full projections"),
        (lambda d, h: 4 * d * d + 4 * d + 1, "too high"),
        (lambda d, h: "1088", "whole number"),
        (_todo, "not written yet"),
    ],
)
def test_param_count_wrong_answers(fn, message):
    result = nb07.check_param_count(fn)
    assert not result.passed
    assert message in result.message, result.message
