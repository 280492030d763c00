"""A class on a real JupyterHub, on this machine: students log in at once, each pulls the series
through the nbgitpuller link of the teacher's guide, and all run notebook 04 at the same time
(one of them the explorer of notebook 12 as well) in their own servers; one student's server
is killed halfway and must come back with their files; nobody else may notice.

JupyterHub, its proxy (configurable-http-proxy from ``hub/``) and every server listen on
127.0.0.1 only; the link pulls from a bare clone of this repository's HEAD (``file://``).
``ATTENTION_NAMES_HUB_STUDENTS`` sets the class size (5 by default, as in CI). Everything is
stopped by its PID at the end, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from hublib import ROOT, Watcher, server_pid, start_hub, stop_hub
from studentlib import Student, StudentError, output_text

from attention_utils import data
from course.notebooks import clone_folder, find_notebooks, nbgitpuller_url

STUDENTS = int(os.environ.get("ATTENTION_NAMES_HUB_STUDENTS", "5"))
NB04, NB12, NB01 = "04_attention_loops.ipynb", "12_explorer.ipynb", "01_names.ipynb"
CHECK = "nbval-check-output"  # the cell tag whose outputs nbval compares
FOLDER = clone_folder()
#: Generous for a 2-core machine shared by the whole class (and by other work).
CELL_TIMEOUT = 90 + 15 * STUDENTS
PAGE_TIMEOUT = 120 + 10 * STUDENTS
STUDENT_NOTE = "My notes: every row of the weights adds up to 1."
GiB = 1024**3
pytestmark = pytest.mark.timeout(300 + 60 * STUDENTS)


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def committed(name: str) -> dict:
    """The notebook as committed at HEAD (what the bare clone serves)."""
    return json.loads(git("show", f"HEAD:notebooks/{name}", cwd=ROOT))


def checked_outputs(nb: dict) -> dict[int, str]:
    """Index -> output text of every cell tagged ``nbval-check-output``."""
    return {
        i: output_text(cell.get("outputs", []))
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and CHECK in cell.get("metadata", {}).get("tags", [])
    }


def compare(student: str, name: str, runs, expected: dict[int, str]) -> list[str]:
    """What differs between a run and the committed notebook (empty when it is the same)."""
    problems = []
    by_index = {r.index: r for r in runs}
    for run in runs:
        errors = [o for o in run.outputs if o["output_type"] == "error"]
        if run.status != "ok" or errors:
            problems.append(f"{student} {name} cell {run.index}: {run.status} {errors[:1]}")
    for index, text in expected.items():
        got = by_index.get(index)
        if got is None:
            problems.append(f"{student} {name} cell {index}: never ran")
        elif output_text(got.outputs) != text:
            problems.append(
                f"{student} {name} cell {index}: printed\n{output_text(got.outputs)}\n"
                f"--- the committed notebook shows\n{text}"
            )
    return problems


@pytest.fixture(scope="module")
def bare_repo():
    """A bare clone of this repository's HEAD as branch main, as the link's ``repo``."""
    folder = Path(tempfile.mkdtemp(prefix="hub-repo-"))
    bare = folder / f"{FOLDER}.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git("push", "--quiet", str(bare), "HEAD:refs/heads/main", cwd=ROOT)
    yield bare
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def prepared_model() -> Path:
    """The trained model of notebooks 08, 09 and 12, trained once now if the cache lacks it."""
    cache = data.DATA_DIR / "cache"
    if not list(cache.glob("default-model-*.pt")):
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from attention_utils.pretrained import load_or_train as f; f(progress=False)",
            ],
            check=True,
        )
    return sorted(cache.glob("default-model-*.pt"))[-1]


@pytest.fixture(scope="module")
def hub_class(prepared_model, request):
    """The hub with one home per student, names ready in each (no internet here); the first
    student also gets the prepared model, as the explorer of notebook 12 needs it."""
    names = [f"student{i:02d}" for i in range(1, STUDENTS + 1)]
    work = Path(tempfile.mkdtemp(prefix="hub-test-"))
    homes = work / "homes"
    for name in names:
        folder = homes / name / ".cache" / "attention-names"
        folder.mkdir(parents=True)
        shutil.copy(data.DATA_DIR / data.DEFAULT_FILE, folder / data.DEFAULT_FILE)
    (homes / names[0] / ".cache" / "attention-names" / "cache").mkdir()
    shutil.copy(prepared_model, homes / names[0] / ".cache" / "attention-names" / "cache")
    try:
        hub = start_hub(work, homes, start_timeout=60 + 10 * STUDENTS)
    except Exception:
        shutil.rmtree(work, ignore_errors=True)
        raise
    watcher = Watcher(hub.process.pid)
    watcher.start()

    def on_sigterm(signum, frame):  # a run cut short stops the whole class first
        stop_hub(hub, names, watcher)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield hub, watcher, names
    finally:
        signal.signal(signal.SIGTERM, previous)
        killed = stop_hub(hub, names, watcher)
        left = watcher.still_running()
        shutil.rmtree(work, ignore_errors=True)
        assert hub.process.poll() is not None, f"jupyterhub (pid {hub.process.pid}) still runs"
        assert not left, f"still running after the stop: {left}"
        with request.config.pluginmanager.get_plugin(
            "capturemanager"
        ).global_and_fixture_disabled():
            print(f"\nhub stopped; killed by PID afterwards: {', '.join(killed) or 'nothing'}")


def test_a_class_on_the_hub(hub_class, bare_repo, say):
    hub, watcher, names = hub_class
    students = [Student(hub, name) for name in names]
    explorer, victim = students[0], students[-1]
    link = nbgitpuller_url(hub.url, NB01, repo=f"file://{bare_repo}")
    expected04, expected12 = checked_outputs(committed(NB04)), checked_outputs(committed(NB12))
    assert expected04 and expected12, f"no cell tagged {CHECK} to compare"
    path04 = f"{FOLDER}/notebooks/{NB04}"
    results: dict[str, dict] = {s.name: {} for s in students}
    victim_at_cell = threading.Event()
    start_line = threading.Barrier(len(students))

    def attend(student: Student) -> None:
        """One student's lesson: log in, follow the link, run notebook 04 (and 09)."""
        result = results[student.name]
        start_line.wait()
        start = time.monotonic()
        student.login()
        result["opened"] = student.pull(link, PAGE_TIMEOUT)
        result["ready_s"] = time.monotonic() - start
        student.make_token()
        pulled = student.read(path04)["content"]
        assert [c["source"] for c in pulled["cells"]] == [
            "".join(c["source"]) for c in committed(NB04)["cells"]
        ], f"{student.name}: the pulled {NB04} is not the committed one"
        side = None
        if student is explorer:
            side = threading.Thread(target=run_explorer, args=(student,))
            side.start()
        if student is victim:  # a student's own edit, which must survive the fault and a pull
            nb = student.read(f"{FOLDER}/notebooks/{NB01}")["content"]
            nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": STUDENT_NOTE})
            student.write_notebook(f"{FOLDER}/notebooks/{NB01}", nb)

        def on_cell(run):
            if student is victim and len(result.setdefault("cells", [])) >= 3:
                victim_at_cell.set()
            result.setdefault("cells", []).append(run.index)

        run_start = time.monotonic()
        try:
            result["runs"] = student.run_notebook(path04, CELL_TIMEOUT, on_cell)
        except Exception as e:
            if student is not victim:
                raise
            result["interrupted"] = f"{type(e).__name__} after cells {result.get('cells')}"
        result["run_s"] = time.monotonic() - run_start
        result["total_s"] = time.monotonic() - start
        if side is not None:
            side.join()
            if "explorer_error" in result:
                raise result["explorer_error"]

    def run_explorer(student: Student) -> None:
        start = time.monotonic()
        try:
            runs = student.run_notebook(f"{FOLDER}/notebooks/{NB12}", CELL_TIMEOUT)
        except Exception as e:  # raised again by attend(), in the pool
            results[student.name]["explorer_error"] = e
            return
        results[student.name].update(explorer_runs=runs, explorer_s=time.monotonic() - start)

    wall_start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(students)) as pool:
        futures = {s.name: pool.submit(attend, s) for s in students}
        deadline = time.monotonic() + PAGE_TIMEOUT + CELL_TIMEOUT
        while not victim_at_cell.wait(0.5):
            for future in futures.values():
                if future.done():
                    future.result()  # raises what went wrong, if anything
            if time.monotonic() > deadline:
                pytest.fail(f"{victim.name} never reached the fourth code cell of {NB04}")
        pids = {s.name: server_pid(hub, s.name) for s in students}
        assert all(pids.values()), f"a server has no PID: {pids}"
        fault = recover(hub, victim, pids[victim.name], path04, expected04, bare_repo, link)
        for future in futures.values():
            future.result()
    wall = time.monotonic() - wall_start

    problems = []
    for s in students:
        r = results[s.name]
        if s is not victim:
            problems += compare(s.name, NB04, r["runs"], expected04)
        assert r["opened"] == f"lab/tree/{FOLDER}/notebooks/{NB01}", r["opened"]
    problems += compare(explorer.name, NB12, results[explorer.name]["explorer_runs"], expected12)
    problems += compare(victim.name, f"{NB04} after the restart", fault["runs"], expected04)
    assert not problems, "\n".join(problems)
    assert "interrupted" in results[victim.name], f"{victim.name}'s run went on after the kill"
    others = {s.name: server_pid(hub, s.name) for s in students if s is not victim}
    assert others == {k: v for k, v in pids.items() if k != victim.name}, (
        f"other students' servers changed while {victim.name}'s was killed: {pids} -> {others}"
    )
    assert not watcher.wide_listeners, "\n".join(watcher.wide_listeners)
    kinds = {watcher.kinds[pid] for pid, _, _ in watcher.listeners}
    assert {"hub", "proxy", "server", "kernel"} <= kinds, f"listeners seen only of {kinds}"
    watcher.sample()
    report(hub, watcher, results, students, fault, wall, say)


