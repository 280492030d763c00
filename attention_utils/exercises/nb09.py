"""Checks for the exercises of notebook 09 (reading the trained model).

1. :func:`check_strongest_prediction`: predict which kind of key the trained heads lean on most,
   as a multiple of an even spread;
2. :func:`check_weight_on_previous`: the mean weight a head puts on the previous character,
   from one map of weights;
3. :func:`check_cosine_matrix`: the cosine similarity of every pair of rows of a matrix.
"""

from __future__ import annotations

import torch

from attention_utils.exercises.core import (
    Result,
    as_number,
    call_answer,
    check_prediction,
    compare_tensor,
)

#: The kinds of key that notebook 09's profile measures, in its order.
KINDS = ("start", "two back", "previous", "self", "vowels")


def check_strongest_prediction(predicted, ratios) -> Result:
    """Exercise 1: ``ratios`` is the trained heads' profile divided by the even head's (a
    DataFrame, one column per kind of key); the kind with the largest ratio of any head."""
    if predicted not in (*KINDS, ..., None):
        return Result.fail(f"answer one of {', '.join(map(repr, KINDS))}; got {predicted!r}.")
    best = ratios.max()
    actual = str(best.idxmax())
    return check_prediction(
        predicted,
        actual,
        "the kind of key with the largest multiple of an even spread",
        f"one head gives it {best.max():.1f} times the even share. The bright cells just below "
        "the diagonal of the heatmaps are that preference, drawn for one name.",
    )


def _causal_map(T: int, gen: torch.Generator) -> torch.Tensor:
    scores = torch.randn(T, T, generator=gen, dtype=torch.float64) * 2
    hidden = torch.ones(T, T, dtype=torch.bool).triu(1)
    return torch.softmax(scores.masked_fill(hidden, float("-inf")), dim=-1)


def check_weight_on_previous(fn) -> Result:
    """Exercise 2: ``fn(weights)`` for one head's ``(T, T)`` causal map of one name: the mean,
    over the queries from the second on, of the weight each puts on the key just before it."""
    gen = torch.Generator().manual_seed(9)
    for T in (2, 5, 9, 14):
        weights = _causal_map(T, gen)
        what = f"weight_on_previous of a {T} x {T} map"
        got = call_answer(fn, "weight_on_previous", weights.clone(), alone=True)
        if isinstance(got, Result):
            return got
        got = as_number(got, what)
        if isinstance(got, Result):
            return got
        want = weights.diagonal(-1).mean().item()
        if abs(got - want) < 1e-9:
            continue
        near = {
            "the weight of each query on its own character (the main diagonal)": weights.diagonal(),
            "the weight above the diagonal: the keys after each query, which the mask hides": (
                weights.diagonal(1)
            ),
            "the mean over the columns just before the diagonal, but it also counts the first "
            "query, which has no previous character": torch.cat(
                [weights.new_zeros(1), weights.diagonal(-1)]
            ),
        }
        for mistake, values in near.items():
            if values.numel() and abs(got - values.mean().item()) < 1e-9:
                return Result.fail(f"{what}: {got:.4f} is {mistake}.")
        if abs(got - weights.diagonal(-1).sum().item()) < 1e-9:
            return Result.fail(f"{what}: {got:.4f} is the sum of those weights; take their mean.")
        return Result.fail(f"{what}: got {got:.4f}, but it is {want:.4f}.")
    return Result.ok("query i's weight on key i - 1 is the diagonal just below the main one.")


def check_cosine_matrix(fn) -> Result:
    """Exercise 3: ``fn(vectors)`` for an ``(n, d)`` matrix: the ``(n, n)`` cosine similarity of
    every pair of its rows."""
    gen = torch.Generator().manual_seed(3)
    for n, d in ((4, 6), (7, 3), (5, 64)):
        vectors = torch.randn(n, d, generator=gen, dtype=torch.float64) * torch.arange(
            1.0, n + 1, dtype=torch.float64
        ).unsqueeze(1)  # rows of different lengths
        what = f"cosine_matrix of a {n} x {d} matrix"
        got = call_answer(fn, "cosine_matrix", vectors.clone(), forbid=("cosine_similarity",))
        if isinstance(got, Result):
            return got
        unit = vectors / vectors.norm(dim=1, keepdim=True)
        want = unit @ unit.T
        result = compare_tensor(got, want, what, atol=1e-6)
        if result:
            continue
        got_t = torch.as_tensor(got, dtype=torch.float64)
        if got_t.shape == want.shape and torch.allclose(got_t, vectors @ vectors.T, atol=1e-6):
            return Result.fail(
                f"{what} holds the dot products: divide each row by its length first."
            )
        cols = vectors / vectors.norm(dim=0, keepdim=True)
        if got_t.shape == want.shape and torch.allclose(got_t, cols @ cols.T, atol=1e-6):
            return Result.fail(
                f"{what}: the columns were normalised; each row (one vector) should have length 1."
            )
        if got_t.shape == (d, d) and d != n:
            return Result.fail(
                f"{what} has shape ({d}, {d}): that compares the columns; compare the rows."
            )
        return result
    return Result.ok("the dot products of the rows once each is scaled to length 1.")
