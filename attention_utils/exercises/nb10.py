"""Checks for the exercises of notebook 10 (writing a name backwards).

1. :func:`check_cross_shape_prediction`: predict the shape of the cross-attention weights
   while the decoder is part of the way through a name;
2. :func:`check_length_prediction`: predict whether the GRU reverses short or long names better;
3. :func:`check_right_positions`: write which letter of the name each written character must
   read, for a name of any length.
"""

from __future__ import annotations

from attention_utils.exercises.core import Result, call_answer, check_prediction


def check_cross_shape_prediction(predicted, actual) -> Result:
    """Exercise 1: the shape of the cross-attention weights after ``^kehs`` of ``abhishek$``."""
    return check_prediction(
        predicted,
        tuple(actual),
        "cross-attention weights",
        "(batch, heads, written so far, read): one row per character the decoder has written "
        "(^kehs: 5), one column per character of the encoder's name$ (9). Queries and keys "
        "need not be as many.",
    )


def _right(L: int) -> list[int]:
    return [L - 1 - t for t in range(L)] + [L]


def check_right_positions(fn) -> Result:
    """Exercise 3: ``fn(L)``, for a name of ``L`` letters, the position in ``name$`` that each
    of the ``L + 1`` written characters of ``eman$`` must read."""
    for L in (1, 3, 8, 13, 5):
        what = f"right_positions({L})"
        got = call_answer(fn, "right_positions", L, alone=True)
        if isinstance(got, Result):
            return got
        if hasattr(got, "tolist"):
            got = got.tolist()
        if not isinstance(got, (list, tuple)) or not all(
            isinstance(p, int) and not isinstance(p, bool) for p in got
        ):
            return Result.fail(f"{what} should return a list of whole numbers, got {got!r}.")
        got, want = list(got), _right(L)
        if got == want:
            continue
        if got == want[:-1]:
            return Result.fail(
                f"{what} = {got}: the decoder also writes '$' at the end; it reads the '$' of "
                f"name$, at position {L}."
            )
        if got == list(range(L + 1)):
            return Result.fail(f"{what} = {got}: that is copying the name, not reversing it.")
        if got == [L - t for t in range(L)] + [L + 1]:
            return Result.fail(f"{what} = {got}: positions count from 0.")
        return Result.fail(f"{what} = {got}, but it should be {want}.")
    return Result.ok("letter t of the reversed name reads letter L - 1 - t, then '$' reads '$'.")


def check_length_prediction(predicted, short: float, long: float) -> Result:
    """Exercise 2: does the GRU reverse the short held-out names or the long ones better?
    ``short`` and ``long`` are its measured exact-match shares for each group."""
    if predicted not in ("short", "long", ..., None):
        return Result.fail(f"answer 'short' or 'long', got {predicted!r}.")
    actual = "short" if short > long else "long"
    return check_prediction(
        predicted,
        actual,
        "the length of name that the GRU reverses better",
        f"it gets {short:.0%} of the short names right and {long:.0%} of the long ones. Its "
        "encoder must squeeze the whole name into one state of a fixed size; the longer the "
        "name, the more has to fit. Attention keeps every letter's vector and looks up the one "
        "it needs.",
    )
