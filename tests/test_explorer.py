"""The explorer of notebook 12: what the kernel computes for each change of its traits, the
messages for names it cannot read, the names it writes, and its static view.

The traits are set as the browser's drawing sets them (which calls the observers), without a
browser; the drawing itself is tested in Chromium (tests/browser: JupyterLab and the page).
"""

from __future__ import annotations

import base64
import io
import string

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

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
    return ex.Explorer((peaked_model(), TABLE), untrained_model(CONFIG), TRAIN_NAMES)


def maps_of(explorer, name, kind="trained", causal=True):
    model = explorer.models[kind]
    return [w[0].numpy() for w in model.attention_maps(TABLE.batch(name), causal=causal)]


def sent(explorer) -> list[np.ndarray]:
    """The weights the browser was sent, per layer ``(n_heads, T, T)``."""
    T = len(explorer.result["labels"])
    return [np.array(layer).reshape(-1, T, T) for layer in explorer.result["maps"]]


# --------------------------------------------------------------------------- what is sent


def test_the_drawing_is_the_widgets_module_and_the_pages_script():
    assert ex.DRAWING.is_file() and ex.STYLE.is_file()
    source = ex.DRAWING.read_text(encoding="utf-8")
    assert ex.Explorer._esm.startswith(source)
    assert ex.Explorer._esm.rstrip().endswith(
        "export default { render: AttentionExplorer.render };"
    )
    assert "export" not in source.split("//")[0]  # a classic script for the page
    assert ex.Explorer._css == ex.STYLE.read_text(encoding="utf-8")
    rules = [r.split("{")[0].strip() for r in ex.Explorer._css.split("}") if "{" in r]
    assert rules and all(
        all(part.strip().startswith(".explorer") for part in rule.split(","))
        for rule in (r.split("*/")[-1].strip() for r in rules)
    ), "a rule of explorer.css reaches outside the explorer"


def test_first_result_is_every_layer_and_head_of_the_name(explorer):
    result = explorer.result
    assert explorer.message == ""
    assert result["labels"] == list("^abhishek") == explorer.labels
    assert (result["name"], result["kind"], result["causal"]) == ("abhishek", "trained", True)
    want = maps_of(explorer, "abhishek")
    for got, expected in zip(sent(explorer), want, strict=True):
        np.testing.assert_allclose(got, expected, atol=10**-ex.DIGITS)
    np.testing.assert_allclose(explorer.shown, want[-1], atol=1e-12)  # the last layer, all heads
    probs = np.array(result["probs"]).reshape(9, len(TABLE))
    np.testing.assert_allclose(probs.sum(-1), 1, atol=1e-4)
    np.testing.assert_allclose(probs, explorer.next_probs, atol=10**-ex.DIGITS)
    assert explorer.info["symbols"] == list(TABLE.symbols)
    assert explorer.info["sizes"] == {"n_layers": 2, "n_heads": 2}
    assert explorer.layer == CONFIG.n_layers - 1 and explorer.head == ex.ALL_HEADS
    assert len(explorer.info["cmap"]) == 256 and explorer.info["cmap"][0].startswith("#")


def test_the_probabilities_are_the_models_next_character(explorer):
    explorer.name = "priya"
    with torch.no_grad():
        logits, _ = explorer.models["trained"](TABLE.batch("priya"))
    want = torch.softmax(logits[0].double(), -1).numpy()
    got = np.array(explorer.result["probs"]).reshape(want.shape)
    np.testing.assert_allclose(got, want, atol=10**-ex.DIGITS)


def test_changing_the_name_computes_it(explorer):
    explorer.name = "  Priya "
    assert explorer.result["name"] == "priya" and explorer.labels == list("^priya")
    assert explorer.shown.shape == (CONFIG.n_heads, 6, 6)  # ^priya: no end token
    np.testing.assert_allclose(explorer.shown, maps_of(explorer, "priya")[-1], atol=1e-12)
    assert len(explorer.compute_ms) == 2


def test_head_and_layer_are_drawn_from_what_was_sent(explorer):
    maps = maps_of(explorer, "abhishek")
    result = explorer.result
    explorer.head = "0"
    np.testing.assert_allclose(explorer.shown, maps[-1][0:1], atol=1e-12)
    explorer.head = "1"
    explorer.layer = 0
    np.testing.assert_allclose(explorer.shown, maps[0][1:2], atol=1e-12)
    assert explorer.result is result, "a layer or head is the browser's: the kernel sends nothing"
    assert "layer 0 · head 1" in explorer.caption()


