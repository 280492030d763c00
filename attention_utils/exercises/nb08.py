"""Checks for the exercises of notebook 08 (training).

1. :func:`check_bigram_probs`: counts ``(V, V)`` -> add-alpha smoothed probabilities;
2. :func:`check_nll`: the mean negative log-likelihood per character, padding ignored;
3. :func:`check_temperature`: logits and a temperature -> the probabilities to sample from;
4. :func:`check_variants`: the model without positions, without the mask, with one head, and a
   prediction of which trains to the lowest validation NLL.
"""

from __future__ import annotations

import math

import torch

from attention_utils.exercises.core import (
    Result,
    as_number,
    call_answer,
    check_prediction,
    compare_tensor,
)
from attention_utils.models import IGNORE_INDEX, count_parameters

# --------------------------------------------------------------------------- exercise 1


def _bigram_cases():
    gen = torch.Generator().manual_seed(8)
    counts = torch.randint(0, 6, (5, 5), generator=gen).float()
    counts[2] = 0  # a context never seen
    return [
        (counts, 1.0),
        (counts, 0.1),
        (torch.randint(0, 20, (7, 7), generator=gen).float(), 0.5),
    ]


def check_bigram_probs(fn) -> Result:
    """Exercise 1: ``fn(counts (V, V), alpha)`` -> ``P (V, V)``, row i = P(next | i)."""
    for counts, alpha in _bigram_cases():
        got = call_answer(fn, "bigram_probs", counts.clone(), alpha, alone=True)
        if isinstance(got, Result):
            return got
        want = (counts + alpha) / (counts + alpha).sum(1, keepdim=True)
        if isinstance(got, torch.Tensor) and got.shape == want.shape:
            got = got.detach().double()
            by_column = (counts + alpha) / (counts + alpha).sum(0, keepdim=True)
            if torch.allclose(got, by_column.double(), atol=1e-6) and not torch.allclose(
                by_column, want
            ):
                return Result.fail(
                    "the columns of your table sum to 1, not the rows: row i is the "
                    "distribution of the character after i, so normalise along dim=1."
                )
            seen = counts.sum(1) > 0
            plain = counts[seen] / counts[seen].sum(1, keepdim=True)
            if torch.allclose(got[seen], plain.double(), atol=1e-6):
                return Result.fail(
                    f"with alpha={alpha} every count should grow by alpha before normalising: "
                    "your table looks unsmoothed (an unseen pair still has probability 0)."
                )
        result = compare_tensor(got, want, f"bigram_probs(counts, {alpha})", rows_sum_to_one=True)
        if not result:
            return result
    return Result.ok("every row is a smoothed distribution that sums to 1.")


# --------------------------------------------------------------------------- exercise 2


def _nll_cases():
    gen = torch.Generator().manual_seed(80)
    logits = torch.randn(3, 6, 5, generator=gen) * 2
    targets = torch.randint(0, 5, (3, 6), generator=gen)
    targets[0, 4:] = IGNORE_INDEX  # a short name, padded
    targets[2, 2:] = IGNORE_INDEX
    return [(logits, targets), (logits[:1, :3], targets[:1, :3])]


def check_nll(fn) -> Result:
    """Exercise 2: ``fn(logits (B, T, V), targets (B, T))`` -> mean NLL in nats per character,
    over the positions whose target is not -1."""
    for logits, targets in _nll_cases():
        got = as_number(
            call_answer(fn, "nll_per_char", logits.clone(), targets.clone(), alone=True),
            "nll_per_char",
        )
        if isinstance(got, Result):
            return got
        logp = torch.log_softmax(logits.double(), -1)
        keep = targets != IGNORE_INDEX
        picked = logp.gather(-1, targets.clamp(min=0)[..., None])[..., 0][keep]
        want = float(-picked.mean())
        if math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-6):
            continue
        if math.isclose(got, -want, rel_tol=1e-4):
            return Result.fail("the sign is flipped: the loss is the *negative* log-probability.")
        if math.isclose(got, want / math.log(2), rel_tol=1e-4):
            return Result.fail("that is in bits (log base 2); use the natural log for nats.")
        if math.isclose(got, float(-picked.sum()), rel_tol=1e-4):
            return Result.fail("that is the total; divide by the number of characters counted.")
        all_pos = logp.gather(-1, targets.clamp(min=0)[..., None])[..., 0]
        if math.isclose(got, float(-all_pos.mean()), rel_tol=1e-4) or math.isclose(
            got, float(-picked.sum() / targets.numel()), rel_tol=1e-4
        ):
            return Result.fail(
                "the padding (targets equal to -1) is being counted: leave those positions out "
                "of both the sum and the count."
            )
        raw = logits.double().gather(-1, targets.clamp(min=0)[..., None])[..., 0][keep]
        if math.isclose(got, float(-raw.mean()), rel_tol=1e-4):
            return Result.fail(
                "the logits are used as if they were log-probabilities: take a log-softmax "
                "over the vocabulary (the last axis) first."
            )
        return Result.fail(f"got {got:.4f} nats per character for a case, which is not right.")
    return Result.ok("the mean NLL per character, padding ignored.")


