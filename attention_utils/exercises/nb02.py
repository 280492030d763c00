"""Checks for the exercises of notebook 02 (vocabulary)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from attention_utils.data import load_names
from attention_utils.exercises.core import Result, call_answer, check_prediction, compare_tensor
from attention_utils.vocab import CharTable


def _table() -> CharTable:
    return CharTable.from_names(load_names())


def check_encode_by_hand(answer, name: str = "ravi") -> Result:
    """Exercise 2: the ids of ``^name$``, worked out by hand from the symbol table."""
    table = _table()
    want = table.encode(table.wrap(name))
    if isinstance(answer, (list, tuple)) and all(isinstance(i, int) for i in answer):
        if list(answer) == table.encode(name).tolist():
            return Result.fail("the name is right, but the ^ and $ tokens are missing.")
        shifted = [i - 1 for i in answer]
        if shifted == want.tolist():
            return Result.fail("every id is 1 too high: ids count from 0 ($ is 0).")
    return compare_tensor(
        answer, want, "your list of ids", atol=0, rtol=0, success="those are the ids."
    )


def check_one_hot(fn: Callable) -> Result:
    """Exercise 3: ``one_hot_by_hand(ids, n_symbols)`` -> the one-hot matrix
    ``(len(ids), n_symbols)``, built with zeros and indexing. The check tries its own ids and
    vocabulary sizes, and ``one_hot`` (torch's or the table's) is not allowed."""
    table = _table()
    cases = [
        (table.encode(table.wrap("ravi")), len(table)),
        (torch.tensor([3, 0, 5, 5]), 7),
        (torch.tensor([1]), 2),
    ]
    for ids, n in cases:
        what = f"one_hot_by_hand({ids.tolist()}, {n})"
        got = call_answer(fn, what, ids.clone(), n, alone=True, forbid=("one_hot",))
        if isinstance(got, Result):
            return got
        want = torch.zeros(len(ids), n)
        want[torch.arange(len(ids)), ids] = 1.0
        result = compare_tensor(got, want, what, atol=0, rtol=0)
        if not result:
            return result
    return Result.ok(
        f"one 1 per row, in the column of its id, for {len(cases)} lists of ids and sizes."
    )


def check_decode(fn: Callable) -> Result:
    """Exercise 4: ``my_decode(ids)`` turns a list of ids back into a string."""
    table = _table()
    cases = [([1, 2, 0],), ([1, 20, 9, 2, 0],), (table.encode(table.wrap("abhishek")).tolist(),)]
    for (ids,) in cases:
        got = call_answer(fn, "my_decode", list(ids), alone=True)
        if isinstance(got, Result):
            return got
        want = table.decode(ids)
        if got != want:
            if isinstance(got, list):
                return Result.fail("my_decode returns a list: join the characters into one string.")
            if isinstance(got, str) and got == want[1:-1]:
                return Result.fail("the ^ and $ tokens went missing: decode every id.")
            return Result.fail(f"my_decode({ids}) returned {got!r}, not the right string.")
    return Result.ok(f"my_decode is right in all {len(cases)} cases.")


def check_one_hot_shape_prediction(predicted, name: str = "lakshmi") -> Result:
    """Exercise 1: the shape of the one-hot matrix of ``^name$``, predicted before building it."""
    table = CharTable.from_names(load_names())
    shape = tuple(table.one_hot(table.wrap(name)).shape)
    return check_prediction(
        predicted,
        shape,
        f"the shape of the one-hot matrix of {table.wrap(name)!r}",
        f"one row per symbol of the wrapped name ({shape[0]}), one column per symbol of the "
        f"vocabulary ({shape[1]}).",
    )
