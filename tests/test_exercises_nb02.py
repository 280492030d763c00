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


def one_hot_by_hand(ids, n_symbols):
    """The reference solution of exercise 2, as in the notebook."""
    matrix = torch.zeros(len(ids), n_symbols)
    matrix[torch.arange(len(ids)), ids] = 1.0
    return matrix


def test_nb02_one_hot():
    passes(nb02.check_one_hot(one_hot_by_hand))
    passes(nb02.check_one_hot(lambda ids, n: torch.eye(n)[ids]))  # another way, no one_hot
    fails(nb02.check_one_hot(lambda ids, n: one_hot_by_hand(ids, n).T), "transposed")
    fails(nb02.check_one_hot(lambda ids, n: one_hot_by_hand(ids, n)[:, :-1]), "shape")
    fails(nb02.check_one_hot(lambda ids, n: one_hot_by_hand(ids, n) * 2), "values differ")
    fails(nb02.check_one_hot(...), "empty")


def test_nb02_one_hot_refuses_the_ready_made_one():
    """The shortcuts: the table's one_hot (what the notebook shows above the exercise), and
    torch's, each called inside the student's function."""
    fails(nb02.check_one_hot(lambda ids, n: TABLE.one_hot(TABLE.decode(ids))), "package's")
    fails(
        nb02.check_one_hot(lambda ids, n: torch.nn.functional.one_hot(ids, n).float()),
        "calls one_hot",
    )


def test_nb02_decode():
    assert nb02.check_decode(lambda ids: "".join(TABLE.symbols[i] for i in ids))
    fails(nb02.check_decode(lambda ids: [TABLE.symbols[i] for i in ids]), "list")
    fails(nb02.check_decode(lambda ids: "".join(TABLE.symbols[i] for i in ids)[1:-1]), "tokens")
    fails(nb02.check_decode(lambda ids: TABLE.decode(ids)), "package's CharTable.decode")
    fails(nb02.check_decode(lambda ids: "x"[ids[1]]), "raised IndexError")


def test_one_hot_shape_prediction():
    T, V = len("^lakshmi$"), len(TABLE)
    passes(nb02.check_one_hot_shape_prediction((T, V)))
    passes(nb02.check_one_hot_shape_prediction([T, V]))
    for wrong in [(V, T), (T - 2, V), (T, V - 2)]:
        result = nb02.check_one_hot_shape_prediction(wrong)
        fails(result, str((T, V)))
