"""course/sizing.py: what one student costs, measured on real processes and a real kernel."""

from __future__ import annotations

import subprocess
import sys
import time

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from support import readme_block, write_notebook

from course import sizing

#: A process that holds about 200 MB for a while and burns about half a second of CPU.
HOG = """
import time
block = bytearray(200 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
end = time.process_time() + 0.5
while time.process_time() < end:
    pass
time.sleep(0.5)
"""


def test_the_sampler_sees_peak_memory_and_cpu_time_of_a_process():
    proc = subprocess.Popen([sys.executable, "-c", HOG])
    sampler = sizing.Sampler(proc.pid)
    sampler.start()
    proc.wait(30)
    sampler.stop()
    assert 190 * sizing.MB < sampler.peak_rss < 400 * sizing.MB, sampler.peak_rss / sizing.MB
    assert 0.4 < sampler.cpu_seconds < 5, sampler.cpu_seconds


def test_a_child_process_counts_too():
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {HOG!r}])"
    proc = subprocess.Popen([sys.executable, "-c", code])
    sampler = sizing.Sampler(proc.pid)
    sampler.start()
    proc.wait(30)
    sampler.stop()
    assert sampler.peak_rss > 190 * sizing.MB
    assert sampler.cpu_seconds > 0.4


def test_a_notebook_runs_in_its_own_kernel_and_is_measured(tmp_path):
    folder = tmp_path / "notebooks"
    cells = [
        nbformat.v4.new_code_cell("import os\nblock = bytearray(150 * 1024 * 1024)"),
        nbformat.v4.new_code_cell(
            "for i in range(0, len(block), 4096):\n    block[i] = 1\n"
            f"assert os.getcwd() == {str(folder)!r}, os.getcwd()\n"
            f"assert os.environ['ATTENTION_NAMES_DATA'] == {str(tmp_path / 'data')!r}\n"
            f"assert os.environ['HOME'] == {str(tmp_path)!r}"
        ),
    ]
    path = write_notebook(folder / "01_try.ipynb", cells)
    before = path.read_bytes()
    env = sizing.kernel_env(tmp_path / "data", tmp_path)
    start = time.monotonic()
    usage = sizing.run_notebook(path, env, timeout=120)
    assert usage.notebook == "01_try.ipynb"
    assert usage.peak_rss > 150 * sizing.MB
    assert 0 < usage.cpu_seconds < usage.wall_seconds <= time.monotonic() - start + 0.1
    assert path.read_bytes() == before, "the notebook on disk was changed"


def test_a_cell_that_fails_fails_the_measurement(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise ValueError('a broken notebook')")]
    path = tmp_path / "02_broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(CellExecutionError, match="a broken notebook"):
        sizing.run_notebook(path, sizing.kernel_env(tmp_path, tmp_path), timeout=120)


def test_the_table_has_a_row_per_notebook_and_the_totals():
    rows = [
        sizing.Usage("01_names.ipynb", 300 * sizing.MB, 5.0, 6.0),
        sizing.Usage("08_training.ipynb", 480 * sizing.MB, 40.0, 45.0),
    ]
    lines = sizing.table(rows).splitlines()
    assert lines[0].split() == ["notebook", "peak", "MB", "CPU", "s", "wall", "s"]
    assert lines[1].split() == ["01_names.ipynb", "300", "5.0", "6.0"]
    assert lines[-1].split()[-3:] == ["480", "45.0", "51.0"]


def test_the_command_refuses_a_notebook_that_is_not_in_the_series(capsys):
    with pytest.raises(SystemExit) as exit_:
        sizing.main(["10_not_there.ipynb"])
    assert exit_.value.code == 2
    assert "not in the committed series" in capsys.readouterr().err


def test_a_jupyterlab_server_is_measured(tmp_path):
    env = sizing.kernel_env(tmp_path, tmp_path)
    rss = sizing.server_rss(tmp_path, env)
    assert 20 * sizing.MB < rss < 2048 * sizing.MB


def test_the_record_holds_the_rows_the_disk_and_the_server(tmp_path):
    series = tmp_path / "attention-names"
    (series / "notebooks").mkdir(parents=True)
    (series / "notebooks" / "01_names.ipynb").write_bytes(b"x" * 3000)
    (series / "README.md").write_bytes(b"y" * 1000)
    data_dir = tmp_path / ".cache" / "attention-names"
    (data_dir / "cache").mkdir(parents=True)
    (data_dir / "names-indian.txt").write_bytes(b"z" * 500)
    (data_dir / "cache" / "model.pt").write_bytes(b"m" * 700)
    (tmp_path / ".jupyter").mkdir()
    (tmp_path / ".jupyter" / "x").write_bytes(b"o" * 11)
    disk = sizing.disk_parts(tmp_path, series, data_dir)
    assert disk == {
        "notebooks": 3000,
        "clone": 4000,
        "names": 500,
        "cache": 700,
        "other": 11,
        "home": 5211,
    }
    rows = [sizing.Usage("01_names.ipynb", 300 * sizing.MB, 5.0, 6.0)]
    record = sizing.record(rows, disk, 90 * sizing.MB)
    assert record["notebooks"] == [
        {
            "notebook": "01_names.ipynb",
            "peak_rss": 300 * sizing.MB,
            "cpu_seconds": 5.0,
            "wall_seconds": 6.0,
        }
    ]
    assert record["server_rss"] == 90 * sizing.MB and record["disk"] is disk
    assert record["commit"] and record["cores"] >= 1


def test_the_report_prints_the_record_it_is_given():
    rows = [
        sizing.Usage("01_names.ipynb", 300 * sizing.MB, 2.5, 2.75),
        sizing.Usage("02_vocabulary.ipynb", 400 * sizing.MB, 3.0, 3.25),
    ]
    disk = {"notebooks": 3 * sizing.MB, "clone": 5 * sizing.MB, "names": 9000}
    disk |= {"cache": 600_000, "other": 40_000, "home": 6 * sizing.MB}
    figures = sizing.record(rows, disk, 90 * sizing.MB) | {"cores": 4}
    lines = sizing.report(figures).splitlines()
    assert lines[0] == "One student, each notebook in its own kernel (4 cores):"
    assert lines[2].split() == ["01_names.ipynb", "300", "2.5", "2.8"]
    assert lines[4].split()[-3:] == ["400", "5.5", "6.0"]  # the largest peak and the totals
    assert "the names file" in lines[9] and lines[9].endswith(" 9 kB")
    assert lines[-1] == "A JupyterLab server after serving its page once: 90 MB"
    figures["server_rss"] = 0  # a run without --out measures no server
    assert "JupyterLab" not in sizing.report(figures)


def test_the_readme_shows_the_committed_record():
    """The teacher's guide prints what the committed record holds, not an older run."""
    shown = readme_block("`make hub-sizing` runs every notebook")
    expected = sizing.report(sizing.read_record()).splitlines()
    assert shown == [line.strip() for line in expected]
