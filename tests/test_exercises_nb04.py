"""attention_utils.exercises.nb04: reference solutions pass, typical mistakes fail with the
message meant for them."""

from __future__ import annotations

import math

import pytest
import torch
from support import fails, passes

from attention_utils.attention import attention_loops
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


def test_attention_row_reference_passes():
    passes(nb04.check_attention_row(row_by_hand))
    passes(nb04.check_attention_row(lambda q, k, i: torch.softmax(q @ k.T, -1)[i].tolist()))


def test_attention_row_refuses_the_row_on_the_page(qk):
    """The shortcut: the row of query s taken from the notebook's own weights (the check asks
    for other queries of other q and k), or the package's attention."""
    q, k = qk
    weights = torch.softmax(q @ k.T, -1)
    fails(nb04.check_attention_row(lambda q_, k_, i: weights[5]), "has shape (10,)")
    fails(nb04.check_attention_row(lambda q_, k_, i: weights[i][: len(k_)]), "sum to 1")
    fails(
        nb04.check_attention_row(lambda q, k, i: attention_loops(q, k, k, scale=False)[1][i]),
        "package's attention_loops",
    )


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda q, k, i: torch.stack([q[i] @ k[j] for j in range(len(k))]), "raw scores"),
        (lambda q, k, i: torch.exp(q[i] @ k.T), "did not divide by their total"),
        (lambda q, k, i: torch.softmax(q @ k[i], -1), "a column of the scores"),
        (lambda q, k, i: torch.softmax(q[i] @ k.T / 2, -1), "divided by sqrt(d_k) = 2"),
        (lambda q, k, i: torch.softmax(q @ k.T, -1), "the whole weights matrix"),
        (lambda q, k, i: torch.softmax(q[i] @ k.T, -1)[:-1], "has shape (5,)"),
        (lambda q, k, i: ..., "still empty"),
        (lambda q, k, i: "0.1", "should be a tensor"),
        (lambda q, k, i: torch.full((len(k),), 1 / len(k)), "values differ"),
    ],
    ids=["scores", "exp", "column", "scaled", "matrix", "short", "empty", "string", "uniform"],
)
def test_attention_row_mistakes(wrong, message):
    fails(nb04.check_attention_row(wrong), message)


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

    def one_dot_per_pair(q, k):
        return torch.stack([torch.stack([torch.dot(qi, kj) for kj in k]) for qi in q])

    passes(nb04.check_scores_function(one_dot_per_pair))  # any correct answer with loops


@pytest.mark.parametrize(
    "shortcut, operation",
    [
        (lambda q, k: q @ k.T, "matmul"),
        (lambda q, k: (q[:, None, :] * k[None, :, :]).sum(-1), "mul"),
        (lambda q, k: torch.einsum("id,jd->ij", q, k), "einsum"),
    ],
    ids=["matmul", "broadcast", "einsum"],
)
def test_scores_function_refuses_matrix_products(shortcut, operation):
    """Exercise 2 asks for loops: a whole matrix computed in one operation does not pass, even
    though its numbers are right."""
    fails(nb04.check_scores_function(shortcut), "whole matrix at once", operation, "loops")


def _not_written(q, k):
    raise NotImplementedError


def _crashes(q, k):
    return q @ k  # (T_q, d) @ (T_k, d): a shape error


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda q, k: scores_by_loops(k, q), "transposed"),
        (
            lambda q, k: scores_by_loops(q, k) / math.sqrt(q.shape[1]),
            "divided by sqrt(d_k) = 2 once too often",
        ),
        (lambda q, k: torch.softmax(scores_by_loops(q, k), -1), "already applies the softmax"),
        (
            lambda q, k: torch.stack([(q[i] * k[i]).sum() for i in range(len(q))]),
            "pairs query i only with key i",
        ),
        (_not_written, "not written yet"),
        (_crashes, "raised RuntimeError"),
        ("scores", "should be a function"),
        (lambda q, k: scores_by_loops(q, k) + 1, "values differ"),
    ],
    ids=["transposed", "scaled", "softmax", "diagonal", "todo", "crash", "not-callable", "off"],
)
def test_scores_function_mistakes(wrong, message):
    fails(nb04.check_scores_function(wrong), message)


def test_scores_function_transposed_non_square_is_named():
    # only right on square inputs: the non-square case gives the transposed shape
    def transposed_when_not_square(q, k):
        return scores_by_loops(q, k) if len(q) == len(k) else scores_by_loops(k, q)

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
    passes(
        nb04.check_attend(
            lambda w, v: torch.stack([sum(wi[j] * v[j] for j in range(len(v))) for wi in w])
        )
    )


def sum_over_queries(w, v):
    out = torch.zeros(v.shape)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            out[j] += w[i, j] * v[j]
    return out


def test_attend_refuses_matrix_products():
    fails(nb04.check_attend(lambda w, v: w @ v), "whole matrix at once", "matmul")
    fails(nb04.check_attend(lambda w, v: torch.einsum("ij,jd->id", w, v)), "einsum")


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda w, v: attend(w.T, v), "sums over the queries"),
        (lambda w, v: v.sum(0).expand(w.shape[0], -1), "without weighting them"),
        (lambda w, v: v.mean(0).expand(w.shape[0], -1), "averages the values equally"),
        (lambda w, v: attend(w, v[:, :1]), "has shape (5, 1)"),
        (sum_over_queries, "over the queries (axis 0)"),
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
