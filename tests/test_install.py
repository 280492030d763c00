"""The package as students get it: the wheel, and the lowest versions it admits.

- The wheel holds every module a notebook imports, and nothing of the course builders.
- The floors: a new virtual environment with the lowest version of every dependency that
  ``pyproject.toml`` admits (torch excepted: 2.13.0 is the only CPU build this machine can
  install, any other is the multi-GB CUDA build), the wheel installed, ``pip check`` clean;
  every notebook runs there alone in an empty folder, its install cell silent (the package is
  installed), with no error. Nothing is written beside the notebook or into site-packages: the
  names and the model go to the user's cache. Raise a floor that fails here.

Colab's own stack is tested in ``test_colab.py``; the pins that a student's install resolves
in ``test_pins.py``. These tests build an environment from the package index: minutes.
"""

from __future__ import annotations

import re
import tomllib
import zipfile

import nbformat
import pytest
from envlib import (
    NOTEBOOKS,
    NamesServer,
    build_wheel,
    errors,
    installed,
    make_venv,
    run,
    run_alone,
    site_packages,
)
from packaging.requirements import Requirement
from packaging.version import Version
from support import NAMES_FILE, ROOT, pins

from course.links import INSTALL_TAG

SERIES = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
#: Dependencies whose floor cannot be installed here, and what is used instead (see above).
NO_FLOOR_HERE = {"torch": "2.13.0"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build_wheel(tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source"))


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


def test_the_package_holds_the_lesson_and_the_maintainers_harness_stays_in_course():
    """A student runs one module of the package by itself: ``python -m attention_utils.data``.
    The benchmark's runner and the ablations (``course/bench.py``, ``course/ablations.py``)
    are the maintainers'; notebook 08 reads their committed result with ``results``."""
    runnable = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "attention_utils").rglob("*.py")
        if '__name__ == "__main__"' in p.read_text(encoding="utf-8")
    )
    assert runnable == ["attention_utils/data.py"], runnable
    for harness in ("bench", "ablations"):
        assert (ROOT / "course" / f"{harness}.py").is_file()
        assert not list((ROOT / "attention_utils").rglob(f"{harness}.py")), harness


def test_course_builders_are_not_in_the_package():
    for builder in (ROOT / "course").glob("*.py"):
        if builder.name != "__init__.py":
            assert not (ROOT / "attention_utils" / builder.name).exists(), builder.name
    for path in (ROOT / "attention_utils").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import nbformat" not in text and "from course" not in text, path


# --------------------------------------------------------------------------- the floors


def floors() -> dict[str, str]:
    """``{dependency: its lowest version}`` as ``pyproject.toml`` admits it (``>=``)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lowest = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
        lowest[requirement.name] = floor
    return lowest


@pytest.fixture(scope="module")
def lowest(tmp_path_factory, wheel):
    """(an environment at the floors with the wheel installed, the names' address)."""
    wanted = {**floors(), **NO_FLOOR_HERE}
    kernel = f"ipykernel=={pins()['ipykernel']}"  # to run the notebooks; not a dependency
    venv = tmp_path_factory.mktemp("lowest") / "venv"
    make_venv(venv, [f"{name}=={version}" for name, version in wanted.items()] + [kernel])
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps", wheel])
    server = NamesServer()
    try:
        yield venv, server.url
    finally:
        server.close()


def test_the_floors_install_together_and_are_what_the_environment_holds(lowest):
    venv, _ = lowest
    run([venv / "bin" / "python", "-m", "pip", "check"])  # every requirement is met
    have = installed(venv)
    for name, version in {**floors(), **NO_FLOOR_HERE}.items():
        local = Version(have[name]).public  # 2.13.0+cpu is 2.13.0
        assert Version(local) == Version(version), (
            f"{name}: {have[name]} installed, floor {version}"
        )


def record_of(venv) -> set[str]:
    """Files below site-packages/attention_utils, less byte code."""
    package = site_packages(venv) / "attention_utils"
    return {
        str(p.relative_to(package))
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("notebook", SERIES)
def test_every_notebook_runs_at_the_lowest_versions(notebook, lowest, wheel, tmp_path):
    venv, url = lowest
    probe = run(
        [venv / "bin" / "python", "-c", "import attention_utils as a; print(a.__file__)"],
        cwd=tmp_path,
    )
    assert str(site_packages(venv)) in probe.stdout  # the wheel, not this checkout
    nb, work, home = run_alone(notebook, venv, tmp_path, {"ATTENTION_NAMES_SOURCE": url})
    assert errors(nb) == [], errors(nb)
    install = next(c for c in nb.cells if INSTALL_TAG in c.metadata.get("tags", []))
    assert install.outputs == []  # the package is installed: the install cell does nothing
    assert sorted(p.name for p in work.iterdir()) == [notebook]  # nothing written beside it
    cache = home / ".cache" / "attention-names"
    assert (cache / "names-indian.txt").read_bytes() == NAMES_FILE.read_bytes()
    written = {f"attention_utils/{p}" for p in record_of(venv)} - set(
        zipfile.ZipFile(wheel).namelist()
    )
    assert not written, f"written into site-packages: {sorted(written)}"
    if notebook == "08_training.ipynb":
        assert list((cache / "cache").glob("*.pt")), "the trained model is cached in the user cache"


def test_every_module_opens_with_its_one_job():
    """A newcomer finds each job in one guess: every module's docstring opens with one line
    that states its job (a module with two jobs is split, whatever its length)."""
    import ast

    for folder in (ROOT / "attention_utils", ROOT / "course"):
        for path in sorted(folder.rglob("*.py")):
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            first = doc.splitlines()[0].strip() if doc else ""
            assert first and first.endswith("."), f"{path.relative_to(ROOT)}: no job line"


#: Modules tested in another module's file, and that file.
TESTED_WITH = {
    "attention_utils/download.py": "test_data.py",  # download() serves data.fetch
    "course/notebooks.py": "test_course_notebooks.py",  # test_notebooks.py would read as the series'
    "course/ownnames.py": "test_own_names.py",  # the guide's example, tested with the own-names path
    "course/slidesize.py": "test_slides.py",  # the decks' splitting, tested as the decks
    "course/slidesplit.py": "test_slides.py",
}


def test_the_tests_mirror_the_modules():
    """``tests/test_<module>.py`` for ``attention_utils/<module>.py`` and ``course/<module>.py``;
    the subpackages ``models`` and ``exercises`` by ``test_models.py`` and
    ``test_exercises_<module>.py``."""
    missing = []
    for folder in ("attention_utils", "course"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "__init__.py":
                continue
            module = str(path.relative_to(ROOT))
            sub = path.parent.name
            expected = TESTED_WITH.get(module) or {
                "models": "test_models.py",
                "exercises": f"test_exercises_{path.stem}.py",
            }.get(sub, f"test_{path.stem}.py")
            if not (ROOT / "tests" / expected).is_file():
                missing.append(f"{module}: no tests/{expected}")
    assert not missing, missing
