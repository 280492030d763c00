"""course/webexplorer.py: the trained model exported for the explorer page reproduces PyTorch,
carries what the page needs, and a model the page cannot compute is refused by name (the
browser test checks the page itself)."""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import asdict, replace

import numpy as np
import pytest
import torch
from torch import nn

from attention_utils.explorer import Explorer
from attention_utils.models import ModelConfig
from attention_utils.positions import SinusoidalPositions
from attention_utils.pretrained import load_or_train, untrained_model
from attention_utils.vocab import MESSAGES, CharTable, check_name, friendly
from course import webexplorer as web
from course.landing import EXPLORER_PAGE

TABLE = CharTable(["$", "^", *"abcdefghijklmnopqrstuvwxyz"])
#: Another shape than the series' model: the export reads its sizes from the config.
OTHER = ModelConfig(vocab_size=28, block_size=9, d_model=24, n_heads=3, n_layers=3, d_ff=40)


@pytest.fixture(scope="module")
def trained():
    return load_or_train(progress=False)


@pytest.fixture(scope="module")
def exported(trained):
    model = trained.model
    return web.export(model, untrained_model(model.config), trained.table, ["priya", "abha"])


def small(seed: int = 1, config: ModelConfig = OTHER):
    return untrained_model(config, seed=seed)


def test_numpy_forward_of_the_export_reproduces_pytorch(trained, exported):
    models = {"trained": trained.model, "untrained": untrained_model(trained.model.config)}
    n_heads = exported["sizes"]["n_heads"]
    worst = 0.0
    for kind, model in models.items():
        for name in ["a", "priya", "abhishek", "x" * exported["max_letters"]]:
            for causal in (True, False):
                ids = trained.table.encode("^" + name).tolist()
                maps, probs = web.numpy_forward(exported["models"][kind], ids, n_heads, causal)
                want_maps, want_probs = web.torch_reference(model, trained.table, name, causal)
                assert len(maps) == len(want_maps) == model.config.n_layers
                assert probs.shape == (len(name) + 1, len(trained.table))
                np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-9)
                for got, want in zip([*maps, probs], [*want_maps, want_probs], strict=True):
                    assert got.shape == want.shape
                    worst = max(worst, float(np.abs(got - want).max()))
    assert worst < 1e-5, f"the exported model differs from PyTorch by {worst:.2e}"
    # The mask off lets the first query see the last key, which the mask on never does.
    on = web.numpy_forward(exported["models"]["trained"], [1, 2, 3, 4], n_heads, True)[0]
    off = web.numpy_forward(exported["models"]["trained"], [1, 2, 3, 4], n_heads, False)[0]
    assert on[0][:, 0, 3].max() == 0.0 and off[0][:, 0, 3].min() > 0.0


def test_export_carries_what_the_page_needs(trained, exported):
    config, table = trained.model.config, trained.table
    assert exported["symbols"] == table.symbols and exported["vocabulary"] == table.describe()
    assert exported["sizes"] == {
        k: asdict(config)[k] for k in ("n_layers", "n_heads", "d_model", "block_size", "vocab_size")
    }
    explorer = Explorer(trained)
    assert exported["max_letters"] == explorer.max_letters
    assert {k: exported[k] for k in explorer.info if k != "sizes"} == {
        k: v for k, v in explorer.info.items() if k != "sizes"
    }  # what the drawing reads, as the notebook's widget gives it
    assert exported["messages"] == {k: MESSAGES[k] for k in exported["messages"]}
    # The templates are the words the notebook explorer says.
    for typed in ["", "é" * 3, "a" * (explorer.max_letters + 1)]:
        with pytest.raises((KeyError, ValueError)) as error:
            check_name(typed, table, explorer.max_letters)
        said = friendly(error.value, typed, table)
        starts = [m.split("{")[0].lower() for m in exported["messages"].values()]
        assert any(said.lower().startswith(s) for s in starts), said
    assert exported["train_names"] == ["abha", "priya"]  # to mark the names it writes new
    cmap = exported["cmap"]
    assert len(cmap) == 256 and all(len(c) == 7 and c[0] == "#" for c in cmap)
    assert cmap[0] != cmap[-1]
    for kind in ("trained", "untrained"):
        weights = exported["models"][kind]
        assert weights["tok_emb"]["shape"] == [len(table), config.d_model]
        assert config.positions == "relative" and weights["pos"] is None
        assert len(weights["blocks"]) == config.n_layers
        for block in weights["blocks"]:
            assert block["rel"]["shape"] == [config.n_heads, config.block_size]
        assert weights["blocks"][0]["fc1"]["w"]["shape"] == [config.d_ff, config.d_model]
        assert weights["head"]["w"]["shape"] == [len(table), config.d_model]
    first = exported["models"]["trained"]["tok_emb"]
    values = np.frombuffer(base64.b64decode(first["b64"]), dtype="<f4")
    exact = trained.model.tok_emb.weight.detach().float().numpy().ravel()  # float64 -> float32
    np.testing.assert_array_equal(values, exact)


