"""What every exercise check is built from: a verdict, a call of the student's function.

The parts: the verdict, calling a student's function, turning an answer into a tensor or a
number, and naming the mistake when it is wrong."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode


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


def as_tensor(answer, what: str) -> torch.Tensor | Result:
    """``answer`` as a float64 tensor, or a failing :class:`Result` saying why it is not one."""
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
    got = as_tensor(answer, what)
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


#: Operations that only build, copy or index a tensor: a loop may use them on whole matrices.
_STRUCTURAL = frozenset(
    "zeros zeros_like empty empty_like ones ones_like full full_like tensor as_tensor stack "
    "cat clone detach to float double contiguous __getitem__ __setitem__ requires_grad_".split()
)


class _Watch(TorchFunctionMode):
    """Watches every torch operation a student's function runs (used by :func:`call_answer`).

    With ``loops``, an operation that computes a whole matrix at once is noted: one that
    combines two or more tensors (not numbers) into a tensor of two or more axes, other than
    building, copying or indexing (a matrix product, a broadcast product). An operation on one
    matrix alone (``scores / 2``, a softmax) is left for the check to judge; every name in
    ``forbid`` (a torch function, e.g. ``"one_hot"``) is noted when called."""

    def __init__(self, loops: bool, forbid: tuple[str, ...]):
        super().__init__()
        self.loops, self.forbid, self.seen = loops, forbid, None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", "")
        if name == "__get__":  # a property such as .T or .mT
            name = getattr(getattr(func, "__self__", None), "__name__", name)
        if self.seen is None:
            if name in self.forbid:
                self.seen = f"calls {name}"
            elif (
                self.loops
                and isinstance(out, torch.Tensor)
                and out.dim() >= 2
                and name not in _STRUCTURAL
                and _operands(args, kwargs) >= 2
            ):
                self.seen = f"computes a whole matrix at once ({name}, shape {tuple(out.shape)})"
        return out


def _operands(args, kwargs) -> int:
    """How many tensors of at least one axis an operation was given."""
    flat = [*args, *(kwargs or {}).values()]
    flat = [y for x in flat for y in (x if isinstance(x, (list, tuple)) else (x,))]
    return sum(isinstance(x, torch.Tensor) and x.dim() >= 1 for x in flat)


_PACKAGE = str(Path(__file__).resolve().parent.parent)
_HERE = str(Path(__file__).resolve())


def _package_caller(calls: list[str]):
    """A profile function that notes each function of this package that gets called."""

    def profile(frame, event, arg):
        if event == "call" and not calls:
            file = frame.f_code.co_filename
            if file.startswith(_PACKAGE) and file != _HERE:
                calls.append(frame.f_code.co_qualname)

    return profile


def call_answer(fn, what: str, *args, alone: bool = False, loops: bool = False, forbid=()):
    """``fn(*args)`` for a function a student wrote, or a failing :class:`Result` saying why not.

    An empty answer (``...``), something that is not a function, a function that still raises
    NotImplementedError, and one that raises anything else each get their own message, so a
    student's bug is reported in the notebook instead of crashing it.

    The call is watched, so that an exercise can ask for the student's own code: with
    ``alone`` the function may not call this package (the check would compare the package
    with itself); with ``loops`` it may not compute a whole matrix in one operation (a matrix
    product, a broadcast); ``forbid`` names torch functions it may not call (``"one_hot"``).
    """
    if fn is None or fn is Ellipsis:
        return Result.fail(f"{what} is still empty: write the function first.")
    if not callable(fn):
        return Result.fail(f"{what} should be a function, got {type(fn).__name__}.")
    own = getattr(fn, "func", fn)  # functools.partial too
    if getattr(own, "__module__", "").startswith("attention_utils"):
        return Result.fail(
            f"{what} is the package's own {getattr(own, '__name__', 'function')}: the exercise "
            "is to write it yourself (the check compares your function with it)."
        )
    watch, calls = _Watch(loops, tuple(forbid)), []
    before = sys.getprofile()
    try:
        with watch:
            if alone:
                sys.setprofile(_package_caller(calls))
            try:
                got = fn(*args)
            finally:
                if alone:
                    sys.setprofile(before)
    except NotImplementedError:
        return Result.fail(f"{what} is not written yet (it raises NotImplementedError).")
    except Exception as e:  # a student's bug: report it, don't crash the notebook
        return Result.fail(f"{what}{_short(args)} raised {type(e).__name__}: {e}"[:300])
    if calls:
        return Result.fail(
            f"{what} calls the package's {calls[0]}: the exercise is to write it yourself "
            "(the check compares your function with the package's)."
        )
    if watch.seen and watch.seen.startswith("calls"):
        return Result.fail(f"{what} {watch.seen}: the exercise is to do that step yourself.")
    if watch.seen:
        return Result.fail(
            f"{what} {watch.seen}: the exercise is to compute it with loops, one number (or "
            "one vector) at a time."
        )
    return got


def as_number(
    answer, what: str, nan_hint: str = "look for a log of 0 or a division by 0"
) -> float | Result:
    """``answer`` (or what a student's function returned) as one finite float, or a failing
    :class:`Result` saying why not (``nan_hint`` follows "is NaN"). A Result passed in (from
    :func:`call_answer`) is returned."""
    if isinstance(answer, Result):
        return answer
    if answer is None or answer is Ellipsis:
        return Result.fail(f"{what} is still empty: replace `...` with your code.")
    try:
        value = float(answer)
    except (TypeError, ValueError, RuntimeError):
        shape = f" of shape {tuple(answer.shape)}" if hasattr(answer, "shape") else ""
        return Result.fail(f"{what} should be one number, got {type(answer).__name__}{shape}.")
    if math.isnan(value):
        return Result.fail(f"{what} is NaN: {nan_hint}.")
    if math.isinf(value):
        return Result.fail(f"{what} is infinite: look for a log of 0 or a division by 0.")
    return value


def diagnose(
    answer,
    expected: torch.Tensor,
    what: str,
    mistakes: list[tuple[torch.Tensor, str]],
    success: str = "it matches.",
    **compare,
) -> Result:
    """Compare ``answer`` with ``expected``; if it differs, name the first known mistake it
    reproduces (``mistakes`` pairs a wrong result with what to tell the student), else fall
    back on :func:`compare_tensor`'s diagnosis (shape, transpose, rows, mask, sqrt(d_k))."""
    general = compare_tensor(answer, expected, what, success=success, **compare)
    if general.passed:
        return general
    got = as_tensor(answer, what)
    if isinstance(got, Result):
        return got
    for wrong, message in mistakes:
        wrong = wrong.detach().to(torch.float64)
        # NaN counts as 0 here: a softmax over nothing but forbidden keys gives NaN
        tried = torch.nan_to_num(got, nan=0.0)
        if wrong.shape == got.shape and torch.allclose(tried, wrong, atol=1e-4, rtol=1e-4):
            if not torch.allclose(wrong, expected.detach().to(torch.float64), atol=1e-4):
                return Result.fail(message)
    return general


def _short(args: tuple) -> str:
    parts = [f"<tensor {tuple(a.shape)}>" if isinstance(a, torch.Tensor) else repr(a) for a in args]
    return "(" + ", ".join(parts) + ")"


def check_prediction(predicted, actual, what: str, why: str, tolerance: float = 0.0) -> Result:
    """The check of a "predict, then run" exercise: ``predicted`` against what the code
    computed (``actual``). Numbers may differ by ``tolerance`` (relative); tuples, lists and
    strings must be equal. Either way the message gives the true value and ``why``, so the
    check teaches after the guess has been made."""
    if predicted is None or predicted is Ellipsis:
        return Result.fail(f"{what}: write down your prediction first (replace `...`).")
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        number = as_number(predicted, what)
        if isinstance(number, Result):
            return number
        right = abs(number - actual) <= tolerance * abs(actual)
    else:
        if isinstance(actual, tuple) and isinstance(predicted, list):
            predicted = tuple(predicted)
        right = predicted == actual
    if right:
        return Result.ok(f"{what} is {actual!r}, as you predicted: {why}")
    return Result.fail(f"you predicted {predicted!r}, but {what} is {actual!r}: {why}")
