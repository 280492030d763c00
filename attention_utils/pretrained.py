"""The trained model of notebooks 08, 09 and 12: its configs, trained once deterministically, cached.

    >>> trained = load_or_train()              # the model of notebooks 08, 09 and 12
    >>> model, table = trained.model, trained.table

- :data:`MODEL_CONFIG` and :data:`TRAIN_CONFIG`: its sizes and how it is trained (fixed
  seed, CPU, one thread, float64, so every run on every CPU gives the same weights, see
  :data:`attention_utils.runtime.EXACT`); :func:`recipe`: both, sized for a list of names
  (the one way to get them: the notebooks, this module and the benchmark all call it);
- :func:`untrained_model`: the same transformer before training, its random initial weights;
- :func:`load_or_train`: the trained model, loaded from the cache in
  ``DATA_DIR / "cache"`` (written atomically, read with ``weights_only=True``) or trained
  now with :func:`attention_utils.train.train_model` and cached.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import NamedTuple

import torch

from attention_utils import data
from attention_utils.download import write_atomically
from attention_utils.models import CausalTransformer, ModelConfig
from attention_utils.runtime import EXACT, exact
from attention_utils.train import History, TrainConfig, train_model
from attention_utils.vocab import CharTable

#: The sizes of the model of notebooks 08, 09 and 12 (and of the benchmark): relative positions
#: (a score per head and distance back), the head tied to the embedding, and no dropout
#: (weight decay and weight averaging regularise it; ``python -m course.ablations`` in a checkout).
MODEL_CONFIG = ModelConfig(positions="relative", tie_weights=True, dropout=0.0)
#: How it is trained: 400 steps of 64 random names, the learning rate from 1e-2 down to 3e-3,
#: the weights averaged as it goes (ema), the best average by validation kept. The same weights
#: on every run and every CPU: CPU, one thread, float64 (the model is built in it).
TRAIN_CONFIG = TrainConfig(
    device="cpu",
    steps=400,
    batch_size=64,
    lr=1e-2,
    min_lr=3e-3,
    weight_decay=0.3,
    eval_every=100,
    ema=0.99,
)


def recipe(names: Sequence[str], table: CharTable | None = None) -> tuple[ModelConfig, TrainConfig]:
    """The series' ``(model_config, train_config)`` for ``names``: :data:`MODEL_CONFIG` with
    the symbols of ``table`` (default: the table of ``names``) and room for the longest name
    (``block_size`` at least its letters + 1, for ``^``), and :data:`TRAIN_CONFIG`."""
    if not names:
        raise ValueError("recipe needs at least one name, got none")
    table = table if table is not None else CharTable.from_names(names)
    block_size = max(MODEL_CONFIG.block_size, max(len(n) for n in names) + 1)
    return replace(MODEL_CONFIG, vocab_size=len(table), block_size=block_size), TRAIN_CONFIG


class TrainedModel(NamedTuple):
    """What :func:`load_or_train` returns."""

    model: CausalTransformer  # in eval mode
    table: CharTable  # the character table it reads and writes
    history: History  # its loss curves (from the cache when it was loaded)


def untrained_model(
    config: ModelConfig | None = None, seed: int | None = None
) -> CausalTransformer:
    """The transformer as training starts it: random weights from ``seed``, in float64 (see
    :data:`attention_utils.runtime.EXACT`), in eval mode.

    With the defaults (``config`` = the :func:`recipe` for the names, ``seed`` =
    ``TRAIN_CONFIG.seed``) this is exactly the untrained state of the model that
    :func:`load_or_train` returns: the picture to compare the learned one with. Pass the
    trained model's ``config`` for the same sizes. The global random state is left as it was.
    """
    if config is None:
        config, _ = recipe(data.load_names())
    with torch.random.fork_rng(devices=[]), exact():  # the caller's random state is kept
        torch.manual_seed(TRAIN_CONFIG.seed if seed is None else seed)
        model = CausalTransformer(config)
    return model.eval()


def _cache_key(names: Sequence[str], model_config: ModelConfig, train_config: TrainConfig) -> str:
    blob = json.dumps(
        {
            "names": list(names),
            "model": asdict(model_config),
            "train": asdict(train_config),
            "dtype": str(EXACT),
            "v": 4,  # 4: the history keeps every batch's loss
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_or_train(
    cache_dir: Path | str | None = None,
    *,
    names: Sequence[str] | Path | str | None = None,
    retrain: bool = False,
    progress: bool = True,
) -> TrainedModel:
    """The standard trained model of the series, from the cache or trained now.

    ``names``: the names to train on, as a list or as a file path or address for
    :func:`~attention_utils.data.load_names` (default: the series' list). The model of a
    teacher's own list has the same recipe (:func:`recipe`), its own character table, and
    a cache file of its own, beside the series' model.

    Returns a :class:`TrainedModel` ``(model, table, history)``:

    - ``model``: a :class:`~attention_utils.models.CausalTransformer` with the sizes of
      :data:`MODEL_CONFIG`, in eval mode, on the CPU. ``model(idx)`` gives
      ``(logits (B, T, V), None)``; ``model.attention_maps(idx)`` gives a list (one per
      layer) of ``(B, n_heads, T, T)`` weights, queries on rows, keys on columns.
    - ``table``: the :class:`~attention_utils.vocab.CharTable` of the names
      (``table.batch("abhishek")`` is the ``idx`` of ``^abhishek``, shape ``(1, T)``).
    - ``history``: the train/validation loss curves (:class:`History`).

    The same model before training (its random initial weights) is
    ``untrained_model(model.config)``.

    The model is trained on the training names of ``split_names(load_names())`` with
    :data:`TRAIN_CONFIG` (fixed seed, CPU, one thread, float64, so each run gives the same
    weights on any CPU; ``history.seconds`` says how long it took, on this machine). It is cached in ``cache_dir``
    (default ``attention_utils.data.DATA_DIR / "cache"``) under a file name that depends on
    the names and both configs, written atomically, and loaded with
    ``torch.load(..., weights_only=True)`` (configs are stored as plain types). Where the
    cache lacks it, the same file in ``data.PRELOADED / "cache"`` (installed with the
    software, read only) is loaded instead.
    ``retrain=True`` ignores the cache; a cache file that cannot be loaded is trained again
    (with a warning). Training removes the models it cached before for other configs or
    names, and no other file.

    The model is so small that one CPU thread runs it fastest: on a busy two-core machine,
    ``torch.set_num_threads(1)`` makes a forward pass many times faster than two threads
    (training sets it by itself, see ``TrainConfig.threads``).

        >>> model, table, history = load_or_train()
        >>> idx = table.batch("abhishek")            # ^abhishek: (1, T)
        >>> weights = model.attention_maps(idx)      # [layer] -> (1, H, T, T)
    """
    own = names is not None
    if names is None or isinstance(names, (str, Path)):
        names = data.load_names(names)
    names = list(names)
    train, val = data.split_names(names)
    table = CharTable.from_names(names)
    model_config, train_config = recipe(names, table)
    cache_dir = Path(cache_dir) if cache_dir is not None else data.DATA_DIR / "cache"
    kind = "own" if own else "default"
    path = cache_dir / f"{kind}-model-{_cache_key(names, model_config, train_config)}.pt"
    # the cache's copy, else the one installed with the software (read only)
    found = next((p for p in (path, data.PRELOADED / "cache" / path.name) if p.is_file()), None)
    if found is not None and not retrain:
        try:
            saved = torch.load(found, map_location="cpu", weights_only=True)
            with exact():
                model = CausalTransformer(ModelConfig(**saved["model_config"]))
            model.load_state_dict(saved["state_dict"])
            history = History(**saved["history"])
            return TrainedModel(model.eval(), CharTable(saved["symbols"]), history)
        except Exception as e:  # unreadable or from other code: train again, say why
            warnings.warn(
                f"cached model {found} could not be loaded ({e}); training it again", stacklevel=2
            )
    model = untrained_model(model_config, train_config.seed)
    history = train_model(model, train, val, table, train_config, progress=progress)
    model.cpu().eval()
    buffer = io.BytesIO()
    torch.save(
        {
            "model_config": asdict(model_config),
            "train_config": asdict(train_config),
            "symbols": list(table.symbols),
            "state_dict": model.state_dict(),
            "history": history.as_dict(),
        },
        buffer,
    )
    write_atomically(buffer.getvalue(), path)
    _forget_older_models(cache_dir, keep=path, listed=f"{kind}-{WRITTEN}" if own else WRITTEN)
    return TrainedModel(model, table, history)


#: The list of the model files this module wrote into a cache folder, one name a line.
WRITTEN = "models-written.txt"


def _forget_older_models(cache_dir: Path, keep: Path, listed: str = WRITTEN) -> None:
    """Delete the models this module cached before (other configs or names), never another
    file: only those listed in ``listed`` (:data:`WRITTEN` for the series' model, its own list
    for a teacher's), which then lists ``keep`` alone."""
    listed = cache_dir / listed
    before = listed.read_text(encoding="utf-8").split() if listed.is_file() else []
    for name in before:
        if name != keep.name and "/" not in name and "\\" not in name:
            (cache_dir / name).unlink(missing_ok=True)
    write_atomically(f"{keep.name}\n".encode(), listed)
