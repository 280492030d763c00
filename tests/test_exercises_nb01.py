"""attention_utils.exercises.nb01: the checks of notebook 01 (names)."""

from __future__ import annotations

from attention_utils.data import load_names
from attention_utils.exercises import nb01
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


def test_last_letter_prediction_is_checked_against_a_count():
    ends = {}
    for name in NAMES:
        ends[name[-1]] = ends.get(name[-1], 0) + 1
    commonest = max(ends, key=ends.get)
    assert nb01.check_last_letter_prediction(commonest).passed
    assert nb01.check_last_letter_prediction(commonest.upper() + " ").passed
    other = min(ends, key=ends.get)
    result = nb01.check_last_letter_prediction(other)
    assert not result.passed and repr(commonest) in result.message
    assert "prediction first" in nb01.check_last_letter_prediction(...).message
