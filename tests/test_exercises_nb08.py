"""The exercise checks of notebook 08: reference and other correct answers pass, and the
typical wrong answers fail with the message meant for them."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from support import not_written

from attention_utils.exercises import nb08

# --------------------------------------------------------------------------- exercise 1


def bigram_probs(counts, alpha):
    smoothed = counts + alpha
    return smoothed / smoothed.sum(dim=1, keepdim=True)


def bigram_probs_loops(counts, alpha):  # another correct answer, row by row
    rows = []
    for row in counts.tolist():
        total = sum(row) + alpha * len(row)
        rows.append([(c + alpha) / total for c in row])
    return torch.tensor(rows)


def test_bigram_probs_correct_answers_pass():
    for fn in (bigram_probs, bigram_probs_loops):
        result = nb08.check_bigram_probs(fn)
        assert result.passed, result.message


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda c, a: (c + a) / (c + a).sum(0, keepdim=True), "columns"),
        (lambda c, a: c / c.sum(1, keepdim=True), "unsmoothed"),
        (lambda c, a: (c + a) / (c + a).sum(), "sum to 1"),
        (lambda c, a: (c + a).T / (c + a).sum(1), "transposed"),
        (lambda c, a: bigram_probs(c, a)[:-1], "shape"),
        (not_written, "not written yet"),
        (None, "still empty"),
    ],
)
def test_bigram_probs_wrong_answers_are_diagnosed(fn, message):
    result = nb08.check_bigram_probs(fn)
    assert not result.passed
    assert message in result.message, result.message


# --------------------------------------------------------------------------- exercise 2


def nll_per_char(logits, targets):
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1
    )


def nll_by_hand(logits, targets):
    logp = logits.log_softmax(-1)
    keep = targets != -1
    return -logp[keep].gather(-1, targets[keep][:, None]).mean()


def test_nll_correct_answers_pass():
    for fn in (nll_per_char, nll_by_hand, lambda lo, t: nll_by_hand(lo, t).item()):
        result = nb08.check_nll(fn)
        assert result.passed, result.message


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda lo, t: -nll_per_char(lo, t), "sign"),
        (lambda lo, t: nll_per_char(lo, t) / math.log(2), "bits"),
        (lambda lo, t: nll_per_char(lo, t) * (t != -1).sum(), "total"),
        (lambda lo, t: F.cross_entropy(lo.reshape(-1, 5), t.clamp(min=0).reshape(-1)), "padding"),
        (
            lambda lo, t: -lo[t != -1].gather(-1, t[t != -1][:, None]).mean(),
            "log-softmax",
        ),
        (lambda lo, t: torch.zeros(3), "one number"),
        (lambda lo, t: float("nan"), "log of 0"),
        (not_written, "not written yet"),
    ],
)
def test_nll_wrong_answers_are_diagnosed(fn, message):
    result = nb08.check_nll(fn)
    assert not result.passed
    assert message in result.message, result.message


# --------------------------------------------------------------------------- exercise 3


def temperature_probs(logits, temperature):
    return torch.softmax(logits / temperature, dim=-1)


def test_temperature_correct_answers_pass():
    for fn in (temperature_probs, lambda lo, t: (lo / t).exp() / (lo / t).exp().sum()):
        result = nb08.check_temperature(fn)
        assert result.passed, result.message


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda lo, t: torch.softmax(lo * t, -1), "divide the logits"),
        (lambda lo, t: torch.softmax(lo, -1), "no effect"),
        (lambda lo, t: lo / t, "sum to 1"),
        (lambda lo, t: torch.softmax(lo / t, -1)[None], "shape"),
        (not_written, "not written yet"),
    ],
)
def test_temperature_wrong_answers_are_diagnosed(fn, message):
    result = nb08.check_temperature(fn)
    assert not result.passed
    assert message in result.message, result.message
