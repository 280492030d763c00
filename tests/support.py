"""Small things several test files share (a module, not conftest.py, so that its name is unique)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from attention_utils import data

ROOT = Path(__file__).resolve().parent.parent
#: The student's pins.
PINS = ROOT / "requirements.txt"

#: The real names file (``make data`` or ``.ci/run`` put it in place).
NAMES_FILE = data.DATA_DIR / data.DEFAULT_FILE


def readme_block(after: str) -> list[str]:
    """The lines of the README's first fenced block after the words ``after``, stripped."""
    text = (ROOT / "README.md").read_text()
    block = text.split(after, 1)[1].split("```")[1]
    return [line.strip() for line in block.strip().splitlines()]


def write_notebook(path: Path, cells) -> Path:
    """A notebook of ``cells`` saved at ``path`` (its folder made if missing)."""
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    nbformat.write(nb, path)
    return path


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


def pins() -> dict[str, str]:
    """``{name: version}`` of the exact pins in requirements.txt."""
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", PINS.read_text(), re.MULTILINE)
    return {name.lower(): version for name, version in found}


def lowest_python() -> tuple[int, int]:
    """``(major, minor)`` of the lowest Python that pyproject.toml's requires-python allows."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        spec = tomllib.load(f)["project"]["requires-python"]
    major, minor = re.fullmatch(r">=(\d+)\.(\d+)", spec).groups()
    return int(major), int(minor)
