"""The exercise checks of notebook 09: right answers pass, the shortcuts and typical wrong
answers fail with the message meant for them."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from support import fails, not_written, passes

from attention_utils.exercises import nb09

# --------------------------------------------------------------------------- exercise 1

RATIOS = pd.DataFrame(
    {
        "start": [1.2, 0.8],
        "two back": [1.5, 1.0],
        "previous": [1.9, 1.7],
        "self": [0.8, 0.4],
        "vowels": [1.1, 0.9],
    }
)


def test_strongest_prediction_follows_what_was_measured():
    passes(nb09.check_strongest_prediction("previous", RATIOS))
    fails(nb09.check_strongest_prediction("vowels", RATIOS), "'previous'", "1.9 times")
    other = RATIOS.assign(vowels=[2.5, 1.0])
    passes(nb09.check_strongest_prediction("vowels", other))
    fails(nb09.check_strongest_prediction("next", RATIOS), "answer one of")
    fails(nb09.check_strongest_prediction(..., RATIOS), "prediction first")


# --------------------------------------------------------------------------- exercise 2


def weight_on_previous(weights):
    T = weights.shape[0]
    return sum(weights[i, i - 1] for i in range(1, T)) / (T - 1)


def test_weight_on_previous_passes_for_right_answers():
    passes(nb09.check_weight_on_previous(weight_on_previous))
    passes(nb09.check_weight_on_previous(lambda w: w.diagonal(-1).mean()))
    passes(nb09.check_weight_on_previous(lambda w: float(torch.diagonal(w, offset=-1).mean())))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda w: w.diagonal().mean(), "own character"),
        (lambda w: w.diagonal(1).mean(), "mask hides"),
        (lambda w: torch.cat([w.new_zeros(1), w.diagonal(-1)]).mean(), "first query"),
        (lambda w: w.diagonal(-1).sum(), "take their mean"),
        (lambda w: 0.35, "but it is"),  # the number printed for one head of the trained model
        (lambda w: "a lot", "number"),
        (not_written, "not written yet"),
        (..., "still empty"),
    ],
)
def test_weight_on_previous_fails_on_shortcuts_and_mistakes(answer, message):
    fails(nb09.check_weight_on_previous(answer), message)


def test_weight_on_previous_may_not_call_the_package():
    from attention_utils.analysis import attention_profile

    fails(nb09.check_weight_on_previous(attention_profile), "package's own")


# --------------------------------------------------------------------------- exercise 3


def cosine_matrix(vectors):
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    return unit @ unit.T


def test_cosine_matrix_passes_for_right_answers():
    passes(nb09.check_cosine_matrix(cosine_matrix))
    passes(nb09.check_cosine_matrix(lambda v: F.normalize(v, dim=1) @ F.normalize(v, dim=1).T))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda v: v @ v.T, "dot products"),
        (
            lambda v: (v / v.norm(dim=0, keepdim=True)) @ (v / v.norm(dim=0, keepdim=True)).T,
            "columns were normalised",
        ),
        (lambda v: F.normalize(v, dim=0).T @ F.normalize(v, dim=0), "compare the rows"),
        (lambda v: F.cosine_similarity(v[:, None], v[None], dim=-1), "calls cosine_similarity"),
        (lambda v: torch.eye(v.shape[0]), "differ"),
        (not_written, "not written yet"),
        (..., "still empty"),
    ],
)
def test_cosine_matrix_fails_on_shortcuts_and_mistakes(answer, message):
    fails(nb09.check_cosine_matrix(answer), message)