def test_another_shape_of_model_is_exported_from_its_config():
    model = small(seed=3)
    data = web.export(model, small(seed=4), TABLE)
    assert data["sizes"]["n_heads"] == 3 and len(data["models"]["trained"]["blocks"]) == 3
    assert data["max_letters"] == OTHER.block_size - 1
    worst = web.check_export(data, {"trained": model, "untrained": small(seed=4)}, TABLE, ["ab"])
    assert worst < 1e-5
    # Fixed sinusoidal positions instead of learned ones: their table is exported instead.
    model.pos = SinusoidalPositions(OTHER.block_size, OTHER.d_model)
    data = web.export(model, model, TABLE)
    table = model.pos.table.numpy().ravel()
    pos = np.frombuffer(base64.b64decode(data["models"]["trained"]["pos"]["b64"]), dtype="<f4")
    np.testing.assert_array_equal(pos, table)
    assert web.check_export(data, {"trained": model}, TABLE) < 1e-5


@pytest.mark.parametrize("positions", ["relative", "both"])
def test_relative_positions_and_a_tied_head_are_computed_as_pytorch_does(positions):
    config = replace(OTHER, positions=positions, tie_weights=True)
    model = small(seed=7, config=config)
    with torch.no_grad():  # they start at zero, which would hide a page that ignores them
        for i, block in enumerate(model.blocks):
            block.rel.table.copy_(
                torch.linspace(-2.0, 3.0, block.rel.table.numel()).view_as(block.rel.table)
                * (i + 1)
            )
    data = web.export(model, model, TABLE)
    weights = data["models"]["trained"]
    assert (weights["pos"] is None) == (positions == "relative")
    assert all(b["rel"]["shape"] == [3, OTHER.block_size] for b in weights["blocks"])
    assert weights["head"]["w"] == weights["tok_emb"]  # the tied head is the embedding
    for name in ["a", "abc", "z" * data["max_letters"]]:
        assert web.check_export(data, {"trained": model}, TABLE, [name]) < 1e-5
    # The scores per distance matter: without them the numbers are not PyTorch's.
    for block in weights["blocks"]:
        del block["rel"]
    with pytest.raises(web.UnsupportedModel, match="differ from PyTorch by"):
        web.check_export(data, {"trained": model}, TABLE, ["abcd"])


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda m: setattr(m, "pos", nn.Identity()), "positions are Identity"),
        (lambda m: m.blocks[1].mlp.__setitem__(1, nn.ReLU()), "Linear, GELU, Linear"),
        (lambda m: m.blocks[0].mlp.__setitem__(1, nn.GELU("tanh")), "GELU('tanh')"),
        (lambda m: setattr(m, "extra", nn.Linear(2, 2)), "parameters the page does not compute"),
        (lambda m: setattr(m.blocks[2], "ln1", nn.Identity()), "blocks[2].ln1 is Identity"),
        (lambda m: setattr(m.head, "bias", None), "head has no bias"),
        (lambda m: setattr(m.blocks[1], "rel", nn.Linear(2, 2)), "blocks[1].rel is Linear"),
    ],
)
def test_a_model_the_page_cannot_compute_is_refused_by_name(change, said):
    model = small()
    change(model)
    with pytest.raises(web.UnsupportedModel, match=f"cannot run this model: .*{re.escape(said)}"):
        web.export(model, model, TABLE)


def test_numbers_that_do_not_reproduce_pytorch_fail_the_export():
    model, untrained = small(seed=5), small(seed=6)
    data = web.export(model, untrained, TABLE)
    broken = copy.deepcopy(data)
    bias = broken["models"]["trained"]["blocks"][0]["q"]["b"]  # q.b . k_j: other scores
    wrong = np.linspace(-1, 1, bias["shape"][0], dtype="<f4")
    bias["b64"] = base64.b64encode(wrong.tobytes()).decode()
    models = {"trained": model, "untrained": untrained}
    assert web.check_export(data, models, TABLE, ["abc"]) < 1e-5
    with pytest.raises(web.UnsupportedModel, match="differ from PyTorch by"):
        web.check_export(broken, models, TABLE, ["abc"])


def test_write_puts_the_page_and_its_model_into_the_folder(tmp_path):
    model = small()
    with torch.no_grad():
        model.head.bias.fill_(0.25)
    data = web.write(tmp_path, trained=(model, TABLE))
    page = (tmp_path / EXPLORER_PAGE).read_text(encoding="utf-8")
    scripts = ["model.js", "explorer.js", "explorer.css", "page.js", "page.css"]
    for script in (f"explorer/{name}" for name in scripts):
        assert script in page and (tmp_path / script).is_file(), script
    blob = (tmp_path / "explorer" / "model.js").read_text(encoding="utf-8")
    prefix = "window.EXPLORER_DATA = "
    body = blob[blob.index(prefix) + len(prefix) :].strip().removesuffix(";")
    assert json.loads(body) == data
    head = data["models"]["trained"]["head"]["b"]
    assert set(np.frombuffer(base64.b64decode(head["b64"]), dtype="<f4")) == {0.25}
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere
