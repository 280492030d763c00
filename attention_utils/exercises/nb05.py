"""Checks for the exercises of notebook 05 (attention as matrices).

Here attention is scaled, ``softmax(Q K^T / sqrt(d_k)) V``, and masks are boolean with True
meaning "may attend", as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from attention_utils.attention import attention_matrix, causal_mask, padding_mask
from attention_utils.exercises.core import Result, call_answer, check_prediction, diagnose


def _scaled_weight_mistakes(q: torch.Tensor, k: torch.Tensor, what: str) -> list:
    """The usual wrong versions of ``softmax(q k^T / sqrt(d_k))`` and what to say about them."""
    d_k = q.shape[-1]
    root = math.sqrt(d_k)
    raw = q @ k.transpose(-2, -1)
    return [
        (
            torch.softmax(raw, dim=-1),
            f"{what} is not scaled: the scores should be divided by sqrt(d_k) = {root:.3g} "
            "before the softmax.",
        ),
        (
            torch.softmax(raw * root, dim=-1),
            f"{what}: the scores were multiplied by sqrt(d_k) = {root:.3g} instead of divided.",
        ),
        (
            torch.softmax(raw / d_k, dim=-1),
            f"{what}: the scores were divided by d_k = {d_k}; divide by its square root.",
        ),
        (
            torch.softmax(raw / root, dim=-2),
            f"in {what} the columns sum to 1, not the rows: take the softmax over the keys, "
            "the last axis.",
        ),
        (raw / root, f"{what} holds scaled scores, not weights: the softmax is missing."),
    ]


# --------------------------------------------------------------------------- exercise 1


def check_scaled_weights(fn: Callable) -> Result:
    """Exercise 2: ``scaled_weights(Q, K)`` -> the scaled attention weights
    ``softmax(Q K^T / sqrt(d_k))``, ``(T_q, T_k)``. The check makes its own ``Q`` and ``K``,
    with other sizes and other ``d_k`` than the notebook's, so no matrix computed there passes."""
    g = torch.Generator().manual_seed(15)
    sizes = [(7, 7, 9), (3, 6, 2), (1, 4, 16)]
    for t_q, t_k, d_k in sizes:
        q, k = torch.randn(t_q, d_k, generator=g), torch.randn(t_k, d_k, generator=g)
        got = call_answer(fn, "scaled_weights", q.clone(), k.clone(), alone=True)
        if isinstance(got, Result):
            return got
        result = _scaled_verdict(got, q, k)
        if not result:
            return result
    return Result.ok(
        f"rows sum to 1 and the scores were scaled by 1/sqrt(d_k), for {len(sizes)} sizes of "
        "Q and K (d_k = 9, 2, 16)."
    )


def _scaled_verdict(weights, q: torch.Tensor, k: torch.Tensor) -> Result:
    _, want = attention_matrix(q, k, k)  # the weights do not depend on the values
    what = f"scaled_weights(Q {tuple(q.shape)}, K {tuple(k.shape)})"
    return diagnose(
        weights,
        want,
        what,
        _scaled_weight_mistakes(q, k, what),
        success="rows sum to 1 and the scores were scaled by 1/sqrt(d_k).",
        rows_sum_to_one=True,
    )


# --------------------------------------------------------------------------- exercise 2


def check_masked_weights(fn: Callable) -> Result:
    """Exercise 3: ``masked_weights(Q, K, mask)`` -> scaled attention weights with a boolean
    ``mask`` (True = may attend). The check makes its own padded batches (other lengths, other
    ``d_k``) and a causal mask, so no weights computed in the notebook pass."""
    g = torch.Generator().manual_seed(25)
    cases = [
        ((3, 5, 6), padding_mask([5, 2, 3], T=5)),
        ((2, 4, 3), padding_mask([1, 4], T=4)),
        ((2, 6, 4), causal_mask(6)),
    ]
    for shape, mask in cases:
        q, k = torch.randn(*shape, generator=g), torch.randn(*shape, generator=g)
        got = call_answer(fn, "masked_weights", q.clone(), k.clone(), mask.clone(), alone=True)
        if isinstance(got, Result):
            return got
        result = _masked_verdict(got, q, k, mask)
        if not result:
            return result
    return Result.ok(
        f"forbidden keys get exactly 0 and every row still sums to 1, in {len(cases)} batches "
        "(two padded, one causal)."
    )


