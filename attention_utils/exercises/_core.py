"""What every exercise check is built from: a result, tensor diagnosis, calling a function."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Result:
    """The verdict of a check: ``passed`` and a message for the student."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return ("✅ Correct: " if self.passed else "❌ Not yet: ") + self.message

    @classmethod
    def ok(cls, message: str = "well done.") -> Result:
        return cls(True, message)

    @classmethod
    def fail(cls, message: str) -> Result:
        return cls(False, message)


def _as_tensor(answer, what: str) -> torch.Tensor | Result:
    if answer is None or answer is Ellipsis:
        return Result.fail(f"{what} is still empty: replace `...` with your code.")
    try:
        return torch.as_tensor(answer, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return Result.fail(
            f"{what} should be a tensor (or a list of numbers), got {type(answer).__name__}."
        )


def compare_tensor(
    answer,
    expected: torch.Tensor,
    what: str = "your answer",
    *,
    d_k: int | None = None,
    rows_sum_to_one: bool = False,
    mask: torch.Tensor | None = None,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    success: str = "it matches.",
) -> Result:
    """Compare ``answer`` with ``expected`` and name the most likely mistake when they differ.

    Diagnoses, in this order: not a tensor, wrong shape (or the transpose of the right one),
    rows that do not sum to 1 (with ``rows_sum_to_one``), weight on masked positions (with a
    boolean ``mask``, True = allowed), and a result off by the factor ``sqrt(d_k)``.
    """
    got = _as_tensor(answer, what)
    if isinstance(got, Result):
        return got
    want = expected.detach().to(torch.float64)
    if got.shape != want.shape:
        if (
            got.dim() == 2
            and got.T.shape == want.shape
            and torch.allclose(got.T, want, atol=atol, rtol=rtol)
        ):
            return Result.fail(f"{what} is transposed: rows and columns are swapped.")
        return Result.fail(
            f"{what} has shape {tuple(got.shape)}, but the answer has shape {tuple(want.shape)}."
        )
    if not torch.isfinite(got).all():
        return Result.fail(f"{what} contains NaN or infinite values.")
    if torch.allclose(got, want, atol=atol, rtol=rtol):
        return Result.ok(success)
    flipped = got.transpose(-2, -1) if got.dim() >= 2 else got
    if flipped.shape == want.shape and torch.allclose(flipped, want, atol=atol, rtol=rtol):
        return Result.fail(f"{what} is transposed: queries should be rows, keys columns.")
    if rows_sum_to_one:
        sums = got.sum(-1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-3):
            return Result.fail(
                f"the rows of {what} should each sum to 1 (a softmax over the keys, the last "
                f"axis); they sum to {sums.flatten()[:4].numpy().round(3).tolist()}..."
            )
    if mask is not None:
        leaked = (got.abs() > 1e-6) & ~mask.expand_as(got)
        if leaked.any():
            return Result.fail(
                f"{what} puts weight on positions the mask forbids ({int(leaked.sum())} of them): "
                "did you apply the mask before the softmax?"
            )
    if d_k is not None:
        root = math.sqrt(d_k)
        for factor, how in ((root, "multiplied"), (1 / root, "divided")):
            if torch.allclose(got, want * factor, atol=atol, rtol=rtol):
                return Result.fail(f"{what} is {how} by sqrt(d_k) = {root:.3g} once too often.")
    wrong = ~torch.isclose(got, want, atol=atol, rtol=rtol)
    return Result.fail(
        f"{what} has the right shape, but {int(wrong.sum())} of its {wrong.numel()} values differ "
        "from the answer."
    )


def call_answer(fn, what: str, *args):
    """``fn(*args)`` for a function a student wrote, or a failing :class:`Result` saying why not.

    An empty answer (``...``), something that is not a function, a function that still raises
    NotImplementedError, and one that raises anything else each get their own message, so a
    student's bug is reported in the notebook instead of crashing it.
    """
    if fn is None or fn is Ellipsis:
        return Result.fail(f"{what} is still empty: write the function first.")
    if not callable(fn):
        return Result.fail(f"{what} should be a function, got {type(fn).__name__}.")
    try:
        return fn(*args)
    except NotImplementedError:
        return Result.fail(f"{what} is not written yet (it raises NotImplementedError).")
    except Exception as e:  # a student's bug: report it, don't crash the notebook
        return Result.fail(f"{what}{_short(args)} raised {type(e).__name__}: {e}"[:300])


def check_function(
    fn: Callable,
    cases: list[tuple[tuple, torch.Tensor | object]],
    what: str = "your function",
    **compare,
) -> Result:
    """Call ``fn(*args)`` for every ``(args, expected)`` case and compare the results.

    A function that still raises NotImplementedError, or raises anything else, fails with a
    message that says so; otherwise the first mismatching case is diagnosed by
    :func:`compare_tensor` (``compare`` holds its keyword arguments).
    """
    if not callable(fn):
        return Result.fail(f"{what} should be a function, got {type(fn).__name__}.")
    for args, expected in cases:
        try:
            got = fn(*args)
        except NotImplementedError:
            return Result.fail(f"{what} is not written yet (it raises NotImplementedError).")
        except Exception as e:  # a student's bug: report it, don't crash the notebook
            return Result.fail(f"{what}{args!r} raised {type(e).__name__}: {e}")
        if not isinstance(expected, torch.Tensor):
            if got != expected:
                return Result.fail(f"{what}{args!r} returned {got!r}, which is not right.")
            continue
        result = compare_tensor(got, expected, f"{what}{_short(args)}", **compare)
        if not result:
            return result
    return Result.ok(f"{what} gives the right answer in all {len(cases)} cases.")


def _short(args: tuple) -> str:
    parts = [f"<tensor {tuple(a.shape)}>" if isinstance(a, torch.Tensor) else repr(a) for a in args]
    return "(" + ", ".join(parts) + ")"
