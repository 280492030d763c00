"""The exercise checks of notebook 10: right answers pass, the shortcuts and typical wrong
answers fail with the message meant for them."""

from __future__ import annotations

import pytest
from support import fails, not_written, passes

from attention_utils.exercises import nb10


def right_positions(L):
    return [L - 1 - t for t in range(L)] + [L]


# --------------------------------------------------------------------------- exercise 1


def test_cross_shape_prediction():
    passes(nb10.check_cross_shape_prediction((1, 1, 5, 9), (1, 1, 5, 9)))
    passes(nb10.check_cross_shape_prediction([1, 1, 5, 9], (1, 1, 5, 9)))
    fails(nb10.check_cross_shape_prediction((1, 1, 9, 5), (1, 1, 5, 9)), "(1, 1, 5, 9)")
    fails(nb10.check_cross_shape_prediction((1, 1, 9, 9), (1, 1, 5, 9)), "need not be as many")
    fails(nb10.check_cross_shape_prediction(..., (1, 1, 5, 9)), "prediction first")


# --------------------------------------------------------------------------- exercise 2


def test_length_prediction_follows_what_was_measured():
    passes(nb10.check_length_prediction("short", 0.24, 0.06))
    fails(nb10.check_length_prediction("long", 0.24, 0.06), "24%", "6%")
    passes(nb10.check_length_prediction("long", 0.1, 0.3))
    fails(nb10.check_length_prediction("medium", 0.24, 0.06), "'short' or 'long'")
    fails(nb10.check_length_prediction(..., 0.24, 0.06), "prediction first")


# --------------------------------------------------------------------------- exercise 3


def test_right_positions_passes_for_a_right_answer():
    passes(nb10.check_right_positions(right_positions))
    passes(nb10.check_right_positions(lambda L: tuple(right_positions(L))))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda L: [L - 1 - t for t in range(L)], "also writes '$'"),
        (lambda L: list(range(L + 1)), "copying"),
        (lambda L: [L - t for t in range(L)] + [L + 1], "count from 0"),
        (lambda L: [7, 6, 5, 4, 3, 2, 1, 0, 8], "should be"),  # the answer for abhishek only
        (lambda L: "3210", "list of whole numbers"),
        (not_written, "not written yet"),
        (..., "still empty"),
    ],
)
def test_right_positions_fails_on_shortcuts_and_typical_mistakes(answer, message):
    fails(nb10.check_right_positions(answer), message)


def test_right_positions_may_not_use_the_package():
    from attention_utils.models import seq2seq

    def through_the_package(L):
        seq2seq.reversal_batch(["a" * L], seq2seq.CharTable.from_names(["a"]))
        return right_positions(L)

    fails(nb10.check_right_positions(through_the_package), "package")
