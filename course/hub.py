"""The series on a JupyterHub: the nbgitpuller link that gives each student their own copy.

    python -m course.hub link --hub https://hub.example.edu [--notebook 01_names.ipynb]

prints the link to hand out. A student who follows it logs in to the hub, gets their server
started, has the repository pulled into ``attention-names/`` in their home folder (a clone the
first time, a merge that keeps their own edits every later time) and lands in JupyterLab on
the notebook. The repository's address comes from ``pyproject.toml`` (``[project.urls]
Repository``), like every other link of the series; ``--repo`` pulls from another address
(a fork, a mirror, a local bare clone in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from course.notebooks import BRANCH, command_line, find_notebooks, nbgitpuller_url


def check_hub(hub: str) -> str:
    """``hub`` if it is an http(s) address with a host, else a ValueError saying so."""
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--hub {hub!r}: expected the hub's address, e.g. https://hub.example.edu")
    return hub


def check_notebook(notebook: str) -> str:
    """``notebook`` if it is one of the series' notebooks, else a ValueError naming them."""
    names = [p.name for p in find_notebooks()]
    if notebook not in names:
        raise ValueError(f"--notebook {notebook!r}: not a notebook of the series; one of {names}")
    return notebook


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_line("hub", __doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    link = commands.add_parser("link", help="print the nbgitpuller link for the students")
    link.add_argument("--hub", required=True, help="the hub's address, https://hub.example.edu")
    link.add_argument("--notebook", default="01_names.ipynb", help="the notebook it opens")
    link.add_argument("--repo", help="pull from this address instead of pyproject.toml's")
    link.add_argument("--branch", default=BRANCH, help=f"the branch to pull (default {BRANCH})")
    args = parser.parse_args(argv)
    try:
        url = nbgitpuller_url(
            check_hub(args.hub),
            check_notebook(args.notebook),
            repo=args.repo,
            branch=args.branch,
        )
    except ValueError as e:
        parser.error(str(e))
    print(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
