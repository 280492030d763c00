"""Shared fixtures: the real names file, and a real HTTP server on 127.0.0.1 to download from."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import nbformat
import pytest
from course_support import small_notebook
from support import NAMES_FILE

from attention_utils import data
from course.notebooks import free_port

#: The longest test files (about 2.5, 2 and 2 minutes), started first: with ``pytest -n 2
#: --dist loadfile`` (``make test``) each takes one worker at once and the short files fill in
#: around them, instead of one of them running alone at the end.
LONGEST_FIRST = ("test_colab.py", "test_install.py", "test_student.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest in order


@pytest.fixture(scope="session")
def names_bytes() -> bytes:
    """The bytes of the real names file (``make data`` or ``.ci/run`` put it in place)."""
    if not NAMES_FILE.exists():
        pytest.fail(f"{NAMES_FILE} is missing: run `make data` first")
    return NAMES_FILE.read_bytes()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes, int | None]] = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        status, body, length = self.routes.get(self.path, (404, b"not found", None))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture()
def http_server(names_bytes):
    """A server on 127.0.0.1 with routes: /names.txt (the real file), /wrong.txt (the file with
    one name changed), /truncated.txt (the header promises the whole file, half arrives),
    /bad.txt (a file with a digit), /teacher.txt (a small valid list), /empty.txt (blank
    lines only), /latin1.txt (a list saved as Latin-1, not UTF-8); anything else is 404.
    Yields a function ``url(path)``."""
    wrong = names_bytes.replace(b"Abhishek", b"Abhishak", 1)
    routes = {
        "/names.txt": (200, names_bytes, None),
        "/wrong.txt": (200, wrong, None),
        "/truncated.txt": (200, names_bytes[: len(names_bytes) // 2], len(names_bytes)),
        "/bad.txt": (200, b"Asha\nR2d2\n", None),
        "/teacher.txt": (200, b"Meera\nArjun\nKavya\n", None),
        "/empty.txt": (200, b"\n\n", None),
        "/latin1.txt": (200, "Asha\nZoë\n".encode("latin-1"), None),
    }
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield lambda path: f"http://{host}:{port}{path}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def dead_url() -> str:
    """An address on 127.0.0.1 where nothing listens (the port was bound, then released)."""
    return f"http://127.0.0.1:{free_port()}/names.txt"


@pytest.fixture()
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty DATA_DIR, so that a test starts with no cache."""
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    return tmp_path


@pytest.fixture()
def small(tmp_path) -> Path:
    """A small lesson with two exercises, saved as notebooks/01_small.ipynb in tmp_path."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    path = folder / "01_small.ipynb"
    nbformat.write(small_notebook(), path)
    return path
