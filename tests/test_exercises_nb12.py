"""The exercise checks of notebook 12: right answers pass, typical wrong ones fail with the
message meant for them, and no message gives the answer away."""

from __future__ import annotations

import math

import pytest
import torch
from support import fails, not_written, passes

from attention_utils.exercises import nb12


def predict(T):
    allowed = torch.ones(T, T).tril()
    return allowed / allowed.sum(dim=-1, keepdim=True)


def mean_entropy(weights):
    logs = torch.where(weights > 0, weights.log(), torch.zeros_like(weights))
    return float(-(weights * logs).sum(dim=-1).mean())


# --------------------------------------------------------------------------- exercise 1


def test_uniform_prediction_accepts_any_right_answer():
    assert nb12.check_uniform_prediction(predict)

    def by_loops(T):  # another way to the same answer, as a list of lists
        return [[1 / (i + 1) if j <= i else 0.0 for j in range(T)] for i in range(T)]

    result = nb12.check_uniform_prediction(by_loops)
    assert result, result.message
    assert "untrained model is within" in result.message


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda T: torch.full((T, T), 1 / T), "cannot look at the characters after it"),
        (lambda T: predict(T).T, "transposed"),
        (lambda T: torch.ones(T, T).tril(), "should each sum to 1"),
        (lambda T: predict(T + 1), "has shape"),
        (lambda T: torch.eye(T), "values differ"),
        (not_written, "not written yet"),
        (..., "still empty"),
        ("uniform", "should be a function"),
        (lambda T: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_uniform_prediction_names_the_mistake(answer, message):
    result = nb12.check_uniform_prediction(answer)
    assert not result and message in result.message, result.message
    assert "❌" in repr(result)


def test_uniform_prediction_compares_with_the_model(monkeypatch):
    """If the untrained model did not average the past, a right formula would still fail."""
    trained, untrained, table = nb12._models()
    peaked = type(untrained)(untrained.config).eval()
    with torch.no_grad():
        peaked.load_state_dict(untrained.state_dict())
        for block in peaked.blocks:
            block.attn.q_proj.weight.mul_(300)
    monkeypatch.setattr(nb12, "_MODELS", (trained, peaked, table))
    result = nb12.check_uniform_prediction(predict)
    assert not result and "differs from it by" in result.message


# --------------------------------------------------------------------------- exercise 2


def test_mean_entropy_knows_the_values_of_simple_weights():
    """The check's own answer on weights whose entropy is known: a wrong formula fails on them."""
    passes(nb12.check_mean_entropy(mean_entropy))
    uniform_four = torch.full((4, 4), 0.25)  # the first case: log 4 per row
    assert math.isclose(mean_entropy(uniform_four), math.log(4), rel_tol=1e-6)
    fails(nb12.check_mean_entropy(lambda w: math.log(4)), "is not the mean entropy")


def test_mean_entropy_has_no_reference_to_wrap():
    """The shortcut was a lambda around nb12.mean_entropy_reference: no reference is left to
    import, and the package's own functions may not be called."""
    assert not [name for name in dir(nb12) if "reference" in name]
    fails(nb12.check_mean_entropy(lambda w: nb12._entropy_cases() and 0.0), "package's")
    passes(nb12.check_mean_entropy(lambda w: float(torch.special.entr(w).sum(-1).mean())))


def test_mean_entropy_accepts_the_solution_and_a_tensor_result():
    assert nb12.check_mean_entropy(mean_entropy)
    assert nb12.check_mean_entropy(lambda w: torch.tensor(mean_entropy(w)))
    assert nb12.check_mean_entropy(
        lambda w: -torch.nansum(w * torch.log(w), dim=-1).mean()  # another way: nansum
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda w: float(-(w * w.log()).sum(-1).mean()), "0 * log(0) must count as 0"),
        (lambda w: -mean_entropy(w), "wrong sign"),
        (lambda w: mean_entropy(w) / math.log(2), "in bits"),
        (lambda w: mean_entropy(w) * w[..., 0].numel(), "adds up the rows"),
        (lambda w: -(w * torch.where(w > 0, w.log(), 0 * w)).sum(-1), "should return one number"),
        (lambda w: mean_entropy(w) + 0.1, "is not the mean entropy"),
        (not_written, "not written yet"),
        (None, "still empty"),
    ],
)
def test_mean_entropy_names_the_mistake(answer, message):
    result = nb12.check_mean_entropy(answer)
    assert not result and message in result.message, result.message


# --------------------------------------------------------------------------- exercise 3


def _entropies():
    trained, _, table = nb12._models()
    out = {}
    for name in nb12.CANDIDATES:
        out[name] = mean_entropy(trained.attention_maps(table.batch(name))[-1][0])
    return out


def test_most_peaked_accepts_the_right_name_in_any_case():
    entropies = _entropies()
    best = min(entropies, key=entropies.get)
    assert nb12.check_most_peaked(best)
    assert nb12.check_most_peaked(f"  {best.capitalize()} ")


def test_most_peaked_rejects_the_others_without_naming_the_answer():
    entropies = _entropies()
    best = min(entropies, key=entropies.get)
    order = sorted(entropies, key=entropies.get)
    for rank, name in enumerate(order[1:], start=1):
        result = nb12.check_most_peaked(name)
        assert not result
        assert best not in result.message
        assert f"{rank} of the candidates" in result.message


@pytest.mark.parametrize(
    ("answer", "message"),
    [("bob", "not one of the candidates"), (..., "still empty"), (3, "should be a name")],
)
def test_most_peaked_names_the_mistake(answer, message):
    result = nb12.check_most_peaked(answer)
    assert not result and message in result.message


def test_candidates_have_one_length_and_fit_the_vocabulary():
    _, _, table = nb12._models()
    assert len({len(n) for n in nb12.CANDIDATES}) == 1
    for name in nb12.CANDIDATES:
        table.encode(name)


def test_last_row_prediction_same_in_layer_0_not_in_layer_1():
    passes(nb12.check_last_row_prediction((True, False)))
    passes(nb12.check_last_row_prediction([True, False]))
    fails(nb12.check_last_row_prediction((True, True)), "(True, False)", "other keys")
    fails(nb12.check_last_row_prediction((True,)), "one True or False per layer")
    fails(nb12.check_last_row_prediction(...), "prediction first")
