"""Checks for the exercises of notebook 06 (positions and masks).

1. :func:`check_causal_mask`: write ``causal(T)``, the ``(T, T)`` boolean mask, True = may attend;
2. :func:`check_masked_weights`: write ``causal_weights(scores)``, causal attention weights;
3. :func:`check_sinusoidal`: write the sinusoidal encodings ``(T, d_model)`` from the formula.
"""

from __future__ import annotations

import torch

from attention_utils.attention import attention_matrix, causal_mask, masked_softmax
from attention_utils.exercises.core import Result, call_answer, check_prediction, compare_tensor
from attention_utils.positions import sinusoidal_positions
from attention_utils.vocab import CharTable


def check_causal_mask(fn) -> Result:
    """Exercise 2: ``fn(T)`` returns the causal mask, ``(T, T)`` boolean, True = may attend."""
    for T in (5, 1, 2, 10):
        got = call_answer(fn, "causal", T, alone=True)
        if isinstance(got, Result):
            return got
        if not isinstance(got, torch.Tensor):
            return Result.fail(f"causal({T}) should return a tensor, got {type(got).__name__}.")
        want = causal_mask(T)
        if got.shape != want.shape:
            return Result.fail(
                f"causal({T}) has shape {tuple(got.shape)}; it should be (T, T) = ({T}, {T}): "
                "one row per query, one column per key."
            )
        if got.dtype != torch.bool:
            return Result.fail(
                f"causal({T}) has dtype {got.dtype}: make it boolean (True = may attend), "
                "e.g. with `.bool()` or by building it from torch.ones(..., dtype=torch.bool)."
            )
        if torch.equal(got, want):
            continue
        if torch.equal(got, ~want):
            return Result.fail(
                f"causal({T}) has True and False swapped: in this series True means 'may "
                "attend' (PyTorch's nn.MultiheadAttention uses the opposite convention)."
            )
        if torch.equal(got, want.T):
            return Result.fail(
                f"causal({T}) is transposed: it lets the first position see every later one. "
                "Rows are queries: row i may see the keys j <= i."
            )
        if torch.equal(got, want.tril(-1)):
            return Result.fail(
                f"causal({T}) leaves the diagonal False: a position may attend to itself."
            )
        if got.all():
            return Result.fail(f"causal({T}) is all True: that lets every position see the future.")
        wrong = int((got != want).sum())
        return Result.fail(
            f"causal({T}) has the right shape and type, but {wrong} of its {T * T} entries are "
            "wrong: row i should be True exactly in the columns j <= i."
        )
    return Result.ok("lower-triangular, diagonal included, for every size tried.")


def check_masked_weights(fn) -> Result:
    """Exercise 3: ``causal_weights(scores)`` -> the causal attention weights ``(T, T)`` of
    ``scores (T, T)``. The check makes its own scores (names of other lengths), so no weights
    computed in the notebook pass."""
    g = torch.Generator().manual_seed(26)
    sizes = (7, 3, 12)
    for T in sizes:
        scores = torch.randn(T, T, generator=g) * 2
        got = call_answer(fn, "causal_weights", scores.clone(), alone=True)
        if isinstance(got, Result):
            return got
        result = _causal_verdict(got, scores, f"causal_weights(<{T}x{T} scores>)")
        if not result:
            return result
    return Result.ok(
        "each row spreads its attention over the past and the present only, for "
        f"{len(sizes)} names of other lengths."
    )


def _causal_verdict(weights, scores: torch.Tensor, what: str) -> Result:
    T = scores.shape[-1]
    allowed = causal_mask(T)
    want = masked_softmax(scores, allowed)
    if isinstance(weights, torch.Tensor) and weights.shape == want.shape:
        got = weights.detach().to(want.dtype)
        if got.isnan().any():
            return Result.fail(
                f"{what} contains NaN: a row whose scores are all -inf has nothing to attend "
                "to. Did you fill the allowed entries instead of the forbidden ones (~mask)?"
            )
        zeroed_after = torch.softmax(scores, -1) * allowed
        if torch.allclose(got, zeroed_after, atol=1e-5):
            return Result.fail(
                f"{what} zeroes the future after the softmax, so the rows no longer sum to 1: "
                "mask the scores (with -inf) before the softmax."
            )
        if torch.allclose(got, torch.softmax(scores, -1), atol=1e-5):
            return Result.fail(
                f"{what} gives the weights without the mask: every position still sees the future."
            )
    return compare_tensor(weights, want, what, rows_sum_to_one=True, mask=allowed)


def check_sinusoidal(fn) -> Result:
    """Exercise 4: ``fn(T, d_model)`` returns the sinusoidal encodings ``(T, d_model)``."""
    for T, d_model in ((10, 8), (4, 2), (30, 16)):
        got = call_answer(fn, "sinusoidal", T, d_model, alone=True)
        if isinstance(got, Result):
            return got
        want = sinusoidal_positions(T, d_model).double()
        what = f"sinusoidal({T}, {d_model})"
        if isinstance(got, torch.Tensor) and got.shape == want.shape:
            g = got.detach().double()
            if torch.allclose(g, want, atol=1e-4):
                continue
            half = torch.cat([want[:, 0::2], want[:, 1::2]], dim=1)
            if torch.allclose(g[:, 0::2], want[:, 1::2], atol=1e-4) and torch.allclose(
                g[:, 1::2], want[:, 0::2], atol=1e-4
            ):
                return Result.fail(f"{what}: sin and cos are swapped: even columns hold the sines.")
            if torch.allclose(g, half, atol=1e-4):
                return Result.fail(
                    f"{what} puts all the sines first and all the cosines after; here they "
                    "alternate: column 2i is a sine, column 2i+1 the cosine of the same angle."
                )
            if torch.allclose(g[:, :2], want[:, :2], atol=1e-4):
                return Result.fail(
                    f"{what}: the first pair of columns is right but later ones are not: check "
                    "the frequency of pair i, 1 / 10000^(2i / d_model)."
                )
        result = compare_tensor(got, want, what, success="")
        if not result:
            if "transposed" in result.message:
                return Result.fail(f"{what} is transposed: one row per position, please.")
            return result
    return Result.ok("sines and cosines at every frequency, for every size tried.")


def check_first_letter_prediction(predicted, d_model: int = 8) -> Result:
    """Exercise 1: with the causal mask, how many of the outputs of ``^abhishek$`` change when
    its first letter changes (``^obhishek$``)? Predicted, then measured on a random layer."""
    table = CharTable.from_names(["abhishek", "obhishek"])
    gen = torch.Generator().manual_seed(6)
    embed = torch.randn(len(table), d_model, generator=gen)
    positions = torch.randn(10, d_model, generator=gen)
    w_q, w_k, w_v = torch.randn(3, d_model, d_model, generator=gen) * d_model**-0.5

    def outputs(name: str) -> torch.Tensor:
        x = embed[table.encode(table.wrap(name))] + positions
        return attention_matrix(x @ w_q, x @ w_k, x @ w_v, causal_mask(10))[0]

    moved = (outputs("abhishek") - outputs("obhishek")).abs().amax(-1) > 0
    return check_prediction(
        predicted,
        int(moved.sum()),
        "the number of outputs that change",
        "every position from the changed letter on has it in its past, so all but the "
        "output of ^ change; the mask hides the future, not the past.",
    )
