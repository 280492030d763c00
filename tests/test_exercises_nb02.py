"""attention_utils.exercises.nb02: the checks of notebook 02 (vocabulary)."""

from __future__ import annotations

import torch

from attention_utils.data import load_names
from attention_utils.exercises import nb02
from attention_utils.vocab import CharTable

NAMES = load_names()
TABLE = CharTable.from_names(NAMES)


# --------------------------------------------------------------------------- 02


def test_nb02_encode_by_hand():
    right = TABLE.encode("^ravi$").tolist()
    assert nb02.check_encode_by_hand(right, "ravi")
    assert "tokens are missing" in nb02.check_encode_by_hand(right[1:-1], "ravi").message
    assert "1 too high" in nb02.check_encode_by_hand([i + 1 for i in right], "ravi").message
    assert not nb02.check_encode_by_hand(right[::-1], "ravi")


def test_nb02_one_hot():
    right = torch.zeros(4, 28)
    right[torch.arange(4), TABLE.encode("^om$")] = 1
    assert nb02.check_one_hot(right, "^om$")
    assert "transposed" in nb02.check_one_hot(right.T, "^om$").message
    assert "shape" in nb02.check_one_hot(right[:, :26], "^om$").message
    assert "empty" in nb02.check_one_hot(..., "^om$").message


def test_nb02_decode():
    assert nb02.check_decode(lambda ids: "".join(TABLE.symbols[i] for i in ids))
    assert "list" in nb02.check_decode(lambda ids: [TABLE.symbols[i] for i in ids]).message
    assert "tokens" in nb02.check_decode(lambda ids: TABLE.decode(ids)[1:-1]).message
    assert "raised IndexError" in nb02.check_decode(lambda ids: "x"[ids[1]]).message


def test_one_hot_shape_prediction():
    T, V = len("^lakshmi$"), len(TABLE)
    assert nb02.check_one_hot_shape_prediction((T, V)).passed
    assert nb02.check_one_hot_shape_prediction([T, V]).passed
    for wrong in [(V, T), (T - 2, V), (T, V - 2)]:
        result = nb02.check_one_hot_shape_prediction(wrong)
        assert not result.passed and str((T, V)) in result.message
