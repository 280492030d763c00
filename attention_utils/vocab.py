"""Text becomes integers: the character table.

    >>> table = CharTable.from_names(["abhishek", "aman"])
    >>> table.encode(table.wrap("abhishek")).tolist()
    [1, 2, 3, ...]

Every name is wrapped as ``^name$``: ``^`` marks the start, ``$`` the end. ``$`` is 0 and
``^`` is 1, and the characters of the names follow in code-point order (for a-z: alphabetical).
A symbol is one Unicode code point: ``सीता`` is four symbols (स, ◌ी, त, ◌ा), though a reader
sees two characters (:func:`graphemes`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from attention_utils.data import normal_form

START = "^"
END = "$"


#: How symbols that cannot be seen alone are drawn (labels, messages).
_SHOWN = {" ": "\u2423", "\u200c": "ZWNJ", "\u200d": "ZWJ"}


def shown(symbol: str) -> str:
    """A symbol as a label draws it: a space as ``␣``, a combining mark (an accent, a
    Devanagari vowel sign) on a dotted circle ``◌``, as Unicode shows marks alone; the
    zero-width joiners by name; anything else as it is."""
    if symbol in _SHOWN:
        return _SHOWN[symbol]
    if len(symbol) == 1 and unicodedata.category(symbol).startswith("M"):
        return "\u25cc" + symbol
    return symbol


def graphemes(name: str) -> list[str]:
    """``name`` cut into the characters a reader sees: each letter with the marks that follow
    it (``"सीता"`` -> ``["सी", "ता"]``, four code points in two). A close approximation of
    Unicode's grapheme clusters (UAX #29), which also join a conjunct written with a virama."""
    out: list[str] = []
    for ch in name:
        if out and unicodedata.category(ch).startswith("M"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


class CharTable:
    """A fixed mapping between symbols (``$``, ``^`` and letters) and integer ids."""

    def __init__(self, symbols: Iterable[str]):
        symbols = list(symbols)
        if len(set(symbols)) != len(symbols):
            raise ValueError(f"symbols must be distinct, got {symbols}")
        if any(len(s) != 1 for s in symbols):
            raise ValueError(f"every symbol must be one character, got {symbols}")
        self.symbols: list[str] = symbols
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(symbols)}
        self.itos: dict[int, str] = dict(enumerate(symbols))

    @classmethod
    def from_names(cls, names: Iterable[str]) -> CharTable:
        """The table of ``$`` (id 0), ``^`` (id 1), then every code point of ``names`` in
        code-point order. A symbol is a code point, not what a reader sees as one character
        (:func:`graphemes`): a Devanagari vowel sign is a symbol of its own. Names holding
        ``^`` or ``$`` are refused (:func:`attention_utils.data.clean_names` refuses them
        already, as punctuation)."""
        names = list(names)
        chars = set().union(*map(set, names)) if names else set()
        if START in chars or END in chars:
            raise ValueError(f"names may not contain the tokens {START!r} or {END!r}")
        return cls([END, START, *sorted(chars)])

    def __len__(self) -> int:
        return len(self.symbols)

    def __repr__(self) -> str:
        return f"CharTable({''.join(self.symbols)!r}, size={len(self)})"

    def describe(self) -> str:
        """The vocabulary in short form, e.g. ``^$a-z``: runs of three or more consecutive
        code points as ``first-last``, every symbol as :func:`shown` draws it."""
        letters = [s for s in self.symbols if s not in (START, END)]
        runs: list[list[str]] = []
        for s in letters:
            if runs and ord(s) == ord(runs[-1][-1]) + 1 and s.isalpha() and runs[-1][-1].isalpha():
                runs[-1].append(s)
            else:
                runs.append([s])
        body = "".join(
            f"{shown(r[0])}-{shown(r[-1])}" if len(r) > 2 else "".join(map(shown, r)) for r in runs
        )
        return f"{START}{END}{body}"

    @staticmethod
    def wrap(name: str) -> str:
        """``name`` between the start and end tokens: ``abhishek`` -> ``^abhishek$``."""
        if not name:
            raise ValueError("cannot wrap an empty name")
        return f"{START}{name}{END}"

    def encode(self, text: str) -> torch.Tensor:
        """``text`` -> LongTensor of ids, shape ``(len(text),)``. Does not add tokens.

        An unknown character raises a KeyError naming it, the text and the vocabulary.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode takes a str, got {type(text).__name__}")
        if not text:
            raise ValueError("cannot encode an empty string")
        ids = []
        for ch in text:
            if ch not in self.stoi:
                raise KeyError(
                    f"unknown character {ch!r} in {text!r}; vocabulary is {self.describe()}"
                )
            ids.append(self.stoi[ch])
        return torch.tensor(ids, dtype=torch.long)

    def reads(self, name: str) -> str:
        """``^name``: one name as a model reads it (``$`` is only ever a target)."""
        return self.wrap(name)[:-1]

    def batch(self, name: str) -> torch.Tensor:
        """``^name`` as ids of shape ``(1, T)``: one name as a model reads it.

        The end token ``$`` is never read: it is only a target (the model predicts it after
        the last letter), so a model's attention is drawn for ``^name``.
        """
        return self.encode(self.reads(name))[None]

    def decode(self, ids: torch.Tensor | np.ndarray | Sequence[int]) -> str:
        """Ids (1-D tensor, array or list) -> string. Unknown ids raise a KeyError."""
        if isinstance(ids, (torch.Tensor, np.ndarray)):
            if ids.ndim != 1:
                raise ValueError(f"ids: decode takes a 1-D sequence of ids, got shape {ids.shape}")
            ids = ids.tolist()
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"ids: decode takes a sequence of integer ids, got {ids!r}")
        out = []
        for i in ids:
            if isinstance(i, list):
                raise ValueError("ids: decode takes a 1-D sequence of ids, got a nested one")
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"ids: decode takes integer ids, got {i!r} ({type(i).__name__})")
            if int(i) not in self.itos:
                raise KeyError(f"unknown id {i}; ids run from 0 to {len(self) - 1}")
            out.append(self.itos[int(i)])
        return "".join(out)

    def one_hot(self, text: str) -> torch.Tensor:
        """``text`` -> float one-hot matrix, shape ``(len(text), len(self))``."""
        return torch.nn.functional.one_hot(self.encode(text), len(self)).float()


# --------------------------------------------------------------------------- typed names

#: What the explorers (notebook 12's and the site's page) say about a typed name a model cannot
#: read; ``format`` fills in reprs and numbers. The page gets these templates in its data file.
MESSAGES = {
    "empty": "type a name (letters {letters})",
    "too_long": "{name} has {n} letters; this model reads names of at most {max_letters} letters",
    "unknown": "The model cannot read {shown} in {text}: it only knows the letters {letters} "
    "(vocabulary {vocabulary}). Try a name spelled with those.",
}


def letters_of(table: CharTable) -> str:
    """The letters of ``table`` as a message names them: ``a-z``, or the list of them."""
    return table.describe()[len(START + END) :]


def check_name(text: str, table: CharTable, max_letters: int) -> str:
    """The name in ``text`` as the model reads it: stripped and lowercased. Raises ValueError
    for an empty or too long name, KeyError naming a character outside the vocabulary."""
    name = normal_form(text)
    if not name:
        raise ValueError(MESSAGES["empty"].format(letters=letters_of(table)))
    table.encode(name)  # KeyError for an unknown character
    tokens = [ch for ch in (START, END) if ch in name]
    if tokens:  # symbols of the table, but not letters of a name
        raise KeyError(f"{tokens[0]!r} marks the start or end of a name; it is not a letter")
    if len(name) > max_letters:
        raise ValueError(
            MESSAGES["too_long"].format(name=repr(name), n=len(name), max_letters=max_letters)
        )
    return name


def friendly(error: Exception, text: str, table: CharTable) -> str:
    """A message for the explorer: what is wrong with ``text``, in plain words."""
    if isinstance(error, KeyError):
        letters = set(table.stoi) - {START, END}
        name = normal_form(text)
        bad = sorted({ch for ch in name if ch not in letters}, key=name.find)
        shown = ", ".join(repr(ch) for ch in bad)
        text, vocabulary = repr(text.strip()), table.describe()
        return MESSAGES["unknown"].format(
            shown=shown, text=text, letters=letters_of(table), vocabulary=vocabulary
        )
    return str(error)[:1].upper() + str(error)[1:] + "."
