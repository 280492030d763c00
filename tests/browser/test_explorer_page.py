"""The explorer page of the site (build/site/explorer.html) in a real Chromium: the page's
attention weights and next-character probabilities equal PyTorch's for the same model, bad
names get the notebook explorer's words, a keystroke redraws in under 100 ms, nothing is
fetched from elsewhere (from disk or from a static server), and it works by keyboard on a
phone-width screen.
"""

from __future__ import annotations

import statistics
from urllib.parse import urlsplit

import numpy as np
import pytest
from browserlib import Problems, settle, watch

from attention_utils.explorer import Explorer
from attention_utils.pretrained import load_or_train, untrained_model
from attention_utils.vocab import check_name, friendly
from course import webexplorer
from course.landing import EXPLORER_PAGE

READY = "body[data-ready='1']"
STATE_JS = """() => {
  const view = explorerPage.view, r = view.result, s = view.state;
  return {name: r.name, kind: r.kind, causal: r.causal, layer: s.layer, head: s.head,
          message: s.message || "", maps: r.maps.map(l => l.map(h => Array.from(h))),
          probs: Array.from(r.probs),
          panels: document.querySelectorAll('.explorer-panels canvas').length,
          next: Array.from(document.querySelectorAll('.explorer-next tr'), tr => tr.innerText)};
}"""


@pytest.fixture(scope="module")
def models():
    trained = load_or_train(progress=False)
    untrained = untrained_model(trained.model.config)
    explorer = Explorer(trained, untrained)
    return {"trained": trained.model, "untrained": untrained}, trained.table, explorer.max_letters


def open_explorer(context, url: str):
    problems = Problems()
    page = context.new_page()
    watch(page, problems)
    page.goto(url)
    page.wait_for_selector(READY)
    return page, problems


def choose(page, kind: str, causal: bool) -> None:
    page.check(f"input[name=model][value={kind}]")
    page.set_checked("#causal", causal)


def test_the_page_computes_what_pytorch_computes(context, site_url, models, say):
    by_kind, table, longest = models
    page, problems = open_explorer(context, f"{site_url}/{EXPLORER_PAGE}")
    letters = [s for s in table.symbols if s not in "^$"]
    cases = [
        ("a", "trained", True),  # one letter
        ("abhishek", "trained", True),
        ("priya", "trained", False),
        ("kavya", "untrained", True),
        ("sunita", "untrained", False),
        ("  Rahul ", "trained", True),  # as the notebook: stripped and lowercased
        ("ZOYA", "trained", False),
        (letters[0] * longest, "trained", True),  # the longest the model takes
        (letters[-1] * longest, "trained", False),
        ("".join(letters)[:longest], "untrained", True),
        ("mohammedrafiq"[:longest], "trained", True),
        ("om", "untrained", False),
    ]
    worst = {"weights": 0.0, "probabilities": 0.0}
    for typed, kind, causal in cases:
        choose(page, kind, causal)
        page.fill("#name", typed)
        state = page.evaluate(STATE_JS)
        name = check_name(typed, table, longest)
        assert (state["name"], state["kind"], state["causal"]) == (name, kind, causal)
        assert state["message"] == ""
        want_maps, want_probs = webexplorer.torch_reference(by_kind[kind], table, name, causal)
        T = len(name) + 1
        assert len(state["maps"]) == len(want_maps)
        for layer, want in zip(state["maps"], want_maps, strict=True):
            got = np.array(layer).reshape(len(layer), T, T)
            assert got.shape == want.shape, f"{typed!r}: weights {got.shape}, want {want.shape}"
            worst["weights"] = max(worst["weights"], float(np.abs(got - want).max()))
        got = np.array(state["probs"]).reshape(T, len(table))
        worst["probabilities"] = max(worst["probabilities"], float(np.abs(got - want_probs).max()))
        # the table under the heatmaps: after each prefix, the likeliest next character first
        assert len(state["next"]) == T + 1, state["next"]  # a header row, then ^, ^a, ...
        for t, row in enumerate(state["next"][1:]):
            best = table.symbols[int(want_probs[t].argmax())]
            assert row.split()[1] == best, f"{typed!r}, after {t + 1} characters: {row!r}"
    say(
        f"explorer page vs PyTorch over {len(cases)} names: largest difference "
        f"{worst['weights']:.2e} in attention weights, {worst['probabilities']:.2e} in "
        "next-character probabilities"
    )
    assert max(worst.values()) < 1e-4, worst

    # The selectors pick what is drawn: one canvas per head, or the one head chosen.
    n_heads = by_kind["trained"].config.n_heads
    page.select_option("#head", "all")
    assert page.evaluate(STATE_JS)["panels"] == n_heads
    page.select_option("#head", str(n_heads - 1))
    page.select_option("#layer", "0")
    state = page.evaluate(STATE_JS)
    assert (state["panels"], state["head"], state["layer"]) == (1, str(n_heads - 1), 0)
    assert not problems.all(), "\n".join(problems.all())


def test_a_bad_name_gets_the_notebook_explorers_words(context, site_url, models):
    _, table, longest = models
    page, problems = open_explorer(context, f"{site_url}/{EXPLORER_PAGE}")
    page.fill("#name", "kavya")
    drawn = page.evaluate(STATE_JS)
    bad = [
        "",
        "   ",
        "josé",
        "r2d2",
        "anna maria",
        "o'neil",
        "^abc",
        "ab$",
        "JOSÉ",
        "x\u00a0y",
        "ravi😀",
        "a\"b'c",
        "a" * (longest + 1),
        "é" * (longest + 3),
    ]
    for typed in bad:
        with pytest.raises((KeyError, ValueError)) as error:
            check_name(typed, table, longest)
        expected = friendly(error.value, typed, table)
        page.fill("#name", typed)
        shown = page.text_content("#message")
        assert shown == expected, (
            f"typed {typed!r}: the page says {shown!r}, the notebook {expected!r}"
        )
        state = page.evaluate(STATE_JS)
        assert state["name"] == "kavya" and state["maps"] == drawn["maps"], "picture not kept"
    page.fill("#name", "kavya")
    assert page.text_content("#message") == ""
    assert not problems.all(), "\n".join(problems.all())


