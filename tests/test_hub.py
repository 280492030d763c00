"""course/hub.py: the nbgitpuller link, made from the one address in pyproject.toml.

(The link followed on a real hub, by a class of students: tests/browser/test_hub_load.py.)
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from course import hub, notebooks
from course.notebooks import ROOT, nbgitpuller_url


def query(link: str) -> dict[str, str]:
    parts = parse_qs(urlsplit(link).query, strict_parsing=True)
    assert all(len(v) == 1 for v in parts.values()), parts
    return {k: v[0] for k, v in parts.items()}


def test_the_link_pulls_the_repository_and_opens_notebook_01():
    link = nbgitpuller_url("https://hub.example.edu/")
    assert link.startswith("https://hub.example.edu/hub/user-redirect/git-pull?")
    q = query(link)
    assert q == {
        "repo": notebooks.repository_url(),
        "branch": "main",
        "targetpath": "attention-names",
        "urlpath": "lab/tree/attention-names/notebooks/01_names.ipynb",
    }
    # the file it opens is where the pull puts it: <targetpath>/notebooks/... of the repository
    opened = q["urlpath"].removeprefix(f"lab/tree/{q['targetpath']}/")
    assert (ROOT / opened).is_file()


def test_the_folder_never_depends_on_how_the_repo_is_spelled():
    for repo in ("https://github.com/x/attention-names.git", "file:///tmp/a/b.git", "/srv/c"):
        q = query(nbgitpuller_url("https://hub.example.edu", "04_attention_loops.ipynb", repo=repo))
        assert q["repo"] == repo
        assert q["targetpath"] == "attention-names"
        assert q["urlpath"] == "lab/tree/attention-names/notebooks/04_attention_loops.ipynb"


def test_a_hub_under_a_path_and_a_fork(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project.urls]\nRepository = "https://github.com/someone/names-course"\n'
    )
    q = query(nbgitpuller_url("https://uni.example.edu/jupyter/", root=tmp_path))
    assert q["repo"] == "https://github.com/someone/names-course"
    assert q["targetpath"] == "names-course"
    assert q["urlpath"] == "lab/tree/names-course/notebooks/01_names.ipynb"
    link = nbgitpuller_url("https://uni.example.edu/jupyter/", root=tmp_path)
    assert link.startswith("https://uni.example.edu/jupyter/hub/user-redirect/git-pull?")


def test_the_command_prints_the_link(capsys):
    assert hub.main(["link", "--hub", "https://hub.example.edu"]) == 0
    assert capsys.readouterr().out.strip() == nbgitpuller_url("https://hub.example.edu")
    hub.main(["link", "--hub", "http://127.0.0.1:8000", "--notebook", "12_explorer.ipynb"])
    printed = capsys.readouterr().out.strip()
    assert query(printed)["urlpath"].endswith("/notebooks/12_explorer.ipynb")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--hub", "hub.example.edu"], "expected the hub's address"),
        (["--hub", "https://hub.example.edu", "--notebook", "10_more.ipynb"], "not a notebook"),
    ],
)
def test_the_command_refuses_a_bad_hub_or_notebook(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        hub.main(["link", *args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_the_teachers_guide_shows_the_link_the_code_makes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert nbgitpuller_url("https://hub.example.edu") in readme.split()
    assert "make hub-link HUB=https://hub.example.edu" in readme
