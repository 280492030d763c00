"""Checks for the exercises of notebook 04 (attention by loops).

Notebook 04 works with *unscaled* scores, ``score[i, j] = q_i . k_j``; the checks here expect
that form and say so when an answer was scaled by ``1/sqrt(d_k)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from attention_utils.exercises.core import Result, call_answer, check_prediction, diagnose


def _cases(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Test pairs (q, k): square, more keys than queries, a single query."""
    g = torch.Generator().manual_seed(seed)
    sizes = [(6, 6, 4), (3, 5, 2), (1, 4, 3)]
    return [
        (torch.randn(t_q, d, generator=g), torch.randn(t_k, d, generator=g))
        for t_q, t_k, d in sizes
    ]


# --------------------------------------------------------------------------- exercise 1


def check_attention_row(fn: Callable) -> Result:
    """Exercise 2: ``row_by_hand(q, k, i)`` -> the unscaled attention weights of query ``i``
    over every key, ``(T_k,)``. The check makes its own q and k (other names' sizes) and
    queries, so no row computed in the notebook can pass."""
    what = "row_by_hand"
    cases = [(q, k, i) for (q, k), i in zip(_cases(seed=1), (4, 2, 0), strict=True)]
    for q, k, i in cases:
        got = call_answer(fn, what, q.clone(), k.clone(), i, alone=True)
        if isinstance(got, Result):
            return got
        result = _row_verdict(got, q, k, i, f"{what}(q {tuple(q.shape)}, k {tuple(k.shape)}, {i})")
        if not result:
            return result
    return Result.ok(
        f"{what} gives a row that sums to 1 and says how much query i takes from each key, "
        f"for {len(cases)} queries of other sizes."
    )


def _row_verdict(row, q: torch.Tensor, k: torch.Tensor, i: int, what: str) -> Result:
    scores = q[i] @ k.T  # (T_k,)
    want = torch.softmax(scores, dim=-1)
    root = math.sqrt(q.shape[-1])
    mistakes = [
        (scores, "these are the raw scores: turn them into weights with a softmax over the keys."),
        (
            torch.exp(scores),
            "you took the exponentials but did not divide by their total, so they do not sum to 1.",
        ),
        (
            torch.softmax(q @ k[i], dim=-1) if q.shape[0] > i < k.shape[0] else want.new_zeros(0),
            f"that is key {i} scored against every query (a column of the scores): a row "
            f"fixes query {i} and runs over the keys.",
        ),
        (
            torch.softmax(scores / root, dim=-1),
            f"the scores were divided by sqrt(d_k) = {root:.3g}: in this notebook they are not "
            "scaled yet.",
        ),
    ]
    if isinstance(row, torch.Tensor) and row.dim() == 2 and row.shape[0] == q.shape[0]:
        return Result.fail(
            f"{what} is the whole weights matrix {tuple(row.shape)}: the exercise asks for the "
            f"row of query {i} only."
        )
    return diagnose(row, want, what, mistakes, rows_sum_to_one=True)


# --------------------------------------------------------------------------- exercise 2


def check_scores_function(fn: Callable) -> Result:
    """Exercise 3: ``scores_by_loops(q, k)`` -> unscaled scores ``(T_q, T_k)`` for any sizes."""
    what = "scores_by_loops"
    for q, k in _cases(seed=4):
        got = call_answer(fn, what, q.clone(), k.clone(), alone=True, loops=True)
        if isinstance(got, Result):
            return got
        want = q @ k.T
        shapes = f"(q {tuple(q.shape)}, k {tuple(k.shape)})"
        mistakes = [
            (
                torch.softmax(want, dim=-1),
                f"{what}{shapes} already applies the softmax: return the raw scores.",
            ),
            (
                (q * k[: q.shape[0]]).sum(-1) if k.shape[0] >= q.shape[0] else want.new_zeros(0),
                f"{what}{shapes} pairs query i only with key i: every query needs a score with "
                "every key (two loops).",
            ),
        ]
        result = diagnose(
            got, want, f"{what}{shapes}", mistakes, d_k=q.shape[-1], success="it matches."
        )
        if not result:
            return result
    return Result.ok(
        f"{what} gives the right scores for square and non-square q and k ({len(_cases(4))} cases)."
    )


# --------------------------------------------------------------------------- exercise 3


def check_attend(fn: Callable) -> Result:
    """Exercise 4: ``attend(weights, v)`` -> ``out (T_q, d_v)``, ``out[i] = sum_j w[i, j] v_j``."""
    what = "attend"
    g = torch.Generator().manual_seed(5)
    cases = [(5, 5, 3), (2, 4, 6), (1, 3, 2)]
    for t_q, t_k, d_v in cases:
        weights = torch.softmax(torch.randn(t_q, t_k, generator=g) * 2, dim=-1)
        v = torch.randn(t_k, d_v, generator=g)
        got = call_answer(fn, what, weights.clone(), v.clone(), alone=True, loops=True)
        if isinstance(got, Result):
            return got
        want = weights @ v
        shapes = f"(weights {tuple(weights.shape)}, v {tuple(v.shape)})"
        mistakes = [
            (
                weights.T @ v if t_q == t_k else want.new_zeros(0),
                f"{what}{shapes} sums over the queries: out[i] mixes the values v_j with the "
                "weights of row i, summing over the keys j.",
            ),
            (
                (weights[:, :, None] * v[None, :, :]).sum(0),
                f"{what}{shapes} adds up the weighted values over the queries (axis 0): "
                "out[i] sums over the keys j.",
            ),
            (
                v.sum(0).expand(t_q, d_v),
                f"{what}{shapes} adds up the values without weighting them.",
            ),
            (
                v.mean(0).expand(t_q, d_v),
                f"{what}{shapes} averages the values equally: use the weights of each query.",
            ),
        ]
        result = diagnose(got, want, f"{what}{shapes}", mistakes)
        if not result:
            return result
    return Result.ok(f"{what} mixes the values correctly in all {len(cases)} cases.")


# --------------------------------------------------------------------------- exercise 4


def check_weight_sum_prediction(predicted, weights: torch.Tensor) -> Result:
    """Exercise 1: the sum of every weight of the ``(T, T)`` matrix, predicted before it is
    computed."""
    T = weights.shape[0]
    total = round(float(weights.sum()), 6)
    columns = weights.sum(0)
    return check_prediction(
        predicted,
        total,
        "the sum of all the weights",
        f"each of the {T} rows is a softmax and sums to 1, so the whole matrix sums to {T}. "
        f"The columns need not: here they sum to between {float(columns.min()):.2f} and "
        f"{float(columns.max()):.2f}, as some keys get more attention than others.",
        tolerance=1e-3,
    )
