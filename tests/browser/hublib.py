"""JupyterHub under test: a hub, its proxy and every student's server on 127.0.0.1, watched
and stopped by PID.

:func:`start_hub` writes a config (DummyAuthenticator, SimpleLocalProcessSpawner with one
home folder per student under the work folder, ``jupyterhub-singleuser`` from this venv,
configurable-http-proxy from ``hub/node_modules``, an admin service token for the test) and
starts ``jupyterhub`` in its own session. :class:`Watcher` samples, in a thread, the memory of
the whole machine and every process below the hub (the proxy, the students' servers, their
kernels and git), remembers each one's PID and start time and peak memory, and notes any
socket that listens on an address other than 127.0.0.1. :func:`stop_hub` stops the servers
through the API, the hub with SIGTERM, then kills by PID whatever it saw that still runs.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests
from lablib import free_port

from course.sizing import Poller

ROOT = Path(__file__).resolve().parents[2]
#: configurable-http-proxy, installed by ``npm ci`` in hub/ (``make hub-assets``).
PROXY = ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "load-test"
LOOPBACK = "127.0.0.1"

CONFIG = """\
# written by tests/browser/hublib.py for one test run
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.ConfigurableHTTPProxy.pid_file = {work!r} + "/proxy.pid"
c.JupyterHub.pid_file = {work!r} + "/hub.pid"
c.JupyterHub.db_url = "sqlite:///" + {work!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {work!r} + "/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.implicit_spawn_seconds = 1
c.JupyterHub.concurrent_spawn_limit = 200
c.JupyterHub.services = [{{"name": "{service}", "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": "{service}",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "list:users"],
        "services": ["{service}"],
    }}
]
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--ServerApp.allow_root=True", "--ServerApp.ip=127.0.0.1"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.env_keep = {env_keep!r}
c.Spawner.environment = {{
    "ATTENTION_NAMES_DATA": lambda spawner: {homes!r} + "/" + spawner.user.name
    + "/.cache/attention-names",
}}
c.Spawner.poll_interval = {poll_interval}
c.Spawner.start_timeout = {start_timeout}
c.Spawner.http_timeout = {start_timeout}
"""

#: What the students' servers keep of the hub's environment (PATH has this venv first).
ENV_KEEP = [
    "PATH",
    "LANG",
    "LC_ALL",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "JUPYTERHUB_SINGLEUSER_APP",
]


@dataclass
class Hub:
    url: str  # the public address (the proxy)
    token: str  # the test's admin service token
    process: subprocess.Popen
    work: Path
    homes: Path
    log: Path
    poll_interval: float

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """A call to the hub's REST API (``/hub/api/<path>``) with the service token."""
        kwargs.setdefault("timeout", 60)
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}/hub/api/{path}", headers=headers, **kwargs)

    def server(self, name: str) -> dict | None:
        """The hub's record of ``name``'s server, None when it has none running."""
        r = self.api("GET", f"users/{name}")
        r.raise_for_status()
        return r.json()["servers"].get("")

    def log_tail(self, n: int = 60) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


def start_hub(work: Path, homes: Path, start_timeout: int, poll_interval: float = 2) -> Hub:
    """Write the config and start JupyterHub; returns once its API answers."""
    if not PROXY.exists():
        raise RuntimeError(f"no configurable-http-proxy at {PROXY}: run `make hub-assets`")
    venv_bin = Path(sys.executable).parent
    singleuser = venv_bin / "jupyterhub-singleuser"
    ports = {name: free_port() for name in ("port", "hub_port", "api_port")}
    token = secrets.token_hex(32)
    config = CONFIG.format(
        **ports,
        proxy=str(PROXY),
        proxy_token=secrets.token_hex(32),
        work=str(work),
        homes=str(homes),
        service=SERVICE,
        service_token=token,
        singleuser=str(singleuser),
        env_keep=ENV_KEEP,
        poll_interval=poll_interval,
        start_timeout=start_timeout,
    )
    (work / "jupyterhub_config.py").write_text(config)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline figures
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    log = work / "jupyterhub.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(venv_bin / "jupyterhub"), "-f", str(work / "jupyterhub_config.py")],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(f"http://127.0.0.1:{ports['port']}", token, process, work, homes, log, poll_interval)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if hub.api("GET", "", timeout=5).ok:
                return hub
        except requests.RequestException:
            pass
        time.sleep(0.5)
    try:  # the hub, and the proxy it may have started, in the hub's own session
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)
    raise RuntimeError(f"jupyterhub did not start (exit {process.returncode}):\n{hub.log_tail()}")


