"""A Zero to JupyterHub config.yaml for a class, sized from the measured cost of one student.

    python -m course.hubconfig --class 300 [--out build/hub/config.yaml]   (make hub-config CLASS=300)

It reads the record that ``python -m course.sizing --out course/figures/hub-sizing.json``
wrote (each notebook's kernel peak memory and CPU seconds, a JupyterLab server's memory, a
student's home folder), turns it into the chart's values by the rules below, writes the file
with every figure explained in a comment above it, and prints how many nodes of the stated
size hold CLASS students at once, checked against the class of 30 that ran on one machine
(README, "On a JupyterHub").

The rules, with their margin (``MARGIN``, 1.5: the server grows under use, 85 MB idle
against 148 MB in the load test, and kernels differ between machines):

- memory guarantee: MARGIN x (server + the largest kernel), rounded up to 128 MiB: one open
  notebook at its peak always fits; the scheduler packs students on nodes by this figure.
- memory limit: MARGIN x (server + the three largest kernels): three notebooks open at once.
- CPU guarantee: MARGIN x the series' CPU seconds over a lesson of ``LESSON`` seconds,
  rounded up to 0.05 core; CPU limit: the most cores one notebook kept busy, at least 1.
- storage: MARGIN x the home folder after the series, at least 1 GiB, for the students' own
  files.
- placeholders: CLASS of them before the lesson, as the whole class arrives within the few
  minutes that a new node needs to be ready; each real student takes one's place.
- nodes: CLASS divided by how many guarantees fit in a node's allocatable share
  (``ALLOCATABLE`` of its memory and cores) and by ``MAX_PODS`` pods, rounded up.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from attention_utils.download import write_atomically
from course.notebooks import (
    BRANCH,
    ROOT,
    clone_folder,
    command_line,
    head_commit,
    repository_url,
)
from course.sizing import RECORD, read_record

MiB = 1024**2
GiB = 1024**3
MARGIN = 1.5
#: The seconds in which the quickest students of a lesson run the whole series.
LESSON = 15 * 60
#: The share of a node's memory and cores left to pods after the system's reservations.
ALLOCATABLE = 0.9
#: Pods per node: Kubernetes' default 110, less about 10 of the system's own.
MAX_PODS = 100
#: The stated node size: 8 cores, 32 GiB (a general-purpose VM of every cloud).
NODE_CORES = 8
NODE_MEMORY_GIB = 32
#: repo2docker's base environment for binder/runtime.txt's Python 3.11, of what matters to the
#: series: the image's JupyterHub (the chart needs the same major version as its own), and the
#: JupyterLab and Notebook that binder/requirements.txt installs on top of (tests/test_binder.py).
REPO2DOCKER_BASE = {"jupyterhub": "5.4.0", "jupyterlab": "4.4.9", "notebook": "7.4.7"}
IMAGE_JUPYTERHUB = REPO2DOCKER_BASE["jupyterhub"]
#: Idle times: a server with no activity is stopped after an hour, checked every 10 minutes;
#: a kernel idle for 20 minutes with no browser tab on it (its notebook closed) is shut down,
#: freeing its memory, checked every 5 minutes; an open notebook keeps its kernel.
CULL_SERVER = 3600
CULL_EVERY = 600
CULL_KERNEL = 1200
CULL_KERNEL_EVERY = 300
#: Where the image's Jupyter server reads its configuration (jupyter --paths: /etc/jupyter).
SERVER_CONFIG = "/etc/jupyter/jupyter_server_config.json"
_LOAD_RUN = re.compile(
    r"held \*\*(\d+) students\*\* at once.*?([\d.]+) GiB of the machine's memory used at\s+"
    r"the peak \(([\d.]+) GiB before the hub\)",
    re.S,
)
_MACHINE = re.compile(r"this (\d+)-core, (\d+) GB\s+machine held")


@dataclass
class Sizing:
    """Per student: memory guarantee and limit and storage in bytes, CPU in cores."""

    memory_guarantee: int
    memory_limit: int
    cpu_guarantee: float
    cpu_limit: float
    storage: int


def _up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def sizing(record: dict) -> Sizing:
    """One student's guarantees and limits from the record, by the rules of the module."""
    kernels = sorted((n["peak_rss"] for n in record["notebooks"]), reverse=True)
    server = record["server_rss"]
    cpu = sum(n["cpu_seconds"] for n in record["notebooks"])
    busiest = max(n["cpu_seconds"] / n["wall_seconds"] for n in record["notebooks"])
    return Sizing(
        memory_guarantee=int(_up(MARGIN * (server + kernels[0]), 128 * MiB)),
        memory_limit=int(_up(MARGIN * (server + sum(kernels[:3])), 128 * MiB)),
        cpu_guarantee=round(max(0.05, _up(MARGIN * cpu / LESSON, 0.05)), 2),
        cpu_limit=float(max(1, math.ceil(busiest - 0.05))),
        storage=int(max(GiB, _up(MARGIN * record["disk"]["home"], GiB))),
    )


