"""Benchmark: every model trained from scratch, cross-validated: held-out NLL and training time.

    python -m attention_utils.bench                      # 5 folds of the standard names
    python -m attention_utils.bench --folds 1            # the single split_names split, quicker
    python -m attention_utils.bench --names my.txt       # any names file, one name a line
    python -m attention_utils.bench --out results.json   # where the per-fold numbers go
    python -m attention_utils.bench --explorer           # the explorer's redraw times instead

The names are dealt into ``--folds`` parts by name (:func:`attention_utils.data.fold_names`,
the same parts for every model); each model is trained on all parts but one and judged on
the one held out, once per part. For each model (bigram and trigram counts, the MLP and the
GRU of :data:`BASELINES`, the transformer of :mod:`attention_utils.pretrained`) it prints the
parameters, the mean held-out NLL over the folds in nats per character (end token counted
once per name) with its standard error, and the mean training seconds per fold on one CPU
thread (for the counts: counting plus choosing the smoothing). The raw per-fold numbers, the
configs and the checksum of the names go into a JSON file (``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from attention_utils import data
from attention_utils.models import (
    GRU,
    MLP,
    CausalTransformer,
    GRUConfig,
    MLPConfig,
    count_parameters,
)
from attention_utils.pretrained import MODEL_CONFIG, TRAIN_CONFIG
from attention_utils.runtime import EXACT, exact, one_thread, set_seed
from attention_utils.train import TrainConfig, evaluate, fit_ngram, train_model
from attention_utils.vocab import START, CharTable

#: The neural baselines: (label, model class, its config, how it is trained).
BASELINES = {
    "MLP": (MLP, MLPConfig(), TrainConfig(device="cpu", lr=3e-3, warmup=20, eval_every=50)),
    "GRU": (
        GRU,
        GRUConfig(dropout=0.2),
        TrainConfig(device="cpu", lr=3e-3, warmup=20, eval_every=50),
    ),
}
#: Where the result goes unless ``--out`` says otherwise (``make bench``: notebooks/bench/).
DEFAULT_OUT = data.DATA_DIR / "bench" / "cross_validated.json"


def names_checksum(names: list[str]) -> str:
    """SHA-256 of the cleaned names, one a line: which names a result was measured on."""
    return data.sha256_of("\n".join(names).encode())


def configs() -> dict[str, dict]:
    """The configs of every trained model, as plain dicts (recorded with each result)."""
    out = {"transformer": {"model": asdict(MODEL_CONFIG), "train": asdict(TRAIN_CONFIG)}}
    for label, (_, model_config, train_config) in BASELINES.items():
        out[label] = {"model": asdict(model_config), "train": asdict(train_config)}
    return out


def _neural(label, names, table, train_config: TrainConfig):
    """A fresh model of ``label`` sized for ``names`` and ``table``, seeded by the config, in
    float64 (:data:`attention_utils.runtime.EXACT`: the same result on every CPU)."""
    set_seed(train_config.seed)
    with exact():
        if label == "transformer":
            longest = max(len(name) for name in names) + 1
            size = max(MODEL_CONFIG.block_size, longest)
            config = replace(MODEL_CONFIG, vocab_size=len(table), block_size=size)
            return CausalTransformer(config)
        cls, model_config, _ = BASELINES[label]
        model_config = replace(model_config, vocab_size=len(table))
        return cls(model_config, start_id=table.stoi[START]) if cls is MLP else cls(model_config)


#: Every model of the benchmark, in the order of its table.
MODELS = ("bigram counts", "trigram counts", "MLP", "GRU", "transformer")


def run(
    names: list[str], folds: int = 5, steps: int | None = None, progress=False, models=MODELS
) -> dict:
    """Train every model (or those of ``models``) on each fold of ``names``; the result as a
    JSON-ready dict.

    ``result["rows"]``: one dict per model with ``model``, ``parameters`` and the per-fold
    lists ``nll``, ``seconds`` and (neural models) ``best_step``. ``steps`` overrides the
    training steps of every neural model (a quick run); ``folds=1`` is the single split.
    """
    splits = [data.split_names(names)] if folds == 1 else data.fold_names(names, folds)
    table = CharTable.from_names(names)
    trained = [("transformer", TRAIN_CONFIG)] + [(k, v[2]) for k, v in BASELINES.items()]
    if steps is not None:
        trained = [
            (k, replace(c, steps=steps, eval_every=min(c.eval_every, steps))) for k, c in trained
        ]
    order = [label for label in MODELS if label in models]
    trained = [(label, c) for label, c in trained if label in order]
    rows = {label: {"model": label, "nll": [], "seconds": [], "best_step": []} for label in order}
    for train, val in splits:
        with one_thread():
            for n, label in ((2, "bigram counts"), (3, "trigram counts")):
                if label not in order:
                    continue
                start = time.perf_counter()
                model = fit_ngram(n, train, val, table)
                rows[label]["seconds"].append(time.perf_counter() - start)
                rows[label]["nll"].append(evaluate(model, val, table))
                rows[label]["parameters"] = count_parameters(model)
        for label, train_config in trained:
            model = _neural(label, names, table, train_config)
            start = time.perf_counter()
            history = train_model(model, train, val, table, train_config, progress=progress)
            rows[label]["seconds"].append(time.perf_counter() - start)
            rows[label]["nll"].append(evaluate(model, val, table))
            rows[label]["best_step"].append(history.best_step)
            rows[label]["parameters"] = count_parameters(model)
    return {
        "command": "make bench"
        if steps is None
        else f"python -m attention_utils.bench --steps {steps}",
        "folds": folds,
        "names": len(names),
        "names_sha256": names_checksum(names),
        "configs": configs(),
        "steps_override": steps,
        "rows": [rows[label] for label in order],
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "threads": 1,
        "dtype": str(EXACT),
    }


def summary(row: dict) -> tuple[float, float | None, float]:
    """``(mean NLL, its standard error or None for one fold, mean training seconds)``."""
    nll = row["nll"]
    se = statistics.stdev(nll) / len(nll) ** 0.5 if len(nll) > 1 else None
    return statistics.mean(nll), se, statistics.mean(row["seconds"])


def format_table(result: dict) -> str:
    """The result's rows as a fixed-width table: parameters, mean NLL ± s.e., seconds per fold."""
    width = max(len(r["model"]) for r in result["rows"])
    head = f"{'model':<{width}}  {'parameters':>10}  {'val NLL':>8}  {'± s.e.':>6}  {'train s / fold':>14}"
    lines = [head, "-" * len(head)]
    for row in result["rows"]:
        mean, se, seconds = summary(row)
        se_text = "–" if se is None else f"{se:.3f}"
        lines.append(
            f"{row['model']:<{width}}  {row['parameters']:>10,}  {mean:>8.3f}  {se_text:>6}  "
            f"{seconds:>14.2f}"
        )
    return "\n".join(lines)


