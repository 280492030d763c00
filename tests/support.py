"""Small things several test files share (a module, not conftest.py, so that its name is unique)."""

from __future__ import annotations

from pathlib import Path

from attention_utils import data

#: The real names file (``make data`` or ``.ci/run`` put it in place).
NAMES_FILE = data.DATA_DIR / data.DEFAULT_FILE


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder`` (hidden temporary files included), relative names."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def passes(result) -> None:
    """An exercise check's verdict is a pass, shown as one."""
    assert result.passed, result.message
    assert repr(result).startswith("✅")


def fails(result, *fragments: str) -> None:
    """An exercise check's verdict is a fail, shown as one, and its message has ``fragments``."""
    assert not result.passed, f"a wrong answer passed: {result.message}"
    assert repr(result).startswith("❌")
    for fragment in fragments:
        assert fragment in result.message, f"{fragment!r} not in {result.message!r}"


def not_written(*args):
    """A student's function before it is written."""
    raise NotImplementedError