def test_turning_the_mask_off_shows_weight_on_later_characters(explorer):
    future = np.triu(np.ones((9, 9), dtype=bool), 1)  # ^abhishek
    assert np.abs(explorer.shown[:, future]).max() == 0
    explorer.causal = False
    assert explorer.result["causal"] is False
    assert explorer.shown[:, future].sum() > 0.1
    assert sent(explorer)[-1][:, future].sum() > 0.1
    assert "causal mask off" in explorer.caption()


def test_switching_to_the_untrained_model(explorer):
    trained = explorer.shown.copy()
    explorer.kind = "untrained"
    untrained = explorer.shown
    assert not np.allclose(trained, untrained, atol=1e-2)
    uniform = np.tril(np.ones((9, 9)))
    uniform /= uniform.sum(-1, keepdims=True)
    assert np.abs(untrained - uniform).max() < 0.05  # an untrained head averages the past
    assert "untrained model" in explorer.caption() and explorer.result["kind"] == "untrained"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("josé", "'é'"),
        ("r2d2", "'2'"),
        ("anna maria", "' '"),
        ("", "Type a name"),
        ("a" * 20, f"at most {CONFIG.block_size - 1} letters"),
        ("a$$b", "it only knows the letters a-z"),
        ("^priya", "it only knows the letters a-z"),
    ],
)
def test_a_bad_name_shows_a_message_and_keeps_the_picture(explorer, typed, expected):
    shown, caption = explorer.shown.copy(), explorer.caption()
    explorer.name = typed
    assert expected in explorer.message
    assert "maps" not in explorer.result, "the browser keeps its last picture"
    assert "Traceback" not in explorer.message and "Error" not in explorer.message
    np.testing.assert_array_equal(explorer.shown, shown)
    assert explorer.caption() == caption  # the picture and its caption stay together
    explorer.name = "kavya"
    assert explorer.message == "" and explorer.labels == list("^kavya")


def test_the_same_name_again_after_a_message_is_sent_again(explorer):
    # the browser shows a new result only when the trait changes: a counter makes it change
    first = explorer.result
    explorer.name = "r2d2"
    explorer.name = "abhishek"
    assert explorer.result != first and explorer.result["n"] > first["n"]
    assert {k: v for k, v in explorer.result.items() if k != "n"} == {
        k: v for k, v in first.items() if k != "n"
    }


def test_generate_writes_new_names_at_the_temperature(explorer):
    assert explorer.samples == {}
    explorer.temperature = 0.5
    explorer.clicks += 1  # as the button does
    first = explorer.samples
    assert first["temperature"] == 0.5 and first["kind"] == "trained"
    names = first["names"]
    assert len(names) == 10 and all(isinstance(n, str) for n, _ in names)
    assert all(is_new == (n not in TRAIN_NAMES) for n, is_new in names)
    written = explorer.generate_names()
    assert written == [tuple(pair) for pair in explorer.samples["names"]]
    assert written != [tuple(pair) for pair in names], "a second click wrote the same names"


def test_a_static_view_gets_a_picture_and_a_line_of_text(explorer):
    explorer.name = "kavya"
    data, metadata = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data  # live in JupyterLab
    png = base64.b64decode(data["image/png"])
    assert png.startswith(PNG)
    width, height = Image.open(io.BytesIO(png)).size
    assert width > 800 and height > 600, (width, height)  # drawn at twice ...
    shown = {k: v for k, v in metadata["image/png"].items() if k != "alt"}
    assert shown == {"width": width // 2, "height": height // 2}  # ... shown at 1x
    alt = metadata["image/png"]["alt"]  # what a screen reader says of the picture
    assert (
        alt.startswith("Attention explorer: kavya · trained model")
        and "heatmaps of attention weights" in alt
    )
    text = data["text/plain"]
    assert text.startswith("Attention explorer (run the notebook to use it): kavya · trained")
    assert "all heads" in text and "<" not in text
    explorer.head = "1"
    one = base64.b64decode(explorer._repr_mimebundle_()[0]["image/png"])
    assert one != png and "head 1" in explorer._repr_mimebundle_()[0]["text/plain"]


def test_with_the_default_trained_model():
    trained = load_or_train(progress=False)
    explorer = ex.Explorer(trained)
    assert explorer.max_letters == trained.model.config.block_size - 1
    entropy = {}
    for kind in ("trained", "untrained"):
        explorer.kind = kind
        w = torch.as_tensor(explorer.shown)
        entropy[kind] = float(-(w * torch.where(w > 0, w.log(), 0 * w)).sum(-1).mean())
    assert entropy["trained"] < entropy["untrained"] - 0.1, entropy


def test_a_model_that_does_not_fit_the_table_is_refused():
    other = CharTable.from_names(["abc"])
    with pytest.raises(ValueError, match="table: the model reads"):
        ex.Explorer((peaked_model(), other), train_names=["abc"])
