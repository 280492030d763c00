"""The package as students get it: the wheel, a new virtual environment, Colab.

- The wheel holds every module a notebook imports, and nothing of the course builders.
- Colab, simulated: a new virtual environment with only torch, numpy, pandas, matplotlib,
  ipywidgets and a Jupyter kernel; one notebook alone in an empty folder; its install cell
  installs a freshly built wheel (``ATTENTION_NAMES_INSTALL``) and fetches the names from a
  server on 127.0.0.1 (``ATTENTION_NAMES_SOURCE``); Run All with no error. Nothing is written
  beside the notebook or into site-packages: the names and the model go to the user's cache.

These tests build an environment and install into it from the package index: about three
minutes. The pins that a student's install resolves are tested in ``test_pins.py``.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from support import NAMES_FILE, ROOT, pins

from course.links import INSTALL_TAG

NOTEBOOKS = ROOT / "notebooks"
#: What Colab has of what the series needs, before the install cell runs.
COLAB_PACKAGES = ["torch", "numpy", "pandas", "matplotlib", "ipywidgets", "ipykernel"]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stderr[-3000:]}"
    return result


# --------------------------------------------------------------------------- the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # a copy of what the wheel is built from: a build/ folder left in the checkout by an
    # earlier build could slip a module that no longer exists into the wheel
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "attention_utils", source / "attention_utils", ignore=ignore)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out, "."],
        cwd=source,
    )
    (found,) = out.glob("attention_names-*.whl")
    return found


def notebook_imports() -> set[str]:
    """Every ``attention_utils`` module that a notebook imports."""
    modules = set()
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        code = "\n".join(c.source for c in nbformat.read(path, 4).cells if c.cell_type == "code")
        for module, names in re.findall(
            r"from (attention_utils[\w.]*) import (\([^)]*\)|[\w, ]+)",
            code,  # one import each
        ):
            modules.add(module)
            for name in re.findall(r"\w+", names):  # `from attention_utils.exercises import nb04`
                if (ROOT / module.replace(".", "/") / f"{name}.py").exists():
                    modules.add(f"{module}.{name}")
        modules.update(re.findall(r"^import (attention_utils[\w.]*)", code, re.MULTILINE))
    return modules


def test_wheel_holds_every_module_a_notebook_imports_and_no_course_builder(wheel):
    files = set(zipfile.ZipFile(wheel).namelist())
    imported = notebook_imports()
    assert {"attention_utils.exercises.nb04", "attention_utils.explorer"} <= imported
    for module in imported:
        path = module.replace(".", "/")
        assert f"{path}.py" in files or f"{path}/__init__.py" in files, f"{module} not in wheel"
    package = {str(p.relative_to(ROOT)) for p in (ROOT / "attention_utils").rglob("*.py")}
    assert package <= files, f"missing from the wheel: {sorted(package - files)}"
    assert not [f for f in files if f.startswith(("course/", "tests/", "notebooks/"))]
    builders = {p.name for p in (ROOT / "course").glob("*.py")} - {"__init__.py"}
    assert not [f for f in files if f.rsplit("/", 1)[-1] in builders]
    assert any(f.endswith(".dist-info/licenses/LICENSE") for f in files)


def test_course_builders_are_not_in_the_package():
    for builder in (ROOT / "course").glob("*.py"):
        if builder.name != "__init__.py":
            assert not (ROOT / "attention_utils" / builder.name).exists(), builder.name
    for path in (ROOT / "attention_utils").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import nbformat" not in text and "from course" not in text, path


# --------------------------------------------------------------------------- a bare environment


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory) -> Path:
    """A new virtual environment with Colab's share of the series' needs, at the pinned versions."""
    venv = tmp_path_factory.mktemp("colab") / "venv"
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    wanted = pins()
    # no byte code ahead of time: the kernels compile what they import, a fraction of torch
    run(
        [python, "-m", "pip", "install", "--quiet", "--no-compile"]
        + [f"{name}=={wanted[name]}" for name in COLAB_PACKAGES]
    )
    return venv


@pytest.fixture(scope="module")
def names_server():
    """The names file served on 127.0.0.1, standing in for its public address."""
    body = NAMES_FILE.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200 if self.path == "/names.txt" else 404)
            self.send_header("Content-Length", str(len(body) if self.path == "/names.txt" else 0))
            self.end_headers()
            if self.path == "/names.txt":
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/names.txt"
    finally:
        server.shutdown()
        server.server_close()


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3*/site-packages")
    return found


def run_alone(notebook: str, venv: Path, tmp: Path, env: dict[str, str]):
    """Run ``notebooks/<notebook>`` alone in an empty folder with ``venv``'s kernel.

    Returns the executed notebook and the folder. HOME is a new folder, so the user cache
    (platformdirs) starts empty.
    """
    work, home, kernels = tmp / "work", tmp / "home", tmp / "kernels" / "bare"
    for folder in (work, home, kernels):
        folder.mkdir(parents=True)
    shutil.copy2(NOTEBOOKS / notebook, work / notebook)
    kernel_env = {
        "HOME": str(home),
        "XDG_CACHE_HOME": "",
        "ATTENTION_NAMES_DATA": "",
        "PYTHONPATH": "",
        "MPLBACKEND": "",
        **env,
    }
    spec = {
        "argv": [
            str(venv / "bin" / "python"),
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": "bare",
        "language": "python",
        "env": kernel_env,
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    km = KernelManager(
        kernel_name="bare", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels.parent)])
    )
    nb = nbformat.read(work / notebook, 4)
    NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(work)}}).execute()
    return nb, work, home


def outputs_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def errors(nb) -> list[str]:
    return [o["ename"] for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]


def record_of(venv: Path) -> set[str]:
    """Files below site-packages/attention_utils, less byte code."""
    package = site_packages(venv) / "attention_utils"
    return {
        str(p.relative_to(package))
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize(
    "notebook", ["01_names.ipynb", "04_attention_loops.ipynb", "08_training.ipynb"]
)
def test_colab_simulation_installs_the_package_and_runs_alone(
    notebook, bare_env, wheel, names_server, tmp_path
):
    python = bare_env / "bin" / "python"
    subprocess.run([python, "-m", "pip", "uninstall", "--yes", "--quiet", "attention-names"])
    env = {"ATTENTION_NAMES_INSTALL": str(wheel), "ATTENTION_NAMES_SOURCE": names_server}
    nb, work, home = run_alone(notebook, bare_env, tmp_path, env)
    assert errors(nb) == []
    install = next(c for c in nb.cells if INSTALL_TAG in c.metadata.get("tags", []))
    assert f"installing {wheel}" in outputs_text(install)
    assert "1165 names ready" in outputs_text(install)
    assert sorted(p.name for p in work.iterdir()) == [notebook]  # nothing written beside it
    cache = home / ".cache" / "attention-names"
    assert (cache / "names-indian.txt").read_bytes() == NAMES_FILE.read_bytes()
    written = {f"attention_utils/{p}" for p in record_of(bare_env)} - set(
        zipfile.ZipFile(wheel).namelist()
    )
    assert not written, f"written into site-packages: {sorted(written)}"
    if notebook == "08_training.ipynb":
        assert list((cache / "cache").glob("*.pt")), "the trained model is cached in the user cache"


def test_installed_wheel_runs_the_explorer_alone_and_its_install_cell_is_silent(
    bare_env, wheel, names_server, tmp_path
):
    python = bare_env / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", wheel])
    run([python, "-m", "pip", "install", "--quiet", wheel])  # its dependencies
    probe = run(
        [python, "-c", "import attention_utils; print(attention_utils.__file__)"], cwd=tmp_path
    )
    assert str(site_packages(bare_env)) in probe.stdout  # the wheel, not this checkout
    nb, work, _ = run_alone(
        "09_explorer.ipynb", bare_env, tmp_path, {"ATTENTION_NAMES_SOURCE": names_server}
    )
    assert errors(nb) == []
    install = next(c for c in nb.cells if INSTALL_TAG in c.metadata.get("tags", []))
    assert install.outputs == []
    assert sorted(p.name for p in work.iterdir()) == ["09_explorer.ipynb"]


def test_every_module_is_short_and_opens_with_its_job():
    """A newcomer finds each job in one guess: modules under 300 lines, a one-line docstring."""
    import ast

    for folder in (ROOT / "attention_utils", ROOT / "course"):
        for path in sorted(folder.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            assert len(text.splitlines()) < 300, f"{path.relative_to(ROOT)} is 300 lines or more"
            doc = ast.get_docstring(ast.parse(text))
            assert doc and doc.splitlines()[0].strip(), f"{path.relative_to(ROOT)}: no job line"
