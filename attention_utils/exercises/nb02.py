"""Checks for the exercises of notebook 02 (vocabulary)."""

from __future__ import annotations

from collections.abc import Callable

from attention_utils.data import load_names
from attention_utils.exercises.core import Result, call_answer, check_prediction, compare_tensor
from attention_utils.vocab import CharTable


def _table() -> CharTable:
    return CharTable.from_names(load_names())


def check_encode_by_hand(answer, name: str = "ravi") -> Result:
    """Exercise 1: the ids of ``^name$``, worked out by hand from the symbol table."""
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


def check_one_hot(answer, text: str = "^om$") -> Result:
    """Exercise 2: the one-hot matrix of ``text`` built by hand, shape ``(len(text), 28)``."""
    table = _table()
    return compare_tensor(answer, table.one_hot(text), "your one-hot matrix", atol=0, rtol=0)


def check_decode(fn: Callable) -> Result:
    """Exercise 3: ``my_decode(ids)`` turns a list of ids back into a string."""
    table = _table()
    cases = [([1, 2, 0],), ([1, 20, 9, 2, 0],), (table.encode(table.wrap("abhishek")).tolist(),)]
    for (ids,) in cases:
        got = call_answer(fn, "my_decode", list(ids))
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
    """Exercise 4: the shape of the one-hot matrix of ``^name$``, predicted before building it."""
    table = CharTable.from_names(load_names())
    shape = tuple(table.one_hot(table.wrap(name)).shape)
    return check_prediction(
        predicted,
        shape,
        f"the shape of the one-hot matrix of {table.wrap(name)!r}",
        f"one row per symbol of the wrapped name ({shape[0]}), one column per symbol of the "
        f"vocabulary ({shape[1]}).",
    )
