"""Checks for the exercises of notebook 01 (names)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from attention_utils.data import load_names
from attention_utils.exercises.core import Result, call_answer, check_prediction


def _names() -> list[str]:
    return load_names()


def check_count_starting_with(answer, letter: str = "a") -> Result:
    """Exercise 2: how many names start with ``letter``?"""
    if answer is None or answer is Ellipsis:
        return Result.fail("the answer is still empty: replace `...` with your code.")
    if not isinstance(answer, int) or isinstance(answer, bool):
        return Result.fail(
            f"the answer should be a whole number (an int), got {type(answer).__name__}."
        )
    names = _names()
    want = sum(n.startswith(letter) for n in names)
    if answer == want:
        return Result.ok(f"{answer} of the {len(names):,} names start with {letter!r}.")
    if answer == sum(letter in n for n in names):
        return Result.fail(f"that counts names that *contain* {letter!r} anywhere, not only first.")
    if answer == sum(n.endswith(letter) for n in names):
        return Result.fail("that counts the names that *end* with the letter.")
    return Result.fail(f"{answer} is too {'high' if answer > want else 'low'}.")


def check_longest(answer) -> Result:
    """Exercise 3: the longest name(s): a list of every name of the greatest length."""
    if answer is None or answer is Ellipsis:
        return Result.fail("the answer is still empty: replace `...` with your code.")
    if isinstance(answer, str):
        answer = [answer]
    try:
        answer = sorted(set(answer))
    except TypeError:
        return Result.fail("the answer should be a list of names (strings).")
    names = _names()
    longest = max(map(len, names))
    want = sorted(n for n in names if len(n) == longest)
    if answer == want:
        return Result.ok(f"the longest names have {longest} letters.")
    if all(a in want for a in answer):
        return Result.fail(
            f"right so far, but {len(want) - len(answer)} more name(s) share that length."
        )
    if answer and all(a in names for a in answer):
        lengths = sorted({len(a) for a in answer})
        return Result.fail(f"those names have {lengths} letters; some names are longer.")
    return Result.fail(
        "some of those are not names from the list (use the cleaned, lowercase names)."
    )


def check_letter_share(fn: Callable[[list[str], str], float]) -> Result:
    """Exercise 4: ``letter_share(names, letter)``: the fraction of all letters that are ``letter``."""
    names = _names()
    cases = [(["asha", "ravi"], "a"), (["om"], "z"), (names, "a"), (names, "k")]
    for sample, letter in cases:
        got = call_answer(fn, "letter_share", list(sample), letter, alone=True)
        if isinstance(got, Result):
            return got
        total = sum(map(len, sample))
        count = sum(n.count(letter) for n in sample)
        want = count / total
        if not isinstance(got, (int, float)):
            return Result.fail(f"letter_share should return a number, got {type(got).__name__}.")
        if abs(got - want) < 1e-9:
            continue
        if abs(got - 100 * want) < 1e-6 and want:
            return Result.fail("that is a percentage: return a fraction between 0 and 1.")
        if got == count:
            return Result.fail("that is a count: divide by the number of letters in all the names.")
        if abs(got - count / len(sample)) < 1e-9:
            return Result.fail("you divided by the number of names, not the number of letters.")
        return Result.fail(
            f"letter_share on a sample of {len(sample)} name(s) gives {got}, not right."
        )
    return Result.ok("letter_share is right on every sample tried.")


def check_last_letter_prediction(predicted, longest: int = 4) -> Result:
    """Exercise 1: the letter that ends the most names of at most ``longest`` letters,
    predicted before counting."""
    short = [name for name in _names() if len(name) <= longest]
    (letter, count), (second, count2) = Counter(name[-1] for name in short).most_common(2)
    overall = Counter(name[-1] for name in _names()).most_common(1)[0][0]
    if isinstance(predicted, str):
        predicted = predicted.strip().lower()
    return check_prediction(
        predicted,
        letter,
        f"the commonest last letter of the {len(short)} names of {longest} letters or fewer",
        f"{count} of them end with {letter!r} and {count2}, the next most, with {second!r}."
        + (
            f" Over all names the commonest last letter is {overall!r}: a group can differ "
            "from the whole."
            if overall != letter
            else f" Over all names, too, {letter!r} ends the most."
        ),
    )
