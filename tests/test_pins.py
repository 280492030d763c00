"""The pins a student installs: requirements.txt resolves for the lowest Python that
pyproject.toml states and not for the one below it; with PyTorch's CPU index (stood in for by a
local index holding its CPU wheel) a Linux install downloads no nvidia or triton package; every
statement of the Python versions agrees (binder/ in test_binder.py).

These tests resolve against the package index (``pip install --dry-run``): under a minute.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import PINS, ROOT, lowest_python, pins

from course.notebooks import python_versions
from course.student import STUDENT_README

CPU_INDEX = "https://download.pytorch.org/whl/cpu"


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
