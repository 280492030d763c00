"""The exercise checks of notebook 08: reference and other correct answers pass, and the
typical wrong answers fail with the message meant for them."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from support import fails, not_written, passes

from attention_utils.attention import MultiHeadAttention
from attention_utils.exercises import nb08
from attention_utils.positions import RelativePositions

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
    fails(result)
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
    fails(result)
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
    fails(result)
    assert message in result.message, result.message


# --------------------------------------------------------------------------- exercise 4


class Block(torch.nn.Module):
    """What the check reads of notebook 08's Block: attn, rel, causal."""

    def __init__(self, n_heads: int):
        super().__init__()
        self.attn = MultiHeadAttention(8, n_heads)
        self.rel = RelativePositions(6, n_heads)
        self.causal = True


class Model(torch.nn.Module):
    def __init__(self, n_heads: int = 4):
        super().__init__()
        self.blocks = torch.nn.ModuleList(Block(n_heads) for _ in range(2))


def variant(kind):
    model = Model(1 if kind == "one head" else 4)
    for block in model.blocks:
        if kind == "no positions":
            block.rel = None
        if kind == "no mask":
            block.causal = False
    return model


RESULTS = {
    "full": {"validation NLL": 2.143, "with the mask": 2.143},
    "no positions": {"validation NLL": 2.151, "with the mask": 2.151},
    "no mask": {"validation NLL": 1.285, "with the mask": 4.217},
    "one head": {"validation NLL": 2.138, "with the mask": 2.138},
}


def test_exercise_4_the_right_variants_and_prediction_pass():
    result = nb08.check_variants(variant, "no mask", RESULTS)
    passes(result)
    assert "4.217" in result.message and "2.143" in result.message


def test_exercise_4_a_wrong_prediction_is_told_why():
    fails(nb08.check_variants(variant, "one head", RESULTS), "'no mask'", "copy it")
    fails(nb08.check_variants(variant, ..., RESULTS), "write down your prediction")


def only_first_block(kind):  # switches off a piece in one block of two
    model = variant("full")
    if kind == "no positions":
        model.blocks[0].rel = None
    if kind == "no mask":
        model.blocks[0].causal = False
    if kind == "one head":
        model.blocks[0].attn = MultiHeadAttention(8, 1)
    return model


def everything_off(kind):  # each variant also loses what another one drops
    model = variant(kind)
    for block in model.blocks:
        block.rel = None if kind != "full" else block.rel
    return model


@pytest.mark.parametrize(
    ("answer", "fragments"),
    [
        (only_first_block, ("variant('no positions')", "block.rel = None")),
        (everything_off, ("variant('no mask')", "only 'no positions' drops")),
        (lambda kind: variant("full"), ("variant('no positions')",)),
        (lambda kind: torch.nn.Linear(2, 2), ("variant('full')", "NameTransformer")),
        (not_written, ("variant",)),
    ],
)
def test_exercise_4_wrong_variants_fail_with_their_message(answer, fragments):
    fails(nb08.check_variants(answer, "no mask", RESULTS), *fragments)


def test_exercise_4_needs_every_measurement():
    partial = {k: v for k, v in RESULTS.items() if k != "one head"}
    fails(nb08.check_variants(variant, "no mask", partial), "'one head'", "run the cell")
    broken = {**RESULTS, "full": {"validation NLL": float("nan"), "with the mask": 1.0}}
    fails(nb08.check_variants(variant, "no mask", broken), "not a finite number")