def recover(hub, victim: Student, pid: int, path04, expected04, bare_repo, link) -> dict:
    """Kill the victim's server; the hub must notice, restart it on their next request, with
    their files; notebook 04 runs there again; a later pull keeps their edit."""
    fault = {"killed_pid": pid}
    os.kill(pid, signal.SIGKILL)
    start = time.monotonic()
    deadline = start + 5 * hub.poll_interval + 30
    while hub.server(victim.name) is not None:
        if time.monotonic() > deadline:
            raise StudentError(f"the hub did not notice that {victim.name}'s server died")
        time.sleep(0.2)
    fault["noticed_s"] = time.monotonic() - start
    start = time.monotonic()
    lab = victim.browse(f"{hub.url}/user/{victim.name}/lab", PAGE_TIMEOUT)  # the next request
    assert lab.status_code == 200 and f"/user/{victim.name}/lab" in lab.url, lab.url
    fault["restarted_s"] = time.monotonic() - start
    new_pid = server_pid(hub, victim.name)
    assert new_pid and new_pid != pid, f"{victim.name}'s server was not restarted: {new_pid}"
    listing = victim.read(f"{FOLDER}/notebooks")["content"]
    have = sorted(f["name"] for f in listing if f["name"].endswith(".ipynb"))
    assert have == [p.name for p in find_notebooks()], f"after the restart: {have}"
    nb01 = victim.read(f"{FOLDER}/notebooks/{NB01}")["content"]
    assert nb01["cells"][-1]["source"] == STUDENT_NOTE, "the student's edit is gone"
    start = time.monotonic()
    fault["runs"] = victim.run_notebook(path04, CELL_TIMEOUT)
    fault["rerun_s"] = time.monotonic() - start
    # The teacher changes the series; the student follows the link again: both changes stay.
    teacher = Path(tempfile.mkdtemp(prefix="teacher-"))
    try:
        git("clone", "--quiet", str(bare_repo), str(teacher / "series"))
        readme = teacher / "series" / "README.md"
        readme.write_text(readme.read_text() + "\nA note from the teacher.\n")
        git("-c", "user.name=Teacher", "-c", "user.email=teacher@example.edu", "commit",
            "--quiet", "-am", "A note from the teacher", cwd=teacher / "series")  # fmt: skip
        git("push", "--quiet", "origin", "HEAD:main", cwd=teacher / "series")
    finally:
        shutil.rmtree(teacher, ignore_errors=True)
    victim.pull(link, PAGE_TIMEOUT)
    text = victim.api("GET", f"contents/{FOLDER}/README.md").json()["content"]
    assert text.endswith("A note from the teacher.\n"), (
        "the second pull missed the teacher's change"
    )
    nb01 = victim.read(f"{FOLDER}/notebooks/{NB01}")["content"]
    assert nb01["cells"][-1]["source"] == STUDENT_NOTE, "the second pull lost the student's edit"
    return fault


