"""The explorer of notebook 09: its model side, its heatmap renderer and its widget callbacks.

The callbacks are driven as a browser would drive them, by setting widget values (which
calls the observers) and clicking the button, without a browser.
"""

from __future__ import annotations

import string
import time

import matplotlib
import numpy as np
import pytest
import torch

from attention_utils import explorer as ex
from attention_utils.models import CausalTransformer, ModelConfig
from attention_utils.render import HeatmapRenderer
from attention_utils.vocab import CharTable

matplotlib.use("Agg")

PNG = b"\x89PNG\r\n\x1a\n"
TABLE = CharTable.from_names(list(string.ascii_lowercase))
CONFIG = ModelConfig(
    vocab_size=len(TABLE), block_size=16, d_model=16, n_heads=2, n_layers=2, d_ff=32, dropout=0.0
)
TRAIN_NAMES = ["priya", "rahul", "abhishek", "kavya"]


def peaked_model(seed: int = 1) -> CausalTransformer:
    """A model whose attention is far from uniform (large query weights), standing in for a
    trained one."""
    torch.manual_seed(seed)
    model = CausalTransformer(CONFIG).eval()
    with torch.no_grad():
        for block in model.blocks:
            block.attn.q_proj.weight.mul_(200)
            block.attn.k_proj.weight.mul_(10)
    return model


@pytest.fixture()
def explorer():
    trained = (peaked_model(), TABLE)
    return ex.Explorer(trained, ex.untrained_copy(trained[0]), TRAIN_NAMES, warm_up=False)


def widget_classes(widget) -> dict[str, object]:
    """Every CSS class in the widget tree -> the widget that has it."""
    found = {c: widget for c in widget._dom_classes}
    for child in getattr(widget, "children", ()):
        found.update(widget_classes(child))
    return found


def idx_of(name: str) -> torch.Tensor:
    return TABLE.encode(TABLE.wrap(name))[None]


# --------------------------------------------------------------------------- model side


def test_attention_maps_with_the_mask_are_the_models_own_weights():
    model = peaked_model()
    idx = idx_of("abhishek")
    ours, theirs = ex.attention_maps(model, idx), model.attention_weights(idx)
    assert len(ours) == CONFIG.n_layers
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == (1, CONFIG.n_heads, 10, 10)
        torch.testing.assert_close(a, b)


def test_attention_maps_without_the_mask_look_ahead():
    model = peaked_model()
    on, off = (
        ex.attention_maps(model, idx_of("priya")),
        ex.attention_maps(model, idx_of("priya"), False),
    )
    future = torch.ones(7, 7, dtype=torch.bool).triu(1)
    for layer_on, layer_off in zip(on, off, strict=True):
        assert layer_on[..., future].abs().max() == 0
        assert layer_off[..., future].sum() > 0.1
        torch.testing.assert_close(layer_off.sum(-1), torch.ones(1, CONFIG.n_heads, 7))
    assert not model.training


def test_attention_maps_refuse_a_flat_idx():
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        ex.attention_maps(peaked_model(), TABLE.encode("^abc$"))


