"""Write the launch links and the install cell at the top of every notebook.

    python -m course.links          # rewrite the notebooks in place (changes nothing if current)
    python -m course.links --check  # exit 1 and name the notebooks that are out of date

Every notebook opens with its title cell, which carries an "Open in Colab" and a Binder link,
and then the install cell (:func:`install_cell`): in Colab, Binder or any Python where the
package is missing, it installs ``attention_utils`` from the repository and fetches the names;
where the package is there (``make lab``, ``pip install``) it does nothing visible. Both are
made from the repository's address in ``pyproject.toml``, so changing that one line and
running this module updates every notebook.
"""

from __future__ import annotations

import sys

import nbformat

from course.notebooks import (
    binder_url,
    colab_url,
    command_line,
    find_notebooks,
    install_source,
    read_notebook,
)

#: The tag of the install cell (Jupyter Book hides it from the site's pages: ``remove-cell``).
INSTALL_TAG = "install"
_LINK_PREFIX = "[Open in Colab]("

INSTALL_CELL = """\
# Colab, Binder, or a Python without this series' package: install it, then fetch the names.
# Where the package is installed already (`pip install`, a hub), this cell does nothing.
import importlib.util

if importlib.util.find_spec("attention_utils") is None:
    import importlib.metadata as metadata
    import os
    import subprocess
    import sys

    source = os.environ.get(
        "ATTENTION_NAMES_INSTALL",
        "{source}",
    )
    loaded = {  # the packages this runtime has imported already, and their versions
        dist: metadata.version(dist)
        for module, dists in metadata.packages_distributions().items()
        if module in sys.modules
        for dist in dists
    }
    print("installing", source)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()
    replaced = [
        f"{dist} {version} -> {metadata.version(dist)}"
        for dist, version in loaded.items()
        if metadata.version(dist) != version
    ]
    if replaced:  # the old version stays loaded until the runtime starts again
        print(
            "RESTART THE RUNTIME NOW (in Colab: Runtime > Restart session), then run this "
            "notebook again from the top: pip replaced " + ", ".join(replaced)
        )
    from attention_utils.data import load_names

    print(len(load_names()), "names ready")"""

#: How the install cell's words begin when pip replaced a package the runtime had loaded.
RESTART = "RESTART THE RUNTIME NOW"


def links_line(notebook: str) -> str:
    """The markdown line of launch links for ``notebooks/<notebook>``."""
    return f"{_LINK_PREFIX}{colab_url(notebook)}) · [Run on Binder]({binder_url(notebook)})"


def install_cell() -> str:
    """The source of the install cell (see the module's docstring)."""
    return INSTALL_CELL.replace("{source}", install_source())


def _with_links(title: str, notebook: str) -> str:
    lines = [line for line in title.splitlines() if not line.startswith(_LINK_PREFIX)]
    # the links go under the heading, after one blank line
    heading, rest = lines[0], lines[1:]
    while rest and not rest[0].strip():
        rest.pop(0)
    return "\n".join([heading, "", links_line(notebook), "", *rest])


def update(nb, notebook: str) -> bool:
    """Put the links and the install cell into ``nb`` (in place); True if anything changed."""
    title = nb.cells[0]
    if title.cell_type != "markdown" or not title.source.startswith("# "):
        raise ValueError(f"{notebook}: the first cell must be the '# NN · Title' markdown cell")
    changed = False
    new_title = _with_links(title.source, notebook)
    if new_title != title.source:
        title.source, changed = new_title, True
    second = nb.cells[1] if len(nb.cells) > 1 else None
    if second is None or INSTALL_TAG not in second.metadata.get("tags", []):
        second = nbformat.v4.new_code_cell("")
        nb.cells.insert(1, second)
        changed = True
    metadata = {"tags": [INSTALL_TAG, "remove-cell"], "slideshow": {"slide_type": "skip"}}
    for key, value in metadata.items():
        if second.metadata.get(key) != value:
            second.metadata[key], changed = value, True
    if second.source != install_cell():
        second.source, changed = install_cell(), True
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = command_line("links", __doc__, notebooks=True)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = []
    for path in args.notebooks or find_notebooks():
        nb = read_notebook(path)
        if update(nb, path.name):
            stale.append(path)
            if not args.check:
                nbformat.write(nb, path)
    verb = "out of date" if args.check else "updated"
    print(f"{len(stale)} notebook(s) {verb}" + "".join(f"\n  {p}" for p in stale))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
