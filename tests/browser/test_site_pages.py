"""The static site (build/site/) in a real Chromium: every page loads cleanly and offline,
every figure is decoded (a widget's picture too), formulas render, the landing page reaches every notebook,
search finds them, and the download links hand out the notebooks themselves.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from browserlib import Problems, notebook_04, series_notebooks, settle, watch

from course.landing import read_info

NOTEBOOKS = series_notebooks()
PAGES = ["index.html", "search.html", "genindex.html", "explorer.html"] + [
    f"notebooks/{path.stem}.html" for path in NOTEBOOKS
]
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")

SETTLE_JS = """
async () => {
  const imgs = [...document.images];
  for (const img of imgs) img.loading = 'eager';
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  return imgs.map(img => ({src: (img.currentSrc || img.src).slice(0, 120),
                           width: img.naturalWidth, complete: img.complete}));
}
"""


def image_outputs(path: Path) -> list[int]:
    """Indices (over all image outputs, in order) of the notebook's image outputs."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if any(t in output.get("data", {}) for t in IMAGE_TYPES):
                count += 1
    return list(range(count))


#: Sphinx turns straight quotes into curly ones.
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def plain(markdown: str, words: int = 3) -> str:
    """The first words of a line of markdown as the browser shows them (no math, no marks)."""
    text = re.sub(r"\$[^$]*\$", " ", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*`]|(?<!\w)_|_(?!\w)", "", text)
    return " ".join(text.split()[:words])


def widget_outputs(path: Path) -> list[dict]:
    """The data of every output that shows a live widget."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        out["data"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]


def open_page(context, url: str) -> tuple[object, Problems, list[dict]]:
    problems = Problems()
    page = context.new_page()
    watch(page, problems)
    response = page.goto(url, wait_until="load")
    if not url.startswith("file:"):
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    images = page.evaluate(SETTLE_JS)
    settle(page, problems)
    return page, problems, images


def heading(page) -> str:
    return page.locator("main h1").first.inner_text().rstrip("#¶ \n")


# --------------------------------------------------------------------------- every page


def test_site_has_every_page_and_no_other(site):
    pages = (p.relative_to(site) for p in site.rglob("*.html"))
    built = sorted(str(p) for p in pages if p.parts[0] not in ("_static", "_sources"))
    assert built == sorted(PAGES), (
        f"pages built {built} differ from the pages expected from notebooks/ {sorted(PAGES)}; "
        "rebuild with `make site`"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_with_every_image_decoded(context, site_url, page_path):
    url = f"{site_url}/{page_path}"
    page, problems, images = open_page(context, url)
    assert not problems.all(), f"{page_path}:\n  " + "\n  ".join(problems.all())
    broken = [img for img in images if not img["complete"] or img["width"] == 0]
    assert not broken, f"{page_path}: images not decoded (naturalWidth 0): {broken}"

    # Formulas are typeset by the local MathJax.
    n_math = page.locator("main .math").count()
    if n_math:
        typeset = page.locator("main mjx-container").count()
        assert typeset >= n_math, f"{page_path}: {n_math} formulas but {typeset} typeset"

    if page_path.startswith("notebooks/"):
        path = next(p for p in NOTEBOOKS if p.stem == Path(page_path).stem)
        title = read_info(path).title
        assert heading(page) == title, f"{page_path}: heading {heading(page)!r}, want {title!r}"
        expected = len(image_outputs(path))
        shown = page.locator("main article img").count()
        assert shown >= expected, (
            f"{page_path}: {path.name} has {expected} image outputs, the page shows {shown}"
        )
        # A live widget cannot run here: the page shows its picture and its text instead.
        for data in widget_outputs(path):
            assert "image/png" in data and "text/plain" in data, f"{path.name}: a bare widget"
        if widget_outputs(path):
            assert page.locator("main script[type*='jupyter.widget']").count() == 0, page_path
        # The header's download menu offers the notebook itself.
        link = page.locator(f"a[href$='{path.stem}.ipynb']")
        assert link.count() >= 1, f"{page_path} offers no .ipynb download"
        href = link.first.get_attribute("href")
        response = context.request.get(f"{site_url}/notebooks/{href}")
        assert response.ok and json.loads(response.body())["cells"], f"{href} is not a notebook"
    page.close()


def test_site_opens_from_files_with_every_figure(context, site):
    """`build/site/index.html` opened straight from disk (file://) works too, page by page."""
    failures = []
    for page_path in ["index.html"] + [p for p in PAGES if p.startswith("notebooks/")]:
        url = (site / page_path).resolve().as_uri()
        page, problems, images = open_page(context, url)
        broken = [img["src"] for img in images if not img["complete"] or img["width"] == 0]
        if broken:
            failures.append(f"{page_path}: images not decoded: {broken}")
        failures += [f"{page_path}: {problem}" for problem in problems.all()]
        page.close()
    assert not failures, "opened from files:\n  " + "\n  ".join(failures)


# --------------------------------------------------------------------------- the landing page


def test_landing_page_maps_the_series_in_order(context, site_url):
    page, problems, _ = open_page(context, f"{site_url}/index.html")
    cards = page.locator(".series-card")
    assert cards.count() == len(NOTEBOOKS), (
        f"landing page has {cards.count()} cards for {len(NOTEBOOKS)} notebooks"
    )
    for i, path in enumerate(NOTEBOOKS):
        info = read_info(path)
        card = cards.nth(i)
        text = card.inner_text()
        assert info.title in text, f"card {i + 1} does not show {info.title!r}: {text[:200]!r}"
        flat = " ".join(text.split()).translate(SMART_QUOTES)
        for bullet in info.learn:
            assert plain(bullet) in flat, f"card of {path.name} lacks goal {bullet!r}"
        thumbs = card.locator("img")
        if info.thumbnail is None:
            assert thumbs.count() == 0, f"card of {path.name} has an image but the notebook none"
        else:
            assert thumbs.count() == 1, f"card of {path.name} has no thumbnail"
            width = thumbs.first.evaluate("img => img.naturalWidth")
            assert width > 0, f"thumbnail of {path.name} not decoded"
    body = page.locator("main").inner_text()
    assert "make lab" in body, "landing page does not say how to run the series locally"
    assert not problems.all(), "index.html:\n  " + "\n  ".join(problems.all())


def test_navigation_reaches_every_notebook(context, site_url):
    """From the landing page: each card's link, the sidebar, and next-page links in order
    (which open every notebook's page and read its heading)."""
    page, problems, _ = open_page(context, f"{site_url}/index.html")
    for path in NOTEBOOKS:
        title = read_info(path).title
        link = page.locator(".series-card").get_by_role("link", name=title, exact=True)
        target = link.first.evaluate("a => a.href")  # the address a click opens
        assert target == f"{site_url}/notebooks/{path.stem}.html", (
            f"card link of {path.name} leads to {target}"
        )
    if NOTEBOOKS:  # a card is a link that a click follows
        first = read_info(NOTEBOOKS[0]).title
        page.locator(".series-card").get_by_role("link", name=first, exact=True).click()
        page.wait_for_load_state()
        assert heading(page) == first, f"{page.url}: heading {heading(page)!r}, want {first!r}"
        page.go_back()
        page.wait_for_load_state()

    sidebar = page.locator("nav.bd-docs-nav a.reference")
    hrefs = [sidebar.nth(i).get_attribute("href") for i in range(sidebar.count())]
    for path in NOTEBOOKS:
        assert any(h.endswith(f"notebooks/{path.stem}.html") for h in hrefs), (
            f"sidebar has no link to {path.name}: {hrefs}"
        )

    visited = []
    for _ in range(len(NOTEBOOKS) + 2):
        nxt = page.locator("a.right-next")
        if nxt.count() == 0:
            break
        nxt.first.click()
        page.wait_for_load_state()
        visited.append((page.url.rsplit("/", 1)[-1].removesuffix(".html"), heading(page)))
    expected = [(p.stem, read_info(p).title) for p in NOTEBOOKS]
    assert visited == expected, f"next-page links visit {visited}, want {expected}"
    assert not problems.all(), "navigation:\n  " + "\n  ".join(problems.all())


def test_search_finds_a_notebook(context, site_url):
    if not NOTEBOOKS:
        pytest.skip("no notebook in notebooks/ yet")
    target = notebook_04()
    word = max(read_info(target).title.split(), key=len).strip("`·")
    page, problems, _ = open_page(context, f"{site_url}/search.html?q={word}")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=15_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(f"notebooks/{target.stem}.html" in h for h in hrefs), (
        f"searching {word!r} did not find {target.name}: results {hrefs}"
    )
    assert not problems.all(), f"search.html?q={word}:\n  " + "\n  ".join(problems.all())


def test_download_links_hand_out_the_notebooks(context, site_url):
    page, problems, _ = open_page(context, f"{site_url}/index.html")
    for path in NOTEBOOKS:
        link = page.locator(f".series-card a.download[href$='/{path.name}']")
        assert link.count() == 1, f"landing page has no download link for {path.name}"
        url = f"{site_url}/{link.first.get_attribute('href')}"
        response = context.request.get(url)
        assert response.ok, f"{url}: HTTP {response.status}"
        assert response.body() == path.read_bytes(), f"{url} is not {path.name} as committed"
    # Every notebook page's own download menu: test_page_loads_cleanly_with_every_image_decoded
    assert not problems.all(), "index.html:\n  " + "\n  ".join(problems.all())


# --------------------------------------------------------------------------- screenshots


def test_screenshots(context, site_url, screenshots):
    page, problems, _ = open_page(context, f"{site_url}/index.html")
    landing = screenshots / "landing.png"
    page.screenshot(path=str(landing), full_page=True)
    assert landing.stat().st_size > 10_000, f"{landing} looks empty"

    target = notebook_04()
    if target is None:
        pytest.skip("no notebook in notebooks/ yet")
    page.goto(f"{site_url}/notebooks/{target.stem}.html", wait_until="load")
    page.evaluate(SETTLE_JS)
    settle(page, problems)
    top = screenshots / f"{target.stem}.png"
    page.screenshot(path=str(top))
    # The first heatmap of the notebook (the one the landing page uses as thumbnail).
    info = read_info(target)
    if info.thumbnail is not None:
        thumb = base64.b64encode(info.thumbnail).decode()
        images = page.locator("main article img[src$='.png']")
        index = _thumbnail_index(target, thumb)
        assert index < images.count(), (
            f"{target.stem}.html shows {images.count()} PNG images; its heatmap is PNG output "
            f"number {index + 1} of the notebook (is the site older than the notebook?)"
        )
        heatmap = images.nth(index)
        heatmap.scroll_into_view_if_needed()
        shot = screenshots / f"{target.stem}-heatmap.png"
        page.screenshot(path=str(shot))
        assert heatmap.evaluate("img => img.naturalWidth") > 0
    assert not problems.all(), f"{target.stem}.html:\n  " + "\n  ".join(problems.all())


def _thumbnail_index(path: Path, thumb_b64: str) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    index = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            png = "".join(png) if isinstance(png, list) else png
            if png.replace("\n", "") == thumb_b64:
                return index
            index += 1
    raise AssertionError(f"{path.name}: thumbnail not found among its PNG outputs")
