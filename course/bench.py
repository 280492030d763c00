"""The benchmark: every model trained from scratch on each fold, held-out NLL and training time.

    make bench                                   # 5 folds of the standard names
    python -m course.bench --folds 1             # the single split_names split, quicker
    python -m course.bench --names my.txt        # any names file, one name a line
    python -m course.bench --out results.json    # where the per-fold numbers go
    python -m course.bench --explorer            # the explorer's kernel times instead

The names are dealt into ``--folds`` parts by name (:func:`attention_utils.data.fold_names`,
the same parts for every model); each model is trained on all parts but one and judged on
the one held out, once per part. For each model (bigram and trigram counts, the MLP and the
GRU of :data:`BASELINES`, the series' transformer of :func:`attention_utils.pretrained.recipe`)
it prints the parameters, the mean held-out NLL over the folds in nats per character (end token
counted once per name) with its standard error, and the mean training seconds per fold on one
CPU thread (for the counts: counting plus choosing the smoothing). The raw per-fold numbers,
the configs and the checksum of the names go into a JSON file (``--out``), which notebook 11
reads with :mod:`attention_utils.results`. Only maintainers run this: it is not in the wheel.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import torch

from attention_utils import data, results
from attention_utils.models import (
    GRU,
    MLP,
    CausalTransformer,
    GRUConfig,
    MLPConfig,
    count_parameters,
)
from attention_utils.pretrained import recipe
from attention_utils.runtime import EXACT, exact, one_thread, set_seed
from attention_utils.train import TrainConfig, evaluate, fit_ngram, train_model
from attention_utils.vocab import START, CharTable
from course.notebooks import command_line

#: The neural baselines: (label, model class, its config, how it is trained).
BASELINES = {
    "MLP": (MLP, MLPConfig(), TrainConfig(device="cpu", lr=3e-3, warmup=20, eval_every=50)),
    "GRU": (
        GRU,
        GRUConfig(dropout=0.2),
        TrainConfig(device="cpu", lr=3e-3, warmup=20, eval_every=50),
    ),
}
#: Where the result goes unless ``--out`` says otherwise (``make bench``: attention_utils/measured/).
DEFAULT_OUT = data.DATA_DIR / "bench" / "cross_validated.json"
#: The count baselines and the order of their n-grams.
COUNTS = {"bigram counts": 2, "trigram counts": 3}
#: Every model of the benchmark, in the order of its table.
MODELS = ("bigram counts", "trigram counts", "MLP", "GRU", "transformer")


def configs(names: list[str]) -> dict[str, dict]:
    """The configs of every trained model on ``names``, as plain dicts (recorded with each
    result; the transformer's sized for the names, as :func:`run` trains it)."""
    out = {"transformer": results.recipe_configs(names)}
    for label, (_, model_config, train_config) in BASELINES.items():
        out[label] = {"model": asdict(model_config), "train": asdict(train_config)}
    return out


def cross_validate(build: Callable[[], torch.nn.Module], train_config: TrainConfig, splits, table):
    """``build()`` a fresh model for each fold (seeded by the config, in float64: the same
    result on every CPU), train it on the fold's training names and judge it on the rest.
    Returns ``{"nll": [...], "seconds": [...], "best_step": [...], "parameters": n}``."""
    row = {"nll": [], "seconds": [], "best_step": []}
    for train, val in splits:
        set_seed(train_config.seed)
        with exact():
            model = build()
        start = time.perf_counter()
        history = train_model(model, train, val, table, train_config, progress=False)
        row["seconds"].append(time.perf_counter() - start)
        row["nll"].append(evaluate(model, val, table))
        row["best_step"].append(history.best_step)
        row["parameters"] = count_parameters(model)
    return row


def builders(names: list[str], table: CharTable) -> dict[str, tuple[Callable, TrainConfig]]:
    """``{label: (build, train_config)}`` of every neural model, sized for ``names``."""
    model_config, train_config = recipe(names, table)
    out = {"transformer": (partial(CausalTransformer, model_config), train_config)}
    for label, (cls, config, trained) in BASELINES.items():
        config = replace(config, vocab_size=len(table))
        kwargs = {"start_id": table.stoi[START]} if cls is MLP else {}
        out[label] = (partial(cls, config, **kwargs), trained)
    return out


def quick(train_config: TrainConfig, steps: int | None) -> TrainConfig:
    """``train_config`` cut to ``steps`` steps (None: as it is)."""
    if steps is None:
        return train_config
    return replace(train_config, steps=steps, eval_every=min(train_config.eval_every, steps))


def run(names: list[str], folds: int = 5, steps: int | None = None, models=MODELS) -> dict:
    """Train every model (or those of ``models``) on each fold of ``names``; the result as a
    JSON-ready dict (``result["rows"]``: one dict per model with ``model``, ``parameters``
    and the per-fold lists ``nll``, ``seconds`` and, for neural models, ``best_step``).
    ``steps`` overrides the training steps of every neural model; ``folds=1``: one split."""
    splits = [data.split_names(names)] if folds == 1 else data.fold_names(names, folds)
    table = CharTable.from_names(names)
    neural = builders(names, table)
    rows = {}
    for label in (m for m in MODELS if m in models):
        if label in neural:
            build, train_config = neural[label]
            rows[label] = cross_validate(build, quick(train_config, steps), splits, table)
        else:
            rows[label] = {"nll": [], "seconds": []}
            with one_thread():
                for train, val in splits:
                    start = time.perf_counter()
                    model = fit_ngram(COUNTS[label], train, val, table)
                    rows[label]["seconds"].append(time.perf_counter() - start)
                    rows[label]["nll"].append(evaluate(model, val, table))
                    rows[label]["parameters"] = count_parameters(model)
        rows[label] = {"model": label, **rows[label]}
    return {
        "command": "make bench" if steps is None else f"python -m course.bench --steps {steps}",
        "folds": folds,
        "names": len(names),
        "names_sha256": results.names_checksum(names),
        "configs": configs(names),
        "steps_override": steps,
        "rows": list(rows.values()),
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "threads": 1,
        "dtype": str(EXACT),
    }


def explorer_redraws(repeats: int = 3) -> list[float]:
    """Milliseconds the kernel takes for each change of notebook 12's explorer as a reader
    drives it: ``repeats`` times over, a name typed letter by letter, both models and both
    mask settings (each computes the weights and probabilities the browser draws; a layer or a
    head is chosen in the browser alone, and the browser tests time the drawing).
    """
    from attention_utils.explorer import Explorer  # anywidget: only for this benchmark

    typed_names = ["a", "ar", "arj", "arju", "arjun", "priya", "abhishek"]
    explorer = Explorer()
    explorer.compute_ms.clear()
    for _ in range(repeats):
        for typed in typed_names:
            explorer.name = typed
        for kind in ["untrained", "trained"]:
            explorer.kind = kind
        for mask in [False, True]:
            explorer.causal = mask
    return list(explorer.compute_ms)


def run_arguments(parser) -> None:
    """The options of a cross-validated run (this benchmark's and the ablations'):
    ``--names``, ``--folds``, ``--steps``; :func:`names_of` reads them."""
    parser.add_argument("--names", help="a names file, one name a line (default: the list)")
    parser.add_argument("--folds", type=int, default=5, help="folds (1: the single split)")
    parser.add_argument("--steps", type=int, help="training steps of every neural model")


def names_of(args, least_folds: int = 1) -> list[str]:
    """The names of ``--names``, with ``--folds`` and ``--steps`` checked: OSError or
    ValueError saying what is wrong."""
    names = data.load_names(args.names)
    if args.folds < least_folds:
        raise ValueError(f"--folds must be at least {least_folds}, got {args.folds}")
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be at least 1, got {args.steps}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = command_line("bench", __doc__)
    run_arguments(parser)
    parser.add_argument("--out", help=f"the JSON file of per-fold numbers ({DEFAULT_OUT})")
    parser.add_argument(
        "--explorer", action="store_true", help="time the explorer's kernel side instead"
    )
    parser.add_argument("--repeats", type=int, default=3, help="with --explorer: rounds of changes")
    args = parser.parse_args(argv)
    if args.explorer:
        times = sorted(explorer_redraws(args.repeats))
        print(
            f"explorer of notebook 12, the kernel's part of {len(times)} changes: median {statistics.median(times):.1f}"
            f" ms, 90th percentile {times[int(0.9 * len(times))]:.1f} ms, slowest {times[-1]:.1f}"
            f" ms (torch {torch.__version__}, {platform.machine()})"
        )
        return 0
    try:
        names = names_of(args)
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
    result = run(names, args.folds, args.steps)
    out = Path(args.out) if args.out else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    data.write_atomically((json.dumps(result, indent=1) + "\n").encode(), out)
    print()
    print(results.format_table(result))
    print()
    print("val NLL: mean over the folds of the held-out names' NLL, nats per character (end")
    print("token counted once per name), ± its standard error; train s: per fold, one thread")
    print(results.versus(result, "transformer", "GRU"))
    print(f"per-fold numbers: {out}")
    print(f"torch {torch.__version__}, {result['machine']}, 1 thread for training")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
