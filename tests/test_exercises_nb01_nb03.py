"""The checks of notebooks 01-03: right answers pass, typical wrong ones fail with the intended hint."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from attention_utils.data import load_names
from attention_utils.exercises import nb01, nb02, nb03
from attention_utils.vocab import CharTable

NAMES = load_names()
TABLE = CharTable.from_names(NAMES)


# --------------------------------------------------------------------------- 01


def test_nb01_count_starting_with():
    right = sum(n.startswith("s") for n in NAMES)
    assert nb01.check_count_starting_with(right, "s")
    assert "contain" in nb01.check_count_starting_with(sum("s" in n for n in NAMES), "s").message
    assert "end" in nb01.check_count_starting_with(sum(n.endswith("a") for n in NAMES), "a").message
    assert "too high" in nb01.check_count_starting_with(right + 1, "s").message
    assert "empty" in nb01.check_count_starting_with(..., "s").message
    assert not nb01.check_count_starting_with(float(right), "s")


def test_nb01_longest():
    top = max(map(len, NAMES))
    longest = [n for n in NAMES if len(n) == top]
    assert nb01.check_longest(longest)
    assert nb01.check_longest(list(reversed(longest)))  # any order
    if len(longest) > 1:
        assert "more name" in nb01.check_longest(longest[:1]).message
    assert "longer" in nb01.check_longest([NAMES[1]]).message
    assert "not names" in nb01.check_longest(["xyzzy"]).message


def test_nb01_letter_share():
    def right(names, letter):
        return sum(n.count(letter) for n in names) / sum(map(len, names))

    assert nb01.check_letter_share(right)
    assert "percentage" in nb01.check_letter_share(lambda ns, c: 100 * right(ns, c)).message
    assert "count" in nb01.check_letter_share(lambda ns, c: sum(n.count(c) for n in ns)).message
    per_name = nb01.check_letter_share(lambda ns, c: sum(n.count(c) for n in ns) / len(ns))
    assert "number of names" in per_name.message

    def stub(names, letter):
        raise NotImplementedError

    assert "not written yet" in nb01.check_letter_share(stub).message


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


# --------------------------------------------------------------------------- 03


@pytest.fixture()
def embedding():
    torch.manual_seed(0)
    return nn.Embedding(len(TABLE), 8)


def test_nb03_lookup(embedding):
    ids = TABLE.encode("^om$")
    assert nb03.check_lookup(embedding.weight[ids], embedding, TABLE, "^om$")
    assert "one-hot" in nb03.check_lookup(TABLE.one_hot("^om$"), embedding, TABLE, "^om$").message
    assert not nb03.check_lookup(embedding.weight[ids + 1], embedding, TABLE, "^om$")


def test_nb03_parameter_count(embedding):
    assert nb03.check_parameter_count(28 * 8, embedding)
    assert "multiplied" in nb03.check_parameter_count(28 + 8, embedding).message
    assert "one side" in nb03.check_parameter_count(28, embedding).message


def test_nb03_rows_with_gradient():
    right = set(TABLE.encode("^ravi$").tolist())
    assert nb03.check_rows_with_gradient(right, TABLE, "ravi")
    assert nb03.check_rows_with_gradient(sorted(right), TABLE, "ravi")  # a list is fine too
    letters = set(TABLE.encode("ravi").tolist())
    assert "tokens" in nb03.check_rows_with_gradient(letters, TABLE, "ravi").message
    assert "too many" in nb03.check_rows_with_gradient(set(range(28)), TABLE, "ravi").message
