"""Every slide of every deck fits reveal.js's slide in a real Chromium: nothing taller or wider
than the slide, nothing cut off in a scroll box, every figure wholly inside the slide."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from browserlib import series_notebooks

from course import slides

NOTEBOOKS = series_notebooks()

#: Visits every slide (horizontal and vertical) of the deck and measures it, in the slide's own
#: pixels (reveal.js scales the whole slide to the window; sizes here are before scaling).
MEASURE_JS = """
async (revealUrl) => {
  const Reveal = await new Promise(resolve => require([revealUrl], resolve));
  if (!Reveal.isReady()) {
    await new Promise(resolve => Reveal.on('ready', resolve));
  }
  Reveal.configure({transition: 'none', backgroundTransition: 'none'});  // measure at rest
  const typeset = () => new Promise(resolve =>
    window.MathJax && MathJax.Hub ? MathJax.Hub.Queue(resolve) : resolve());
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  await typeset();
  const {width, height} = Reveal.getConfig();
  const box = document.querySelector('.reveal .slides');
  const scale = Reveal.getScale();
  const clips = v => v === 'auto' || v === 'scroll' || v === 'hidden';
  const found = [];
  const all = Reveal.getSlides();
  for (const [n, slide] of all.entries()) {
    const {h, v} = Reveal.getIndices(slide);
    Reveal.slide(h, v);
    const outer = box.getBoundingClientRect();
    const cut = [];
    for (const el of slide.querySelectorAll('*')) {
      const taller = el.scrollHeight > el.clientHeight + 1;
      const wider = el.scrollWidth > el.clientWidth + 1;
      if (!taller && !wider) continue;  // the cheap test first: most elements hold no more
      const style = getComputedStyle(el);
      if ((clips(style.overflowY) && taller) || (clips(style.overflowX) && wider)) {
        cut.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
      }
    }
    const images = [...slide.querySelectorAll('img')].map(img => {
      const r = img.getBoundingClientRect();
      const inside = r.top >= outer.top - 1 && r.left >= outer.left - 1 &&
        r.bottom <= outer.bottom + 1 && r.right <= outer.right + 1;
      return {inside, shown: img.naturalWidth > 0 && r.height > 0,
              height: r.height / scale, width: r.width / scale};
    });
    const text = (slide.innerText || '').trim().split('\\n')[0].slice(0, 60);
    found.push({n, h, v, text, height: slide.scrollHeight, width: slide.scrollWidth,
                cut, images});
  }
  return {width, height, slides: found};
}
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> dict[str, tuple[str, list[Path]]]:
    """The decks of the series (as students get them, and the answer decks) served over HTTP."""
    if not NOTEBOOKS:
        pytest.skip("no notebooks")
    out = tmp_path_factory.mktemp("decks")
    built = {
        "": slides.build_slides(NOTEBOOKS, out / "plain"),
        "solutions": slides.build_slides(NOTEBOOKS, out / "solutions", solutions=True),
    }
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    yield {kind: (url, paths) for kind, paths in built.items()}
    server.shutdown()
    server.server_close()


def measure(browser, url: str) -> dict:
    """The configured slide size and, for every slide of the deck at ``url``, its measures."""
    page = browser.new_page(viewport={"width": 960, "height": 700})
    try:
        page.goto(url, wait_until="load")
        return page.evaluate(MEASURE_JS, f"{slides.ASSET_DIR}/reveal.js/dist/reveal.js")
    finally:
        page.close()


def misfits(deck: str, measured: dict) -> dict[str, list[str]]:
    """What does not fit, for every slide of a measured deck that does not fit its slide."""
    width, height = measured["width"], measured["height"]
    found = {}
    for s in measured["slides"]:
        problems = []
        if s["height"] > height:
            problems.append(f"{s['height']} px tall, the slide is {height}")
        if s["width"] > width:
            problems.append(f"{s['width']} px wide, the slide is {width}")
        if s["cut"]:
            problems.append(f"content cut off in {', '.join(s['cut'])}")
        for i, img in enumerate(s["images"]):
            if not (img["shown"] and img["inside"]):
                problems.append(f"figure {i + 1} is not wholly visible on the slide")
        if problems:
            found[f"{deck} slide {s['h']}.{s['v']} ({s['text']!r})"] = problems
    return found


def test_misfits_are_reported():
    measured = {
        "width": 960,
        "height": 700,
        "slides": [
            {"h": 0, "v": 0, "text": "ok", "height": 700, "width": 960, "cut": [], "images": []},
            {
                "h": 1,
                "v": 2,
                "text": "Embedding a name",
                "height": 1541,
                "width": 961,
                "cut": ["pre"],
                "images": [{"shown": True, "inside": False}],
            },
        ],
    }
    found = misfits("03.slides.html", measured)
    assert list(found) == ["03.slides.html slide 1.2 ('Embedding a name')"]
    (problems,) = found.values()
    assert len(problems) == 4 and "1541 px tall" in problems[0] and "961 px wide" in problems[1]


@pytest.mark.parametrize("kind", ["", "solutions"], ids=["decks", "answer-decks"])
def test_every_slide_fits(browser, decks, kind, say):
    url, paths = decks[kind]
    found, count, taller, tallest = {}, 0, 0, (0, "")
    for path in paths:
        measured = measure(browser, f"{url}/{kind or 'plain'}/{path.name}")
        assert (measured["width"], measured["height"]) == (960, 700)
        assert measured["slides"], f"{path.name} has no slides"
        count += len(measured["slides"])
        taller += sum(s["height"] > measured["height"] for s in measured["slides"])
        top = max(measured["slides"], key=lambda s: s["height"])
        if top["height"] > tallest[0]:
            tallest = (top["height"], f"{path.name} slide {top['h']}.{top['v']}")
        found.update(misfits(path.name, measured))
    say(
        f"{kind or 'student'} decks, {count} slides: {len(found)} do not fit, {taller} are taller than the slide; "
        f"the tallest is {tallest[0]} px ({tallest[1]})"
    )
    lines = [f"{where}: {'; '.join(problems)}" for where, problems in found.items()]
    assert not found, f"{len(found)} of {count} slides do not fit:\n" + "\n".join(lines)