def test_untrained_copy_is_where_training_starts_and_keeps_the_random_state():
    from attention_utils.standard import DEFAULT_TRAIN, fresh_model

    model = peaked_model()
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    copy = ex.untrained_copy(model)
    assert torch.equal(torch.rand(3), expected_next), "untrained_copy moved the global generator"
    start = fresh_model(CONFIG, DEFAULT_TRAIN.seed)
    for (name, a), b in zip(copy.state_dict().items(), start.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert not copy.training


def test_check_name_and_friendly_messages():
    assert ex.check_name("  Priya ", TABLE, 14) == "priya"
    with pytest.raises(KeyError, match="é"):
        ex.check_name("josé", TABLE, 14)
    with pytest.raises(ValueError, match="at most 14 letters"):
        ex.check_name("a" * 15, TABLE, 14)
    with pytest.raises(ValueError, match="type a name"):
        ex.check_name("   ", TABLE, 14)
    try:
        ex.check_name("r2d2 x", TABLE, 14)
    except KeyError as e:
        message = ex.friendly(e, "r2d2 x", TABLE)
    assert "'2', ' '" in message and "a-z" in message and "Traceback" not in message


# --------------------------------------------------------------------------- the renderer


def test_renderer_draws_like_matplotlib():
    """The blitted picture (labels pasted, heatmap drawn alone) matches a full draw."""
    renderer = HeatmapRenderer()
    labels = list("^kavya$")
    panels = torch.softmax(torch.randn(1, 7, 7, generator=torch.Generator().manual_seed(0)), -1)
    renderer.render(np.zeros((1, 7, 7)), list("^abcde$"), suptitle="'abcde'")  # another name first
    png = renderer.render(panels.numpy(), labels, suptitle="'kavya'")
    assert png.startswith(PNG)
    fast = np.asarray(renderer.figure.canvas.buffer_rgba()).astype(int).copy()
    # The same figure drawn in full by matplotlib, tick labels and all.
    ax = renderer.current.axes[0]
    for text in ax.get_xticklabels() + ax.get_yticklabels():
        text.set_alpha(None)
    ax.set_xticks(range(7), labels)
    ax.set_yticks(range(7), labels)
    for artist in (ax.images[0], renderer.current.title):
        artist.set_animated(False)
    renderer.figure.canvas.draw()
    full = np.asarray(renderer.figure.canvas.buffer_rgba()).astype(int)
    differs = np.abs(fast - full).max(-1) > 60
    # Matplotlib places the axis labels and the title from the tick labels' sizes, which the
    # fast path fixes when the figure is built: they may sit a pixel or two apart.
    height = differs.shape[0]
    renderer_ = renderer.figure.canvas.get_renderer()
    for artist in (ax.xaxis.label, ax.yaxis.label, renderer.current.title):
        box = artist.get_window_extent(renderer_).padded(3)
        differs[height - int(box.y1) : height - int(box.y0), int(box.x0) : int(box.x1)] = False
    n_labels = 2 * len(labels)  # a pixel here and there where a glyph lands half a pixel apart
    assert differs.sum() < 6 * n_labels, f"{differs.sum()} pixels differ"
    # and the comparison can fail: other characters over the same heatmap differ in many pixels
    renderer.current.name_key = ()
    for artist in (ax.images[0], renderer.current.title):
        artist.set_animated(True)
    renderer.render(panels.numpy(), list("^abcde$"), suptitle="'kavya'")
    other = np.asarray(renderer.figure.canvas.buffer_rgba()).astype(int)
    assert (np.abs(other - full).max(-1) > 60).sum() > 15 * n_labels


def test_renderer_reuses_its_figures_and_checks_shapes():
    renderer = HeatmapRenderer()
    a = renderer.render(np.eye(5)[None], list("^abc$"))
    b = renderer.render(np.eye(5)[None] * 0.5, list("^xyz$"))
    assert a != b and len(renderer.canvases) == 1
    renderer.render(np.ones((2, 4, 4)) / 4, list("^ab$"), titles=["head 0", "head 1"])
    assert len(renderer.canvases) == 2
    with pytest.raises(ValueError, match=r"\(N, T, T\)"):
        renderer.render(np.eye(5), list("^abc$"))
    with pytest.raises(ValueError, match="T = 4 labels"):
        renderer.render(np.eye(5)[None], list("^ab$"))


@pytest.mark.parametrize("name", ["ab", "subrahmanyam"])
def test_all_heads_grid_keeps_titles_clear_of_the_panels_above(name):
    """In the 2 x 2 grid, a lower panel's title and top tick labels sit below the panel above
    it, and the name sits above the first row's titles."""
    labels = ["^", *name, "$"]
    T = len(labels)
    renderer = HeatmapRenderer()
    renderer.render(np.ones((4, T, T)) / T, labels, [f"head {h}" for h in range(4)], "'x'")
    figure = renderer.figure
    drawn = figure.canvas.get_renderer()
    axes = renderer.current.axes
    assert len(axes) == 4
    for upper, lower in ((axes[0], axes[2]), (axes[1], axes[3])):
        bottom_of_upper = upper.get_window_extent(drawn).y0
        above_lower = [lower.title, *lower.get_xticklabels()]
        top_of_lower = max(t.get_window_extent(drawn).y1 for t in above_lower)
        assert top_of_lower < bottom_of_upper, (
            f"{lower.get_title()!r} reaches y = {top_of_lower:.0f} px, into the panel above "
            f"(its bottom at {bottom_of_upper:.0f} px)"
        )
    first_row_top = max(
        t.get_window_extent(drawn).y1 for ax in axes[:2] for t in (ax.title, ax.xaxis.label)
    )
    assert renderer.current.title.get_window_extent(drawn).y0 > first_row_top


# --------------------------------------------------------------------------- the widgets


def test_layout_has_the_documented_css_classes(explorer):
    classes = widget_classes(explorer.widget)
    for css, widget in {
        "explorer": explorer.widget,
        "explorer-name": explorer.name,
        "explorer-layer": explorer.layer,
        "explorer-head": explorer.head,
        "explorer-model": explorer.model,
        "explorer-mask": explorer.mask,
        "explorer-message": explorer.message,
        "explorer-heatmap": explorer.heatmap,
        "explorer-caption": explorer.caption,
        "explorer-temperature": explorer.temperature,
        "explorer-generate": explorer.generate,
        "explorer-samples": explorer.samples_html,
    }.items():
        assert classes.get(css) is widget, css
        assert css in ex.__doc__, f"{css} is not described in the module docstring"


def test_first_picture_is_every_head_of_the_last_layer(explorer):
    assert bytes(explorer.heatmap.value).startswith(PNG)
    assert explorer.message.value == ""
    assert explorer.labels == list("^abhishek$")
    expected = ex.attention_maps(explorer.models["trained"], idx_of("abhishek"))[-1][0]
    np.testing.assert_allclose(explorer.shown, expected.numpy(), atol=1e-6)
    panels = [ax.images[0].get_array() for ax in explorer.figure.axes if ax.images]
    assert len(panels) == CONFIG.n_heads
    np.testing.assert_allclose(panels[1], explorer.shown[1], atol=1e-6)
    assert "abhishek" in explorer.caption.value and "all heads" in explorer.caption.value


def test_changing_the_name_redraws(explorer):
    before = explorer.heatmap.value
    explorer.name.value = "Priya"
    assert explorer.labels == list("^priya$")
    assert explorer.shown.shape == (CONFIG.n_heads, 7, 7)
    assert explorer.heatmap.value != before and bytes(explorer.heatmap.value).startswith(PNG)
    expected = ex.attention_maps(explorer.models["trained"], idx_of("priya"))[-1][0]
    np.testing.assert_allclose(explorer.shown, expected.numpy(), atol=1e-6)
    assert len(explorer.redraw_ms) == 2


def test_changing_the_head_and_layer_redraws(explorer):
    maps = [w[0].numpy() for w in ex.attention_maps(explorer.models["trained"], idx_of("abhishek"))]
    pictures = {bytes(explorer.heatmap.value)}
    explorer.head.value = 0
    np.testing.assert_allclose(explorer.shown, maps[-1][0:1], atol=1e-6)
    pictures.add(bytes(explorer.heatmap.value))
    explorer.head.value = 1
    np.testing.assert_allclose(explorer.shown, maps[-1][1:2], atol=1e-6)
    pictures.add(bytes(explorer.heatmap.value))
    explorer.layer.value = 0
    np.testing.assert_allclose(explorer.shown, maps[0][1:2], atol=1e-6)
    pictures.add(bytes(explorer.heatmap.value))
    assert len(pictures) == 4, "some change left the picture as it was"
    assert "layer 0 · head 1" in explorer.caption.value


def test_turning_the_mask_off_shows_weight_on_later_characters(explorer):
    future = np.triu(np.ones((10, 10), dtype=bool), 1)
    assert np.abs(explorer.shown[:, future]).max() == 0
    before = explorer.heatmap.value
    explorer.mask.value = False
    assert explorer.shown[:, future].sum() > 0.1
    assert explorer.heatmap.value != before
    assert "causal mask off" in explorer.caption.value


def test_switching_to_the_untrained_model(explorer):
    trained = explorer.shown.copy()
    explorer.model.value = "untrained"
    untrained = explorer.shown
    assert not np.allclose(trained, untrained, atol=1e-2)
    uniform = np.tril(np.ones((10, 10)))
    uniform /= uniform.sum(-1, keepdims=True)
    assert np.abs(untrained - uniform).max() < 0.05  # an untrained head averages the past
    assert "untrained model" in explorer.caption.value


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("josé", "'é'"),
        ("r2d2", "'2'"),
        ("anna maria", "' '"),
        ("", "Type a name"),
        ("a" * 20, "at most 14"),
    ],
)
def test_a_bad_name_shows_a_message_and_keeps_the_picture(explorer, typed, expected):
    picture, shown = explorer.heatmap.value, explorer.shown.copy()
    explorer.name.value = typed
    assert expected in explorer.message_text
    assert "Traceback" not in explorer.message.value and "Error" not in explorer.message.value
    assert explorer.heatmap.value == picture
    np.testing.assert_array_equal(explorer.shown, shown)
    explorer.name.value = "kavya"
    assert explorer.message.value == "" and explorer.labels == list("^kavya$")


