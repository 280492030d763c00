"""attention_utils.data: cleaning, loading, the download against a real local server, splitting."""

from __future__ import annotations

import http.server
import os
import threading
import time
import warnings
from pathlib import Path

import pytest
from support import files_in

from attention_utils import data
from attention_utils.data import (
    DownloadError,
    SkippedLinesWarning,
    clean_names,
    load_names,
    read_names_file,
    split_names,
)

# --------------------------------------------------------------------------- the real file


def test_real_file_has_the_documented_shape(names_bytes):
    assert len(names_bytes) == data.SOURCE_SIZE
    assert data.sha256_of(names_bytes) == data.SOURCE_SHA256
    names = load_names()
    lines = names_bytes.decode().splitlines()
    assert len(names) == len(lines)  # no duplicates, no blank lines in the source
    assert names == [line.strip().lower() for line in lines]
    assert all(n.isalpha() and n.isascii() and n.islower() for n in names)


def test_corrupt_cache_is_reported_not_used(data_dir, names_bytes):
    (data_dir / data.DEFAULT_FILE).write_bytes(names_bytes + b"Extra\n")
    with pytest.raises(ValueError, match="SHA-256.*delete it"):
        load_names()


# --------------------------------------------------------------------------- cleaning bad files


def write(tmp_path, content: bytes, name="names.txt"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_crlf_bom_blank_lines_case_and_duplicates(tmp_path):
    path = write(tmp_path, "\ufeffAsha\r\n\r\n  RAVI \r\nasha\r\nMeera\r\n\r\n".encode())
    assert read_names_file(path) == ["asha", "ravi", "meera"]


def test_digit_is_an_error_naming_line_and_content(tmp_path):
    path = write(tmp_path, b"Asha\nRavi\nR2d2\n")
    with pytest.raises(ValueError, match=r"line 3: 'R2d2'.*'2'"):
        read_names_file(path)


def test_punctuation_is_an_error_naming_line_and_character(tmp_path):
    path = write(tmp_path, "Asha\nJosé!\n".encode())
    with pytest.raises(ValueError, match=r"names.txt, line 2: 'José!' has '!'"):
        read_names_file(path)


def test_skip_invalid_drops_and_counts(tmp_path):
    path = write(tmp_path, "Asha\nJosé?\nR2d2\nRavi\n".encode())
    with pytest.warns(SkippedLinesWarning, match=r"skipped 2 line\(s\).*line 2, 3"):
        assert read_names_file(path, skip_invalid=True) == ["asha", "ravi"]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", "\ufeff".encode()])
def test_empty_file_is_an_error(tmp_path, content):
    with pytest.raises(ValueError, match="no names found"):
        read_names_file(write(tmp_path, content))


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_names(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match=r"line 2: not UTF-8 text \(byte b'\\xff'"):
        read_names_file(write(tmp_path, b"Asha\n\xff\xfe\n"))


def test_clean_names_keeps_first_occurrence_order():
    assert clean_names(["b", "A", "b", "a", "c"]) == ["b", "a", "c"]


# --------------------------------------------------------------------------- downloads


def test_download_verifies_and_caches(data_dir, http_server, monkeypatch, names_bytes):
    monkeypatch.setattr(data, "SOURCE_URL", http_server("/names.txt"))
    names = load_names()
    assert len(names) == len(names_bytes.splitlines())
    assert (data_dir / data.DEFAULT_FILE).read_bytes() == names_bytes
    assert files_in(data_dir) == [data.DEFAULT_FILE]  # no temporary file left behind


@pytest.mark.parametrize(
    "path, message",
    [
        ("/wrong.txt", "SHA-256"),
        ("/truncated.txt", "could not download|bytes, expected"),
        ("/missing.txt", "HTTP 404"),
    ],
)
def test_bad_download_leaves_nothing(data_dir, http_server, monkeypatch, path, message):
    monkeypatch.setattr(data, "SOURCE_URL", http_server(path))
    with pytest.raises(DownloadError, match=message) as info:
        load_names()
    assert "make data" in str(info.value)  # says how to get the file
    assert files_in(data_dir) == []


def test_server_down_says_how_to_get_the_file(data_dir, dead_url, monkeypatch):
    monkeypatch.setattr(data, "SOURCE_URL", dead_url)
    with pytest.raises(DownloadError) as info:
        load_names(timeout=5)
    text = str(info.value)
    assert dead_url in text and str(data_dir / data.DEFAULT_FILE) in text
    assert files_in(data_dir) == []


def test_fetch_does_not_touch_an_existing_file_on_failure(tmp_path, http_server):
    dest = write(tmp_path, b"Old\n", "kept.txt")
    with pytest.raises(DownloadError):
        data.fetch(http_server("/wrong.txt"), dest)
    assert dest.read_bytes() == b"Old\n"
    assert files_in(tmp_path) == ["kept.txt"]


def test_teacher_address_is_cached_with_a_warning(data_dir, http_server):
    url = http_server("/teacher.txt")
    with pytest.warns(UserWarning, match="no known checksum"):
        assert load_names(url) == ["meera", "arjun", "kavya"]
    cached = files_in(data_dir)
    assert len(cached) == 1 and cached[0].startswith("downloads/")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second load reads the cache: no download, no warning
        assert load_names(url) == ["meera", "arjun", "kavya"]


def test_teacher_file_with_a_bad_line_is_reported_or_skipped(data_dir, http_server):
    url = http_server("/bad.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no known checksum
        with pytest.raises(ValueError, match=r"line 2: 'R2d2'"):
            load_names(url)
        with pytest.warns(SkippedLinesWarning, match="skipped 1 line"):
            assert load_names(url, skip_invalid=True) == ["asha"]


def test_teacher_address_that_is_not_a_names_file_is_not_cached(data_dir, http_server):
    with pytest.raises(DownloadError, match="not a names file.*nothing was written"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            load_names(http_server("/empty.txt"))
    assert files_in(data_dir) == []


def test_command_line_reports_the_file(capsys):
    assert data.main([]) == 0
    out = capsys.readouterr().out
    assert "1,165 names" in out and data.SOURCE_SHA256 in out and "(verified)" in out


# --------------------------------------------------------------------------- splitting


def test_split_is_deterministic_disjoint_and_complete():
    names = load_names()
    train, val = split_names(names)
    assert split_names(list(reversed(names))) == (train, val)  # input order does not matter
    assert not set(train) & set(val)
    assert sorted(train + val) == sorted(names)
    assert len(val) == round(0.1 * len(names))
    assert split_names(names, seed=1) != (train, val)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="val_fraction"):
        split_names(["a", "b", "c"], val_fraction=fraction)


def test_split_needs_two_names():
    with pytest.raises(ValueError, match="at least 2"):
        split_names(["asha", "asha"])


# --------------------------------------------------------------------------- where the cache is


def test_data_dir_in_a_checkout_installed_and_overridden(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    (checkout / "attention_utils").mkdir(parents=True)
    (checkout / "data").mkdir()
    (checkout / "pyproject.toml").write_text("[project]\n")
    assert data.data_dir({}, checkout / "attention_utils") == checkout / "data"
    # installed from a wheel: the package sits in site-packages, next to no pyproject.toml
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (site / "attention_utils").mkdir(parents=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    installed = data.data_dir({}, site / "attention_utils")
    assert installed.name == "attention-names" and site not in installed.parents
    assert installed == tmp_path / "cache" / "attention-names"  # platformdirs, on Linux
    override = {"ATTENTION_NAMES_DATA": str(tmp_path / "mine")}
    assert data.data_dir(override, site / "attention_utils") == tmp_path / "mine"
    assert data.data_dir({"ATTENTION_NAMES_DATA": ""}, checkout / "attention_utils") == (
        checkout / "data"
    )


def test_this_checkout_caches_in_its_data_folder():
    if "ATTENTION_NAMES_DATA" not in os.environ:
        assert data.DATA_DIR == Path(data.__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------- odd answers


class _OddHandler(http.server.BaseHTTPRequestHandler):
    """Routes: path -> (content type, body, seconds to wait between 100-byte pieces)."""

    routes: dict[str, tuple[str, bytes, float]] = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        kind, body, pause = self.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for start in range(0, len(body), 100):
                self.wfile.write(body[start : start + 100])
                self.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what the test is about

    def log_message(self, *args):
        pass


@pytest.fixture()
def odd_server():
    routes = {
        "/page.html": ("text/html", b"<!DOCTYPE html>\n<html><body>Meera</body></html>\n", 0),
        "/words.txt": (
            "text/plain",
            b"Welcome!\nThis page is about names.\nSee below:\nMeera\n(c) 2024\n",
            0,
        ),
        "/slow.txt": ("text/plain", b"Meera\n" * 200, 0.2),
        "/huge.txt": ("text/plain", b"Meera\n" * 1_000_000, 0),
        "/list.txt": ("text/plain", b"Meera\nArjun\n", 0),
    }
    handler = type("Handler", (_OddHandler,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    try:
        yield routes, lambda path: f"http://{host}:{port}{path}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "path, message",
    [
        ("/page.html", "a web page"),
        ("/words.txt", "only 1 of its 5 lines are a name"),
        ("/huge.txt", "larger than 5,000,000 bytes"),
    ],
)
def test_an_address_that_is_no_names_file_is_never_cached(data_dir, odd_server, path, message):
    _, url = odd_server
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no known checksum
        with pytest.raises(DownloadError, match=message):
            load_names(url(path), skip_invalid=True)
    assert files_in(data_dir) == []


def test_the_timeout_bounds_the_whole_download(data_dir, odd_server):
    _, url = odd_server  # 12 pieces, 0.2 s apart: each read is quick, the whole is not
    start = time.monotonic()
    with pytest.raises(DownloadError, match="took longer than 0.5 s"):
        data.fetch(url("/slow.txt"), data_dir / "slow.txt", sha256=None, size=None, timeout=0.5)
    assert time.monotonic() - start < 2 and files_in(data_dir) == []


def test_a_cached_address_can_be_refreshed(data_dir, odd_server):
    routes, url = odd_server
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert load_names(url("/list.txt")) == ["meera", "arjun"]
        routes["/list.txt"] = ("text/plain", b"Meera\nArjun\nKavya\n", 0)
        assert load_names(url("/list.txt")) == ["meera", "arjun"]  # the cached copy
        assert load_names(url("/list.txt"), refresh=True) == ["meera", "arjun", "kavya"]
        routes["/list.txt"] = ("text/html", b"<html>moved</html>", 0)
        with pytest.raises(DownloadError, match="web page"):
            load_names(url("/list.txt"), refresh=True)
        assert load_names(url("/list.txt")) == ["meera", "arjun", "kavya"]  # kept
        with pytest.raises(SystemExit) as exit_:  # the command says why, no traceback
            data.main(["--source", url("/list.txt"), "--refresh"])
        assert exit_.value.code == 1
