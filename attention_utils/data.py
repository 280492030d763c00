"""Download, verify, cache, clean and split the names.

The data flows one way through the series: file -> names -> token ids -> ...
This module is the first step: it turns a names file (the default list of
Indian first names, or any list a teacher provides) into a clean Python list.

    >>> names = load_names()            # the default list, cached in DATA_DIR
    >>> train, val = split_names(names)  # deterministic, by name
    >>> folds = fold_names(names)        # five (train, val) splits for cross-validation

Run ``python -m attention_utils.data`` to fetch the file and report on it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import sys
import unicodedata
import warnings
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from attention_utils.download import DownloadError, download, write_atomically

#: The public list of names (see notebook 01 for its source and terms). A mirror that serves
#: the very same file may be named by ``$ATTENTION_NAMES_SOURCE``: the checksum is still checked.
SOURCE_URL = os.environ.get("ATTENTION_NAMES_SOURCE") or (
    "https://raw.githubusercontent.com/MASTREX/List-of-Indian-Names/master/2.%20First.txt"
)
SOURCE_SIZE = 8752
SOURCE_SHA256 = "555aad94dd49ef538b3b16c9a1ca75b2e6af6a87c60a8a8ef6aa86f37e442304"
DEFAULT_FILE = "names-indian.txt"


def data_dir(environ: Mapping[str, str] = os.environ, package: Path | None = None) -> Path:
    """Where the names and the trained model are cached.

    ``$ATTENTION_NAMES_DATA`` if set; else, in a checkout of the repository (the package next
    to ``pyproject.toml`` and ``data/``, as after ``make lab`` or ``pip install -e .``), that
    ``data/`` folder; else (installed from a wheel, in Colab) the user's cache folder as
    platformdirs gives it, e.g. ``~/.cache/attention-names`` on Linux. Never site-packages.
    """
    if environ.get("ATTENTION_NAMES_DATA"):
        return Path(environ["ATTENTION_NAMES_DATA"])
    root = (package or Path(__file__).resolve().parent).parent
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root / "data"
    return Path(platformdirs.user_cache_dir("attention-names", appauthor=False))


#: Where downloaded files are cached (see :func:`data_dir`).
DATA_DIR = data_dir()
#: Data installed with the software, read only, used where DATA_DIR lacks it: in an image built
#: from binder/ the names and the model lie here, where a mounted $HOME cannot hide them.
PRELOADED = Path(sys.prefix) / "share" / "attention-names"

#: What may join the parts of a name, inside it (never first or last, never two together):
#: hyphen, apostrophe (a typographic one, U+2019, is read as ``'``), space, and the zero-width
#: non-joiner and joiner that Indic and Persian spellings use.
JOINERS = "-' \u200c\u200d"
_APOSTROPHES = {"\u2019": "'", "\u02bc": "'"}


def normal_form(text: str) -> str:
    """A name as the series stores it: NFC, stripped, runs of spaces made one, lowercased
    with ``str.lower`` (each script's own case mapping; not ``casefold``, which would spell
    German ``ß`` as ``ss``), typographic apostrophes as ``'``."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(_APOSTROPHES.get(ch, ch) for ch in text)
    return unicodedata.normalize("NFC", re.sub(" {2,}", " ", text.strip()).lower())


def not_in_names(name: str) -> list[str]:
    """The characters of ``name`` (in :func:`normal_form`) that a name may not hold, in order
    of first appearance: anything but letters of any script (Unicode category L), the marks
    that follow a letter (category M: accents, Devanagari's vowel signs and virama) and
    :data:`JOINERS` between two parts. Empty for a valid name."""
    bad: list[str] = []
    for i, ch in enumerate(name):
        kind = unicodedata.category(ch)
        if kind.startswith("L"):
            ok = True
        elif kind.startswith("M"):
            ok = i > 0 and name[i - 1] not in JOINERS
        elif ch in JOINERS:
            ok = 0 < i < len(name) - 1 and name[i - 1] not in JOINERS and name[i + 1] not in JOINERS
        else:
            ok = False
        if not ok and ch not in bad:
            bad.append(ch)
    return bad


def show_character(ch: str) -> str:
    """A character as a message names it: ``'ë'``, or ``' ' (SPACE)``, ``'\\t' (U+0009)``,
    with its Unicode name where it is not plain to see."""
    if ch.isprintable() and not ch.isspace() and not unicodedata.category(ch).startswith("M"):
        return repr(ch)
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return f"{ch!r} ({name})"


def is_name(line: str) -> bool:
    """Whether ``line`` is a valid name once in :func:`normal_form`."""
    name = normal_form(line)
    return bool(name) and not not_in_names(name)


def default_names_file() -> Path:
    """Where the default list is read from: ``DATA_DIR``'s copy, else the preloaded one (see
    :data:`PRELOADED`), else ``DATA_DIR``'s path, where it is downloaded to."""
    cached, preloaded = DATA_DIR / DEFAULT_FILE, PRELOADED / DEFAULT_FILE
    return preloaded if not cached.exists() and preloaded.is_file() else cached


