"""attention_utils.exercises.nb04: reference solutions pass, typical mistakes fail with the
message meant for them."""

from __future__ import annotations

import math

import pytest
import torch
from support import fails, passes

from attention_utils.exercises import nb04


@pytest.fixture()
def qk():
    g = torch.Generator().manual_seed(0)
    return torch.randn(10, 4, generator=g), torch.randn(10, 4, generator=g)


# =========================================================================== notebook 04

# --------------------------------------------------------------------------- exercise 1


def row_by_hand(q, k, i):
    """The reference solution of exercise 1, written as in the notebook."""
    scores = torch.stack([q[i] @ k[j] for j in range(len(k))])
    exps = torch.exp(scores)
    return exps / exps.sum()


def test_attention_row_reference_passes(qk):
    q, k = qk
    passes(nb04.check_attention_row(row_by_hand(q, k, 5), q, k, 5))
    passes(nb04.check_attention_row(torch.softmax(q @ k.T, -1)[2].tolist(), q, k, 2))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda q, k, i: torch.stack([q[i] @ k[j] for j in range(len(k))]), "raw scores"),
        (lambda q, k, i: torch.exp(q[i] @ k.T), "did not divide by their total"),
        (lambda q, k, i: torch.softmax(q @ k[i], -1), "a column of the scores"),
        (lambda q, k, i: torch.softmax(q[i] @ k.T / 2, -1), "divided by sqrt(d_k) = 2"),
        (lambda q, k, i: torch.softmax(q @ k.T, -1), "the whole weights matrix"),
        (lambda q, k, i: torch.softmax(q[i] @ k.T, -1)[:-1], "has shape (9,)"),
        (lambda q, k, i: ..., "still empty"),
        (lambda q, k, i: "0.1", "should be a tensor"),
        (lambda q, k, i: torch.full((10,), 0.1), "values differ"),
    ],
    ids=["scores", "exp", "column", "scaled", "matrix", "short", "empty", "string", "uniform"],
)
def test_attention_row_mistakes(qk, wrong, message):
    q, k = qk
    fails(nb04.check_attention_row(wrong(q, k, 5), q, k, 5), message)


# --------------------------------------------------------------------------- exercise 2


def scores_by_loops(q, k):
    """The reference solution of exercise 2."""
    scores = torch.zeros(len(q), len(k))
    for i in range(len(q)):
        for j in range(len(k)):
            scores[i, j] = sum(q[i, d] * k[j, d] for d in range(q.shape[1]))
    return scores


def test_scores_function_reference_passes():
    passes(nb04.check_scores_function(scores_by_loops))
    passes(nb04.check_scores_function(lambda q, k: q @ k.T))  # any correct answer


def _not_written(q, k):
    raise NotImplementedError


def _crashes(q, k):
    return q @ k  # (T_q, d) @ (T_k, d): a shape error


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda q, k: k @ q.T, "transposed"),
        (lambda q, k: q @ k.T / math.sqrt(q.shape[1]), "divided by sqrt(d_k) = 2 once too often"),
        (lambda q, k: torch.softmax(q @ k.T, -1), "already applies the softmax"),
        (lambda q, k: (q * k).sum(-1), "pairs query i only with key i"),
        (_not_written, "not written yet"),
        (_crashes, "raised RuntimeError"),
        ("scores", "should be a function"),
        (lambda q, k: q @ k.T + 1, "values differ"),
    ],
    ids=["transposed", "scaled", "softmax", "diagonal", "todo", "crash", "not-callable", "off"],
)
def test_scores_function_mistakes(wrong, message):
    fails(nb04.check_scores_function(wrong), message)


def test_scores_function_transposed_non_square_is_named():
    # only right on square inputs: the non-square case gives the transposed shape
    def transposed_when_not_square(q, k):
        return q @ k.T if len(q) == len(k) else k @ q.T

    fails(nb04.check_scores_function(transposed_when_not_square), "transposed", "(3, 2)")


# --------------------------------------------------------------------------- exercise 3


def attend(weights, v):
    """The reference solution of exercise 3."""
    out = torch.zeros(weights.shape[0], v.shape[1])
    for i in range(weights.shape[0]):
        for j in range(weights.shape[1]):
            out[i] += weights[i, j] * v[j]
    return out


def test_attend_reference_passes():
    passes(nb04.check_attend(attend))
    passes(nb04.check_attend(lambda w, v: torch.einsum("ij,jd->id", w, v)))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda w, v: w.T @ v, "sums over the queries"),
        (lambda w, v: v.sum(0).expand(w.shape[0], -1), "without weighting them"),
        (lambda w, v: v.mean(0).expand(w.shape[0], -1), "averages the values equally"),
        (lambda w, v: w @ v[:, :1], "has shape (5, 1)"),
        (lambda w, v: (w[:, :, None] * v[None]).sum(0), "over the queries (axis 0)"),
    ],
    ids=["transposed", "unweighted", "mean", "shape", "wrong-axis"],
)
def test_attend_mistakes(wrong, message):
    fails(nb04.check_attend(wrong), message)


# --------------------------------------------------------------------------- exercise 4


def test_weight_sum_prediction_is_the_number_of_rows():
    weights = torch.softmax(torch.randn(7, 7, generator=torch.Generator().manual_seed(4)), -1)
    passes(nb04.check_weight_sum_prediction(7, weights))
    passes(nb04.check_weight_sum_prediction(7.0004, weights))
    fails(nb04.check_weight_sum_prediction(1, weights), "7 rows", "columns need not")
    fails(nb04.check_weight_sum_prediction(..., weights), "prediction first")
