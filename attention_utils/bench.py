"""Benchmark: train every model from scratch and compare held-out NLL and training time.

    python -m attention_utils.bench                    # the standard names and split
    python -m attention_utils.bench --names my.txt     # any names file, one name a line
    python -m attention_utils.bench --explorer         # the explorer's redraw times instead

For each model (bigram and trigram counts, the causal transformer of
:data:`attention_utils.pretrained.MODEL_CONFIG` trained with
:data:`attention_utils.pretrained.TRAIN_CONFIG`) it prints the number of parameters, the
negative log-likelihood of the validation names in nats per character (end token counted
once per name), the training seconds (for the counts: counting plus choosing the
smoothing on the validation names) and the seconds per 1,000 training names *seen* (for
the counts each training name is seen once; for the transformer ``steps x batch_size``
names), then the thread count and torch version.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import asdict, dataclass, replace

import torch

from attention_utils import data
from attention_utils.models import CausalTransformer, ModelConfig, count_parameters
from attention_utils.pretrained import MODEL_CONFIG, TRAIN_CONFIG
from attention_utils.runtime import resolve_device, set_seed
from attention_utils.train import TrainConfig, evaluate, fit_ngram, train_model
from attention_utils.vocab import CharTable


@dataclass
class Row:
    """One line of the benchmark table."""

    model: str
    parameters: int
    val_nll: float
    train_seconds: float
    names_seen: int

    @property
    def seconds_per_1000(self) -> float:
        return self.train_seconds / self.names_seen * 1000


def run(
    names: list[str],
    train_config: TrainConfig = TRAIN_CONFIG,
    model_config: ModelConfig = MODEL_CONFIG,
    progress: bool = False,
) -> list[Row]:
    """Train the bigram, trigram and transformer models on the standard split of ``names``."""
    train, val = data.split_names(names)
    table = CharTable.from_names(names)
    rows = []
    for n, label in ((2, "bigram counts"), (3, "trigram counts")):
        start = time.perf_counter()
        model = fit_ngram(n, train, val, table)
        seconds = time.perf_counter() - start
        rows.append(
            Row(
                f"{label} (alpha={model.alpha:g})",
                count_parameters(model),
                evaluate(model, val, table),
                seconds,
                len(train),
            )
        )
    longest = max(len(name) for name in names) + 1
    sized = replace(
        model_config,
        vocab_size=len(table),
        block_size=max(model_config.block_size, longest),
    )
    set_seed(train_config.seed)
    model = CausalTransformer(sized)
    start = time.perf_counter()
    history = train_model(model, train, val, table, train_config, progress=progress)
    seconds = time.perf_counter() - start
    label = f"transformer ({sized.n_layers} layers, {sized.n_heads} heads, d_model={sized.d_model})"
    rows.append(
        Row(
            label,
            count_parameters(model),
            evaluate(model, val, table),
            seconds,
            train_config.steps * train_config.batch_size,
        )
    )
    assert abs(rows[-1].val_nll - history.best_val) < 1e-6
    return rows


def explorer_redraws(repeats: int = 3) -> list[float]:
    """Milliseconds of each redraw of notebook 09's explorer as a reader drives it.

    The trained model's explorer (figures prepared first, as notebook 09 does) gets, ``repeats``
    times over: a name typed letter by letter, then every head, every layer, both models and
    both mask settings: each change is one redraw.
    """
    from attention_utils.explorer import Explorer  # ipywidgets: only for this benchmark

    explorer = Explorer()
    explorer.redraw_ms.clear()
    config = explorer.models["trained"].config
    for _ in range(repeats):
        for typed in ["a", "ar", "arj", "arju", "arjun", "priya", "abhishek"]:
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


def format_table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table."""
    width = max(len(r.model) for r in rows)
    head = (
        f"{'model':<{width}}  {'parameters':>10}  {'val NLL':>8}  {'train s':>8}  "
        f"{'s / 1k names seen':>17}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.model:<{width}}  {r.parameters:>10,}  {r.val_nll:>8.3f}  "
            f"{r.train_seconds:>8.2f}  {r.seconds_per_1000:>17.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Train every model from scratch and print held-out NLL and timings."
    )
    parser.add_argument("--names", help="a names file, one name a line (default: the list)")
    parser.add_argument("--steps", type=int, help="training steps of the transformer")
    parser.add_argument("--eval-every", type=int, help="steps between validation checks")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
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
        overrides = {}
        if args.steps is not None:
            overrides["steps"] = args.steps
        if args.eval_every is not None:
            overrides["eval_every"] = args.eval_every
        elif args.steps is not None:
            overrides["eval_every"] = min(TRAIN_CONFIG.eval_every, args.steps)
        train_config = TrainConfig(**{**asdict(TRAIN_CONFIG), **overrides})
        train, val = data.split_names(names)
    except (OSError, ValueError) as e:
        parser.exit(1, f"error: {e}\n")
    print(f"names: {args.names or data.DATA_DIR / data.DEFAULT_FILE}")
    print(f"{len(names):,} names: {len(train):,} to train, {len(val):,} held out (split by name)")
    print(f"transformer training: {train_config}")
    rows = run(names, train_config, progress=args.progress)
    print()
    print(format_table(rows))
    print()
    print("val NLL: nats per character of the held-out names, end token counted once per name")
    print(
        "s / 1k names seen: training seconds per 1,000 training names processed "
        "(counts: one pass; transformer: steps x batch size)"
    )
    print(f"transformer vs trigram: {rows[2].val_nll - rows[1].val_nll:+.3f} nats per character")
    device = resolve_device(train_config.device)
    threads = train_config.threads if device.type == "cpu" and train_config.threads else None
    threads = threads or torch.get_num_threads()
    print(
        f"device {device.type}, {threads} thread(s) for training "
        f"(torch default {torch.get_num_threads()}), torch {torch.__version__}, "
        f"{platform.machine()}, python {platform.python_version()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
