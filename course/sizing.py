"""What one student costs on a hub: each notebook's kernel peak memory and CPU time, and the disk.

    python -m course.sizing [NOTEBOOK ...]        (make hub-sizing)

A student's home folder is made as a hub makes it: the series pulled as nbgitpuller pulls it
(``git clone --depth 1`` of this repository's HEAD into ``attention-names/``), the names file
in the package's cache folder (``ATTENTION_NAMES_DATA``), no trained model yet. Then every
notebook runs top to bottom in its own fresh kernel, in order, from that home (so notebook
08 trains the model and caches it there, and notebook 12 loads it), while a thread samples
the kernel process and its children with psutil every 50 ms: the peak resident memory (RSS)
and the CPU seconds (user + system) the kernel used from its start to its last cell. The
table it prints, and the disk the home folder needs afterwards, are what the teacher's guide
reserves per student (README, "On a JupyterHub"). ``--out FILE.json`` also writes them as a
record, with the resident memory of a Jupyter server that has served JupyterLab's page once,
which ``course.hubconfig`` turns into a hub's configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
from nbclient import NotebookClient

from attention_utils.download import write_atomically
from course.notebooks import (
    ROOT,
    clone_folder,
    command_line,
    find_notebooks,
    free_port,
    head_commit,
    read_notebook,
)

#: The committed record of a run (``make hub-sizing``), which ``course.hubconfig`` reads.
RECORD = ROOT / "course" / "figures" / "hub-sizing.json"
#: How often the kernel is sampled, in seconds.
INTERVAL = 0.05
MB = 1024 * 1024


@dataclass
class Usage:
    """One notebook's run: peak RSS in bytes, CPU seconds, wall seconds."""

    notebook: str
    peak_rss: int
    cpu_seconds: float
    wall_seconds: float


