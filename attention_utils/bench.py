"""Benchmark: train every model from scratch and compare held-out NLL and training time.

    python -m attention_utils.bench                    # the standard names and split
    python -m attention_utils.bench --names my.txt     # any names file, one name a line

For each model (bigram and trigram counts, the causal transformer of
:data:`attention_utils.standard.DEFAULT_MODEL` trained with
:data:`attention_utils.standard.DEFAULT_TRAIN`) it prints the number of parameters, the
negative log-likelihood of the validation names in nats per character (end token counted
once per name), the training seconds (for the counts: counting plus choosing the
smoothing on the validation names) and the seconds per 1,000 training names *seen* (for
the counts each training name is seen once; for the transformer ``steps x batch_size``
names), then the thread count and torch version.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import asdict, dataclass, replace

import torch

from attention_utils import data
from attention_utils.models import CausalTransformer, ModelConfig, count_parameters
from attention_utils.seed import set_seed
from attention_utils.standard import DEFAULT_MODEL, DEFAULT_TRAIN
from attention_utils.train import TrainConfig, _device, evaluate, fit_ngram, train_model
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
    train_config: TrainConfig = DEFAULT_TRAIN,
    model_config: ModelConfig = DEFAULT_MODEL,
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
    cfg = replace(
        model_config,
        vocab_size=len(table),
        block_size=max(model_config.block_size, longest),
    )
    set_seed(train_config.seed)
    model = CausalTransformer(cfg)
    start = time.perf_counter()
    history = train_model(model, train, val, table, train_config, progress=progress)
    seconds = time.perf_counter() - start
    label = f"transformer ({cfg.n_layers} layers, {cfg.n_heads} heads, d_model={cfg.d_model})"
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
    args = parser.parse_args(argv)
    try:
        names = data.load_names(args.names)
        overrides = {}
        if args.steps is not None:
            overrides["steps"] = args.steps
        if args.eval_every is not None:
            overrides["eval_every"] = args.eval_every
        elif args.steps is not None:
            overrides["eval_every"] = min(DEFAULT_TRAIN.eval_every, args.steps)
        train_config = TrainConfig(**{**asdict(DEFAULT_TRAIN), **overrides})
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
    device = _device(train_config.device)
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
