"""What every course builder needs: the project's folders, its notebooks, their titles, its links.

The repository's public address is written once, in ``pyproject.toml`` (``[project.urls]
Repository``); the Colab, Binder and nbgitpuller links are made from it here.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import quote, urlencode

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


def source_of(cell: dict) -> str:
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def title_of(nb: dict, path: Path | str = "notebook") -> str:
    """The text of the first ``# `` heading in the notebook's markdown cells."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            match = _TITLE_RE.search(source_of(cell))
            if match:
                return match.group(1)
    raise ValueError(f"{path}: no '# Title' heading in any markdown cell; expected '# NN · Title'")


def read_json(path: Path | str) -> dict:
    """The notebook at ``path`` as a dict; a ValueError naming the file if it is not one."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a notebook (invalid JSON: {e})") from e


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
