"""binder/: the environment of the "Run on Binder" links and of a JupyterHub's image.

repo2docker installs ``binder/requirements.txt`` on top of its own base environment (for
Python 3.11, ``course.hubconfig.REPO2DOCKER_BASE``; its Notebook 7 needs jupyterlab<4.5), then runs
``binder/postBuild``. Here: the pins are the students' (less JupyterLab); on that base
``pip check`` is clean; and after postBuild, a student whose home folder is mounted over
``$HOME`` (a new, empty one) has the names and the trained model without any download or
training: they lie in the environment (``attention_utils.data.PRELOADED``).
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from envlib import NamesServer, copy_package, installed, make_venv, run
from support import ROOT, lowest_python, pins

from course.hubconfig import REPO2DOCKER_BASE

BINDER = ROOT / "binder"
#: repo2docker's base environment for Python 3.11, of what matters here.
BASE = {k: REPO2DOCKER_BASE[k] for k in ("jupyterlab", "notebook")}


def without_ours() -> dict[str, str]:
    """This process's environment less the series' own variables (ATTENTION_NAMES_*)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ATTENTION_NAMES")}


def binder_pins() -> dict[str, str]:
    text = (BINDER / "requirements.txt").read_text()
    return {n.lower(): v for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)}


def test_binder_pins_are_the_students_less_what_the_base_environment_serves():
    major, minor = lowest_python()
    assert (BINDER / "runtime.txt").read_text().strip() == f"python-{major}.{minor}"
    students = pins()
    ours = binder_pins()
    assert "jupyterlab" not in ours and "notebook" not in ours
    assert {k: v for k, v in ours.items() if k != "nbgitpuller"} == {
        k: v for k, v in students.items() if k != "jupyterlab"
    }
    assert (
        "--extra-index-url https://download.pytorch.org/whl/cpu"
        in (BINDER / "requirements.txt").read_text().splitlines()
    )
    assert os.access(BINDER / "postBuild", os.X_OK)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The base environment, binder/requirements.txt on it, postBuild run as repo2docker does
    (in a copy of the repository, the names from 127.0.0.1). (venv, the server)"""
    venv = make_venv(
        tmp_path_factory.mktemp("r2d") / "venv",
        [f"{k}=={v}" for k, v in BASE.items()],
        warm_up=None,
    )
    python = venv / "bin" / "python"
    # PyTorch's CPU index (an extra index there) may be out of reach: one try, not five per package
    pip = [python, "-m", "pip", "install", "--quiet", "--no-compile", "--retries", "0"]
    run([*pip, "--timeout", "10", "-r", BINDER / "requirements.txt"])
    repo = copy_package(tmp_path_factory.mktemp("repo"))
    shutil.copytree(BINDER, repo / "binder")
    server = NamesServer()
    env = {
        **without_ours(),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp_path_factory.mktemp("image-home")),
        "ATTENTION_NAMES_SOURCE": server.url,
    }
    try:
        run(["bash", repo / "binder" / "postBuild"], cwd=repo, env=env)
        yield venv, server
    finally:
        server.close()


def test_binder_installs_cleanly_on_repo2dockers_base_environment(image):
    venv, _ = image
    run([venv / "bin" / "python", "-m", "pip", "check"])
    have = installed(venv)
    assert {k: have[k] for k in BASE} == BASE  # the base's JupyterLab is kept, not replaced
    assert have["attention-names"]


def test_a_student_with_a_mounted_home_finds_the_names_and_the_model(image, tmp_path):
    venv, server = image
    home = tmp_path / "home"  # the student's own home folder, mounted over the image's
    home.mkdir()
    env = {
        **without_ours(),
        "HOME": str(home),
        "XDG_CACHE_HOME": "",
        "ATTENTION_NAMES_SOURCE": "http://127.0.0.1:9/names.txt",  # no download can succeed
    }
    probe = (
        "from attention_utils.data import load_names, PRELOADED\n"
        "from attention_utils.pretrained import load_or_train\n"
        "names = load_names()\n"
        "trained = load_or_train(progress=False)\n"
        "print(len(names), trained.history.best_val, PRELOADED)\n"
    )
    out = run([venv / "bin" / "python", "-c", probe], cwd=tmp_path, env=env).stdout.split()
    assert out[0] == "1165"
    assert 1.9 < float(out[1]) < 2.1
    assert out[2].startswith(str(venv))  # in the environment, not below $HOME
    assert [p for p in home.rglob("*") if p.is_file()] == []  # nothing trained or downloaded
