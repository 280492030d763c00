"""attention_utils.vocab.CharTable: ids, round trips, one-hot, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from attention_utils.data import load_names
from attention_utils.vocab import CharTable, check_name, friendly

NAMES = load_names()
TABLE = CharTable.from_names(NAMES)


def test_the_vocabulary_of_the_names():
    assert len(TABLE) == 28
    assert TABLE.symbols[:2] == ["$", "^"]  # $ = 0, ^ = 1
    assert "".join(TABLE.symbols[2:]) == "abcdefghijklmnopqrstuvwxyz"
    assert TABLE.describe() == "^$a-z"


def test_abhishek_encodes_as_documented():
    ids = TABLE.encode(TABLE.wrap("abhishek"))
    assert ids.dtype == torch.long
    assert ids.tolist() == [1, 2, 3, 9, 10, 20, 9, 6, 12, 0]


def test_every_name_round_trips():
    for name in NAMES:
        wrapped = TABLE.wrap(name)
        assert TABLE.decode(TABLE.encode(wrapped)) == wrapped


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=30))
def test_round_trip_property(name):
    assert TABLE.decode(TABLE.encode(name)) == name
    wrapped = TABLE.wrap(name)
    ids = TABLE.encode(wrapped)
    assert ids[0] == 1 and ids[-1] == 0 and len(ids) == len(name) + 2
    assert TABLE.decode(ids.numpy()) == TABLE.decode(ids.tolist()) == wrapped


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz^$", min_size=1, max_size=20))
def test_one_hot_has_a_single_one_per_row(text):
    m = TABLE.one_hot(text)
    assert m.shape == (len(text), 28)
    assert torch.equal(m.sum(dim=1), torch.ones(len(text)))
    assert torch.equal(m.argmax(dim=1), TABLE.encode(text))


def test_unknown_character_names_character_word_and_vocabulary():
    with pytest.raises(KeyError, match=r"unknown character 'é' in 'josé'; vocabulary is \^\$a-z"):
        TABLE.encode("josé")
    with pytest.raises(KeyError, match="'A'"):
        TABLE.encode("Asha")  # names are lowercased before encoding


def test_empty_and_wrong_inputs():
    with pytest.raises(ValueError, match="empty"):
        TABLE.encode("")
    with pytest.raises(ValueError, match="empty"):
        TABLE.wrap("")
    with pytest.raises(TypeError, match="takes a str"):
        TABLE.encode(["a"])
    with pytest.raises(KeyError, match="unknown id 28"):
        TABLE.decode([2, 28])
    with pytest.raises(ValueError, match="1-D"):
        TABLE.decode(np.array([[1, 2]]))


def test_table_from_other_names():
    small = CharTable.from_names(["bob", "ada"])
    assert small.symbols == ["$", "^", "a", "b", "d", "o"]
    assert small.describe() == "^$abdo"
    with pytest.raises(ValueError, match="tokens"):
        CharTable.from_names(["a^b"])
    with pytest.raises(ValueError, match="distinct"):
        CharTable(["a", "a"])


@pytest.mark.parametrize("ids", [[1.0, 2.7, 0.0], torch.tensor([1.0, 2.0]), [True, 0], "^a$"])
def test_only_integer_ids_decode(ids):
    table = CharTable.from_names(["ab"])
    with pytest.raises(TypeError, match="ids: decode takes"):
        table.decode(ids)
    assert table.decode(np.array([1, 2, 0])) == "^a$"


def test_batch_is_what_a_model_reads_start_token_and_letters_without_the_end():
    table = CharTable.from_names(["ab"])
    assert table.batch("ab").tolist() == [table.encode("^ab").tolist()]


def test_reads_is_the_name_with_the_start_token():
    table = CharTable.from_names(["ab"])
    assert table.reads("ab") == "^ab"
    with pytest.raises(ValueError, match="empty"):
        table.reads("")


def test_check_name_and_friendly_messages():
    assert check_name("  Priya ", TABLE, 14) == "priya"
    with pytest.raises(KeyError, match="é"):
        check_name("josé", TABLE, 14)
    with pytest.raises(ValueError, match="at most 14 letters"):
        check_name("a" * 15, TABLE, 14)
    with pytest.raises(ValueError, match="type a name"):
        check_name("   ", TABLE, 14)
    try:
        check_name("r2d2 x", TABLE, 14)
    except KeyError as e:
        message = friendly(e, "r2d2 x", TABLE)
    assert "'2', ' '" in message and "a-z" in message and "Traceback" not in message
