"""JupyterLab under test: a server on 127.0.0.1 with a generated token and a free port, and
the few things a person does in it (open a notebook in a fresh workspace, Run All, shut the
kernel down), each failing with a message that says which notebook or cell went wrong.

The server gets its own settings, workspaces and runtime folders (autosave off, every cell
kept in the page), so a test never writes to the notebooks it opens.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from course.notebooks import free_port

#: User settings of the server under test: never save the notebook being run, and keep every
#: cell in the page (no windowing) so every output can be found.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@dataclass
class LabServer:
    url: str
    token: str
    process: subprocess.Popen
    log: Path
    app: str = "lab"

    def api(self, path: str) -> object:
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def log_tail(self, n: int = 40) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


#: The front ends under test: the command and the class that takes the settings folders.
APPS = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}


def start_lab(root_dir: Path, work: Path, timeout: float = 90, app: str = "lab") -> LabServer:
    """Start ``jupyter lab`` (or ``app="notebook"``: Notebook 7, the same settings) on
    ``root_dir``; returns when ``/api/status`` answers."""
    # Notebook 7 has the document manager (autosave off) but not all of JupyterLab's plugins
    settings = (
        LAB_SETTINGS
        if app == "lab"
        else {k: v for k, v in LAB_SETTINGS.items() if "docmanager" in k}
    )
    for name, value in settings.items():
        path = work / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    token = secrets.token_hex(24)
    port = free_port()
    jupyter = str(Path(sys.executable).parent / "jupyter")
    cmd = [
        jupyter,
        app,
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--{APPS[app]}.user_settings_dir={work / 'settings'}",
        f"--{APPS[app]}.workspaces_dir={work / 'workspaces'}",
    ]
    if app == "lab":
        cmd += [
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline figures need it unset
    env["JUPYTER_RUNTIME_DIR"] = str(work / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(work / "config")
    log = work / "jupyter-lab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, process, log, app)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"jupyter {app} exited with {process.returncode}:\n{server.log_tail()}"
            )
        try:
            server.api("/api/status")
            return server
        except OSError:
            time.sleep(0.5)
    stop_lab(server)
    raise RuntimeError(f"jupyter {app} did not answer in {timeout:.0f} s:\n{server.log_tail()}")


def stop_lab(server: LabServer, timeout: float = 20) -> None:
    """Stop the server by its PID: SIGTERM (it shuts its kernels down), then SIGKILL."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(5)


def lab_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="lab-test-"))


# --------------------------------------------------------------------------- in the page

#: Per code cell: its index among all cells, its prompt, and whether it shows an error.
CELLS_JS = """
() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')]
  .map((cell, index) => ({
    index,
    code: cell.classList.contains('jp-CodeCell'),
    // a solution cell is collapsed (its source hidden): no prompt shows whether it ran
    collapsed: !!cell.querySelector('.jp-InputPlaceholder'),
    prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
    error: [...cell.querySelectorAll(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
      .map(o => o.textContent)
      .filter(t => /Traceback \\(most recent call last\\)|^\\w*(Error|Exception)\\b/m.test(t))
      .join('\\n').slice(-1500),
    source: ((cell.querySelector('.jp-InputArea-editor') || {}).textContent || '').slice(0, 200),
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')]
      .map(img => ({width: img.naturalWidth, src: img.src.slice(0, 60)})),
  }))
"""


def open_notebook(page, server: LabServer, name: str) -> None:
    """Open ``name`` in a fresh workspace (``?reset``) and wait for an idle kernel."""
    if server.app == "lab":
        page.goto(f"{server.url}/lab/tree/{name}?reset&token={server.token}")
    else:  # Notebook 7: one notebook a page
        page.goto(f"{server.url}/notebooks/{name}?token={server.token}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    deadline = time.monotonic() + 60
    while kernel_of(server, name) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: no kernel started in 60 s:\n{server.log_tail()}")
        time.sleep(0.3)
    wait_idle(page, 60_000, f"{name}: the kernel did not start")


def kernel_of(server: LabServer, name: str) -> str | None:
    """The id of the kernel of notebook ``name`` once it is up, else None."""
    for session in server.api("/api/sessions"):
        kernel = session.get("kernel") or {}
        if session.get("path", "").endswith(name) and kernel.get("execution_state") == "idle":
            return kernel["id"]
    return None


def wait_idle(page, timeout_ms: int, what: str) -> None:
    indicator = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    try:
        indicator.first.wait_for(timeout=timeout_ms)
    except Exception as e:  # playwright's TimeoutError
        raise AssertionError(f"{what} (no idle kernel after {timeout_ms / 1000:.0f} s)") from e


def menu(page, menu_name: str, command: str) -> None:
    """Click a menu of the menu bar, then the item that runs ``command`` (e.g. runmenu:run-all)."""
    page.locator(".lm-MenuBar-item", has_text=menu_name).first.click()
    page.locator(f".lm-Menu-item[data-command='{command}']").first.click()


def accept_dialog(page, timeout_ms: int = 3_000) -> None:
    """Accept a dialog if one opens (e.g. "Shut down the kernel?")."""
    button = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        button.first.wait_for(timeout=timeout_ms)
    except Exception:
        return
    button.first.click()


def cells(page) -> list[dict]:
    return page.evaluate(CELLS_JS)


def run_all(page, name: str, timeout_s: float = 240) -> list[dict]:
    """Restart the kernel and clear every output, Run All, wait until every code cell has
    run; returns the cells.

    Fails naming the first cell that raised, or the cells that never ran.
    """
    menu(page, "Kernel", "kernelmenu:restart-and-clear")
    accept_dialog(page, timeout_ms=10_000)
    wait_idle(page, 60_000, f"{name}: the kernel did not restart")
    deadline = time.monotonic() + 15
    while True:
        left = [
            c["index"]
            for c in cells(page)
            if c["images"] or any(ch.isdigit() for ch in c["prompt"])
        ]
        if not left:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: cells {left} keep outputs after Restart and Clear")
        time.sleep(0.2)
    menu(page, "Run", "runmenu:run-all")
    deadline = time.monotonic() + timeout_s
    while True:
        state = cells(page)
        errors = [c for c in state if c["error"]]
        if errors:
            c = errors[0]
            raise AssertionError(
                f"{name}: cell {c['index']} raised an error:\n{c['source']}\n---\n{c['error']}"
            )
        code = [c for c in state if c["code"] and not c["collapsed"]]
        waiting = [c for c in code if not any(ch.isdigit() for ch in c["prompt"])]
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count()
        if code and not waiting and idle:
            return state
        if time.monotonic() > deadline:
            first = waiting[0] if waiting else None
            raise AssertionError(
                f"{name}: Run All did not finish in {timeout_s:.0f} s; "
                f"{len(waiting)} code cells not run, the first is cell "
                f"{first and first['index']} ({first and first['prompt']!r}): "
                f"{first and first['source']!r}"
            )
        time.sleep(0.5)


def shutdown_kernel(page, server: LabServer, name: str) -> None:
    """Kernel menu -> Shut Down Kernel; then the server no longer runs that kernel."""
    kernel = kernel_of(server, name)
    assert kernel is not None, f"{name}: no idle kernel to shut down"
    menu(page, "Kernel", "kernelmenu:shutdown")
    accept_dialog(page)
    deadline = time.monotonic() + 20
    while any(k["id"] == kernel for k in server.api("/api/kernels")):
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: kernel {kernel} still runs after Shut Down Kernel")
        time.sleep(0.3)
