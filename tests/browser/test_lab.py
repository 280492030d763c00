"""JupyterLab in a real Chromium: notebook 04 runs top to bottom and draws its heatmap, and the
explorer of notebook 12 (its drawing fed by the kernel) redraws for every key, answers a name
with a digit kindly and writes new names.

One server for the module (127.0.0.1, a generated token, a free port), stopped by its PID at
the end; each test shuts its kernel down from the Kernel menu. Autosave is off, and each test
checks that the notebook it ran is unchanged on disk.
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import time
from pathlib import Path

import pytest
from browserlib import NOTEBOOKS_DIR, Problems, notebook_04, watch
from lablib import (
    cells,
    lab_workdir,
    open_notebook,
    run_all,
    shutdown_kernel,
    start_lab,
    stop_lab,
)

from course.landing import HEATMAP_CALLS

EXPLORER = NOTEBOOKS_DIR / "12_explorer.ipynb"
#: Console errors that JupyterLab itself logs in normal use; anything else fails the test.
#: Restarting a kernel (done before Run All, so every output is new) cancels the debugger's
#: request for the old kernel's state, and Lab logs that as an error.
LAB_CONSOLE_NOISE = ("Could not restore the debugger state: Canceled future for debug_request",)
#: Notebook 7.6.5's keyboard-shortcuts plugin throws this as any notebook opens (notebook 04
#: too, with every widget extension disabled): its own, not the series'.
NOTEBOOK7_PAGE_NOISE = "Cannot read properties of undefined (reading 'schema')"


@pytest.fixture(scope="module")
def lab():
    work = lab_workdir()
    server = start_lab(NOTEBOOKS_DIR, work)
    yield server
    stop_lab(server)
    shutil.rmtree(work, ignore_errors=True)
    assert server.process.poll() is not None, f"jupyter lab (pid {server.process.pid}) still runs"
    port = int(server.url.rsplit(":", 1)[1])
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers after stop"


@pytest.fixture(scope="module")
def notebook7():
    """Notebook 7 (the classic notebook's successor) on the same folder."""
    work = lab_workdir()
    server = start_lab(NOTEBOOKS_DIR, work, app="notebook")
    yield server
    stop_lab(server)
    shutil.rmtree(work, ignore_errors=True)
    assert server.process.poll() is not None, f"jupyter notebook ({server.process.pid}) still runs"


@pytest.fixture
def lab_page(context, request, screenshots):
    page = context.new_page()
    problems = Problems()
    watch(page, problems, ignore_console=LAB_CONSOLE_NOISE, block_external=False)
    yield page, problems
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shot = screenshots / f"failed-{request.node.name}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot of the failure: {shot}")
    page.close()


