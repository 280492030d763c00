"""The exercise checks of notebook 11: right answers pass, typical wrong answers fail with the
message meant for them."""

from __future__ import annotations

import math
import statistics

import pytest
from support import fails, not_written, passes

from attention_utils import results
from attention_utils.exercises import nb11

# --------------------------------------------------------------------------- exercise 1


def test_paired_prediction_follows_what_was_measured():
    passes(nb11.check_paired_prediction("smaller", 0.006, 0.009, 0.011))
    fails(nb11.check_paired_prediction("larger", 0.006, 0.009, 0.011), "0.006", "cancels")
    passes(nb11.check_paired_prediction("larger", 0.02, 0.009, 0.011))
    fails(nb11.check_paired_prediction("smaller", 0.010, 0.009, 0.011), "in between")
    fails(nb11.check_paired_prediction("same", 0.006, 0.009, 0.011), "'smaller' or 'larger'")
    fails(nb11.check_paired_prediction(..., 0.006, 0.009, 0.011), "prediction first")


# --------------------------------------------------------------------------- exercise 2


def paired_difference(a, b):
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    mean = sum(diffs) / len(diffs)
    var = sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1)
    return mean, math.sqrt(var / len(diffs))


def test_paired_difference_passes_for_right_answers():
    passes(nb11.check_paired_difference(paired_difference))
    passes(nb11.check_paired_difference(lambda a, b: list(paired_difference(a, b))))


def by_statistics(a, b):
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    return statistics.mean(diffs), statistics.stdev(diffs)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda a, b: paired_difference(b, a), "wrong sign"),
        (
            lambda a, b: (
                statistics.mean(a) - statistics.mean(b),
                math.hypot(statistics.stdev(a), statistics.stdev(b)) / math.sqrt(len(a)),
            ),
            "unrelated",
        ),
        (by_statistics, "square root"),
        (
            lambda a, b: (
                by_statistics(a, b)[0],
                statistics.pstdev([x - y for x, y in zip(a, b, strict=True)]) / math.sqrt(len(a)),
            ),
            "population",
        ),
        (lambda a, b: (statistics.mean(a), 0.01), "mean difference is"),
        (lambda a, b: (paired_difference(a, b)[0], 0.006), "standard error is"),
        (lambda a, b: paired_difference(a, b)[0], "two numbers"),
        (not_written, "not written yet"),
        (..., "still empty"),
    ],
)
def test_paired_difference_fails_on_shortcuts_and_mistakes(answer, message):
    fails(nb11.check_paired_difference(answer), message)


def test_paired_difference_may_not_be_the_package_s_own():
    fails(nb11.check_paired_difference(results.paired), "package's own")
    fails(nb11.check_paired_difference(lambda a, b: results.paired(a, b)[:2]), "package")
