"""The package as students get it: the wheel, a new virtual environment, Colab, the pins.

- The wheel holds every module a notebook imports, and nothing of the course builders.
- Colab, simulated: a new virtual environment with only torch, numpy, pandas, matplotlib,
  ipywidgets and a Jupyter kernel; one notebook alone in an empty folder; its install cell
  installs a freshly built wheel (``ATTENTION_NAMES_INSTALL``) and fetches the names from a
  server on 127.0.0.1 (``ATTENTION_NAMES_SOURCE``); Run All with no error. Nothing is written
  beside the notebook or into site-packages: the names and the model go to the user's cache.
- The pins: requirements.txt resolves for the lowest Python that pyproject.toml states and
  not for the one below it; with PyTorch's CPU index (stood in for by a local index holding
  its CPU wheel) a Linux install downloads no nvidia or triton package.

These tests build environments and resolve against the package index: about three minutes.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from support import NAMES_FILE

from course.links import INSTALL_TAG
from course.notebooks import python_versions
from course.student import STUDENT_README

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PINS = ROOT / "requirements.txt"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: What Colab has of what the series needs, before the install cell runs.
COLAB_PACKAGES = ["torch", "numpy", "pandas", "matplotlib", "ipywidgets", "ipykernel"]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stderr[-3000:]}"
    return result


def pins() -> dict[str, str]:
    """``{name: version}`` of the exact pins in requirements.txt."""
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", PINS.read_text(), re.MULTILINE)
    return {name.lower(): version for name, version in found}


def lowest_python() -> tuple[int, int]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        spec = tomllib.load(f)["project"]["requires-python"]
    major, minor = re.fullmatch(r">=(\d+)\.(\d+)", spec).groups()
    return int(major), int(minor)


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


# --------------------------------------------------------------------------- the pins


def resolve(python_version: str, requirements: Path, *extra: str) -> subprocess.CompletedProcess:
    """``pip install --dry-run`` of ``requirements`` for ``python_version``, as a report."""
    report = requirements.with_suffix(".report.json")
    cmd = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
        "--only-binary=:all:", "--python-version", python_version, "--report", str(report),
        "-r", str(requirements), *extra,
    ]  # fmt: skip
    env = {**os.environ, "PIP_RETRIES": "0"}  # PyTorch's index is out of reach here
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def test_requirements_resolve_for_the_lowest_stated_python_and_not_below(tmp_path):
    major, minor = lowest_python()
    copy = tmp_path / "requirements.txt"
    shutil.copy2(PINS, copy)
    ok = resolve(f"{major}.{minor}", copy)
    assert ok.returncode == 0, ok.stderr[-2000:]
    below = resolve(f"{major}.{minor - 1}", copy)
    assert below.returncode != 0, (
        f"the pins also install on {major}.{minor - 1}: lower requires-python"
    )
    assert "No matching distribution" in below.stderr or "Requires-Python" in below.stderr


def test_every_statement_of_the_python_versions_agrees_with_pyproject():
    major, minor = lowest_python()
    words = python_versions()
    assert words == f"{major}.{minor} or newer"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Python {words}" in readme
    assert "{python}" in STUDENT_README  # filled from pyproject.toml when the copies are made
    stated = set(re.findall(r"Python (3\.\d+) or newer", readme))
    assert stated == {f"{major}.{minor}"}, f"the README states {stated}"


def local_cpu_wheel() -> Path | None:
    """PyTorch's CPU wheel of the pinned version, where this machine keeps a copy."""
    version = pins()["torch"]
    for folder in (Path("/opt/wheels"), Path.home() / "wheels"):
        found = sorted(folder.glob(f"torch-{version}+cpu-*.whl")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


def test_cpu_index_keeps_cuda_out_of_a_linux_install(tmp_path):
    """requirements.txt with PyTorch's CPU index: torch +cpu and no nvidia or triton package.

    PyTorch's index is out of reach here, so a local index that holds its CPU wheel of the
    pinned version stands in for it; without that index the same pins take the CUDA build.
    """
    wheel = local_cpu_wheel()
    if wheel is None:
        pytest.skip("no local copy of PyTorch's CPU wheel to stand in for its index")
    index = tmp_path / "cpu-index"
    (index / "torch").mkdir(parents=True)
    (index / "torch" / "index.html").write_text(f'<a href="{wheel.as_uri()}">{wheel.name}</a>\n')
    text = PINS.read_text()
    assert f"--extra-index-url {CPU_INDEX}\n" in text
    torch_only = f"torch=={pins()['torch']}\n"
    cases = {"cpu": f"--extra-index-url {index.as_uri()}\n{torch_only}", "default": torch_only}
    isolated = ["--isolated", "--no-cache-dir"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    installs = {}
    for case, requirements in cases.items():
        path = tmp_path / f"{case}.txt"
        path.write_text(requirements)
        report = tmp_path / f"{case}.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
               "--quiet", "--report", str(report), "-r", str(path), *isolated]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        installs[case] = {
            i["metadata"]["name"].lower(): i["metadata"]["version"]
            for i in json.loads(report.read_text())["install"]
        }
    cpu, default = installs["cpu"], installs["default"]
    assert cpu["torch"].endswith("+cpu")
    assert not [n for n in cpu if n.startswith(("nvidia", "triton", "cuda"))], sorted(cpu)
    # the control: the default index alone takes the CUDA build
    assert [n for n in default if n.startswith(("nvidia", "triton"))], sorted(default)


def test_binder_builds_the_students_environment():
    """repo2docker reads binder/: the user pins, the lowest stated Python, the package itself."""
    major, minor = lowest_python()
    binder = ROOT / "binder"
    assert (binder / "runtime.txt").read_text().strip() == f"python-{major}.{minor}"
    assert "-r ../requirements.txt" in (binder / "requirements.txt").read_text().splitlines()
    post = (binder / "postBuild").read_text()
    assert "pip install --no-deps ." in post and "attention_utils.data" in post
    assert os.access(binder / "postBuild", os.X_OK)


def test_every_module_is_short_and_opens_with_its_job():
    """A newcomer finds each job in one guess: modules under 300 lines, a one-line docstring."""
    import ast

    for folder in (ROOT / "attention_utils", ROOT / "course"):
        for path in sorted(folder.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            assert len(text.splitlines()) < 300, f"{path.relative_to(ROOT)} is 300 lines or more"
            doc = ast.get_docstring(ast.parse(text))
            assert doc and doc.splitlines()[0].strip(), f"{path.relative_to(ROOT)}: no job line"
