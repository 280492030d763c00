"""WCAG 2.1 AA in a real Chromium, on every page of the site (the explorer page too) and every
deck: axe-core finds no violation of the WCAG 2.0/2.1 A and AA rules; every picture says what
it shows (no file name, no empty or missing alt); and the keyboard alone reaches every control,
shows where the focus is, and is never trapped.

axe-core comes from npm, pinned in ``site/package-lock.json`` (``npm ci`` in ``site/``).
"""

from __future__ import annotations

import collections
import functools
import http.server
import json
import threading

import pytest
from browserlib import ROOT, series_notebooks

from attention_utils.describe import check
from course import slides

NOTEBOOKS = series_notebooks()
AXE = ROOT / "site" / "node_modules" / "axe-core" / "axe.min.js"
#: The rules axe-core runs: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = ["index.html", "search.html", "genindex.html", "explorer.html"] + [
    f"notebooks/{path.stem}.html" for path in NOTEBOOKS
]

AXE_JS = """
async (tags) => {
  for (const d of document.querySelectorAll('details')) d.open = true;  // hidden parts too
  await new Promise(r => setTimeout(r, 1000));  // their fade-in done
  const found = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return found.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}));
}
"""

#: Every picture and its text alternative, as a screen reader meets them.
PICTURES_JS = """
() => [...document.querySelectorAll('img, canvas[role="img"], svg[role="img"]')]
  .filter(el => el.getAttribute('aria-hidden') !== 'true' && el.getAttribute('role') !== 'presentation')
  .map(el => ({tag: el.tagName.toLowerCase(), src: (el.getAttribute('src') || '').slice(0, 80),
               alt: el.tagName === 'IMG' ? el.getAttribute('alt') : el.getAttribute('aria-label')}))
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every deck (as students get them, and with the answers), served over HTTP."""
    if not NOTEBOOKS:
        pytest.skip("no notebooks")
    out = tmp_path_factory.mktemp("decks")
    built = [
        *slides.build_slides(NOTEBOOKS, out / "plain"),
        *slides.build_slides(NOTEBOOKS, out / "solutions", solutions=True),
    ]
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    yield [f"{url}/{path.parent.name}/{path.name}" for path in built]
    server.shutdown()
    server.server_close()


def audit(context, url: str) -> tuple[list[dict], list[str]]:
    """axe-core's violations on the page at ``url``, and what is wrong with its pictures."""
    if not AXE.exists():
        pytest.fail(f"no axe-core at {AXE}: run `npm ci` in site/ (`make site` does)")
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(AXE_JS, WCAG_TAGS)
        wrong = []
        for picture in page.evaluate(PICTURES_JS):
            where = f"{picture['tag']} {picture['src']!r}"
            if picture["alt"] is None:
                wrong.append(f"{where}: no alternative text")
                continue
            try:
                check(picture["alt"])
            except ValueError as e:
                wrong.append(f"{where}: {e}")
        return violations, wrong
    finally:
        page.close()


def axe_version() -> str:
    return json.loads((AXE.parent / "package.json").read_text(encoding="utf-8"))["version"]


def by_rule(found: dict[str, list[dict]], pictures: dict[str, list[str]]) -> str:
    """How many elements break each rule, most first, and how many pictures lack a real alt."""
    counts = collections.Counter()
    for violations in found.values():
        for v in violations:
            counts[v["id"]] += len(v["nodes"])
    counts["picture without a real alt (own check)"] = sum(len(w) for w in pictures.values())
    return ", ".join(f"{rule} {n}" for rule, n in counts.most_common() if n) or "none"


def report(found: dict[str, list[dict]]) -> str:
    return "; ".join(
        f"{where}: {v['id']} x{len(v['nodes'])} ({', '.join(v['nodes'][:2])})"
        for where, violations in found.items()
        for v in violations
    )


def test_every_page_of_the_site_meets_wcag_aa_and_says_what_each_picture_shows(
    context, site_url, say
):
    found, pictures = {}, {}
    for page in PAGES:
        violations, wrong = audit(context, f"{site_url}/{page}")
        found[page], pictures[page] = violations, wrong
    count = sum(len(v["nodes"]) for vs in found.values() for v in vs)
    say(
        f"axe-core {axe_version()}: {count} WCAG 2.0/2.1 A and AA violations on {len(PAGES)} "
        f"pages of the site (by rule: {by_rule(found, pictures)})"
    )
    assert count == 0, report(found)
    assert not any(pictures.values()), {k: v for k, v in pictures.items() if v}


def test_every_deck_meets_wcag_aa_and_says_what_each_picture_shows(context, decks, say):
    found, pictures, shown = {}, {}, 0
    for url in decks:
        violations, wrong = audit(context, url)
        name = "/".join(url.rsplit("/", 2)[-2:])
        found[name], pictures[name] = violations, wrong
    count = sum(len(v["nodes"]) for vs in found.values() for v in vs)
    shown = len(decks)
    say(
        f"axe-core {axe_version()}: {count} WCAG 2.0/2.1 A and AA violations on {shown} decks "
        f"(by rule: {by_rule(found, pictures)})"
    )
    assert count == 0, report(found)
    assert not any(pictures.values()), {k: v for k, v in pictures.items() if v}


