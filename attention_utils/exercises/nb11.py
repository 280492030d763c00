"""Checks for the exercises of notebook 11 (the appendix: how sure the comparisons are).

1. :func:`check_paired_prediction`: predict whether the paired standard error of a difference
   is smaller or larger than the standard errors of the two means;
2. :func:`check_paired_difference`: the mean difference of two models judged on the same folds,
   and its standard error.
"""

from __future__ import annotations

import math
import random
import statistics

from attention_utils.exercises.core import Result, as_number, call_answer, check_prediction


def check_paired_prediction(predicted, paired_se: float, se_a: float, se_b: float) -> Result:
    """Exercise 1: ``paired_se`` of the difference against ``se_a`` and ``se_b`` of the means."""
    if predicted not in ("smaller", "larger", ..., None):
        return Result.fail(f"answer 'smaller' or 'larger', got {predicted!r}.")
    if paired_se < min(se_a, se_b):
        actual = "smaller"
    elif paired_se > max(se_a, se_b):
        actual = "larger"
    else:
        actual = "in between"
    return check_prediction(
        predicted,
        actual,
        "the paired standard error",
        f"{paired_se:.3f} for the difference, against {se_a:.3f} and {se_b:.3f} for the two "
        "means. A fold of harder names is harder for both models: most of what moves one model's "
        "number from fold to fold moves the other's too, and the difference cancels it.",
    )


def _folds(n: int, rng: random.Random) -> tuple[list[float], list[float]]:
    hard = [rng.gauss(2.0, 0.05) for _ in range(n)]  # how hard each fold's names are
    return [h + rng.gauss(0.04, 0.01) for h in hard], [h + rng.gauss(0.0, 0.01) for h in hard]


def check_paired_difference(fn) -> Result:
    """Exercise 2: ``fn(a, b)`` for two lists of per-fold NLLs: ``(mean of a - b, its standard
    error)``, the standard error from the sample standard deviation of the differences."""
    rng = random.Random(11)
    for n in (5, 3, 8):
        a, b = _folds(n, rng)
        what = f"paired_difference of {n} folds"
        got = call_answer(fn, "paired_difference", list(a), list(b), alone=True)
        if isinstance(got, Result):
            return got
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Result.fail(f"{what} should return two numbers, (mean, standard error).")
        mean, se = (as_number(x, what) for x in got)
        for x in (mean, se):
            if isinstance(x, Result):
                return x
        diffs = [x - y for x, y in zip(a, b, strict=True)]
        want_mean, sd = statistics.mean(diffs), statistics.stdev(diffs)
        if abs(mean + want_mean) < 1e-9 and abs(mean - want_mean) > 1e-9:
            return Result.fail(f"{what}: the mean has the wrong sign; it is a - b.")
        if abs(mean - want_mean) > 1e-9:
            return Result.fail(f"{what}: the mean difference is {want_mean:.4f}, got {mean:.4f}.")
        want_se = sd / math.sqrt(n)
        if abs(se - want_se) < 1e-9:
            continue
        unpaired = math.hypot(statistics.stdev(a), statistics.stdev(b)) / math.sqrt(n)
        if abs(se - unpaired) < 1e-9:
            return Result.fail(
                f"{what}: {se:.4f} treats the two lists as unrelated; pair them fold by fold and "
                "take the standard error of the differences."
            )
        if abs(se - sd) < 1e-9:
            return Result.fail(
                f"{what}: {se:.4f} is the standard deviation; divide it by the square root of "
                "the number of folds."
            )
        if abs(se - statistics.pstdev(diffs) / math.sqrt(n)) < 1e-9:
            return Result.fail(
                f"{what}: {se:.4f} uses the population standard deviation (divides by n); the "
                "sample's divides by n - 1."
            )
        return Result.fail(f"{what}: the standard error is {want_se:.4f}, got {se:.4f}.")
    return Result.ok("the differences fold by fold, their mean, and their standard error.")
