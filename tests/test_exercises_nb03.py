"""attention_utils.exercises.nb03: the checks of notebook 03 (embeddings)."""

from __future__ import annotations

import pytest
import torch
from support import fails, passes
from torch import nn

from attention_utils.data import load_names
from attention_utils.exercises import nb03
from attention_utils.vocab import CharTable

NAMES = load_names()
TABLE = CharTable.from_names(NAMES)


# --------------------------------------------------------------------------- 03


@pytest.fixture()
def embedding():
    torch.manual_seed(0)
    return nn.Embedding(len(TABLE), 8)


def test_nb03_lookup(embedding):
    passes(nb03.check_lookup(lambda W, ids: W[ids]))
    passes(nb03.check_lookup(lambda W, ids: torch.stack([W[i] for i in ids])))
    fails(nb03.check_lookup(lambda W, ids: torch.eye(len(W))[ids]), "one-hot")
    fails(nb03.check_lookup(lambda W, ids: W[ids + 1]), "values differ")
    fails(nb03.check_lookup(lambda W, ids: W[ids].T), "transposed")
    fails(nb03.check_lookup(...), "empty")


def test_nb03_lookup_refuses_the_embedding_of_the_page(embedding):
    """The shortcut: the notebook's own embedding layer, called on the ids (the check's W is
    not the notebook's), and torch's embedding function on the right W."""
    fails(nb03.check_lookup(lambda W, ids: embedding(ids)), "calls embedding")
    fails(
        nb03.check_lookup(lambda W, ids: torch.nn.functional.embedding(ids, W)), "calls embedding"
    )


def test_nb03_parameter_count(embedding):
    assert nb03.check_parameter_count(28 * 8, embedding)
    fails(nb03.check_parameter_count(28 + 8, embedding), "multiplied")
    fails(nb03.check_parameter_count(28, embedding), "one side")


def test_nb03_rows_with_gradient():
    right = set(TABLE.encode("^ravi$").tolist())
    assert nb03.check_rows_with_gradient(right, TABLE, "ravi")
    assert nb03.check_rows_with_gradient(sorted(right), TABLE, "ravi")  # a list is fine too
    letters = set(TABLE.encode("ravi").tolist())
    fails(nb03.check_rows_with_gradient(letters, TABLE, "ravi"), "tokens")
    fails(nb03.check_rows_with_gradient(set(range(28)), TABLE, "ravi"), "too many")


def test_equal_rows_prediction_is_checked_on_the_embedding_given():
    embedding = nn.Embedding(len(TABLE), 8)
    passes(nb03.check_equal_rows_prediction([(1, 4), (2, 3)], embedding, TABLE))
    passes(nb03.check_equal_rows_prediction([[3, 2], (4, 1)], embedding, TABLE))
    fails(nb03.check_equal_rows_prediction([(2, 3)], embedding, TABLE))
    fails(nb03.check_equal_rows_prediction(5, embedding, TABLE), "(i, j) tuples")
    passes(nb03.check_equal_rows_prediction([(2, 4)], embedding, TABLE, "^rama$"))  # the a's
    fails(nb03.check_equal_rows_prediction([(1, 4)], embedding, TABLE, "^rama$"), "^rama$")
    with torch.no_grad():  # an embedding whose a and n rows are equal: more pairs are equal
        embedding.weight[TABLE.stoi["n"]] = embedding.weight[TABLE.stoi["a"]]
    fails(nb03.check_equal_rows_prediction([(1, 4), (2, 3)], embedding, TABLE))
