"""attention_utils.exercises.core: the pieces every check is built from."""

from __future__ import annotations

import math

import torch
from support import fails, not_written, passes

from attention_utils.exercises import (
    Result,
    as_number,
    as_tensor,
    call_answer,
    compare_tensor,
    diagnose,
)


def test_call_answer_calls_or_says_why_not():
    assert call_answer(lambda a, b: a + b, "add", 2, 3) == 5
    fails(call_answer(..., "add"), "still empty")
    fails(call_answer(3, "add"), "should be a function, got int")
    fails(call_answer(not_written, "add"), "not written yet")
    fails(call_answer(lambda x: 1 / x, "inverse", 0), "inverse(0) raised ZeroDivisionError")


def test_as_number_and_as_tensor():
    assert as_number(torch.tensor(2.5), "x") == 2.5
    fails(as_number(torch.ones(3), "x"), "one number", "shape (3,)")
    fails(as_number(math.nan, "x", nan_hint="a hint"), "is NaN: a hint")
    fails(as_number(math.inf, "x"), "infinite")
    result = Result.fail("from call_answer")
    assert as_number(result, "x") is result
    assert as_tensor([[1, 2]], "w").dtype == torch.float64
    fails(as_tensor("abc", "w"), "should be a tensor")


def test_compare_tensor_names_the_usual_mistakes():
    want = torch.softmax(torch.randn(4, 4, generator=torch.Generator().manual_seed(0)), -1)
    passes(compare_tensor(want.clone(), want))
    fails(compare_tensor(want.T, want), "transposed")
    fails(compare_tensor(want[:3], want), "has shape (3, 4)")
    fails(compare_tensor(want * 2, want, rows_sum_to_one=True), "should each sum to 1")


def test_diagnose_prefers_a_known_mistake_and_falls_back_on_compare():
    want = torch.tensor([0.2, 0.8])
    raw = torch.tensor([1.0, 2.0])
    mistakes = [(raw, "the softmax is missing")]
    passes(diagnose(want.clone(), want, "w", mistakes))
    fails(diagnose(raw, want, "w", mistakes), "the softmax is missing")
    fails(diagnose(torch.tensor([0.5, 0.6]), want, "w", mistakes), "values differ")


def test_the_packages_own_function_is_not_an_answer():
    import functools

    from attention_utils.attention import attention_matrix
    from attention_utils.exercises import nb05

    fails(call_answer(attention_matrix, "my_attention"), "package's own attention_matrix")
    partial = functools.partial(attention_matrix, scale=True)
    fails(call_answer(partial, "my_attention"), "package's own")
    fails(nb05.check_attention_function(attention_matrix), "package's own")


def test_call_answer_alone_refuses_a_call_into_the_package():
    from attention_utils.attention import causal_mask

    fails(call_answer(lambda T: causal_mask(T), "causal", 3, alone=True), "causal_mask")
    assert call_answer(lambda T: causal_mask(T), "causal", 3).shape == (3, 3)  # not asked
    assert call_answer(lambda T: torch.ones(T, T).tril(), "causal", 3, alone=True).shape == (3, 3)


def test_call_answer_loops_refuses_whole_matrix_operations_only():
    q, k = torch.randn(3, 2), torch.randn(4, 2)
    fails(call_answer(lambda q, k: q @ k.T, "s", q, k, loops=True), "whole matrix", "matmul")
    fails(call_answer(lambda q, k: q[:, None] * k[None], "s", q, k, loops=True), "mul")

    def by_loops(q, k):
        out = torch.zeros(len(q), len(k))
        for i in range(len(q)):
            for j in range(len(k)):
                out[i, j] = q[i] @ k[j]
        return out / 2  # one matrix and a number: left for the check to judge

    assert torch.allclose(call_answer(by_loops, "s", q, k, loops=True), q @ k.T / 2)


def test_call_answer_forbid_names_the_torch_function():
    ids = torch.tensor([0, 2])
    fails(
        call_answer(lambda i: torch.nn.functional.one_hot(i, 3), "oh", ids, forbid=("one_hot",)),
        "calls one_hot",
    )
    assert call_answer(lambda i: torch.eye(3)[i], "oh", ids, forbid=("one_hot",)).shape == (2, 3)


def test_the_watch_is_gone_after_the_call():
    import sys

    before = sys.getprofile()
    call_answer(lambda: 1 / 0, "f", alone=True, loops=True)
    assert sys.getprofile() is before
    assert (torch.ones(2, 2) @ torch.ones(2, 2)).shape == (2, 2)  # no mode left behind


def test_check_modules_offer_no_solution_to_import():
    """A check module's public functions are its checks: no reference solution a student
    could wrap in a lambda (what a check needs itself is private or inline)."""
    import importlib
    import inspect

    for n in range(1, 10):
        module = importlib.import_module(f"attention_utils.exercises.nb0{n}")
        own = [
            name
            for name, obj in vars(module).items()
            if inspect.isfunction(obj)
            and obj.__module__ == module.__name__
            and not name.startswith(("_", "check_"))
        ]
        assert not own, f"nb0{n} exports {own}"