def report(hub, watcher, results, students, fault, wall, say) -> None:
    rows = sorted(
        (r["total_s"], name, r["ready_s"], r["run_s"])
        for name, r in results.items()
        if name != students[-1].name
    )
    slowest = rows[-1]
    memory = psutil.virtual_memory()
    lines = [
        f"JupyterHub load test: {len(students)} students at once, {psutil.cpu_count()} cores, "
        f"{memory.total / GiB:.1f} GiB",
        f"  wall time, first login to last run: {wall:.1f} s",
        "  per student, login + server + pull / notebook 04: "
        + ", ".join(f"{n} {a:.0f}+{b:.0f} s" for _, n, a, b in rows),
        f"  slowest student: {slowest[1]}, {slowest[0]:.1f} s "
        f"({slowest[2]:.1f} s to a pulled series, {slowest[3]:.1f} s for notebook 04)",
        f"  explorer (notebook 12, {students[0].name}): "
        f"{results[students[0].name]['explorer_s']:.1f} s",
        f"  fault: {students[-1].name}'s server killed "
        f"({results[students[-1].name].get('interrupted', 'after its run')}); "
        f"hub noticed in {fault['noticed_s']:.1f} s, next request restarted it in "
        f"{fault['restarted_s']:.1f} s, notebook 04 again in {fault['rerun_s']:.1f} s",
        f"  peak memory of the machine: {watcher.peak_used / GiB:.2f} GiB used "
        f"(before the hub {watcher.baseline_used / GiB:.2f} GiB); of the hub and everything "
        f"below it: {watcher.peak_class / GiB:.2f} GiB (the sum of their RSS, which counts "
        "shared pages once per process)",
        f"  largest peak RSS: a server {watcher.peak_of('server') / 2**20:.0f} MB, "
        f"a kernel {watcher.peak_of('kernel') / 2**20:.0f} MB, "
        f"the hub {watcher.peak_of('hub') / 2**20:.0f} MB, "
        f"the proxy {watcher.peak_of('proxy') / 2**20:.0f} MB",
        f"  listening sockets, all on 127.0.0.1: {len(watcher.listeners)}",
    ]
    say("\n".join(lines))