# --------------------------------------------------------------------------- exercise 3


def check_temperature(fn) -> Result:
    """Exercise 3: ``fn(logits (V,), temperature)`` -> probabilities ``(V,)`` that sum to 1."""
    logits = torch.tensor([2.0, 1.0, 0.5, -1.0, 0.0])
    for temperature in (1.0, 0.5, 2.0, 0.1):
        got = call_answer(fn, "temperature_probs", logits.clone(), temperature, alone=True)
        if isinstance(got, Result):
            return got
        want = torch.softmax(logits / temperature, -1)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and temperature != 1.0:
            if torch.allclose(got.double(), torch.softmax(logits * temperature, -1).double()):
                return Result.fail(
                    f"at temperature {temperature} your probabilities are the ones for "
                    f"{1 / temperature:g}: divide the logits by the temperature."
                )
            if torch.allclose(got.double(), torch.softmax(logits, -1).double()):
                return Result.fail(f"the temperature {temperature} has no effect on your answer.")
        result = compare_tensor(
            got, want, f"temperature_probs(logits, {temperature})", rows_sum_to_one=True
        )
        if not result:
            return result
    return Result.ok("low temperatures sharpen, high ones flatten, and each sums to 1.")


# --------------------------------------------------------------------------- exercise 4

#: The variants of exercise 4, as ``variant(kind)`` takes them.
VARIANTS = ("full", "no positions", "no mask", "one head")


def _shape_of(model, kind: str, full) -> str | None:
    """What is wrong with ``model`` as the variant ``kind`` (None: nothing)."""
    blocks = list(getattr(model, "blocks", []))
    if not blocks or not all(hasattr(b, "rel") and hasattr(b, "causal") for b in blocks):
        return "it should be a NameTransformer, whose blocks have `rel` and `causal`"
    heads = {b.attn.n_heads for b in blocks}
    want_heads = {1} if kind == "one head" else {full.blocks[0].attn.n_heads}
    if heads != want_heads:
        return f"its blocks have {sorted(heads)} heads, not {sorted(want_heads)}"
    if kind == "no positions" and any(b.rel is not None for b in blocks):
        return "a block still has its relative positions: set `block.rel = None` in every block"
    if kind != "no positions" and any(b.rel is None for b in blocks):
        return "a block has lost its relative positions, which only 'no positions' drops"
    if kind == "no mask" and any(b.causal for b in blocks):
        return "a block still uses the causal mask: set `block.causal = False` in every block"
    if kind != "no mask" and not all(b.causal for b in blocks):
        return "a block has no causal mask, which only 'no mask' drops"
    return None


def check_variants(variant, lowest, results: dict) -> Result:
    """Exercise 4: ``variant(kind)`` for each of :data:`VARIANTS` gives the model asked for;
    ``results[kind]["validation NLL"]`` (and ``["with the mask"]``) are what the notebook
    measured; ``lowest`` is the prediction of the variant with the lowest validation NLL."""
    models = {}
    for kind in VARIANTS:
        got = call_answer(variant, "variant", kind)
        if isinstance(got, Result):
            return got
        models[kind] = got
    for kind, model in models.items():
        wrong = _shape_of(model, kind, models["full"])
        if wrong:
            return Result.fail(f"variant({kind!r}): {wrong}.")
    rel = models["full"].blocks[0].rel.table.numel() * len(models["full"].blocks)
    if count_parameters(models["full"]) - count_parameters(models["no positions"]) != rel:
        return Result.fail(
            "variant('no positions') should differ from the full model only by the tables of "
            f"relative positions ({rel} numbers)."
        )
    missing = [k for k in VARIANTS if k not in results]
    if missing:
        return Result.fail(f"results has no line for {missing}: run the cell that trains them.")
    nll = {k: as_number(results[k]["validation NLL"], f"results[{k!r}]") for k in VARIANTS}
    bad = [k for k, v in nll.items() if isinstance(v, Result) or not math.isfinite(v)]
    if bad:
        return Result.fail(f"the validation NLL of {bad} is not a finite number.")
    actual = min(nll, key=nll.get)
    masked = results["no mask"]["with the mask"]
    others = [nll[k] for k in VARIANTS if k != "no mask"]
    why = (
        f"without the mask each character sees the next one, the very character it must "
        f"predict, and learns to copy it ({nll['no mask']:.3f}). Read with the mask, as when "
        f"it writes a name one character at a time, it scores {masked:.3f}, against "
        f"{nll['full']:.3f} for the full model. The other variants are within "
        f"{max(others) - min(others):.3f} of each other after this short training: too "
        "close to rank without more steps and more folds (notebook 11 shows what it takes to "
        "tell two models apart)."
    )
    if actual != "no mask":
        why = f"lowest here: {actual!r} ({nll[actual]:.3f})."
    return check_prediction(lowest, actual, "the variant with the lowest validation NLL", why)
