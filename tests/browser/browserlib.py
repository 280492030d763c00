"""Helpers of the browser tests: where things are, Debian's Chromium and its flags, and a
recorder of everything that goes wrong while a page is open."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
# Another folder of notebooks (and where to build their site) can be tried with these two.
NOTEBOOKS_DIR = Path(os.environ.get("ATTENTION_NAMES_NOTEBOOKS") or ROOT / "notebooks")
SITE = Path(os.environ.get("ATTENTION_NAMES_SITE") or ROOT / "build" / "site")
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def series_notebooks() -> list[Path]:
    """The notebooks of the series present now, in order."""
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def notebook_04() -> Path | None:
    """Notebook 04, or the first notebook present while 04 does not exist yet."""
    notebooks = series_notebooks()
    for path in notebooks:
        if path.name.startswith("04_"):
            return path
    return notebooks[0] if notebooks else None


@dataclass
class Problems:
    """What went wrong while a page was open, each entry saying what and where."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    #: requests sent and not yet answered (kept by ``watch``; ``settle`` waits on it)
    pending: set = field(default_factory=set)

    def all(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"uncaught page error: {m}" for m in self.page_errors]
            + [f"failed request: {m}" for m in self.failed_requests]
            + [f"request off the machine (a CDN?): {m}" for m in self.external_requests]
        )

    def clear(self) -> None:
        for entries in (self.console_errors, self.page_errors, self.failed_requests):
            entries.clear()
        self.external_requests.clear()


LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _external(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") not in (
        LOCAL_HOSTS
    )


def watch(page, problems: Problems, ignore_console=(), block_external: bool = True) -> None:
    """Record console errors, page errors, failed requests and requests to other hosts.

    ``block_external`` also aborts requests to other hosts (as a machine with no internet
    would). JupyterLab's kernel start stalls under Playwright's request routing, so its
    tests only record such requests.
    """

    def on_console(msg):
        if msg.type == "error" and not any(s in msg.text for s in ignore_console):
            where = msg.location.get("url", "") if msg.location else ""
            problems.console_errors.append(f"{msg.text} (at {where})")

    def on_response(response):
        if response.status >= 400:
            problems.failed_requests.append(f"{response.url} -> HTTP {response.status}")

    def on_request_failed(request):
        if not _external(request.url):  # an external one is reported as such
            problems.failed_requests.append(f"{request.url} -> {request.failure}")

    def on_request(request):
        problems.pending.add(request)
        if _external(request.url):
            problems.external_requests.append(request.url)

    def on_request_done(request):
        problems.pending.discard(request)

    def route(route):
        if _external(route.request.url):
            route.abort()
        else:
            route.continue_()

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("requestfailed", on_request_done)
    page.on("requestfinished", on_request_done)
    page.on("request", on_request)
    if block_external:
        page.route("**/*", route)


def settle(page, problems: Problems, quiet: float = 0.5, timeout: float = 60.0) -> None:
    """Wait until no request of the page (as ``watch`` records them) has been open for
    ``quiet`` seconds. A request still open after ``timeout`` seconds is a failed request,
    named by its address.

    Playwright's own "networkidle" counts requests the page cannot see (a page opened from
    disk, on a busy machine, sometimes never reaches it); this waits only on the page's own.
    """
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if problems.pending:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet:
            return
        page.wait_for_timeout(50)  # lets Playwright deliver the page's events meanwhile
    problems.failed_requests += [
        f"{request.url} -> still loading after {timeout:.0f} s" for request in problems.pending
    ]
