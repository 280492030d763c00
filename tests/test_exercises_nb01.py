"""attention_utils.exercises.nb01: the checks of notebook 01 (names)."""

from __future__ import annotations

from support import fails, passes

from attention_utils.data import load_names
from attention_utils.exercises import nb01
from attention_utils.vocab import CharTable

NAMES = load_names()
TABLE = CharTable.from_names(NAMES)


# --------------------------------------------------------------------------- 01


def test_nb01_count_starting_with():
    right = sum(n.startswith("s") for n in NAMES)
    assert nb01.check_count_starting_with(right, "s")
    fails(nb01.check_count_starting_with(sum("s" in n for n in NAMES), "s"), "contain")
    fails(nb01.check_count_starting_with(sum(n.endswith("a") for n in NAMES), "a"), "end")
    fails(nb01.check_count_starting_with(right + 1, "s"), "too high")
    fails(nb01.check_count_starting_with(..., "s"), "empty")
    assert not nb01.check_count_starting_with(float(right), "s")


def test_nb01_longest():
    top = max(map(len, NAMES))
    longest = [n for n in NAMES if len(n) == top]
    assert nb01.check_longest(longest)
    assert nb01.check_longest(list(reversed(longest)))  # any order
    if len(longest) > 1:
        fails(nb01.check_longest(longest[:1]), "more name")
    fails(nb01.check_longest([NAMES[1]]), "longer")
    fails(nb01.check_longest(["xyzzy"]), "not names")


def test_nb01_letter_share():
    def right(names, letter):
        return sum(n.count(letter) for n in names) / sum(map(len, names))

    assert nb01.check_letter_share(right)
    fails(nb01.check_letter_share(lambda ns, c: 100 * right(ns, c)), "percentage")
    fails(nb01.check_letter_share(lambda ns, c: sum(n.count(c) for n in ns)), "count")
    per_name = nb01.check_letter_share(lambda ns, c: sum(n.count(c) for n in ns) / len(ns))
    fails(per_name, "number of names")

    def stub(names, letter):
        raise NotImplementedError

    fails(nb01.check_letter_share(stub), "not written yet")


def test_last_letter_prediction_is_checked_against_a_count():
    ends = {}
    for name in NAMES:
        if len(name) <= 4:
            ends[name[-1]] = ends.get(name[-1], 0) + 1
    commonest = max(ends, key=ends.get)
    passes(nb01.check_last_letter_prediction(commonest))
    passes(nb01.check_last_letter_prediction(commonest.upper() + " "))
    other = min(ends, key=ends.get)
    result = nb01.check_last_letter_prediction(other)
    fails(result, repr(commonest), f"{len([n for n in NAMES if len(n) <= 4])} names of 4 letters")
    if commonest != "a":  # the names of this series: the short ones do not end like the rest
        fails(nb01.check_last_letter_prediction("a"), "commonest last letter is 'a'")
    fails(nb01.check_last_letter_prediction(...), "prediction first")
