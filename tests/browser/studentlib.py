"""A student on the hub under test: logs in, follows the nbgitpuller link, and runs a notebook
in their own server through the hub's proxy, cell by cell over the kernel's websocket.

What a browser's scripts would do is done here by hand, in the same order: the login form
(with its ``_xsrf`` field), the "server not running" page's implicit spawn (its
``spawn_url``), the spawn-pending page (wait until the hub says the server is ready, then go
to ``next``), and nbgitpuller's page, whose script calls ``git-pull/api`` with the values the
page carries and then opens the page's ``path``.
"""

from __future__ import annotations

import json
import re
import struct
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import requests
import websocket
from hublib import Hub


class StudentError(AssertionError):
    """A step of a student's session went wrong (says which student and which step)."""


@dataclass
class CellRun:
    index: int
    source: str
    outputs: list[dict] = field(default_factory=list)
    status: str = ""


def output_text(outputs: list[dict]) -> str:
    """What a reader sees of a cell's outputs as text: streams, then plain-text results."""
    parts = []
    for out in outputs:
        if out["output_type"] == "stream":
            parts.append(out["text"] if isinstance(out["text"], str) else "".join(out["text"]))
        elif out["output_type"] in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
            parts.append(text if isinstance(text, str) else "".join(text))
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(parts)


def _decode(frame: str | bytes) -> dict:
    """A kernel message from a websocket frame (JSON text, or the binary framing with buffers)."""
    if isinstance(frame, str):
        return json.loads(frame)
    nbufs = struct.unpack("!I", frame[:4])[0]
    offsets = struct.unpack(f"!{nbufs}I", frame[4 : 4 + 4 * nbufs])
    end = offsets[1] if nbufs > 1 else len(frame)
    return json.loads(frame[offsets[0] : end])