def versus(result: dict, model: str, other: str) -> str:
    """``model`` minus ``other`` in mean NLL, with the standard error of the difference
    paired fold by fold (both were judged on the same held-out names of each fold)."""
    rows = {row["model"]: row["nll"] for row in result["rows"]}
    diffs = [a - b for a, b in zip(rows[model], rows[other], strict=True)]
    text = f"{model} - {other}: {statistics.mean(diffs):+.3f} nats per character"
    if len(diffs) > 1:
        se = statistics.stdev(diffs) / len(diffs) ** 0.5
        wins = sum(d < 0 for d in diffs)
        text += f" ± {se:.3f} (paired over the folds; lower in {wins} of {len(diffs)} folds)"
    return text


def stale(result: dict, names: list[str]) -> list[str]:
    """What differs between a saved ``result`` and the current configs and ``names`` (empty:
    the result is what ``make bench`` would measure now, up to the timing)."""
    reasons = []
    if result.get("names_sha256") != names_checksum(names):
        reasons.append("it was measured on other names")
    for label, now in configs().items():
        if result.get("configs", {}).get(label) != now:
            reasons.append(f"the {label} configs have changed since")
    if result.get("dtype") != str(EXACT):
        reasons.append(f"it was trained in {result.get('dtype', 'float32')}, not {EXACT}")
    if result.get("steps_override") is not None:
        reasons.append(f"it is a quick run of {result['steps_override']} steps")
    return reasons


