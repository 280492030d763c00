"""attention_utils.exercises.nb02: the checks of notebook 02 (vocabulary)."""

from __future__ import annotations

import torch
from support import fails, passes

from attention_utils.data import load_names
from attention_utils.exercises import nb02
from attention_utils.vocab import CharTable

NAMES = load_names()
TABLE = CharTable.from_names(NAMES)


# --------------------------------------------------------------------------- 02


def test_nb02_encode_by_hand():
    right = TABLE.encode("^ravi$").tolist()
    assert nb02.check_encode_by_hand(right, "ravi")
    fails(nb02.check_encode_by_hand(right[1:-1], "ravi"), "tokens are missing")
    fails(nb02.check_encode_by_hand([i + 1 for i in right], "ravi"), "1 too high")
    assert not nb02.check_encode_by_hand(right[::-1], "ravi")


def test_nb02_one_hot():
    right = torch.zeros(4, 28)
    right[torch.arange(4), TABLE.encode("^om$")] = 1
    assert nb02.check_one_hot(right, "^om$")
    fails(nb02.check_one_hot(right.T, "^om$"), "transposed")
    fails(nb02.check_one_hot(right[:, :26], "^om$"), "shape")
    fails(nb02.check_one_hot(..., "^om$"), "empty")


def test_nb02_decode():
    assert nb02.check_decode(lambda ids: "".join(TABLE.symbols[i] for i in ids))
    fails(nb02.check_decode(lambda ids: [TABLE.symbols[i] for i in ids]), "list")
    fails(nb02.check_decode(lambda ids: TABLE.decode(ids)[1:-1]), "tokens")
    fails(nb02.check_decode(lambda ids: "x"[ids[1]]), "raised IndexError")


def test_one_hot_shape_prediction():
    T, V = len("^lakshmi$"), len(TABLE)
    passes(nb02.check_one_hot_shape_prediction((T, V)))
    passes(nb02.check_one_hot_shape_prediction([T, V]))
    for wrong in [(V, T), (T - 2, V), (T, V - 2)]:
        result = nb02.check_one_hot_shape_prediction(wrong)
        fails(result, str((T, V)))