class Poller(threading.Thread):
    """Calls ``sample()`` every ``interval`` seconds in a thread until ``stop()``, then once more."""

    def __init__(self, interval: float):
        super().__init__(daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def sample(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()  # the last word, after the last cell


class Sampler(Poller):
    """Samples a process and its children until stopped: peak RSS (summed), CPU seconds."""

    def __init__(self, pid: int, interval: float = INTERVAL):
        super().__init__(interval)
        self.process = psutil.Process(pid)
        self.peak_rss = 0
        self.cpu_seconds = 0.0

    def sample(self) -> None:
        try:
            procs = [self.process, *self.process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        rss, cpu = 0, 0.0
        for proc in procs:
            try:
                rss += proc.memory_info().rss
                t = proc.cpu_times()
                cpu += t.user + t.system
                if proc is self.process:  # children that have exited already
                    cpu += t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
        self.peak_rss = max(self.peak_rss, rss)
        self.cpu_seconds = max(self.cpu_seconds, cpu)


def kernel_env(data_dir: Path, home: Path) -> dict[str, str]:
    """The environment of a student's kernel: their home, their data folder, inline figures."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(HOME=str(home), ATTENTION_NAMES_DATA=str(data_dir))
    return env


def run_notebook(path: Path, env: dict[str, str], timeout: int = 900) -> Usage:
    """Run ``path`` top to bottom in a fresh kernel in its folder, sampling the kernel."""
    nb = read_notebook(path)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.monotonic()
    with client.setup_kernel(env=env):
        sampler = Sampler(client.km.provisioner.process.pid)
        sampler.start()
        try:
            for index, cell in enumerate(client.nb.cells):
                client.execute_cell(cell, index)
        finally:
            sampler.stop()
        wall = time.monotonic() - start
    return Usage(path.name, sampler.peak_rss, sampler.cpu_seconds, wall)


def disk_use(path: Path) -> int:
    """Bytes of every file below ``path`` (0 if it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def make_home(home: Path, names_file: Path) -> tuple[Path, Path]:
    """A student's home as the hub leaves it after the first pull; returns (series, data)."""
    series = home / clone_folder()
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(series)], check=True
    )
    data_dir = home / ".cache" / "attention-names"
    data_dir.mkdir(parents=True)
    shutil.copy(names_file, data_dir / names_file.name)
    return series, data_dir


def server_rss(home: Path, env: dict[str, str], timeout: float = 60) -> int:
    """Bytes of resident memory of a JupyterLab server in ``home`` after it served its page once."""
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}"]
    command += ["--ip=127.0.0.1", "--allow-root", "--IdentityProvider.token="]
    command += [f"--ServerApp.root_dir={home}"]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=home
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as r:
                    r.read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(
                        f"the Jupyter server on port {port} did not answer"
                    ) from None
                time.sleep(0.2)
        time.sleep(1)
        process = psutil.Process(server.pid)
        return process.memory_info().rss + sum(
            c.memory_info().rss for c in process.children(recursive=True)
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def disk_parts(home: Path, series: Path, data_dir: Path) -> dict[str, int]:
    """Bytes of a student's home by part, and in all (``home``)."""
    clone = disk_use(series)
    names = sum(disk_use(p) for p in data_dir.glob("*.txt"))
    cache = disk_use(data_dir / "cache")
    total = disk_use(home)
    return {
        "notebooks": disk_use(series / "notebooks"),
        "clone": clone,
        "names": names,
        "cache": cache,
        "other": total - clone - names - cache,
        "home": total,
    }


def record(rows: Sequence[Usage], disk: dict[str, int], server: int) -> dict:
    """What ``--out`` writes: the run's figures in bytes and seconds, with where they came from."""
    return {
        "made_by": "python -m course.sizing --out (make hub-sizing)",
        "commit": head_commit(),
        "cores": psutil.cpu_count(),
        "notebooks": [vars(r) for r in rows],
        "server_rss": server,
        "disk": disk,
    }


def read_record(path: Path = RECORD) -> dict:
    """The sizing run's record, or a ValueError naming what is missing and how to make it."""
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no sizing record; run `make hub-sizing` first") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from None
    missing = [k for k in ("notebooks", "server_rss", "disk") if k not in record]
    if missing or not record.get("notebooks"):
        raise ValueError(f"{path}: a sizing record needs {missing or ['notebooks']}")
    return record


def table(rows: Sequence[Usage]) -> str:
    """The printed table: one row per notebook, then the largest peak and the totals."""
    lines = [f"{'notebook':<28} {'peak MB':>8} {'CPU s':>7} {'wall s':>7}"]
    for r in rows:
        lines.append(
            f"{r.notebook:<28} {r.peak_rss / MB:>8.0f} {r.cpu_seconds:>7.1f} {r.wall_seconds:>7.1f}"
        )
    lines.append(
        f"{'largest peak / total':<28} {max(r.peak_rss for r in rows) / MB:>8.0f} "
        f"{sum(r.cpu_seconds for r in rows):>7.1f} {sum(r.wall_seconds for r in rows):>7.1f}"
    )
    return "\n".join(lines)


def disk_table(disk: dict[str, int]) -> str:
    """The disk a student's home needs, by part (``disk`` as :func:`disk_parts` gives it)."""
    rows = [
        ("the series' notebooks", disk["notebooks"]),
        (f"the whole pulled clone ({clone_folder()}/, with .git)", disk["clone"]),
        ("the names file", disk["names"]),
        ("the model cache (trained by notebook 08)", disk["cache"]),
        ("other (Jupyter, IPython, matplotlib caches)", disk["other"]),
        ("the home folder in all", disk["home"]),
    ]
    return "\n".join(f"{label:<52} {_size(size):>9}" for label, size in rows)


def report(figures: dict) -> str:
    """What a run prints, from its record (:func:`record`): the table of notebooks, the disk,
    and the server's memory when it was measured. The README shows the committed record's."""
    rows = [Usage(**r) for r in figures["notebooks"]]
    lines = [
        f"One student, each notebook in its own kernel ({figures['cores']} cores):",
        table(rows),
        "",
        "A student's home folder after running them:",
        disk_table(figures["disk"]),
    ]
    if figures.get("server_rss"):
        server = figures["server_rss"] / MB
        lines += ["", f"A JupyterLab server after serving its page once: {server:.0f} MB"]
    return "\n".join(lines)


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} kB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_line("sizing", __doc__, notebooks=True)
    parser.add_argument("--names", type=Path, help="the names file (default: the data folder's)")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    from attention_utils import data

    names_file = args.names or data.DATA_DIR / data.DEFAULT_FILE
    if not names_file.is_file():
        parser.error(f"no names file at {names_file}: run `make data` first")
    wanted = [Path(n).name for n in args.notebooks] or [p.name for p in find_notebooks()]
    home = Path(tempfile.mkdtemp(prefix="student-home-"))
    try:
        series, data_dir = make_home(home, names_file)
        missing = [n for n in wanted if not (series / "notebooks" / n).is_file()]
        if missing:
            parser.error(f"not in the committed series: {missing}")
        env = kernel_env(data_dir, home)
        rows = []
        for name in wanted:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            rows.append(run_notebook(series / "notebooks" / name, env))
        disk = disk_parts(home, series, data_dir)  # before the server adds files of its own
        server = server_rss(home, env) if args.out else 0
        figures = record(rows, disk, server)
        print(report(figures))
        if args.out:
            write_atomically((json.dumps(figures, indent=1) + "\n").encode(), args.out)
            print(f"wrote {args.out}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
