"""attention_utils.pretrained: the model of notebooks 08, 09 and 12 trains once, is cached, and loads the same."""

from __future__ import annotations

import shutil

import pytest
import torch
from support import NAMES_FILE, files_in

from attention_utils import pretrained
from attention_utils.models import ModelConfig
from attention_utils.pretrained import load_or_train, untrained_model
from attention_utils.train import TrainConfig
from attention_utils.vocab import CharTable

TABLE = CharTable.from_names("abcdefghijklmnopqrstuvwxyz")


def quick(**kw) -> TrainConfig:
    base = dict(steps=20, batch_size=8, lr=1e-2, min_lr=1e-3, warmup=2, eval_every=5)
    return TrainConfig(**{**base, **kw})


@pytest.fixture()
def tiny_default(data_dir, monkeypatch):
    """The default model's code path, in an empty DATA_DIR, with a few training steps."""
    shutil.copy(NAMES_FILE, data_dir / NAMES_FILE.name)
    monkeypatch.setattr(pretrained, "TRAIN_CONFIG", quick(steps=6, eval_every=3))
    monkeypatch.setattr(pretrained, "MODEL_CONFIG", ModelConfig(d_model=16, n_heads=2, d_ff=32))
    return data_dir


def test_load_or_train_trains_once_then_loads_the_same_weights(tiny_default):
    first = load_or_train(progress=False)
    cached = [f for f in files_in(tiny_default) if f.startswith("cache/")]
    model_file = [f for f in cached if f.endswith(".pt")]
    assert cached == sorted([*model_file, f"cache/{pretrained.WRITTEN}"]), cached  # no .part
    assert len(model_file) == 1
    second = load_or_train(progress=False)
    again = load_or_train(progress=False, retrain=True)
    for other in (second, again):  # loaded from the cache, and trained again: the same
        for (k, v), (k2, v2) in zip(
            first.model.state_dict().items(), other.model.state_dict().items(), strict=True
        ):
            assert k == k2 and torch.equal(v, v2), k
    assert not second.model.training
    assert second.table.symbols == first.table.symbols == TABLE.symbols  # ^$a-z
    assert second.history == first.history
    idx = second.table.encode(second.table.wrap("abhishek"))[None]
    weights = second.model.attention_maps(idx)
    assert [tuple(w.shape) for w in weights] == [(1, 2, 10, 10)] * 2  # ^abhishek$


def test_the_cache_is_loaded_with_weights_only(tiny_default):
    load_or_train(progress=False)
    (path,) = (tiny_default / "cache").glob("*.pt")
    saved = torch.load(path, weights_only=True)
    assert set(saved) >= {"model_config", "train_config", "symbols", "state_dict", "history"}
    assert saved["model_config"]["d_model"] == 16


def test_untrained_model_is_the_starting_point_of_the_default_model(tiny_default, monkeypatch):
    # one step with a vanishing learning rate: the trained weights are the starting weights
    monkeypatch.setattr(
        pretrained, "TRAIN_CONFIG", quick(steps=1, eval_every=1, lr=1e-9, min_lr=0.0, warmup=1)
    )
    trained = load_or_train(progress=False)
    state = torch.random.get_rng_state()
    before = untrained_model(trained.model.config)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's random state is kept
    assert not before.training
    for (k, a), b in zip(
        before.state_dict().items(), trained.model.state_dict().values(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-6), k
    other = untrained_model(trained.model.config, seed=1)
    assert not torch.allclose(other.head.weight, before.head.weight)


def test_training_a_new_default_removes_stale_cached_models(tiny_default, monkeypatch):
    load_or_train(progress=False)
    (old,) = (tiny_default / "cache").glob("*.pt")
    monkeypatch.setattr(pretrained, "TRAIN_CONFIG", quick(steps=4, eval_every=2))
    load_or_train(progress=False)
    (new,) = (tiny_default / "cache").glob("*.pt")
    assert new != old


def test_an_unreadable_cache_is_trained_again(tiny_default):
    first = load_or_train(progress=False)
    (path,) = (tiny_default / "cache").glob("*.pt")
    path.write_bytes(b"not a model")
    with pytest.warns(UserWarning, match="could not be loaded"):
        again = load_or_train(progress=False)
    assert torch.equal(again.model.head.weight, first.model.head.weight)
    assert torch.load(path, weights_only=True)["symbols"] == first.table.symbols


def test_training_removes_only_the_models_it_cached_itself(tiny_default, monkeypatch):
    mine = tiny_default / "cache" / "default-model-my-own.pt"  # a user's file, named alike
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_bytes(b"keep me")
    load_or_train(progress=False)
    (old,) = (p for p in (tiny_default / "cache").glob("*.pt") if p != mine)
    monkeypatch.setattr(pretrained, "TRAIN_CONFIG", quick(steps=4, eval_every=2))
    load_or_train(progress=False)  # another config: the model cached before is stale
    assert not old.exists()
    assert mine.read_bytes() == b"keep me"


def test_the_model_is_float64_built_loaded_and_leaves_the_default_dtype_alone(tiny_default):
    assert torch.get_default_dtype() == torch.float32
    trained = load_or_train(progress=False)  # trained now
    loaded = load_or_train(progress=False)  # from the cache: float64 weights kept as they are
    for model in (trained.model, loaded.model, untrained_model(trained.model.config)):
        assert {p.dtype for p in model.parameters()} == {torch.float64}
    assert torch.equal(trained.model.head.weight, loaded.model.head.weight)
    assert torch.get_default_dtype() == torch.float32  # the caller's default is restored


def test_the_cache_key_names_the_precision(tiny_default, monkeypatch):
    load_or_train(progress=False)
    (before,) = (tiny_default / "cache").glob("*.pt")
    monkeypatch.setattr(pretrained, "EXACT", torch.float32)
    load_or_train(progress=False)
    (after,) = (tiny_default / "cache").glob("*.pt")
    assert after.name != before.name  # a model trained in another precision is another model