def load_result(path: Path | str) -> dict:
    """A result file written by :func:`main` (``--out``)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def explorer_redraws(repeats: int = 3) -> list[float]:
    """Milliseconds of each redraw of notebook 09's explorer as a reader drives it.

    The trained model's explorer (the figures of the names typed prepared first, as notebook
    09's kernel does while the reader reads) gets, ``repeats`` times over: a name typed letter
    by letter, then every head, every layer, both models and both mask settings: each change
    is one redraw.
    """
    from attention_utils.explorer import Explorer  # ipywidgets: only for this benchmark

    typed_names = ["a", "ar", "arj", "arju", "arjun", "priya", "abhishek"]
    explorer = Explorer(warm_up=False)
    explorer.warm_up(lengths={len(typed) for typed in typed_names})
    explorer.redraw_ms.clear()
    config = explorer.models["trained"].config
    for _ in range(repeats):
        for typed in typed_names:
            explorer.name.value = typed
        for head in [*range(config.n_heads), "all"]:
            explorer.head.value = head
        for layer in [*range(config.n_layers), config.n_layers - 1]:
            explorer.layer.value = layer
        for kind in ["untrained", "trained"]:
            explorer.model.value = kind
        for mask in [False, True]:
            explorer.mask.value = mask
    return list(explorer.redraw_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Train every model from scratch on each fold; print held-out NLL and time."
    )
    parser.add_argument("--names", help="a names file, one name a line (default: the list)")
    parser.add_argument("--folds", type=int, default=5, help="folds (1: the single split)")
    parser.add_argument("--out", help=f"the JSON file of per-fold numbers ({DEFAULT_OUT})")
    parser.add_argument("--steps", type=int, help="training steps of every neural model")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    parser.add_argument(
        "--explorer", action="store_true", help="time the explorer's redraws instead"
    )
    parser.add_argument("--repeats", type=int, default=3, help="with --explorer: rounds of redraws")
    args = parser.parse_args(argv)
    if args.explorer:
        times = sorted(explorer_redraws(args.repeats))
        print(
            f"explorer of notebook 09, {len(times)} redraws: median {statistics.median(times):.1f}"
            f" ms, 90th percentile {times[int(0.9 * len(times))]:.1f} ms, slowest {times[-1]:.1f}"
            f" ms (torch {torch.__version__}, {platform.machine()})"
        )
        return 0
    try:
        names = data.load_names(args.names)
        if args.folds < 1 or (args.steps is not None and args.steps < 1):
            raise ValueError(
                f"--folds and --steps must be at least 1, got {args.folds}, {args.steps}"
            )
        if args.folds == 1:
            train, val = data.split_names(names)
            print(f"{len(names):,} names: {len(train):,} to train, {len(val):,} held out (by name)")
        else:
            sizes = sorted({len(val) for _, val in data.fold_names(names, args.folds)})
            held = "-".join(str(s) for s in sorted({sizes[0], sizes[-1]}))
            print(f"{len(names):,} names in {args.folds} folds by name: {held} held out per fold")
    except (OSError, ValueError) as e:
        parser.exit(1, f"error: {e}\n")
    print(f"names: {args.names or data.DATA_DIR / data.DEFAULT_FILE}")
    result = run(names, args.folds, args.steps, progress=args.progress)
    out = Path(args.out) if args.out else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    data.write_atomically((json.dumps(result, indent=1) + "\n").encode(), out)
    print()
    print(format_table(result))
    print()
    print("val NLL: mean over the folds of the held-out names' NLL, nats per character (end")
    print("token counted once per name), ± its standard error; train s: per fold, one thread")
    print(versus(result, "transformer", "GRU"))
    print(f"per-fold numbers: {out}")
    print(f"torch {torch.__version__}, {result['machine']}, 1 thread for training")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
