"""Checks for the exercises of notebook 07 (multi-head attention).

1. :func:`check_head_shapes`: predict the shapes of the split queries and of the weights;
2. :func:`check_split_heads`: split ``(B, T, d_model)`` into heads with ``einops.rearrange``;
3. :func:`check_param_count`: the number of parameters of a multi-head attention layer.

Exercise 1 is about the layer of the notebook's task: ``x`` of shape ``(B, T, d_model) =
(3, 12, 16)`` through :class:`~attention_utils.attention.MultiHeadAttention` with 4 heads.
"""

from __future__ import annotations

import einops
import torch

from attention_utils.exercises.core import Result, call_answer, compare_tensor

#: Exercise 1's sizes.
B, T, D_MODEL, N_HEADS = 3, 12, 16, 4


def _shape(answer, what: str):
    if answer is None or answer is Ellipsis:
        return Result.fail(f"{what} is still empty: replace `...` with your answer.")
    if isinstance(answer, torch.Size):
        answer = tuple(answer)
    if not isinstance(answer, (tuple, list)) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in answer
    ):
        return Result.fail(f"{what} should be a tuple of whole numbers, like (2, 5).")
    return tuple(answer)


def check_head_shapes(q_heads_shape, weights_shape) -> Result:
    """Exercise 1: shapes of ``q`` after the split and of the weights, for ``(3, 12, 16)``, 4 heads."""
    d_head = D_MODEL // N_HEADS
    q_shape = _shape(q_heads_shape, "q_heads_shape")
    if isinstance(q_shape, Result):
        return q_shape
    w_shape = _shape(weights_shape, "weights_shape")
    if isinstance(w_shape, Result):
        return w_shape
    if q_shape != (B, N_HEADS, T, d_head):
        if len(q_shape) != 4:
            return Result.fail(
                f"q_heads_shape {q_shape} has {len(q_shape)} axes; after the split there are "
                "four: batch, head, time, feature."
            )
        if q_shape == (B, T, N_HEADS, d_head):
            return Result.fail(
                "q_heads_shape: the head axis comes before the time axis ('b t (h d) -> b h t d'), "
                "so that each head is a batch of ordinary (T, d_head) attention."
            )
        if q_shape[-1] == D_MODEL:
            return Result.fail(
                "q_heads_shape: a head does not see all d_model features; the features are "
                "shared out between the heads."
            )
        return Result.fail(f"q_heads_shape {q_shape} is not right: which axis is which?")
    if w_shape != (B, N_HEADS, T, T):
        if w_shape == (B, T, T):
            return Result.fail("weights_shape: every head has its own attention map.")
        if w_shape[-1] == d_head or w_shape[-1] == D_MODEL:
            return Result.fail(
                "weights_shape: the weights compare positions with positions; the features are "
                "summed over in q k^T."
            )
        return Result.fail(f"weights_shape {w_shape} is not right: one (T, T) map per what?")
    return Result.ok(f"q is split into {N_HEADS} heads of {d_head} features, one map per head.")


def check_split_heads(fn) -> Result:
    """Exercise 2: ``fn(x, n_heads)``: ``(B, T, d_model)`` -> ``(B, n_heads, T, d_model // n_heads)``."""
    if not callable(fn):
        return Result.fail(f"split_heads should be a function, got {type(fn).__name__}.")
    g = torch.Generator().manual_seed(7)
    for shape, h in (((2, 5, 8), 2), ((1, 10, 8), 4), ((3, 4, 6), 3), ((1, 3, 4), 1)):
        x = torch.randn(*shape, generator=g)
        what = f"split_heads(<x {shape}>, {h})"
        got = call_answer(fn, "split_heads", x, h, alone=True)
        if isinstance(got, Result):
            return got
        want = einops.rearrange(x, "b t (h d) -> b h t d", h=h)
        if not isinstance(got, torch.Tensor):
            return Result.fail(f"{what} should return a tensor, got {type(got).__name__}.")
        Bx, Tx, d = shape
        if got.shape == (Bx, Tx, h, d // h) and h > 1:
            return Result.fail(
                f"{what} has shape {tuple(got.shape)}: move the head axis before the time axis."
            )
        if got.shape == (Bx, h, d // h, Tx) and torch.allclose(got.transpose(-2, -1), want):
            return Result.fail(
                f"{what} has shape {tuple(got.shape)}: the last two axes are transposed; "
                "time comes before the features of a head."
            )
        if got.shape == want.shape and h > 1:
            interleaved = einops.rearrange(x, "b t (d h) -> b h t d", h=h)
            if torch.allclose(got, interleaved):
                return Result.fail(
                    f"{what} deals the features out in turn (pattern '(d h)'); each head takes "
                    "a block of consecutive features: '(h d)'."
                )
            if torch.allclose(got, x.reshape(want.shape)):
                return Result.fail(
                    f"{what} reshapes without moving any axis, which mixes positions and heads: "
                    "split the last axis, then bring the head axis forward."
                )
        result = compare_tensor(got, want, what, success="")
        if not result:
            return result
    return Result.ok("each head gets its own block of features, for every shape tried.")


def check_causal_mult_adds(fn) -> Result:
    """Exercise 3: ``fn(d_model, n_heads, T)``, the multiply-adds of a causal layer that skips
    the masked pairs."""
    if not callable(fn):
        return Result.fail(f"causal_mult_adds should be a function, got {type(fn).__name__}.")
    for d_model, h, T in ((8, 1, 10), (8, 4, 10), (16, 2, 7), (64, 8, 12), (12, 3, 1)):
        # the four projections, then for query i only the keys j <= i (counted off the mask),
        # in the scores and again in the weighted sum
        pairs = int(torch.ones(T, T).tril().sum())
        want = 4 * T * d_model * d_model + 2 * pairs * d_model
        got = call_answer(fn, "causal_mult_adds", d_model, h, T, alone=True)
        if isinstance(got, Result):
            return got
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if not isinstance(got, int) or isinstance(got, bool):
            return Result.fail(f"causal_mult_adds should return a whole number, got {got!r}.")
        if got == want:
            continue
        projections = 4 * T * d_model * d_model
        hint = {
            projections + 2 * T * T * d_model: "that counts all T² pairs; with the mask, "
            "query i needs only the keys up to itself.",
            2 * (T * (T + 1) // 2) * d_model: "the four projections cost multiply-adds too.",
            projections + T * (T - 1) * d_model: "query i may also look at itself: row i "
            "has i + 1 keys, not i.",
            projections + T * (T + 1) * d_model * h: "the heads split d_model between them: "
            "each head's dot products have d_model / n_heads terms.",
            projections + (T * (T + 1) // 2) * d_model: "the weighted sum of the values skips "
            "the same pairs as the scores, and costs as much.",
        }.get(got)
        if hint is None:
            hint = f"that is too {'high' if got > want else 'low'}."
        return Result.fail(f"causal_mult_adds({d_model}, {h}, {T}) = {got}: {hint}")
    return Result.ok(
        "4 T d_model² for the projections and T (T + 1) d_model for the T (T + 1) / 2 pairs "
        "left by the mask: a little more than half the unmasked attention, projections unchanged."
    )
