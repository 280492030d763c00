"""Checks for the exercises of notebook 12 (the explorer).

1. :func:`check_uniform_prediction`: predict what a head of the *untrained* model does,
   ``fn(T)`` -> ``(T, T)`` weights, then compare the prediction with the model;
2. :func:`check_mean_entropy`: how spread out attention is, ``fn(weights (..., T, T))`` ->
   the mean entropy of its rows, in nats;
3. :func:`check_most_peaked`: the name of :data:`CANDIDATES` whose attention in the trained
   model's last layer is the most peaked (lowest mean entropy);
4. :func:`check_last_row_prediction`: whether the last row of weights changes when the mask
   is turned off, in layer 0 and in layer 1, predicted before it is computed.
"""

from __future__ import annotations

import math

import torch

from attention_utils.analysis import uniform_causal
from attention_utils.exercises.core import (
    Result,
    as_number,
    call_answer,
    check_prediction,
    compare_tensor,
)
from attention_utils.pretrained import load_or_train, untrained_model

#: The names of exercise 3: all of five letters, so that length does not decide.
CANDIDATES = ("priya", "rahul", "kavya", "mohan", "vijay", "arjun", "meera", "sunil")

#: The name the prediction of exercise 1 is tried on.
PROBE_NAME = "abhishek"

#: How far (largest absolute difference) a prediction may be from the untrained model.
TOLERANCE = 0.05


def _models():
    """(trained model, its untrained starting point, table), loaded once."""
    global _MODELS
    if _MODELS is None:
        trained = load_or_train(progress=False)
        _MODELS = (trained.model, untrained_model(trained.model.config), trained.table)
    return _MODELS


_MODELS = None


def _weights(model, table, name: str) -> torch.Tensor:
    """Every layer's weights for ``^name$``, mask on: ``(n_layers, H, T, T)``."""
    return torch.stack([layer[0] for layer in model.attention_maps(table.batch(name))])


# --------------------------------------------------------------------------- exercise 1


def check_uniform_prediction(fn) -> Result:
    """Exercise 2: ``fn(T)`` -> ``(T, T)``, the weights you expect from an untrained head.

    The answer is checked for T = 1, 4 and 9, then compared with every head of the
    untrained model on :data:`PROBE_NAME`.
    """
    for T in (1, 4, 9):
        got = call_answer(fn, "predict", T, alone=True)
        if isinstance(got, Result):
            return got
        want = uniform_causal(T)
        allowed = torch.ones(T, T, dtype=torch.bool).tril()
        if isinstance(got, torch.Tensor) and got.shape == want.shape:
            g = got.detach().double()
            if torch.allclose(g, torch.full_like(g, 1 / T), atol=1e-4) and T > 1:
                return Result.fail(
                    f"predict({T}) spreads the weight over all {T} keys: an untrained head "
                    "is still causal, a query cannot look at the characters after it."
                )
        result = compare_tensor(
            got, want, f"predict({T})", rows_sum_to_one=True, mask=allowed, atol=1e-4
        )
        if not result:
            return result
    trained, untrained, table = _models()
    T = len(PROBE_NAME) + 1  # ^name: what the model reads
    prediction = torch.as_tensor(fn(T), dtype=torch.float64)
    real = _weights(untrained, table, PROBE_NAME).double()  # (L, H, T, T)
    gap = float((real - prediction).abs().max())
    if gap > TOLERANCE:  # only if the untrained model is not what the lesson says
        return Result.fail(
            f"your prediction is right, but the untrained model differs from it by {gap:.3f} "
            f"on {PROBE_NAME!r}: look at its heatmap in the explorer."
        )
    return Result.ok(
        f"every head of the untrained model is within {gap:.3f} of your prediction on "
        f"{PROBE_NAME!r}: before training, attention is (almost) an average of the past."
    )


# --------------------------------------------------------------------------- exercise 2


def _entropy_cases() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(9)
    scores = torch.randn(2, 3, 6, 6, generator=gen) * 2
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    return [
        torch.full((4, 4), 0.25),
        uniform_causal(5),
        torch.softmax(scores.masked_fill(~causal, float("-inf")), -1),
    ]