def test_generate_writes_new_names_at_the_temperature(explorer):
    assert explorer.samples_html.value == ""
    explorer.temperature.value = 0.5
    explorer.generate.click()
    first = explorer.samples
    assert len(first) == 10 and all(isinstance(n, str) for n, _ in first)
    assert all(is_new == (n not in TRAIN_NAMES) for n, is_new in first)
    assert "temperature 0.5" in explorer.samples_html.value
    assert all(n in explorer.samples_html.value for n, _ in first)
    explorer.generate.click()
    assert explorer.samples != first, "a second click wrote the same names"


def test_warm_up_means_no_figure_is_built_while_exploring(explorer):
    explorer.warm_up(lengths=[3, 5])
    built = len(explorer.renderer.canvases)
    explorer.redraw_ms.clear()
    for typed in ["ann", "annie", "priya", "rav"]:  # names of 3 and 5 letters
        explorer.name.value = typed
    for head in [0, 1, "all"]:
        explorer.head.value = head
    explorer.mask.value = False
    explorer.model.value = "untrained"
    assert len(explorer.renderer.canvases) == built
    assert len(explorer.redraw_ms) == 4 + 3 + 2
    # generous: a redraw takes a few tens of milliseconds, even on a busy machine
    assert explorer.median_redraw_ms() < 500


def test_median_redraw_needs_a_redraw(explorer):
    explorer.redraw_ms.clear()
    with pytest.raises(ValueError, match="nothing has been drawn"):
        explorer.median_redraw_ms()


def test_with_the_default_trained_model():
    from attention_utils.standard import load_or_train_default

    trained = load_or_train_default(progress=False)
    start = time.perf_counter()
    explorer = ex.Explorer(trained, warm_up=False)
    assert time.perf_counter() - start < 60
    assert explorer.max_letters == trained.model.config.block_size - 2
    entropy = {}
    for kind in ("trained", "untrained"):
        explorer.model.value = kind
        w = torch.as_tensor(explorer.shown)
        entropy[kind] = float(-(w * torch.where(w > 0, w.log(), 0 * w)).sum(-1).mean())
    assert entropy["trained"] < entropy["untrained"] - 0.1, entropy
