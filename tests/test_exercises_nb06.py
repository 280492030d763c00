"""attention_utils.exercises.nb06: the checks of notebook 06 (positions and masks)."""

from __future__ import annotations

import math

import pytest
import torch
from support import fails, not_written, passes

from attention_utils.attention import causal_mask, masked_softmax
from attention_utils.exercises import nb06

# --------------------------------------------------------------------------- nb06, exercise 1


def causal(T):
    return torch.tril(torch.ones(T, T, dtype=torch.bool))


def causal_other_way(T):  # another correct answer: compare position numbers
    i = torch.arange(T)
    return i[None, :] <= i[:, None]


def test_causal_mask_reference_and_other_correct_answers_pass():
    for fn in (causal, causal_other_way):
        result = nb06.check_causal_mask(fn)
        assert result.passed, result.message


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda T: ~causal(T), "True and False swapped"),
        (lambda T: causal(T).T, "is transposed"),
        (lambda T: causal(T).tril(-1), "diagonal False"),
        (lambda T: torch.ones(T, T, dtype=torch.bool), "all True"),
        (lambda T: torch.ones(T, T).tril(), "make it boolean"),
        (lambda T: causal(T + 1), "should be (T, T)"),
        (lambda T: causal(T).tolist(), "should return a tensor"),
        (lambda T: causal(T) & (torch.arange(T) != 0), "entries are wrong"),
        (not_written, "not written yet"),
        (lambda T: torch.tril(T), "raised"),
        (None, "still empty"),
    ],
)
def test_causal_mask_wrong_answers(fn, message):
    result = nb06.check_causal_mask(fn)
    fails(result)
    assert message in result.message, result.message


# --------------------------------------------------------------------------- nb06, exercise 2


def causal_weights(scores, fill=float("-inf")):
    """The reference solution of exercise 2."""
    allowed = causal(scores.shape[-1])
    return torch.softmax(scores.masked_fill(~allowed, fill), dim=-1)


def test_masked_weights_reference_passes():
    passes(nb06.check_masked_weights(causal_weights))
    # a very negative number instead of -inf is just as right
    passes(nb06.check_masked_weights(lambda s: causal_weights(s, fill=-1e9)))


def test_masked_weights_refuses_what_is_on_the_page():
    """The shortcut: the causal weights the notebook drew above the exercise, returned
    whatever the scores; and the package's masked softmax."""
    scores = torch.randn(10, 10, generator=torch.Generator().manual_seed(3))
    weights_causal = causal_weights(scores)
    fails(nb06.check_masked_weights(lambda s: weights_causal), "shape (10, 10)")
    fails(
        nb06.check_masked_weights(lambda s: masked_softmax(s, causal_mask(len(s)))),
        "package's",
    )


def _allowed(s):
    return causal(s.shape[-1])


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda s: torch.softmax(s, -1), "without the mask"),
        (lambda s: torch.softmax(s, -1) * _allowed(s), "after the softmax"),
        (lambda s: torch.softmax(s.masked_fill(~_allowed(s), 0.0), -1), "mask forbids"),
        (lambda s: torch.softmax(s.masked_fill(_allowed(s), float("-inf")), -1), "NaN"),
        (lambda s: torch.softmax(s.masked_fill(_allowed(s), -1e9), -1), "mask forbids"),
        (lambda s: causal_weights(s).T, "transposed"),
        (lambda s: causal_weights(s)[:-1], "has shape (6, 7)"),
        (lambda s: ..., "still empty"),
        (lambda s: torch.softmax(s.masked_fill(~_allowed(s), float("-inf")), 0), "sum to 1"),
    ],
    ids=["no-mask", "after", "zero", "nan", "inverted", "transposed", "shape", "empty", "cols"],
)
def test_masked_weights_wrong_answers(fn, message):
    fails(nb06.check_masked_weights(fn), message)


# --------------------------------------------------------------------------- nb06, exercise 3


def sinusoidal(T, d_model):
    P = torch.zeros(T, d_model)
    t = torch.arange(T).float()[:, None]
    freq = 1 / 10000 ** (torch.arange(0, d_model, 2).float() / d_model)
    P[:, 0::2] = torch.sin(t * freq)
    P[:, 1::2] = torch.cos(t * freq)
    return P


def sinusoidal_loops(T, d_model):
    return torch.tensor(
        [
            [
                math.sin(t / 10000 ** (i / d_model))
                if i % 2 == 0
                else math.cos(t / 10000 ** ((i - 1) / d_model))
                for i in range(d_model)
            ]
            for t in range(T)
        ]
    )


def test_sinusoidal_reference_and_loops_pass():
    for fn in (sinusoidal, sinusoidal_loops):
        result = nb06.check_sinusoidal(fn)
        assert result.passed, result.message


def _swapped(T, d):
    P = sinusoidal(T, d)
    return torch.stack([P[:, 1::2], P[:, 0::2]], dim=-1).reshape(T, d)


def _wrong_freq(T, d):
    P = torch.zeros(T, d)
    t = torch.arange(T).float()[:, None]
    freq = 1 / 10000 ** (torch.arange(0, d // 2).float() / d)  # i instead of 2i
    P[:, 0::2], P[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
    return P


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (_swapped, "sin and cos are swapped"),
        (
            lambda T, d: torch.cat([sinusoidal(T, d)[:, 0::2], sinusoidal(T, d)[:, 1::2]], 1),
            "alternate",
        ),
        (_wrong_freq, "frequency of pair i"),
        (lambda T, d: sinusoidal(T, d).T, "one row per position"),
        (lambda T, d: sinusoidal(T + 1, d), "has shape"),
        (not_written, "not written yet"),
    ],
)
def test_sinusoidal_wrong_answers(fn, message):
    result = nb06.check_sinusoidal(fn)
    fails(result)
    assert message in result.message, result.message


def test_first_letter_prediction_counts_the_outputs_that_move():
    passes(nb06.check_first_letter_prediction(9))
    for wrong in (0, 1, 10):
        result = nb06.check_first_letter_prediction(wrong)
        fails(result, "is 9")