def check_mean_entropy(fn) -> Result:
    """Exercise 3: ``fn(weights (..., T, T))`` -> the mean entropy of the rows, in nats."""
    for weights in _entropy_cases():
        what = f"mean_entropy(<weights {tuple(weights.shape)}>)"
        got = call_answer(fn, "mean_entropy", weights.clone(), alone=True)
        if isinstance(got, torch.Tensor) and got.numel() != 1:
            return Result.fail(
                f"{what} should return one number, got a tensor of shape "
                f"{tuple(got.shape)}: average over every row."
            )
        value = as_number(
            got, what, nan_hint="masked keys have weight 0, and 0 * log(0) must count as 0"
        )
        if isinstance(value, Result):
            return value
        # entr(w) = -w ln w, and 0 where w = 0
        want = float(torch.special.entr(weights.double()).sum(-1).mean())
        if math.isclose(value, want, rel_tol=1e-4, abs_tol=1e-6):
            continue
        n_rows = weights[..., 0].numel()
        if math.isclose(value, -want, rel_tol=1e-4, abs_tol=1e-6) and want != 0:
            return Result.fail(f"{what} has the wrong sign: entropy is -sum w log w.")
        if math.isclose(value, want / math.log(2), rel_tol=1e-4):
            return Result.fail(f"{what} is in bits: use the natural log (nats), torch.log.")
        if math.isclose(value, want * n_rows, rel_tol=1e-4):
            return Result.fail(f"{what} adds up the rows: take their mean instead.")
        return Result.fail(f"{what} gives {value:.4f}, which is not the mean entropy of the rows.")
    return Result.ok("mean_entropy is right on all 3 cases, masked ones included.")


# --------------------------------------------------------------------------- exercise 3


def check_most_peaked(answer) -> Result:
    """Exercise 4: the name of :data:`CANDIDATES` whose last-layer attention in the trained
    model (all heads, causal mask on) has the lowest mean entropy."""
    if answer is None or answer is Ellipsis:
        return Result.fail("most_peaked is still empty: set it to one of the candidate names.")
    if not isinstance(answer, str):
        return Result.fail(f"most_peaked should be a name (a str), got {type(answer).__name__}.")
    name = answer.strip().lower()
    if name not in CANDIDATES:
        return Result.fail(f"{answer!r} is not one of the candidates {list(CANDIDATES)}.")
    trained, _, table = _models()
    scores = {
        n: float(torch.special.entr(_weights(trained, table, n)[-1].double()).sum(-1).mean())
        for n in CANDIDATES
    }
    lower = sum(s < scores[name] - 1e-9 for s in scores.values())
    if lower:
        return Result.fail(
            f"{name!r} has a mean entropy of {scores[name]:.3f} nats in the last layer, but "
            f"{lower} of the candidates {'is' if lower == 1 else 'are'} more peaked."
        )
    return Result.ok(
        f"{name!r} has the most peaked attention ({scores[name]:.3f} nats; the most spread "
        f"out candidate has {max(scores.values()):.3f})."
    )


# --------------------------------------------------------------------------- exercise 4


def check_last_row_prediction(predicted, name: str = "abhishek") -> Result:
    """Exercise 1: with the mask on and off, is the last row of weights the same in layer 0,
    and in layer 1? ``predicted``: a pair of booleans, predicted before it is computed."""
    trained, _, table = _models()
    idx = table.batch(name)
    on, off = trained.attention_maps(idx, causal=True), trained.attention_maps(idx, causal=False)
    actual = tuple(
        bool(torch.allclose(a[0, :, -1], b[0, :, -1], atol=1e-6))
        for a, b in zip(on, off, strict=True)
    )
    if isinstance(predicted, list):
        predicted = tuple(predicted)
    if isinstance(predicted, tuple) and len(predicted) != len(actual):
        return Result.fail(f"give one True or False per layer: {len(actual)} of them.")
    return check_prediction(
        predicted,
        actual,
        f"(same in layer 0, same in layer 1) for the last row of {name!r}",
        "the last character sees every key whether the mask is on or not, and in layer 0 its "
        "query and the keys come straight from the embeddings, so its row cannot change. In "
        "layer 1 the keys are outputs of layer 0, and without the mask those outputs have "
        "mixed in the characters after them: the same query meets other keys.",
    )
