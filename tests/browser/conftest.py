"""Shared fixtures of the browser tests: Debian's Chromium through Playwright, the built site
served on 127.0.0.1, and a page wrapper that records every console error, page error, failed
request and request that leaves the machine.

The browser tests run with ``make test-browser`` (which sets ``ATTENTION_NAMES_BROWSER=1``);
under a plain ``pytest tests`` they are skipped, so ``make test`` does not run them twice.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest
from browserlib import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTEBOOKS_DIR,
    ROOT,
    SCREENSHOTS,
    SITE,
    series_notebooks,
)

from attention_utils.explorer import DRAWING, STYLE

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ATTENTION_NAMES_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason="browser tests run with `make test-browser`")
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(skip)


@pytest.fixture
def say(record_property):
    """``say(text)``: measurements to print at the end of the run. With two test workers a
    test's own output is never shown; these lines travel with its report and are printed
    under "measured" by the process that prints the summary."""
    return lambda text: record_property("measured", text.strip("\n"))


def pytest_terminal_summary(terminalreporter):
    lines = [
        value
        for kind in ("passed", "failed")
        for report in terminalreporter.stats.get(kind, [])
        if report.when == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "measured"
    ]
    if lines:
        terminalreporter.section("measured")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --------------------------------------------------------------------------- the site


def _site_is_stale() -> bool:
    index = SITE / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    folders = ("site", "site/explorer")
    sources = (
        series_notebooks()
        + [p for folder in folders for p in (ROOT / folder).glob("*") if p.is_file()]
        + [DRAWING, STYLE]
    )  # the explorer's drawing, in the package
    return any(p.stat().st_mtime > built for p in sources)


@pytest.fixture(scope="session")
def site() -> Path:
    """build/site/, built now if missing or older than a notebook (``make site`` builds it)."""
    if _site_is_stale():
        from course import site as site_builder

        site_builder.build(NOTEBOOKS_DIR, SITE, SITE.parent / f"{SITE.name}-src")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="session")
def site_url(site):
    """The built site served over HTTP on 127.0.0.1 and a free port."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("failed-*.png"):  # from an earlier run
        old.unlink()
    return SCREENSHOTS


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Two test workers share two cores with a hub of students or a JupyterLab kernel: a page
    # that needs 5 s alone can need more than Playwright's 30 s then. Waits fail after 90 s.
    context.set_default_timeout(90_000)
    context.set_default_navigation_timeout(90_000)
    yield context
    context.close()