def test_a_keystroke_redraws_in_under_100_ms(context, site_url, models, say):
    _, _, longest = models
    page, problems = open_explorer(context, f"{site_url}/{EXPLORER_PAGE}")
    page.select_option("#head", "all")  # the most to draw
    page.fill("#name", "")
    page.evaluate("explorerPage.state.redrawMs.length = 0")
    page.focus("#name")
    typed = "priyankaraghavendra"[:longest]
    page.keyboard.type(typed, delay=20)
    for _ in range(len(typed) - 1):
        page.keyboard.press("Backspace")
    times = page.evaluate("explorerPage.state.redrawMs")
    assert len(times) >= 20, f"{len(times)} redraws for {2 * len(typed) - 1} keystrokes"
    median = statistics.median(times)
    say(
        f"explorer page: {len(times)} keystrokes, redraw median {median:.1f} ms, "
        f"max {max(times):.1f} ms (all heads)"
    )
    assert median < 100, f"median redraw {median:.1f} ms"
    assert not problems.all(), "\n".join(problems.all())


def test_generate_writes_names_from_the_model_in_the_page(context, site_url, models):
    _, table, longest = models
    page, problems = open_explorer(context, f"{site_url}/{EXPLORER_PAGE}")
    data = page.evaluate("window.EXPLORER_DATA.train_names")
    page.fill("#temperature", "0.5")
    page.click(".explorer-generate")
    first = page.evaluate("explorerPage.state.samples")
    assert len(first) == 10
    letters = set(table.symbols) - {"^", "$"}
    for name, is_new in first:
        assert 1 <= len(name) <= longest and set(name) <= letters, name
        assert is_new == (name not in data), name
    assert "temperature 0.5" in page.text_content(".explorer-samples")
    page.click(".explorer-generate")
    assert page.evaluate("explorerPage.state.samples") != first, "a second click wrote the same"
    # a low temperature writes training names more often than a high one
    known = {}
    for temperature in (0.3, 2.0):
        drawn = page.evaluate(f"explorerPage.sample('trained', {temperature}, 7, 200).names")
        known[temperature] = sum(not is_new for _, is_new in drawn)
    assert known[0.3] > known[2.0], known
    assert not problems.all(), "\n".join(problems.all())


def _requests(context, url: str) -> list[str]:
    page = context.new_page()
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    problems = Problems()
    watch(page, problems, block_external=False)  # to see every request, and wait on them
    page.goto(url)
    page.wait_for_selector(READY)
    page.fill("#name", "meera")
    settle(page, problems)
    assert not problems.failed_requests, f"{url}: {problems.failed_requests}"
    assert page.evaluate(STATE_JS)["panels"] > 0
    page.close()
    return seen


def test_nothing_leaves_the_page_from_disk_or_a_static_server(context, site, site_url, say):
    from_disk = _requests(context, (site / EXPLORER_PAGE).resolve().as_uri())
    assert from_disk and all(u.startswith("file:") for u in from_disk), from_disk
    served = _requests(context, f"{site_url}/{EXPLORER_PAGE}")
    origin = urlsplit(site_url)
    assert all(urlsplit(u)[:2] == origin[:2] for u in served), served
    weight = sum((site / urlsplit(u).path.lstrip("/")).stat().st_size for u in served)
    say(f"explorer page loads {len(served)} files: {weight:,} bytes")


def test_reached_from_the_landing_page_and_notebook_12(context, site_url):
    problems = Problems()
    page = context.new_page()
    watch(page, problems)
    page.goto(f"{site_url}/index.html")
    page.locator(f".explorer-card a[href='{EXPLORER_PAGE}']").click()
    page.wait_for_selector(READY)
    assert page.url == f"{site_url}/{EXPLORER_PAGE}"
    page.goto(f"{site_url}/notebooks/12_explorer.html")
    page.locator(f"main a[href='../{EXPLORER_PAGE}']").first.click()
    page.wait_for_selector(READY)
    assert page.url == f"{site_url}/{EXPLORER_PAGE}"
    assert not problems.all(), "\n".join(problems.all())


def test_keyboard_and_a_phone_width_screen(browser, site_url, screenshots):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page, problems = open_explorer(context, f"{site_url}/{EXPLORER_PAGE}")
    page.locator("body").focus()
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.value"))
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", f"{order[-1]}: no visible focus"
    assert order[1:] == ["name", "layer", "head", "trained", "causal"], order
    page.focus("#name")
    page.keyboard.press("Control+A")
    page.keyboard.type("divya")
    page.keyboard.press("Tab")  # layer
    page.keyboard.press("Tab")  # head
    page.keyboard.press("ArrowDown")  # all heads -> head 0
    page.keyboard.press("Tab")  # model
    page.keyboard.press("ArrowRight")  # trained -> untrained
    page.keyboard.press("Tab")  # causal mask
    page.keyboard.press("Space")
    state = page.evaluate(STATE_JS)
    assert (state["name"], state["head"], state["kind"], state["causal"]) == (
        "divya",
        "0",
        "untrained",
        False,
    ), state
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    choose(page, "trained", True)
    page.select_option("#head", "all")
    page.fill("#name", "abhishek")
    shot = screenshots / "explorer-390.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000, f"{shot} looks empty"
    assert not problems.all(), "\n".join(problems.all())
    context.close()
