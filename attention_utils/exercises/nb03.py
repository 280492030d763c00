"""Checks for the exercises of notebook 03 (embeddings)."""

from __future__ import annotations

import torch
from torch import nn

from attention_utils.exercises.core import Result, call_answer, check_prediction, compare_tensor
from attention_utils.models import count_parameters
from attention_utils.vocab import CharTable


def check_lookup(fn) -> Result:
    """Exercise 2: ``lookup(W, ids)`` -> the rows of the weight matrix ``W`` for ``ids``,
    taken by indexing (no embedding layer, no ``F.embedding``). The check makes its own ``W``
    (other sizes) and ids, so the notebook's embeddings cannot pass."""
    g = torch.Generator().manual_seed(3)
    cases = [((28, 8), [1, 15, 13, 0]), ((6, 3), [2, 2, 5, 0, 1]), ((4, 1), [3])]
    for shape, ids in cases:
        W, idx = torch.randn(*shape, generator=g), torch.tensor(ids)
        what = f"lookup(W {shape}, {ids})"
        got = call_answer(fn, what, W.clone(), idx.clone(), alone=True, forbid=("embedding",))
        if isinstance(got, Result):
            return got
        if isinstance(got, torch.Tensor) and got.shape == (len(ids), shape[0]):
            return Result.fail(
                f"{what} returns the one-hot matrix: multiply it by W to pick the rows."
            )
        result = compare_tensor(got, W[idx], what)
        if not result:
            return result
    return Result.ok(f"those are the rows of W, for {len(cases)} tables and lists of ids.")


def check_parameter_count(answer, embedding: nn.Embedding) -> Result:
    """Exercise 3: how many numbers does the embedding table learn?"""
    want = count_parameters(embedding)
    if not isinstance(answer, int) or isinstance(answer, bool):
        return Result.fail(f"the answer should be a whole number, got {type(answer).__name__}.")
    if answer == want:
        return Result.ok(f"{want} numbers: one row of {embedding.embedding_dim} per symbol.")
    if answer in (embedding.num_embeddings, embedding.embedding_dim):
        return Result.fail("that is one side of the table: how many numbers are in all of it?")
    if answer == embedding.num_embeddings + embedding.embedding_dim:
        return Result.fail("the two sizes should be multiplied, not added.")
    return Result.fail(f"{answer} is too {'high' if answer > want else 'low'}.")


def check_rows_with_gradient(answer, table: CharTable, name: str = "ravi") -> Result:
    """Exercise 4: the ids of the rows of W that get a gradient when ``^name$`` is embedded."""
    if answer is None or answer is Ellipsis:
        return Result.fail("the answer is still empty: replace `...` with your code.")
    try:
        got = {int(i) for i in answer}
    except (TypeError, ValueError):
        return Result.fail("the answer should be a set (or list) of integer ids.")
    want = set(table.encode(table.wrap(name)).tolist())
    if got == want:
        return Result.ok(f"only those {len(want)} rows of W change when this name is learned.")
    if got == set(table.encode(name).tolist()):
        return Result.fail("the ^ and $ tokens are looked up too: their rows get a gradient.")
    if len(got) > len(want):
        return Result.fail("too many rows: a symbol that is not in the name is not looked up.")
    return Result.fail("not those rows: which symbols does the wrapped name contain?")


def check_equal_rows_prediction(
    predicted, embedding: nn.Embedding, table: CharTable, word: str = "^anna$"
) -> Result:
    """Exercise 1: the pairs of positions ``(i, j)``, ``i < j``, whose rows of
    ``embedding(ids of word)`` are equal, predicted before computing them."""
    x = embedding(table.encode(word)).detach()
    pairs = sorted(
        (i, j) for i in range(len(x)) for j in range(i + 1, len(x)) if torch.equal(x[i], x[j])
    )
    try:
        predicted = sorted(tuple(sorted(int(k) for k in pair)) for pair in predicted)
    except (TypeError, ValueError):
        if predicted is not None and predicted is not Ellipsis:
            return Result.fail("write the pairs as a list of (i, j) tuples, e.g. [(0, 5)].")
    return check_prediction(
        predicted,
        pairs,
        f"the list of pairs with equal rows of {word}",
        "an embedding is a lookup by symbol, so equal symbols get equal rows, wherever they are.",
    )
