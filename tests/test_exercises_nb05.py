"""attention_utils.exercises.nb05: reference solutions pass, typical mistakes fail with the
message meant for them."""

from __future__ import annotations

import math

import pytest
import torch
from support import fails, passes

from attention_utils.attention import attention_matrix, padding_mask
from attention_utils.exercises import nb05


@pytest.fixture()
def qk():
    g = torch.Generator().manual_seed(0)
    return torch.randn(10, 4, generator=g), torch.randn(10, 4, generator=g)


# =========================================================================== notebook 05

# --------------------------------------------------------------------------- exercise 1


def scaled_weights(q, k):
    """The reference solution of exercise 1."""
    return torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1)


def test_scaled_weights_reference_passes():
    passes(nb05.check_scaled_weights(scaled_weights))


def test_scaled_weights_refuses_what_is_on_the_page(qk):
    """The shortcuts: the weights the notebook computed above the exercise (a fixed matrix
    whatever Q and K are), and the package's attention."""
    q, k = qk
    on_the_page = scaled_weights(q, k)
    fails(nb05.check_scaled_weights(lambda Q, K: on_the_page), "shape (10, 10)")
    fails(
        nb05.check_scaled_weights(lambda Q, K: attention_matrix(Q, K, K)[1]),
        "package's attention_matrix",
    )


def _root(q):
    return math.sqrt(q.shape[-1])


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda q, k: torch.softmax(q @ k.T, -1), "is not scaled"),
        (lambda q, k: torch.softmax(q @ k.T * _root(q), -1), "multiplied by sqrt(d_k) = 3"),
        (lambda q, k: torch.softmax(q @ k.T / q.shape[-1], -1), "divided by d_k = 9"),
        (lambda q, k: torch.softmax(q @ k.T / _root(q), 0), "the columns sum to 1"),
        (lambda q, k: q @ k.T / _root(q), "the softmax is missing"),
        (lambda q, k: scaled_weights(q, k).T, "transposed"),
        (lambda q, k: scaled_weights(q, k)[:, :4], "has shape (7, 4)"),
        (lambda q, k: torch.softmax(k @ q.T / _root(q), -1), "values differ"),
    ],
    ids=["unscaled", "multiplied", "by-d_k", "columns", "no-softmax", "transposed", "shape", "kq"],
)
def test_scaled_weights_mistakes(wrong, message):
    fails(nb05.check_scaled_weights(wrong), message)


# --------------------------------------------------------------------------- exercise 2


def masked_by_hand(q, k, mask, scale=None, fill=float("-inf")):
    """The reference solution of exercise 2 (``scale`` and ``fill`` to make mistakes)."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    return torch.softmax(scores.masked_fill(~mask, fill), dim=-1)


def test_masked_weights_reference_passes():
    passes(nb05.check_masked_weights(masked_by_hand))
    passes(nb05.check_masked_weights(lambda q, k, m: masked_by_hand(q, k, m, fill=-1e9)))


def test_masked_weights_refuses_what_is_on_the_page():
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(4, 10, 8, generator=g), torch.randn(4, 10, 8, generator=g)
    on_the_page = masked_by_hand(q, k, padding_mask([10, 8, 6, 4], T=10))
    fails(nb05.check_masked_weights(lambda Q, K, m: on_the_page), "shape (4, 10, 10)")
    fails(
        nb05.check_masked_weights(lambda Q, K, m: attention_matrix(Q, K, K, m)[1]),
        "package's attention_matrix",
    )


@pytest.mark.parametrize(
    "wrong, message",
    [
        (
            lambda q, k, m: torch.softmax(q @ k.transpose(1, 2) / _root(q), -1).masked_fill(~m, 0),
            "rows no longer sum to 1",
        ),
        (lambda q, k, m: masked_by_hand(q, k, m, fill=0.0), "exp(0) = 1"),
        (lambda q, k, m: masked_by_hand(q, k, ~m), "the wrong way round"),
        (lambda q, k, m: torch.softmax(q @ k.transpose(1, 2) / _root(q), -1), "ignore the mask"),
        (lambda q, k, m: masked_by_hand(q, k, m, scale=1.0), "masked but not scaled"),
        (lambda q, k, m: masked_by_hand(q, k, m)[0], "has shape (5, 5)"),
    ],
    ids=["after-softmax", "fill-zero", "inverted", "no-mask", "unscaled", "one-name"],
)
def test_masked_weights_mistakes(wrong, message):
    fails(nb05.check_masked_weights(wrong), message)


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