class SkippedLinesWarning(UserWarning):
    """Some lines of a names file were skipped because of characters a name may not hold."""


# --------------------------------------------------------------------------- download


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def fetch(
    url: str = SOURCE_URL,
    dest: Path | str | None = None,
    *,
    sha256: str | None = SOURCE_SHA256,
    size: int | None = SOURCE_SIZE,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` to ``dest`` (default ``DATA_DIR/names-indian.txt``) and return the path.

    The body is checked against ``size`` and ``sha256`` (pass ``None`` where they are not
    known) and against the names-file rules (:func:`clean_names`) *before* it is written,
    and the write is atomic, so a failed, truncated or corrupt download never leaves a
    file behind that looks valid. Raises :class:`DownloadError`.
    """
    dest = Path(dest) if dest is not None else DATA_DIR / DEFAULT_FILE
    data, kind = download(url, timeout)
    if kind == "text/html" or data.lstrip()[:1] == b"<":
        raise DownloadError(
            f"{url} answered with a web page (HTML), not a names file; nothing was written"
        )
    if size is not None and len(data) != size:
        raise DownloadError(
            f"download of {url} has {len(data):,} bytes, expected {size:,} "
            "(truncated or changed at the source); nothing was written"
        )
    if sha256 is not None and sha256_of(data) != sha256:
        raise DownloadError(
            f"download of {url} has SHA-256 {sha256_of(data)}, expected {sha256}; "
            "nothing was written"
        )
    if sha256 is None:
        warnings.warn(
            f"{url} has no known checksum: its content is not verified beyond the names-file rules",
            stacklevel=2,
        )
    try:
        lines = [line for line in data.decode("utf-8-sig").splitlines() if line.strip()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedLinesWarning)
            clean_names(lines, origin=url, skip_invalid=True)  # raises if there is no name
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DownloadError(
            f"{url} is not a names file (line {line} is not UTF-8 text, byte "
            f"{data[e.start : e.start + 1]!r}); nothing was written"
        ) from e
    except ValueError as e:
        raise DownloadError(f"{url} is not a names file ({e}); nothing was written") from e
    valid = sum(is_name(line) for line in lines)
    if valid < len(lines) / 2:  # a few odd lines are a teacher's typos; most is another file
        raise DownloadError(
            f"{url} is not a names file: only {valid} of its {len(lines)} lines are a name "
            f"(e.g. {lines[0].strip()[:40]!r}); nothing was written"
        )
    write_atomically(data, dest)
    return dest


def _cache_path_for(url: str) -> Path:
    """The cache file for a names file at ``url`` other than the default one."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "names"
    return DATA_DIR / "downloads" / f"{sha256_of(url.encode())[:12]}-{base}"


# --------------------------------------------------------------------------- cleaning


def clean_names(
    lines: list[str], *, skip_invalid: bool = False, origin: str = "<names>"
) -> list[str]:
    """Names in :func:`normal_form` (NFC, stripped, lowercased), without blank lines and
    duplicates (keeping first occurrences), in any script.

    A line with a character a name may not hold (:func:`not_in_names`: a digit, punctuation
    other than the joiners, a control character, a mark with no letter before it) raises a
    ValueError naming ``origin``, the line number, the line and the characters; with
    ``skip_invalid=True`` such lines are dropped instead and a :class:`SkippedLinesWarning`
    says how many and which. An input with no names at all raises.
    """
    names: list[str] = []
    seen: set[str] = set()
    skipped: list[int] = []
    for number, line in enumerate(lines, start=1):
        name = normal_form(line)
        if not name:
            continue
        bad = not_in_names(name)
        if bad:
            if skip_invalid:
                skipped.append(number)
                continue
            raise ValueError(
                f"{origin}, line {number}: {line.strip()!r} has "
                f"{', '.join(map(show_character, bad))}, which a name may not hold (letters "
                f"of any script and their accents or vowel signs may, and a hyphen, "
                f"apostrophe or space between two parts); pass skip_invalid=True to skip such "
                "lines"
            )
        if name not in seen:
            seen.add(name)
            names.append(name)
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
        warnings.warn(
            f"{origin}: skipped {len(skipped)} line(s) with characters a name may not hold "
            f"(line {shown})",
            SkippedLinesWarning,
            stacklevel=2,
        )
    if not names:
        raise ValueError(f"{origin}: no names found (the file is empty or has only blank lines)")
    return names


def read_names_file(path: Path | str, *, skip_invalid: bool = False) -> list[str]:
    """Read and clean a local names file (UTF-8, with or without a BOM; any line endings)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"names file not found: {path}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ValueError(
            f"{path}, line {line}: not UTF-8 text (byte {raw[e.start : e.start + 1]!r}; save the "
            "file as UTF-8)"
        ) from e
    return clean_names(text.splitlines(), skip_invalid=skip_invalid, origin=str(path))


def _as_typed(source: Path | str) -> str:
    """A path or an address as a person pastes it: spaces around it and quotes dropped, a
    scheme in any case (``HTTPS://``) read as lower case, ``~`` as the home folder."""
    text = str(source).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        return f"{scheme.lower()}://{rest}"
    return str(Path(text).expanduser())


def load_names(
    source: Path | str | None = None,
    *,
    skip_invalid: bool = False,
    timeout: float = 30.0,
    refresh: bool = False,
) -> list[str]:
    """The cleaned list of names.

    ``source`` is ``None`` (the default list: read from the cache in ``DATA_DIR``, or
    downloaded, verified and cached), a local file path, or an ``http(s)://`` address
    (downloaded once into ``DATA_DIR/downloads``; no checksum is known for it). ``refresh``
    downloads an address again (the cached copy is replaced only by a valid names file).
    """
    if source is not None and not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source: expected a path or an address, got {type(source).__name__}")
    if source is None:
        path = DATA_DIR / DEFAULT_FILE if refresh else default_names_file()
        if refresh or not path.exists():
            try:
                fetch(SOURCE_URL, path, timeout=timeout)
            except DownloadError as e:
                raise DownloadError(
                    f"{e}\nThe names file is not cached at {path} and could not be downloaded. "
                    f"To get it: connect to the internet and run `python -m attention_utils.data` (`make data` in a checkout), or download "
                    f"{SOURCE_URL} by hand and save it as {path}."
                ) from e
        data = path.read_bytes()
        if sha256_of(data) != SOURCE_SHA256:
            raise ValueError(
                f"cached names file {path} has SHA-256 {sha256_of(data)}, expected "
                f"{SOURCE_SHA256}: delete it and run `python -m attention_utils.data` to download it again"
            )
        return read_names_file(path, skip_invalid=skip_invalid)
    source = _as_typed(source)
    if source.startswith(("http://", "https://")):
        path = _cache_path_for(source)
        if refresh or not path.exists():
            fetch(source, path, sha256=None, size=None, timeout=timeout)
        return read_names_file(path, skip_invalid=skip_invalid)
    return read_names_file(source, skip_invalid=skip_invalid)


# --------------------------------------------------------------------------- splitting


def split_names(
    names: list[str], val_fraction: float = 0.1, seed: int = 1234
) -> tuple[list[str], list[str]]:
    """Split names (not characters) into ``(train, val)``, the same way on every machine.

    The names are sorted, shuffled with ``random.Random(seed)``, and the first
    ``round(len(names) * val_fraction)`` (at least one) go to validation. A name is in
    exactly one of the two lists.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    unique = sorted(set(names))
    if len(unique) < 2:
        raise ValueError(f"need at least 2 distinct names to split, got {len(unique)}")
    order = unique[:]
    random.Random(seed).shuffle(order)
    n_val = min(max(1, round(len(unique) * val_fraction)), len(unique) - 1)
    return order[n_val:], order[:n_val]


def fold_names(
    names: list[str], folds: int = 5, seed: int = 1234
) -> list[tuple[list[str], list[str]]]:
    """``folds`` splits ``(train, val)`` for cross-validation, by name, the same on every machine.

    The names are sorted and shuffled as in :func:`split_names`, then dealt into ``folds``
    parts of (nearly) equal size; split ``i`` holds part ``i`` out for validation and trains on
    the others. Every name is held out exactly once.
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2 (1 is split_names), got {folds}")
    order = sorted(set(names))
    if len(order) < folds:
        raise ValueError(
            f"need at least {folds} distinct names for {folds} folds, got {len(order)}"
        )
    random.Random(seed).shuffle(order)
    parts = [order[i::folds] for i in range(folds)]
    return [([n for j, p in enumerate(parts) if j != i for n in p], parts[i]) for i in range(folds)]


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """``python -m attention_utils.data [--source PATH_OR_URL]``: fetch and report."""
    parser = argparse.ArgumentParser(description="Fetch, verify and report on the names file.")
    parser.add_argument("--source", help="a names file path or https address (default: the list)")
    parser.add_argument("--refresh", action="store_true", help="download the address again")
    args = parser.parse_args(argv)
    try:
        names = load_names(args.source, refresh=args.refresh)
    except (OSError, ValueError) as e:
        parser.exit(1, f"error: {e}\n")
    where = args.source or default_names_file()
    print(f"names file: {where}")
    if args.source is None:
        data = Path(where).read_bytes()
        print(f"size: {len(data):,} bytes, SHA-256 {sha256_of(data)} (verified)")
    lengths = [len(n) for n in names]
    print(f"{len(names):,} names, {min(lengths)}-{max(lengths)} letters long")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