class Student:
    def __init__(self, hub: Hub, name: str):
        self.hub = hub
        self.name = name
        self.session = requests.Session()
        self.token = ""

    def fail(self, step: str, detail: str = "") -> StudentError:
        return StudentError(f"student {self.name}: {step}" + (f"\n{detail}" if detail else ""))

    # ------------------------------------------------------------------ as a browser

    def login(self) -> None:
        page = self.session.get(f"{self.hub.url}/hub/login", timeout=60)
        match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        if not match:
            raise self.fail("no _xsrf field on the login page", page.text[:500])
        r = self.session.post(
            f"{self.hub.url}/hub/login",
            data={"username": self.name, "password": "class", "_xsrf": match.group(1)},
            allow_redirects=False,
            timeout=60,
        )
        if r.status_code != 302:
            raise self.fail(f"login answered {r.status_code}", r.text[:500])

    def browse(self, url: str, timeout: float) -> requests.Response:
        """Open ``url`` as a browser would, starting the server on the way if it is not running."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.session.get(url, timeout=timeout)
            path = urlsplit(r.url).path
            if r.status_code == 424 and "spawn_url" in r.text:  # "your server is not running"
                url = self.hub.url + re.search(r'spawn_url = "([^"]+)"', r.text).group(1)
            elif "/hub/spawn-pending/" in path:
                self.wait_ready(deadline)
                url = self.hub.url + parse_qs(urlsplit(r.url).query)["next"][0]
            elif r.ok:
                return r
            else:
                raise self.fail(f"{url} answered {r.status_code}", r.text[:800])
            if time.monotonic() > deadline:
                raise self.fail(f"{url}: no page in {timeout:.0f} s")

    def wait_ready(self, deadline: float) -> None:
        """Wait, as the spawn-pending page does, until the hub says the server is ready."""
        while True:
            server = self.hub.server(self.name)
            if server and server.get("ready"):
                return
            if time.monotonic() > deadline:
                raise self.fail(f"no ready server (the hub says {server})", self.hub.log_tail())
            time.sleep(0.5)

    def pull(self, link: str, timeout: float) -> str:
        """Follow the nbgitpuller link, let the pull run, open where it leads; returns that path."""
        page = self.browse(link, timeout)
        values = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', page.text))
        if "repo" not in values:
            raise self.fail(f"{page.url} is not nbgitpuller's page", page.text[:500])
        values = {k: unquote(v) for k, v in values.items()}
        query = {
            "_xsrf": values["xsrf"],
            "repo": values["repo"],
            "targetpath": values["targetpath"],
        }
        for key in ("depth", "branch"):
            if key in values:
                query[key] = values[key]
        api = f"{self.hub.url}{values['base-url']}git-pull/api?{urlencode(query)}"
        lines = []
        with self.session.get(api, stream=True, timeout=timeout) as events:
            if events.status_code != 200:
                raise self.fail(f"git-pull/api answered {events.status_code}", events.text[:500])
            for raw in events.iter_lines(decode_unicode=True):
                if not raw or not raw.startswith("data:"):
                    continue
                event = json.loads(raw[len("data:") :])
                lines.append(event.get("output", "").rstrip())
                if event.get("phase") == "error":
                    raise self.fail(
                        "nbgitpuller failed", event.get("message", "") + "\n".join(lines)
                    )
                if event.get("phase") == "finished":
                    break
            else:
                raise self.fail("nbgitpuller's events ended before 'finished'", "\n".join(lines))
        target = values["base-url"] + values["path"]
        opened = self.session.get(self.hub.url + target, timeout=timeout)
        if opened.status_code != 200:
            raise self.fail(f"{target} answered {opened.status_code} after the pull")
        return values["path"]

    # ------------------------------------------------------------------ with the student's token

    def make_token(self) -> None:
        r = self.hub.api("POST", f"users/{self.name}/tokens", json={"note": "load test"})
        if r.status_code != 201:
            raise self.fail(f"no API token: {r.status_code}", r.text)
        self.token = r.json()["token"]

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """The student's own Jupyter server (``/user/<name>/api/<path>``), through the proxy."""
        kwargs.setdefault("timeout", 60)
        return requests.request(
            method,
            f"{self.hub.url}/user/{self.name}/api/{path}",
            headers={"Authorization": f"token {self.token}"},
            **kwargs,
        )

    def read(self, path: str) -> dict:
        """A file's model from the contents API (a notebook's ``content`` is its JSON)."""
        r = self.api("GET", f"contents/{path}")
        if r.status_code != 200:
            raise self.fail(f"GET contents/{path} answered {r.status_code}", r.text[:300])
        return r.json()

    def write_notebook(self, path: str, nb: dict) -> None:
        r = self.api("PUT", f"contents/{path}", json={"type": "notebook", "content": nb})
        if r.status_code not in (200, 201):
            raise self.fail(f"PUT contents/{path} answered {r.status_code}", r.text[:300])

    def run_notebook(self, path: str, cell_timeout: float, on_cell=None) -> list[CellRun]:
        """Open a session on ``path`` (its kernel runs in the notebook's folder), run every code
        cell in order over the kernel's websocket, shut the session down; returns each run."""
        nb = self.read(path)["content"]
        r = self.api(
            "POST",
            "sessions",
            json={"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
        )
        if r.status_code != 201:
            raise self.fail(f"no session for {path}: {r.status_code}", r.text[:300])
        session = r.json()
        runs = []
        try:
            ws = websocket.create_connection(
                f"ws://{urlsplit(self.hub.url).netloc}/user/{self.name}/api/kernels/"
                f"{session['kernel']['id']}/channels?session_id={uuid.uuid4().hex}",
                header=[f"Authorization: token {self.token}"],
                timeout=cell_timeout,
            )
            try:
                self._request(ws, "kernel_info_request", {}, cell_timeout)
                for index, cell in enumerate(nb["cells"]):
                    if cell["cell_type"] != "code":
                        continue
                    source = "".join(cell["source"])
                    run = CellRun(index, source)
                    run.status, run.outputs = self._request(
                        ws, "execute_request", {"code": source, "silent": False}, cell_timeout
                    )
                    runs.append(run)
                    if on_cell:
                        on_cell(run)
                    if run.status != "ok":
                        break
            finally:
                ws.close()
        finally:
            try:
                self.api("DELETE", f"sessions/{session['id']}")
            except requests.RequestException:
                pass  # a server that was killed has no session to delete
        return runs

    def _request(self, ws, msg_type: str, content: dict, timeout: float):
        """Send one shell request; returns (reply status, outputs) once the kernel is idle."""
        msg_id = uuid.uuid4().hex
        if msg_type == "execute_request":
            content = {"store_history": True, "allow_stdin": False, **content}
        ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": msg_type,
                        "username": self.name,
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                        "date": "",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        outputs, status, idle, clear_next = [], None, False, False
        deadline = time.monotonic() + timeout
        while status is None or not idle:
            if time.monotonic() > deadline:
                raise self.fail(f"no answer to {msg_type} in {timeout:.0f} s: {content}")
            msg = _decode(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = msg["header"]["msg_type"], msg["content"]
            if msg["channel"] == "shell" and kind.endswith("_reply"):
                status = body.get("status", "ok")
            elif kind == "status":
                idle = body["execution_state"] == "idle"
            elif kind == "clear_output":
                outputs, clear_next = ([], False) if not body.get("wait") else (outputs, True)
            elif kind in ("stream", "execute_result", "display_data", "error"):
                if clear_next:
                    outputs, clear_next = [], False
                outputs.append({"output_type": kind, **body})
        return status, outputs
