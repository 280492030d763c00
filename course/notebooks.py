"""What every course builder needs: the project's folders, its notebooks, their titles, its links.

The repository's public address is written once, in ``pyproject.toml`` (``[project.urls]
Repository``); the Colab, Binder and nbgitpuller links are made from it here.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import nbformat

#: The project folder (the one holding ``notebooks/``, ``course/``, ``pyproject.toml``).
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
#: The branch the links point to.
BRANCH = "main"

_TITLE_RE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)


def find_notebooks(folder: Path | str | None = None, missing_ok: bool = False) -> list[Path]:
    """The series' notebooks in ``folder`` (default ``notebooks/``), ``NN_name.ipynb``, in order.

    A missing folder is a FileNotFoundError unless ``missing_ok`` (then there are none yet).
    """
    folder = Path(folder) if folder is not None else ROOT / "notebooks"
    if not folder.is_dir():
        if missing_ok:
            return []
        raise FileNotFoundError(f"no notebooks folder at {folder}")
    return sorted(folder.glob(NOTEBOOK_GLOB))


def title_of(nb: dict, path: Path | str = "notebook") -> str:
    """The text of the first ``# `` heading in the notebook's markdown cells."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            match = _TITLE_RE.search(cell.source)
            if match:
                return match.group(1)
    raise ValueError(f"{path}: no '# Title' heading in any markdown cell; expected '# NN · Title'")


def notebook_title(path: Path) -> str:
    """The title of the notebook at ``path``, or its file name's stem if it has none."""
    try:
        return title_of(read_notebook(path), path)
    except (OSError, ValueError):
        return path.stem


# --------------------------------------------------------------------------- building from them

#: The tag of a cell that holds an exercise's reference solution.
SOLUTION_TAG = "solution"
#: Jupyter Book's tag that hides a cell behind a click; every solution cell has it, and is
#: collapsed in JupyterLab (``metadata.jupyter.source_hidden``).
HIDE_TAG = "hide-cell"


def is_solution(cell) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def exercise_cells(nb) -> list[tuple[int, int | None]]:
    """``[(solution index, check index or None)]`` for every solution cell of ``nb``.

    The check of a solution is the first code cell after it that is not itself a solution.
    """
    pairs = []
    for i, cell in enumerate(nb.cells):
        if not is_solution(cell):
            continue
        check = next(
            (
                j
                for j in range(i + 1, len(nb.cells))
                if nb.cells[j].cell_type == "code" and not is_solution(nb.cells[j])
            ),
            None,
        )
        pairs.append((i, check))
    return pairs


def command_line(
    module: str, doc: str, *, notebooks: bool = False, out: Path | None = None
) -> argparse.ArgumentParser:
    """The command line of the course module ``module`` (``python -m course.<module>``): the
    first line of its ``doc`` says what it does; ``notebooks=True`` takes ``[NOTEBOOK ...]``
    (default: the series), ``out`` a ``--out FOLDER`` with that default. Every module of
    ``course/`` makes its parser here, then adds its own options."""
    parser = argparse.ArgumentParser(
        prog=f"python -m course.{module}", description=doc.splitlines()[0]
    )
    if notebooks:
        parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    if out is not None:
        parser.add_argument("--out", type=Path, default=out)
    return parser


def run_builder(build: Callable[[], list], done: Callable[[list], str]) -> int:
    """Exit code of a builder's command: prints ``done(build())``, or the error and returns 1."""
    try:
        written = build()
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(done(written))
    return 0