def server_pid(hub: Hub, name: str) -> int | None:
    """The PID of ``name``'s single-user server, found below the hub's process."""
    try:
        below = psutil.Process(hub.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for proc in below:
        try:
            if (
                any("jupyterhub-singleuser" in part for part in proc.cmdline())
                and proc.environ().get("JUPYTERHUB_USER") == name
            ):
                return proc.pid
        except psutil.Error:
            continue
    return None


def kind_of(cmdline: list[str]) -> str:
    """server, kernel, proxy, hub or other, from a command line."""
    text = " ".join(cmdline)
    for needle, kind in (
        ("jupyterhub-singleuser", "server"),
        ("ipykernel_launcher", "kernel"),
        ("configurable-http-proxy", "proxy"),
        ("bin/jupyterhub ", "hub"),
    ):
        if needle in text + " ":
            return kind
    return "other"


class Watcher(Poller):
    """Samples the machine's memory and every process below the hub, in a thread."""

    def __init__(self, hub_pid: int, interval: float = 0.25):
        super().__init__(interval)
        self.hub_pid = hub_pid
        self.baseline_used = self.peak_used = psutil.virtual_memory().used
        self.peak_class = 0  # the largest sum of RSS over the hub and everything below it
        self.seen: dict[int, float] = {}  # pid -> create_time
        self.kinds: dict[int, str] = {}
        self.peak_rss: dict[int, int] = {}
        self.wide_listeners: list[str] = []
        self.listeners: set[tuple[int, str, int]] = set()
        self._count = 0

    def processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.hub_pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> None:
        """Memory of the machine, of each process and of them all; every 4th time, the
        listening sockets."""
        self.peak_used = max(self.peak_used, psutil.virtual_memory().used)
        total = 0
        for proc in self.processes():
            try:
                if proc.pid not in self.seen:
                    self.seen[proc.pid] = proc.create_time()
                    self.kinds[proc.pid] = kind_of(proc.cmdline())
                rss = proc.memory_info().rss
                self.peak_rss[proc.pid] = max(self.peak_rss.get(proc.pid, 0), rss)
                total += rss
            except psutil.Error:
                continue
        self.peak_class = max(self.peak_class, total)
        self._count += 1
        if self._count % 4 == 1:
            self.check_listeners()

    def check_listeners(self) -> None:
        """Note every listening socket of a process it has seen; any not on 127.0.0.1 is wrong."""
        for conn in psutil.net_connections(kind="inet"):
            if conn.status != psutil.CONN_LISTEN or conn.pid not in self.seen:
                continue
            self.listeners.add((conn.pid, conn.laddr.ip, conn.laddr.port))
            if conn.laddr.ip != LOOPBACK:
                self.wide_listeners.append(
                    f"{self.kinds[conn.pid]} pid {conn.pid} listens on "
                    f"{conn.laddr.ip}:{conn.laddr.port}"
                )

    def peak_of(self, kind: str) -> int:
        """The largest peak RSS of one process of this kind (bytes; 0 if none was seen)."""
        return max((r for p, r in self.peak_rss.items() if self.kinds.get(p) == kind), default=0)

    def still_running(self) -> list[psutil.Process]:
        """The processes it saw that run still (same PID and start time)."""
        alive = []
        for pid, created in self.seen.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
            except psutil.NoSuchProcess:
                continue
        return alive


def stop_hub(hub: Hub, users: list[str], watcher: Watcher | None) -> list[str]:
    """Stop every server, then the hub, then anything left, each by PID; returns what had to
    be killed (empty when everything stopped by itself)."""
    if hub.process.poll() is None:
        for name in users:
            try:
                hub.api("DELETE", f"users/{name}/server", timeout=30)
            except requests.RequestException:
                pass
        hub.process.terminate()  # the hub stops its proxy and the servers it still knows
        try:
            hub.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait(10)
    killed = []
    if watcher is not None:
        watcher.stop()
        deadline = time.monotonic() + 15
        while watcher.still_running() and time.monotonic() < deadline:
            time.sleep(0.5)  # kernels whose server has gone exit by themselves
        for proc in watcher.still_running():
            killed.append(f"{watcher.kinds[proc.pid]} pid {proc.pid}")
            try:
                proc.kill()
                proc.wait(10)
            except psutil.Error:
                pass
    return killed
