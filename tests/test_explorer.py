"""The explorer of notebook 09: its widget callbacks and its messages for names it cannot read.

The callbacks are driven as a browser would drive them, by setting widget values (which
calls the observers) and clicking the button, without a browser.
"""

from __future__ import annotations

import base64
import string
import time

import matplotlib
import numpy as np
import pytest
import torch

from attention_utils import explorer as ex
from attention_utils.models import CausalTransformer, ModelConfig
from attention_utils.pretrained import load_or_train, untrained_model
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
    return ex.Explorer(trained, untrained_model(CONFIG), TRAIN_NAMES, warm_up=False)


def widget_classes(widget) -> dict[str, object]:
    """Every CSS class in the widget tree -> the widget that has it."""
    found = {c: widget for c in widget._dom_classes}
    for child in getattr(widget, "children", ()):
        found.update(widget_classes(child))
    return found


def idx_of(name: str) -> torch.Tensor:
    return TABLE.batch(name)


# --------------------------------------------------------------------------- the widgets


def test_a_static_view_gets_the_heatmap_and_a_line_of_text(explorer):
    explorer.name.value = "kavya"
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live in JupyterLab
    assert base64.b64decode(bundle["image/png"]) == explorer.heatmap.value
    assert bytes(explorer.heatmap.value).startswith(b"\x89PNG")
    text = bundle["text/plain"]
    assert text.startswith("Attention explorer (run the notebook to use it): kavya · trained")
    assert "VBox" not in text and "<" not in text


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
    assert explorer.labels == list("^abhishek")
    expected = explorer.models["trained"].attention_maps(idx_of("abhishek"))[-1][0]
    np.testing.assert_allclose(explorer.shown, expected.numpy(), atol=1e-6)
    panels = [ax.images[0].get_array() for ax in explorer.figure.axes if ax.images]
    assert len(panels) == CONFIG.n_heads
    np.testing.assert_allclose(panels[1], explorer.shown[1], atol=1e-6)
    assert "abhishek" in explorer.caption.value and "all heads" in explorer.caption.value


def test_changing_the_name_redraws(explorer):
    before = explorer.heatmap.value
    explorer.name.value = "Priya"
    assert explorer.labels == list("^priya")
    assert explorer.shown.shape == (CONFIG.n_heads, 6, 6)  # ^priya: no end token
    assert explorer.heatmap.value != before and bytes(explorer.heatmap.value).startswith(PNG)
    expected = explorer.models["trained"].attention_maps(idx_of("priya"))[-1][0]
    np.testing.assert_allclose(explorer.shown, expected.numpy(), atol=1e-6)
    assert len(explorer.redraw_ms) == 2


def test_changing_the_head_and_layer_redraws(explorer):
    maps = [w[0].numpy() for w in explorer.models["trained"].attention_maps(idx_of("abhishek"))]
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
    future = np.triu(np.ones((9, 9), dtype=bool), 1)  # ^abhishek
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
    uniform = np.tril(np.ones((9, 9)))
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
        ("a" * 20, f"at most {CONFIG.block_size - 1} letters"),
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
    assert explorer.message.value == "" and explorer.labels == list("^kavya")


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
    trained = load_or_train(progress=False)
    start = time.perf_counter()
    explorer = ex.Explorer(trained, warm_up=False)
    assert time.perf_counter() - start < 60
    assert explorer.max_letters == trained.model.config.block_size - 1
    entropy = {}
    for kind in ("trained", "untrained"):
        explorer.model.value = kind
        w = torch.as_tensor(explorer.shown)
        entropy[kind] = float(-(w * torch.where(w > 0, w.log(), 0 * w)).sum(-1).mean())
    assert entropy["trained"] < entropy["untrained"] - 0.1, entropy


@pytest.mark.parametrize("typed", ["a$$b", "^priya", "$"])
def test_the_start_and_end_tokens_are_no_letters_of_a_name(explorer, typed):
    caption = explorer.caption.value
    explorer.name.value = typed  # no exception inside the redraw
    assert "it only knows the letters a-z" in explorer.message_text
    assert explorer.caption.value == caption  # the picture and its caption stay together


def test_a_model_that_does_not_fit_the_table_is_refused():
    other = CharTable.from_names(["abc"])
    with pytest.raises(ValueError, match="table: the model reads"):
        ex.Explorer((peaked_model(), other), warm_up=False, train_names=["abc"])