def read_notebook(path: Path | str):
    """The notebook at ``path`` (nbformat 4); FileNotFoundError or ValueError naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    if path.suffix != ".ipynb":
        raise ValueError(f"{path} is not a notebook: expected a .ipynb file")
    try:
        return nbformat.read(path, as_version=4)
    except (ValueError, UnicodeDecodeError) as e:  # nbformat's NotJSONError is a ValueError
        raise ValueError(f"{path}: not a notebook (invalid JSON: {e})") from e


def copy_assets(node_modules: Path | str, assets: dict[str, str], dest: Path | str, hint: str):
    """Copy ``assets`` (source in ``node_modules`` -> destination in ``dest``) and return ``dest``.

    A folder is copied whole (less source maps). Anything missing raises FileNotFoundError
    before anything is copied, naming it and ``hint`` (how to install it).
    """
    node_modules, dest = Path(node_modules), Path(dest)
    missing = [src for src in assets if not (node_modules / src).exists()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} asset(s) missing in {node_modules}, e.g. {missing[0]}: {hint}"
        )
    for src, to in assets.items():
        source, target = node_modules / src, dest / to
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            ignore = shutil.ignore_patterns("*.map")
            shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    return dest


# --------------------------------------------------------------------------- the project's links


def project_metadata(root: Path = ROOT) -> dict:
    """The ``[project]`` table of ``pyproject.toml``."""
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def repository_url(root: Path = ROOT) -> str:
    """The repository's public address, e.g. ``https://github.com/OWNER/NAME``."""
    url = project_metadata(root)["urls"]["Repository"].rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(
            f"pyproject.toml: [project.urls] Repository = {url!r}: expected "
            "https://github.com/OWNER/NAME (Colab and Binder links are made from it)"
        )
    return url


def github_path(root: Path = ROOT) -> str:
    """``OWNER/NAME`` of the repository."""
    return repository_url(root).removeprefix("https://github.com/")


def colab_url(notebook: str, root: Path = ROOT) -> str:
    """Colab's address for ``notebooks/<notebook>`` on the main branch."""
    return f"https://colab.research.google.com/github/{github_path(root)}/blob/{BRANCH}/notebooks/{notebook}"


def binder_url(notebook: str, root: Path = ROOT) -> str:
    """mybinder.org's address that builds the repository and opens ``notebooks/<notebook>``."""
    return f"https://mybinder.org/v2/gh/{github_path(root)}/{BRANCH}?urlpath=" + quote(
        f"lab/tree/notebooks/{notebook}", safe=""
    )


def install_source(root: Path = ROOT) -> str:
    """What ``pip install`` takes to install the package from the repository."""
    return f"attention-names @ git+{repository_url(root)}.git"


def head_commit(root: Path = ROOT) -> str:
    """The short hash of the checkout's HEAD, or "" outside a git checkout."""
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bound, then released), for a
    server started on this machine."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clone_folder(root: Path = ROOT) -> str:
    """The folder nbgitpuller pulls the series into, in a student's home: the repository's name."""
    return repository_url(root).rsplit("/", 1)[-1]


def nbgitpuller_url(
    hub: str,
    notebook: str = "01_names.ipynb",
    root: Path = ROOT,
    repo: str | None = None,
    branch: str = BRANCH,
) -> str:
    """The link that pulls the series into a JupyterHub user's home and opens ``notebook``.

    nbgitpuller's query parameters: ``repo`` (anything ``git clone`` takes; default the
    repository's address), ``branch``, ``targetpath`` (the folder in the home, named here so
    that it never depends on how ``repo`` is spelled: a ``.git`` suffix or a local path would
    otherwise become the folder's name) and ``urlpath`` (where JupyterLab opens afterwards,
    relative to the home).
    """
    folder = clone_folder(root)
    query = urlencode(
        {
            "repo": repo or repository_url(root),
            "branch": branch,
            "targetpath": folder,
            "urlpath": f"lab/tree/{folder}/notebooks/{notebook}",
        }
    )
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def python_versions(root: Path = ROOT) -> str:
    """The Python versions the series supports, in words: ``3.11 or newer``."""
    spec = project_metadata(root)["requires-python"]
    match = re.fullmatch(r">=\s*(\d+\.\d+)", spec)
    if not match:
        raise ValueError(f"pyproject.toml: requires-python = {spec!r}: expected '>=X.Y'")
    return f"{match.group(1)} or newer"
