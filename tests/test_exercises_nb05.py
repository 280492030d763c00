"""attention_utils.exercises.nb05: reference solutions pass, typical mistakes fail with the
message meant for them."""

from __future__ import annotations

import math

import pytest
import torch
from support import fails, passes

from attention_utils.attention import padding_mask
from attention_utils.exercises import nb05


@pytest.fixture()
def qk():
    g = torch.Generator().manual_seed(0)
    return torch.randn(10, 4, generator=g), torch.randn(10, 4, generator=g)


# =========================================================================== notebook 05

# --------------------------------------------------------------------------- exercise 1


def test_scaled_weights_reference_passes(qk):
    q, k = qk
    weights = torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1)
    passes(nb05.check_scaled_weights(weights, q, k))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda q, k: torch.softmax(q @ k.T, -1), "is not scaled"),
        (lambda q, k: torch.softmax(q @ k.T * 2, -1), "multiplied by sqrt(d_k) = 2 instead"),
        (lambda q, k: torch.softmax(q @ k.T / 4, -1), "divided by d_k = 4"),
        (lambda q, k: torch.softmax(q @ k.T / 2, 0), "the columns sum to 1"),
        (lambda q, k: q @ k.T / 2, "the softmax is missing"),
        (lambda q, k: torch.softmax(q @ k.T / 2, -1).T, "transposed"),
        (lambda q, k: torch.softmax(q @ k.T / 2, -1)[:, :4], "has shape (10, 4)"),
        (lambda q, k: torch.softmax(k @ q.T / 2, -1), "values differ"),
    ],
    ids=["unscaled", "multiplied", "by-d_k", "columns", "no-softmax", "transposed", "shape", "kq"],
)
def test_scaled_weights_mistakes(qk, wrong, message):
    q, k = qk
    fails(nb05.check_scaled_weights(wrong(q, k), q, k), message)


# --------------------------------------------------------------------------- exercise 2


@pytest.fixture()
def batch():
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(3, 6, 4, generator=g), torch.randn(3, 6, 4, generator=g)
    return q, k, padding_mask([6, 2, 4], T=6)


def masked_by_hand(q, k, mask, scale=0.5, fill=float("-inf")):
    scores = q @ k.transpose(-2, -1) * scale
    return torch.softmax(scores.masked_fill(~mask, fill), dim=-1)


def test_masked_weights_reference_passes(batch):
    q, k, mask = batch
    passes(nb05.check_masked_weights(masked_by_hand(q, k, mask), q, k, mask))
    passes(nb05.check_masked_weights(masked_by_hand(q, k, mask, fill=-1e9), q, k, mask))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (
            lambda q, k, m: torch.softmax(q @ k.transpose(1, 2) / 2, -1).masked_fill(~m, 0),
            "rows no longer sum to 1",
        ),
        (lambda q, k, m: masked_by_hand(q, k, m, fill=0.0), "exp(0) = 1"),
        (lambda q, k, m: masked_by_hand(q, k, ~m), "the wrong way round"),
        (lambda q, k, m: torch.softmax(q @ k.transpose(1, 2) / 2, -1), "ignore the mask"),
        (lambda q, k, m: masked_by_hand(q, k, m, scale=1.0), "masked but not scaled"),
        (lambda q, k, m: masked_by_hand(q, k, m)[0], "has shape (6, 6)"),
    ],
    ids=["after-softmax", "fill-zero", "inverted", "no-mask", "unscaled", "one-name"],
)
def test_masked_weights_mistakes(batch, wrong, message):
    q, k, mask = batch
    fails(nb05.check_masked_weights(wrong(q, k, mask), q, k, mask), message)


# --------------------------------------------------------------------------- exercise 3


def my_attention(q, k, v, mask=None):
    """The reference solution of exercise 3."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def test_attention_function_reference_passes():
    passes(nb05.check_attention_function(my_attention))


def _unscaled(q, k, v, mask=None):
    weights = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
    return weights @ v, weights


def _no_mask(q, k, v, mask=None):
    return my_attention(q, k, v)


def _swapped(q, k, v, mask=None):
    out, weights = my_attention(q, k, v, mask)
    return weights, out


def _transposed_2d(q, k, v, mask=None):
    scores = torch.mm(q, k.t()) / math.sqrt(q.shape[-1])  # only works without batch axes
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def _sum_over_queries(q, k, v, mask=None):
    _, weights = my_attention(q, k, v, mask)
    return weights.transpose(-2, -1) @ v, weights


@pytest.mark.parametrize(
    "wrong, message",
    [
        (_unscaled, "is not scaled"),
        (_no_mask, "ignore the mask"),
        (_swapped, "returns (weights, out)"),
        (lambda q, k, v, mask=None: my_attention(q, k, v, mask)[1], "should return a pair"),
        (_transposed_2d, "raised RuntimeError"),
        (_sum_over_queries, "sums over the queries"),
        (lambda q, k, v, mask=None: ..., "got ellipsis"),
    ],
    ids=["unscaled", "no-mask", "swapped", "weights-only", "2d-only", "queries", "empty"],
)
def test_attention_function_mistakes(wrong, message):
    fails(nb05.check_attention_function(wrong), message)


def test_spread_prediction_within_ten_percent_of_the_measurement():
    passes(nb05.check_spread_prediction(32))
    passes(nb05.check_spread_prediction(math.sqrt(1024) * 1.05))
    for wrong in (1024, 1, 16):
        result = nb05.check_spread_prediction(wrong)
        fails(result, "sqrt(1024)")
    passes(nb05.check_spread_prediction(8, d_k=64))