def _masked_verdict(weights, q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor) -> Result:
    """``weights`` against scaled attention weights with a boolean ``mask`` (True = may
    attend); ``mask`` broadcasts to ``(..., T_q, T_k)``, each row keeps an allowed key."""
    _, want = attention_matrix(q, k, k, mask)
    what = f"masked_weights(Q {tuple(q.shape)}, ...)"
    raw = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    full = mask.expand_as(want)
    after = torch.softmax(raw, dim=-1).masked_fill(~full, 0.0)
    mistakes = [
        (
            after,
            f"{what} are zero where the mask forbids, but the rows no longer sum to 1: mask the "
            "scores before the softmax rather than the weights after it.",
        ),
        (
            torch.softmax(raw.masked_fill(~full, 0.0), dim=-1),
            f"{what} still give weight to forbidden keys: a masked score of 0 still becomes "
            "exp(0) = 1 in the softmax. It needs a score whose exponential is 0.",
        ),
        (
            attention_matrix(q, k, k, ~mask)[1],
            f"{what} use the mask the wrong way round: True means 'may attend'.",
        ),
        (
            torch.softmax(raw, dim=-1),
            f"{what} ignore the mask: forbidden keys still get weight.",
        ),
        *_scaled_weight_mistakes(q, k, what)[:3],
        (
            attention_matrix(q, k, k, mask, scale=False)[1],
            f"{what} are masked but not scaled: divide the scores by "
            f"sqrt(d_k) = {math.sqrt(q.shape[-1]):.3g}.",
        ),
    ]
    return diagnose(
        weights,
        want,
        what,
        mistakes,
        success="forbidden keys get exactly 0 and every row still sums to 1.",
        rows_sum_to_one=True,
        mask=full,
    )


# --------------------------------------------------------------------------- exercise 3


def _function_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, object]]:
    """(q, k, v, mask): one name, a padded batch, heads with a causal mask, T_q != T_k."""
    g = torch.Generator().manual_seed(6)

    def r(*shape):
        return torch.randn(*shape, generator=g)

    return [
        (r(5, 4), r(5, 4), r(5, 3), None),
        (r(3, 6, 8), r(3, 6, 8), r(3, 6, 8), padding_mask([6, 2, 4], T=6)),
        (r(2, 2, 4, 2), r(2, 2, 4, 2), r(2, 2, 4, 5), causal_mask(4)),
        (r(2, 3), r(7, 3), r(7, 4), None),
    ]


def check_attention_function(fn: Callable) -> Result:
    """Exercise 4: ``my_attention(q, k, v, mask=None)`` -> ``(out, weights)``, scaled, batched.

    Tried on one name, a padded batch with a padding mask, a batch of heads with a causal mask,
    and more keys than queries; compared with :func:`attention_matrix`.
    """
    what = "my_attention"
    cases = _function_cases()
    for q, k, v, mask in cases:
        sizes = f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
        if mask is not None:
            sizes += f", mask {tuple(mask.shape)}"
        got = call_answer(fn, what, q.clone(), k.clone(), v.clone(), mask, alone=True)
        if isinstance(got, Result):
            return got
        if not isinstance(got, tuple | list) or len(got) != 2:
            return Result.fail(
                f"{what} should return a pair (out, weights), got {type(got).__name__}."
            )
        out, weights = got
        want_out, want_weights = attention_matrix(q, k, v, mask)
        if (
            isinstance(out, torch.Tensor)
            and isinstance(weights, torch.Tensor)
            and out.shape == want_weights.shape
            and weights.shape == want_out.shape
            and out.shape != weights.shape
        ):
            return Result.fail(f"{what} returns (weights, out): the order is (out, weights).")
        label = f"the weights of {what}({sizes})"
        mistakes = _scaled_weight_mistakes(q, k, label)
        if mask is not None:
            raw = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            mistakes.insert(
                0,
                (
                    torch.softmax(raw, dim=-1),
                    f"{label} ignore the mask: forbidden keys still get weight.",
                ),
            )
        full = None if mask is None else mask.expand_as(want_weights)
        result = diagnose(weights, want_weights, label, mistakes, rows_sum_to_one=True, mask=full)
        if not result:
            return result
        label = f"the output of {what}({sizes})"
        result = diagnose(
            out,
            want_out,
            label,
            [
                (
                    want_weights.transpose(-2, -1) @ v if q.shape == k.shape else v.new_zeros(0),
                    f"{label} sums over the queries: multiply the weights (queries on rows) by v.",
                )
            ],
        )
        if not result:
            return result
    return Result.ok(
        f"{what} agrees with attention_matrix on all {len(cases)} cases, batches and masks "
        "included."
    )


def check_spread_prediction(predicted, d_k: int = 1024, n_pairs: int = 4000) -> Result:
    """Exercise 1: the standard deviation of ``q · k`` for random ``q, k`` of ``d_k`` numbers
    (mean 0, variance 1), predicted before measuring it; within 10%."""
    gen = torch.Generator().manual_seed(5)
    q, k = torch.randn(2, n_pairs, d_k, generator=gen)
    spread = round(float((q * k).sum(-1).std()), 1)
    return check_prediction(
        predicted,
        spread,
        f"the measured spread of q · k for d_k = {d_k}",
        f"a sum of d_k products of variance 1 has variance d_k, so its spread is "
        f"sqrt({d_k}) = {math.sqrt(d_k):g}.",
        tolerance=0.1,
    )
