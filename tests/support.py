"""Small things several test files share (a module, not conftest.py, so that its name is unique)."""

from __future__ import annotations

from pathlib import Path

from attention_utils import data

#: The real names file (``make data`` or ``.ci/run`` put it in place).
NAMES_FILE = data.DATA_DIR / data.DEFAULT_FILE


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder`` (hidden temporary files included), relative names."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