def test_a_file_name_as_alt_is_caught(context, tmp_path):
    """The check of the pictures fails where axe-core stays silent: an alt that is a file name."""
    (tmp_path / "page.html").write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<img alt="../_images/f95bb622c8dc.png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">'
        "</main></body></html>"
    )
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _, wrong = audit(context, f"http://127.0.0.1:{server.server_address[1]}/page.html")
    finally:
        server.shutdown()
        server.server_close()
    assert len(wrong) == 2 and "file name" in wrong[0] and "at least" in wrong[1], wrong


# --------------------------------------------------------------------------- the keyboard

FOCUSABLE_JS = """
() => [...document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
  .filter(el => !el.disabled && el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden')
  .map((el, i) => { el.dataset.a11yId = String(i); return i; }).length
"""

#: Where the focus is, and whether it can be seen there (an outline or a ring).
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) ||
    (s.boxShadow && s.boxShadow !== 'none');
  return {id: el.dataset.a11yId ?? null, tag: el.tagName.toLowerCase(),
          text: (el.innerText || el.getAttribute('aria-label') || el.value || '').trim().slice(0, 40),
          ring};
}
"""


def tab_through(context, url: str, presses: int | None = None) -> tuple[int, list[dict]]:
    """Press Tab through the page at ``url``: how many controls it has, and each focus."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        controls = page.evaluate(FOCUSABLE_JS)
        seen = []
        for _ in range(presses or controls + 5):
            page.keyboard.press("Tab")
            seen.append(page.evaluate(FOCUSED_JS))
        return controls, seen
    finally:
        page.close()


@pytest.mark.parametrize(
    "page", ["index.html", "notebooks/04_attention_loops.html", "explorer.html"]
)
def test_the_keyboard_reaches_every_control_of_a_page_with_a_visible_focus(context, site_url, page):
    controls, seen = tab_through(context, f"{site_url}/{page}")
    focused = [s for s in seen if s is not None]
    reached = {s["id"] for s in focused if s["id"] is not None}
    missed = controls - len(reached)
    assert missed <= controls // 10, f"{page}: Tab reached {len(reached)} of {controls} controls"
    unseen = [s for s in focused if not s["ring"]]
    assert not unseen, f"{page}: no visible focus on {unseen[:3]}"
    # no trap: the focus keeps moving
    ids = [s["id"] for s in focused]
    assert all(a != b for a, b in zip(ids, ids[1:], strict=False)), f"{page}: focus stuck"


def test_a_deck_works_from_the_keyboard(context, decks):
    """A deck moves on with the arrow keys, and its links take the focus, visibly."""
    url = next(u for u in decks if u.endswith("/plain/04_attention_loops.slides.html"))
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        page.wait_for_selector(".reveal.ready")
        present = (
            "() => [...document.querySelectorAll('.reveal .slides > section')]"
            ".findIndex(s => s.classList.contains('present'))"
        )
        start = page.evaluate(present)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => ({present})() === {start + 1}")
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(f"() => ({present})() === {start}")
        seen = []
        for _ in range(6):
            page.keyboard.press("Tab")
            seen.append(page.evaluate(FOCUSED_JS))
        links = [s for s in seen if s and s["tag"] == "a"]
        assert links, f"Tab reaches no link of the first slide: {seen}"
        assert all(s["ring"] for s in links), f"no visible focus: {links}"
    finally:
        page.close()


# --------------------------------------------------------------------------- the explorer


def test_the_explorer_page_gives_its_weights_to_a_screen_reader(context, site_url):
    """The weights of the heads drawn, as tables (every row's largest weights), follow the name
    typed; the caption that says what is drawn is announced when it changes."""
    page = context.new_page()
    try:
        page.goto(f"{site_url}/explorer.html", wait_until="networkidle")
        page.wait_for_selector(".explorer-weights-table", state="attached")
        assert page.get_attribute(".explorer-caption", "aria-live") == "polite"
        tables = page.locator(".explorer-weights-table")
        heads = page.evaluate("() => document.querySelectorAll('.explorer-panels canvas').length")
        assert tables.count() == heads
        page.fill("#name", "ravi")
        page.wait_for_function(
            "() => document.querySelectorAll('.explorer-weights-table tr').length === "
            + str(heads * (1 + 5))  # a header row and ^ravi's 5 queries per head
        )
        rows = page.evaluate(
            "() => [...document.querySelectorAll('.explorer-weights-table')[0].rows]"
            ".map(r => [...r.cells].map(c => c.textContent))"
        )
        assert [r[0] for r in rows[1:]] == ["^ (0)", "r (1)", "a (2)", "v (3)", "i (4)"]
        assert rows[1][1].startswith("^ (0) 1.00")  # the first query sees only itself
        label = page.get_attribute(".explorer-panels canvas", "aria-label")
        assert "ravi" in label and "largest weight" in label
    finally:
        page.close()
