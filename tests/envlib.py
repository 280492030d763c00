"""Fresh Python environments for the notebooks: the wheel, venvs, a kernel of another Python.

The tests of the package as students get it (``test_install.py``, the lowest versions the
package admits) and of Colab's stack (``test_colab.py``) build a wheel from a copy of the
package, make virtual environments, serve the names on 127.0.0.1, and run one notebook alone
in an empty folder with a kernel of such an environment.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from support import NAMES_FILE, ROOT

NOTEBOOKS = ROOT / "notebooks"
#: What a kernel imports first: Python writes its byte code once, in the base environment,
#: and every copy of it reads that instead of compiling torch again.
WARM_UP = "import torch, numpy, pandas, matplotlib.pyplot, ipykernel, ipywidgets, einops, tqdm"


def run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd``; fail the test with the end of its stderr if it fails."""
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stderr[-3000:]}"
    return result


def copy_package(dest: Path) -> Path:
    """What the package is built from (``pyproject.toml``, the README, the licence and
    ``attention_utils/`` without byte code), copied into ``dest``. Returns ``dest``."""
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "attention_utils", dest / "attention_utils", ignore=ignore)
    return dest


def build_wheel(out: Path, source: Path) -> Path:
    """The package's wheel, built from a copy of what it is built from (a build/ folder left
    in the checkout by an earlier build could slip a module that no longer exists into it)."""
    copy_package(source)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    run([*pip_wheel, "-w", out, "."], cwd=source)
    (found,) = out.glob("attention_names-*.whl")
    return found


def make_venv(venv: Path, requirements: list[str], warm_up: str | None = WARM_UP) -> Path:
    """A new virtual environment with ``requirements`` (pip's words, e.g. ``numpy==2.1.3``),
    its byte code written for what a kernel imports first (``warm_up``). Returns ``venv``."""
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    # no byte code ahead of time (a fraction of torch is ever imported): the warm-up writes it
    run([python, "-m", "pip", "install", "--quiet", "--no-compile", *requirements])
    if warm_up:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        run([python, "-c", warm_up], env=env)
    return venv


def copy_venv(base: Path, venv: Path) -> Path:
    """A new environment of its own, equal to ``base``: its files hard-linked, so that the copy
    costs no time and no disk, and what pip installs or removes there leaves ``base`` alone."""
    shutil.copytree(base, venv, symlinks=True, copy_function=os.link)
    return venv


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3*/site-packages")
    return found


def installed(venv: Path) -> dict[str, str]:
    """``{distribution: version}`` of what ``venv`` holds, as pip lists it."""
    listed = run([venv / "bin" / "python", "-m", "pip", "list", "--format", "json"]).stdout
    return {d["name"].lower(): d["version"] for d in json.loads(listed)}


class NamesServer:
    """The names file served on 127.0.0.1 (``url``), standing in for its public address."""

    def __init__(self):
        body = NAMES_FILE.read_bytes()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                found = self.path == "/names.txt"
                self.send_response(200 if found else 404)
                self.send_header("Content-Length", str(len(body) if found else 0))
                self.end_headers()
                if found:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/names.txt"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def run_alone(notebook: str, venv: Path, tmp: Path, env: dict[str, str], source=NOTEBOOKS):
    """Run ``<source>/<notebook>`` alone in an empty folder with ``venv``'s kernel.

    Returns the executed notebook, the folder and the home folder. HOME is a new folder, so
    the user cache (platformdirs) starts empty; ``env`` is added to the kernel's environment.
    """
    work, home, kernels = tmp / "work", tmp / "home", tmp / "kernels" / "bare"
    for folder in (work, home, kernels):
        folder.mkdir(parents=True)
    shutil.copy2(source / notebook, work / notebook)
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
    """``ename: evalue`` of every error a notebook's cells printed."""
    return [
        f"{o['ename']}: {o['evalue']}"
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
