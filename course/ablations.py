"""The transformer's recipe against its variants, on the benchmark's folds: what each choice is worth.

    python -m course.ablations                  # every variant, 5 folds (minutes)
    python -m course.ablations --only 0 2       # some of them (numbers as listed)
    python -m course.ablations --steps 3 --folds 2 --names tiny.txt   # a smoke run
    python -m course.ablations --out attention_utils/measured/ablations.json   # notebook 11

Each variant is the series' transformer (:func:`attention_utils.pretrained.recipe`) with some
fields replaced, trained from scratch on every fold by the benchmark's own loop
(:func:`course.bench.cross_validate`: the same folds, seeds, precision and thread). Printed per
variant: mean held-out NLL ± standard error, the difference to the GRU paired fold by fold
(:func:`attention_utils.results.paired`), and the mean training seconds per fold. With
``--out``, the per-fold numbers go into a JSON file shaped like the benchmark's (one row per
variant, then the GRU's), which :mod:`attention_utils.results` reads.
"""

from __future__ import annotations

import json
import platform
import statistics
from dataclasses import replace
from functools import partial
from pathlib import Path

import torch

from attention_utils import data, results
from attention_utils.models import CausalTransformer
from attention_utils.pretrained import recipe
from attention_utils.runtime import EXACT
from attention_utils.vocab import CharTable
from course import bench
from course.notebooks import command_line

#: name -> (fields of ModelConfig, fields of TrainConfig) replaced in the series' recipe.
VARIANTS = {
    "the series' recipe": ({}, {}),
    "dropout 0.2 instead of weight decay 0.3": ({"dropout": 0.2}, {"weight_decay": 0.1}),
    "no weight averaging": ({}, {"ema": 0.0}),
    "learned positions, not relative": ({"positions": "learned"}, {}),
    "head not tied to the embedding": ({"tie_weights": False}, {}),
    "before: dropout 0.2, lr 6e-3 to 6e-4, wd 0.1, no averaging, 700 steps": (
        {"dropout": 0.2},
        {"lr": 6e-3, "min_lr": 6e-4, "weight_decay": 0.1, "ema": 0.0, "steps": 700},
    ),
    "lowest NLL found: dropout 0.2, wd 0.1, averaging 0.993, 700 steps": (
        {"dropout": 0.2},
        {"weight_decay": 0.1, "ema": 0.993, "steps": 700},
    ),
    "the same, 1000 steps": (
        {"dropout": 0.2},
        {"weight_decay": 0.1, "ema": 0.993, "steps": 1000},
    ),
}


def run_variant(names, splits, table, model_fields: dict, train_fields: dict, steps=None):
    """The benchmark's row (per-fold ``nll``, ``seconds``, ...) of one variant."""
    model_config, train_config = recipe(names, table)
    model_config = replace(model_config, **model_fields)
    train_config = bench.quick(replace(train_config, **train_fields), steps)
    return bench.cross_validate(
        partial(CausalTransformer, model_config), train_config, splits, table
    )


def main(argv: list[str] | None = None) -> int:
    parser = command_line("ablations", __doc__)
    bench.run_arguments(parser)
    parser.add_argument("--only", type=int, nargs="+", help="the variants to run, by number")
    parser.add_argument("--out", help="a JSON file for the per-fold numbers (default: none)")
    args = parser.parse_args(argv)
    try:
        names = bench.names_of(args, least_folds=2)
        chosen = list(VARIANTS.items())
        if args.only:
            wrong = [i for i in args.only if not 0 <= i < len(chosen)]
            if wrong:
                raise ValueError(f"--only: the variants are numbered 0 to {len(chosen) - 1}")
            chosen = [chosen[i] for i in args.only]
    except (OSError, ValueError) as e:
        parser.exit(1, f"error: {e}\n")
    splits = data.fold_names(names, args.folds)
    table = CharTable.from_names(names)
    gru = bench.run(names, args.folds, args.steps, models=("GRU",))["rows"][0]
    base = gru["nll"]
    print(
        f"{len(names):,} names, {args.folds} folds by name; GRU as make bench trains it: "
        f"{statistics.mean(base):.3f}"
    )
    print(f"{'variant':<78} {'val NLL ± s.e.':>15} {'- GRU, paired':>22} {'s / fold':>8}")
    rows = []
    for name, (model_fields, train_fields) in chosen:
        row = run_variant(names, splits, table, model_fields, train_fields, args.steps)
        rows.append(
            {"model": name, "model_fields": model_fields, "train_fields": train_fields, **row}
        )
        mean, se, seconds = results.summary(row)
        diff, d_se, wins = results.paired(row["nll"], base)
        print(
            f"{name:<78} {mean:>7.3f} ± {se:.3f} {diff:>+7.3f} ± {d_se:.3f}"
            f" ({wins}/{len(base)}) {seconds:>8.1f}",
            flush=True,
        )
    print(f"torch {torch.__version__}, 1 thread; (k/n): folds where the variant beat the GRU")
    if args.out:
        result = {
            "command": "python -m course.ablations"
            + (f" --steps {args.steps}" if args.steps else ""),
            "folds": args.folds,
            "names": len(names),
            "names_sha256": results.names_checksum(names),
            "configs": {"transformer": results.recipe_configs(names)},
            "steps_override": args.steps,
            "rows": [*rows, gru],
            "torch": torch.__version__,
            "machine": f"{platform.machine()}, python {platform.python_version()}",
            "threads": 1,
            "dtype": str(EXACT),
        }
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        data.write_atomically((json.dumps(result, indent=1) + "\n").encode(), out)
        print(f"per-fold numbers: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
