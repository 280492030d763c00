"""Colab's own stack: every notebook alone in a fresh runtime of Colab's versions, installed by
its own first cell, with ipywidgets already imported as Colab's kernel has it.

Colab (its runtime of 2026-08) has Python 3.13 and torch 2.11; this machine has Python 3.11,
and PyTorch 2.13.0 is the only CPU build of torch it can install (any other version is the
multi-GB CUDA build), so those two are this machine's. Every other version is Colab's.
Each notebook gets a new environment of its own (a hard-linked copy of one built here), as
Colab gives each notebook its own runtime; its install cell installs a freshly built wheel
(``ATTENTION_NAMES_INSTALL``) and fetches the names from 127.0.0.1.
"""

from __future__ import annotations

import nbformat
import pytest
from envlib import (
    NOTEBOOKS,
    NamesServer,
    build_wheel,
    copy_venv,
    errors,
    installed,
    make_venv,
    outputs_text,
    run,
    run_alone,
)

from course.links import INSTALL_TAG, RESTART, install_cell

#: Colab's versions of what the series uses (torch: this machine's only CPU build).
COLAB = {
    "torch": "2.13.0",
    "numpy": "2.1.3",
    "pandas": "2.2.3",
    "matplotlib": "3.10.0",
    "ipykernel": "6.17.1",
    "ipython": "7.34.0",
    "ipywidgets": "7.7.1",
    "anywidget": "0.9.21",
    "psygnal": "0.15.1",
    "tqdm": "4.67.3",
    "einops": "0.8.2",
    "platformdirs": "4.11.3",
}
#: Colab's kernel imports ipywidgets as it starts, before any cell runs.
STARTUP = "import ipywidgets  # as Colab's kernel does when it starts\n"
SERIES = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """(the base environment, the wheel, the names' address, an IPython folder)."""
    base = make_venv(
        tmp_path_factory.mktemp("colab") / "venv", [f"{k}=={v}" for k, v in COLAB.items()]
    )
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source"))
    ipython = tmp_path_factory.mktemp("ipython")
    (ipython / "profile_default" / "startup").mkdir(parents=True)
    (ipython / "profile_default" / "startup" / "00-colab.py").write_text(STARTUP)
    server = NamesServer()
    try:
        yield base, wheel, server.url, ipython
    finally:
        server.close()


def run_in_colab(notebook, colab, tmp_path, source=NOTEBOOKS, prepare=None):
    base, wheel, url, ipython = colab
    venv = copy_venv(base, tmp_path / "runtime")
    if prepare:
        prepare(venv)
    before = installed(venv)
    env = {
        "ATTENTION_NAMES_INSTALL": str(wheel),
        "ATTENTION_NAMES_SOURCE": url,
        "IPYTHONDIR": str(ipython),
    }
    nb, work, home = run_alone(notebook, venv, tmp_path, env, source=source)
    after = installed(venv)
    changed = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    install = next(c for c in nb.cells if INSTALL_TAG in c.metadata.get("tags", []))
    return nb, outputs_text(install), changed


@pytest.mark.parametrize("notebook", SERIES)
def test_every_notebook_runs_in_colab_and_pip_replaces_nothing_colab_has(notebook, colab, tmp_path):
    nb, said, changed = run_in_colab(notebook, colab, tmp_path)
    assert errors(nb) == [], errors(nb)
    assert "installing" in said and "1165 names ready" in said, said
    assert RESTART not in said, said  # nothing Colab had loaded was replaced: Run all is enough
    assert set(changed) == {"attention-names"}, f"pip changed Colab's packages: {changed}"
    if notebook == "12_explorer.ipynb":
        shown = [
            o.data
            for c in nb.cells
            for o in c.get("outputs", [])
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert shown, "notebook 12 shows no explorer"
        explorer = shown[0]
        assert "image/png" in explorer and explorer["text/plain"].startswith("Attention explorer")


def test_the_install_cell_says_restart_when_pip_replaces_a_loaded_package(colab, tmp_path):
    """An ipywidgets older than the package's floor, imported at start: pip must upgrade it,
    and the old one stays loaded until the runtime restarts. The cell must say so."""
    folder = tmp_path / "nb"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(install_cell())
    cell.metadata["tags"] = [INSTALL_TAG]
    nb.cells = [cell]
    nbformat.write(nb, folder / "install.ipynb")

    def older_ipywidgets(venv):
        python = venv / "bin" / "python"
        pip = [python, "-m", "pip", "install", "--quiet", "--no-compile"]
        run([*pip, "ipywidgets==7.6.5", "widgetsnbextension==3.5.2"])

    nb, said, changed = run_in_colab("install.ipynb", colab, tmp_path, folder, older_ipywidgets)
    assert errors(nb) == [], errors(nb)
    assert changed["ipywidgets"][0] == "7.6.5", changed
    assert RESTART in said and "ipywidgets 7.6.5 -> " in said, said