def per_student(size: Sizing) -> str:
    """One line of what each student is given, in the chart's units."""
    return (
        f"Each student: memory guarantee {_quantity(size.memory_guarantee)}, limit "
        f"{_quantity(size.memory_limit)}; CPU guarantee {size.cpu_guarantee:g} core, limit "
        f"{size.cpu_limit:g}; storage {_quantity(size.storage)}"
    )


def per_node(size: Sizing, cores: float, memory: int) -> int:
    """Students whose guarantees fit in the allocatable share of a node of ``cores``, ``memory``."""
    by_memory = int(ALLOCATABLE * memory // size.memory_guarantee)
    by_cpu = int(ALLOCATABLE * cores / size.cpu_guarantee + 1e-9)
    return min(by_memory, by_cpu, MAX_PODS)


def nodes(students: int, size: Sizing, cores: float = NODE_CORES, gib: float = NODE_MEMORY_GIB):
    """Nodes of ``cores`` cores and ``gib`` GiB that hold ``students`` at once."""
    return math.ceil(students / per_node(size, cores, int(gib * GiB)))


def node_line(students: int, size: Sizing) -> str:
    """How many nodes of the stated size hold ``students`` at once, in words."""
    fit = per_node(size, NODE_CORES, NODE_MEMORY_GIB * GiB)
    return (
        f"{students} students at once: {nodes(students, size)} nodes of {NODE_CORES} cores, "
        f"{NODE_MEMORY_GIB} GiB ({fit} per node)"
    )


def load_run(readme: Path = ROOT / "README.md") -> dict:
    """The class that ran on one machine, as the README states it: students, cores, GB, GiB used."""
    text = readme.read_text()
    run, machine = _LOAD_RUN.search(text), _MACHINE.search(text)
    if not run or not machine:
        raise ValueError(f"{readme}: no sentence on the class that ran on one machine")
    return {
        "students": int(run[1]),
        "peak_gib": float(run[2]),
        "before_gib": float(run[3]),
        "cores": int(machine[1]),
        "memory_gb": int(machine[2]),
    }


def check_against_run(size: Sizing, run: dict) -> str:
    """A ValueError if the guarantee is below what a student used in the run, else a summary."""
    used = (run["peak_gib"] - run["before_gib"]) * GiB / run["students"]
    if size.memory_guarantee < used:
        raise ValueError(
            f"memory guarantee {size.memory_guarantee / GiB:.2f} GiB is below the "
            f"{used / GiB:.2f} GiB a student used in the class of {run['students']}"
        )
    fits = per_node(size, run["cores"], run["memory_gb"] * 10**9)
    return (
        f"On the {run['cores']}-core, {run['memory_gb']} GB machine of the load test this "
        f"sizing places {fits} students; {run['students']} ran there at once, each using "
        f"{used / GiB:.2f} GiB at the peak against a guarantee of "
        f"{size.memory_guarantee / GiB:.2f} GiB (the sizing leaves room for all notebooks, "
        "the load test ran notebooks 01 and 04)."
    )


def _quantity(n: int) -> str:
    return f"{n // GiB}Gi" if n % GiB == 0 else f"{n // MiB}Mi"


def image_name(root: Path = ROOT) -> str:
    """The image's name: the repository's on GitHub's container registry."""
    owner_name = repository_url(root).removeprefix("https://github.com/").lower()
    return f"ghcr.io/{owner_name}"


def image_tag(root: Path = ROOT) -> str:
    """The image's tag: the commit it is built from."""
    return head_commit(root) or "latest"


def values(students: int, size: Sizing, *, image: str, tag: str, repo: str, branch: str) -> dict:
    """The chart's values for a class of ``students`` with this sizing."""
    folder = clone_folder()
    return {
        "singleuser": {
            "image": {"name": image, "tag": tag},
            "memory": {
                "guarantee": _quantity(size.memory_guarantee),
                "limit": _quantity(size.memory_limit),
            },
            "cpu": {"guarantee": size.cpu_guarantee, "limit": size.cpu_limit},
            "storage": {"capacity": _quantity(size.storage)},
            "defaultUrl": f"/lab/tree/{folder}/notebooks/01_names.ipynb",
            "lifecycleHooks": {
                "postStart": {"exec": {"command": ["gitpuller", repo, branch, folder]}}
            },
            "extraFiles": {
                "cull-idle-kernels": {
                    "mountPath": SERVER_CONFIG,
                    "data": {
                        "MappingKernelManager": {
                            "cull_idle_timeout": CULL_KERNEL,
                            "cull_interval": CULL_KERNEL_EVERY,
                            "cull_connected": False,
                        }
                    },
                }
            },
        },
        "cull": {"enabled": True, "timeout": CULL_SERVER, "every": CULL_EVERY},
        "prePuller": {"continuous": {"enabled": True}},
        "scheduling": {
            "userScheduler": {"enabled": True},
            "podPriority": {"enabled": True},
            "userPlaceholder": {"enabled": True, "replicas": students},
        },
    }


def render(students: int, size: Sizing, record: dict, run_summary: str, config: dict) -> str:
    """config.yaml: a header that explains every figure, then the values."""
    kernels = sorted(record["notebooks"], key=lambda n: n["peak_rss"], reverse=True)
    cpu = sum(n["cpu_seconds"] for n in record["notebooks"])
    lines = [
        f"# Zero to JupyterHub (chart 4.x, JupyterHub 5) values for a class of {students}.",
        f"# Written by `make hub-config CLASS={students}` (python -m course.hubconfig) from",
        f"# {RECORD.relative_to(ROOT)}, the sizing run of commit {record.get('commit', '?')}"
        f" on {record.get('cores', '?')} cores; margin {MARGIN}.",
        f"# memory guarantee {_quantity(size.memory_guarantee)}: {MARGIN} x (server "
        f"{record['server_rss'] / MiB:.0f} MiB + largest kernel {kernels[0]['peak_rss'] / MiB:.0f}"
        f" MiB, {kernels[0]['notebook']}), up to 128 MiB",
        f"# memory limit {_quantity(size.memory_limit)}: {MARGIN} x (server + the 3 largest "
        f"kernels, {sum(k['peak_rss'] for k in kernels[:3]) / MiB:.0f} MiB)",
        f"# CPU guarantee {size.cpu_guarantee}: {MARGIN} x {cpu:.1f} CPU s of the series over "
        f"{LESSON // 60} minutes, up to 0.05; limit {size.cpu_limit:g}: the busiest notebook",
        f"# storage {_quantity(size.storage)}: at least 1 GiB against a home of "
        f"{record['disk']['home'] / MiB:.1f} MiB after the series",
        f"# {students} placeholders before the lesson: they hold room for the class; after it "
        "has logged in,",
        "#   `--set scheduling.userPlaceholder.replicas=0` lets the autoscaler remove the spare"
        " nodes they keep.",
        f"# {node_line(students, size)}; twice that while the placeholders wait.",
        f"# Idle servers stop after {CULL_SERVER // 60} min, idle kernels after "
        f"{CULL_KERNEL // 60} min.",
        f"# The image: `repo2docker --no-run --image-name {config['singleuser']['image']['name']}"
        f":{config['singleuser']['image']['tag']} .` (binder/), with jupyterhub-singleuser "
        f"{IMAGE_JUPYTERHUB}.",
    ]
    lines += ["# " + line for line in textwrap.wrap(run_summary, 96)]
    return "\n".join(lines) + "\n" + yaml.safe_dump(config, sort_keys=False, width=100)


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_line("hubconfig", __doc__)
    parser.add_argument("--class", dest="students", type=int, required=True, help="students")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "hub" / "config.yaml")
    parser.add_argument("--record", type=Path, default=RECORD, help="the sizing run's record")
    parser.add_argument("--image", help="the image's name (default: ghcr.io/OWNER/NAME)")
    parser.add_argument("--tag", help="the image's tag (default: the commit)")
    parser.add_argument("--repo", help="what nbgitpuller pulls (default: pyproject.toml's)")
    parser.add_argument("--branch", default=BRANCH)
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error(f"--class {args.students}: a class has at least one student")
    try:
        record = read_record(args.record)
        size = sizing(record)
        summary = check_against_run(size, load_run())
    except (FileNotFoundError, ValueError) as e:
        parser.error(str(e))
    config = values(
        args.students,
        size,
        image=args.image or image_name(),
        tag=args.tag or image_tag(),
        repo=args.repo or repository_url(),
        branch=args.branch,
    )
    write_atomically(render(args.students, size, record, summary, config).encode(), args.out)
    print(f"wrote {args.out}")
    print(node_line(args.students, size))
    print(per_student(size))
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