def heatmap_cells(path: Path) -> list[int]:
    """Indices of the code cells that draw a heatmap and stored an image output."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for index, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        has_image = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if cell["cell_type"] == "code" and has_image and any(c in source for c in HEATMAP_CALLS):
            found.append(index)
    return found


def test_lab_runs_notebook_04_and_shows_its_heatmap(lab, lab_page, screenshots):
    target = notebook_04()
    if target is None:
        pytest.skip("no notebook in notebooks/ yet")
    page, problems = lab_page
    before = target.read_bytes()
    expected = heatmap_cells(target)
    assert expected, f"{target.name} stores no heatmap output (a cell calling {HEATMAP_CALLS})"

    open_notebook(page, lab, target.name)
    start = time.monotonic()
    state = run_all(page, target.name)
    seconds = time.monotonic() - start
    print(f"{target.name}: Run All took {seconds:.1f} s in JupyterLab")

    first = state[expected[0]]
    assert first["images"], (
        f"{target.name}: cell {expected[0]} drew no image after Run All: {first['source']!r}"
    )
    assert all(img["width"] > 0 for img in first["images"]), (
        f"{target.name}: cell {expected[0]}'s heatmap is not decoded: {first['images']}"
    )
    missing = [i for i in expected if not state[i]["images"]]
    assert not missing, f"{target.name}: heatmap cells {missing} show no image after Run All"

    cell = page.locator(".jp-Notebook .jp-Cell").nth(expected[0])
    cell.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"lab-{target.stem}.png"))

    shutdown_kernel(page, lab, target.name)
    assert target.read_bytes() == before, f"{target.name} was changed on disk by the test"
    assert not problems.all(), f"JupyterLab, {target.name}:\n  " + "\n  ".join(problems.all())


def _wait_for(page, predicate_js: str, arg, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(predicate_js, arg)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} (waited {timeout_s:.0f} s)")


def test_explorer_redraws_and_answers_a_digit_kindly(lab, lab_page, screenshots, say):
    drive_explorer(lab, lab_page, screenshots, say, "JupyterLab")


def test_the_explorer_in_notebook_7(notebook7, lab_page, screenshots, say):
    drive_explorer(notebook7, lab_page, screenshots, say, "Notebook 7")


def drive_explorer(lab, lab_page, screenshots, say, front_end: str) -> None:
    """Run notebook 12 in ``front_end``, then type, choose, generate as a reader would."""
    if not EXPLORER.exists():
        pytest.skip(f"{EXPLORER.relative_to(NOTEBOOKS_DIR.parent)} does not exist yet")
    page, problems = lab_page
    shot = "lab" if lab.app == "lab" else lab.app
    before = EXPLORER.read_bytes()
    open_notebook(page, lab, EXPLORER.name)
    run_all(page, EXPLORER.name, timeout_s=300)

    name_box = page.locator(".explorer input.explorer-name").first
    panels = page.locator(".explorer .explorer-panels canvas")
    message = page.locator(".explorer .explorer-message").first
    for what, locator in (("name box", name_box), ("heatmap", panels.first), ("message", message)):
        try:
            locator.wait_for(state="attached", timeout=30_000)
        except Exception as e:
            raise AssertionError(f"{EXPLORER.name}: no explorer {what} after Run All") from e
    name_box.scroll_into_view_if_needed()
    view = "document.querySelector('.explorer').explorer"
    # The cells after the explorer drove it: it shows what they set.
    assert name_box.input_value() == "Abhishek"
    assert page.evaluate(f"{view}.result.name") == "abhishek"
    assert page.locator(".explorer .explorer-samples li").count() == 10

    # Another name: the kernel sends its numbers, the browser draws them, no message.
    name_box.fill("priya")
    _wait_for(
        page,
        f"() => {view}.result.name === 'priya'",
        None,
        10,
        f"{EXPLORER.name}: typing 'priya' did not redraw the heatmaps",
    )
    assert message.inner_text().strip() == "", (
        f"'priya' is a good name but the explorer says {message.inner_text()!r}"
    )
    n_heads = page.evaluate(f"{view}.result.maps[0].length")
    assert panels.count() == n_heads  # all heads of the last layer
    rows = page.locator(".explorer .explorer-next tr").count()
    assert rows == 1 + len("^priya"), f"{rows} rows in the next-character table"
    page.select_option(".explorer select.explorer-head", "0")
    assert panels.count() == 1
    page.select_option(".explorer select.explorer-head", "all")
    page.screenshot(path=str(screenshots / f"{shot}-12_explorer.png"))

    # Keystrokes: each goes to the kernel and back, then is drawn.
    page.evaluate(f"{view}.state.redrawMs.length = 0")
    name_box.focus()
    name_box.press("End")
    for key in "nka":
        page.keyboard.type(key, delay=150)
    _wait_for(page, f"() => {view}.result.name === 'priyanka'", None, 10, "typing lost a key")
    for _ in range(3):
        page.keyboard.press("Backspace", delay=150)
    _wait_for(page, f"() => {view}.result.name === 'priya'", None, 10, "deleting lost a key")
    times = page.evaluate(f"{view}.state.redrawMs")
    assert len(times) >= 5, f"{len(times)} redraws for 6 keystrokes"
    say(
        f"explorer in {front_end}: {len(times)} keystrokes, from key to picture (kernel and "
        f"drawing) median {statistics.median(times):.1f} ms, max {max(times):.1f} ms"
    )

    # A name with a digit: a friendly message that names the digit; the heatmaps stay.
    name_box.fill("pr1ya")
    text = _wait_for(
        page,
        "() => { const m = document.querySelector('.explorer .explorer-message');"
        " return m && m.innerText.trim(); }",
        None,
        10,
        f"{EXPLORER.name}: typing 'pr1ya' showed no message",
    )
    assert "1" in text and "Traceback" not in text, f"unfriendly message for 'pr1ya': {text!r}"
    assert page.evaluate(f"{view}.result.name") == "priya", "the heatmaps changed for a bad name"

    # The generate button: ten new names from the kernel.
    old = page.locator(".explorer .explorer-samples").inner_text()
    page.click(".explorer button.explorer-generate")
    _wait_for(
        page,
        "old => document.querySelector('.explorer .explorer-samples').innerText !== old",
        old,
        10,
        f"{EXPLORER.name}: generate wrote no names",
    )
    errors = [c for c in cells(page) if c["error"]]
    assert not errors, f"{EXPLORER.name}: a traceback appeared: {errors[0]['error']}"
    page.screenshot(path=str(screenshots / f"{shot}-12_explorer-message.png"))

    shutdown_kernel(page, lab, EXPLORER.name)
    assert EXPLORER.read_bytes() == before, f"{EXPLORER.name} was changed on disk by the test"
    if lab.app == "notebook":
        problems.page_errors[:] = [e for e in problems.page_errors if e != NOTEBOOK7_PAGE_NOISE]
    assert not problems.all(), f"{front_end}, {EXPLORER.name}:\n  " + "\n  ".join(problems.all())
