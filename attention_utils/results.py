"""The benchmark's committed results, read: their tables, paired differences, and whether stale.

``make bench`` (the maintainers' runner, ``course/bench.py``) trains every model from scratch
on five folds of the names and writes ``attention_utils/measured/cross_validated.json``;
``python -m course.ablations`` writes ``ablations.json`` beside it. Both ship with the package,
so notebook 11 shows them wherever it runs, with this module:

    >>> result = measured("cross_validated")
    >>> print(format_table(result))                    # parameters, NLL ± s.e., seconds
    >>> print(versus(result, "transformer", "GRU"))     # the difference, paired fold by fold
    >>> stale(result, load_names())                     # [] when it is what make bench measures

The seconds are those of the machine that ran ``make bench``; the NLLs are the same on every
CPU (every model is trained in float64, see :data:`attention_utils.runtime.EXACT`).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict
from pathlib import Path

from attention_utils import data
from attention_utils.pretrained import recipe
from attention_utils.runtime import EXACT


def names_checksum(names: list[str]) -> str:
    """SHA-256 of the cleaned names, one a line: which names a result was measured on."""
    return data.sha256_of("\n".join(names).encode())


def recipe_configs(names: list[str]) -> dict[str, dict]:
    """The series' transformer as a result on ``names`` records it: the configs of
    :func:`~attention_utils.pretrained.recipe`, sized for those names, as
    ``{"model": ..., "train": ...}``."""
    model_config, train_config = recipe(names)
    return {"model": asdict(model_config), "train": asdict(train_config)}


#: The results that ship with the package (``make bench`` and ``course.ablations`` write them).
MEASURED = Path(__file__).resolve().parent / "measured"


def load_result(path: Path | str) -> dict:
    """A result file written by ``make bench`` (``--out``)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def measured(name: str) -> dict:
    """The committed result ``name`` (``"cross_validated"`` or ``"ablations"``)."""
    path = MEASURED / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in MEASURED.glob("*.json"))
        raise FileNotFoundError(f"no measured result {name!r} in {MEASURED} (there are {known})")
    return load_result(path)


def paired(a: list[float], b: list[float]) -> tuple[float, float | None, int]:
    """``a`` minus ``b`` judged on the same folds: ``(mean difference, its standard error or
    None for one fold, in how many folds a was lower)``."""
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    se = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else None
    return statistics.mean(diffs), se, sum(d < 0 for d in diffs)


def summary(row: dict) -> tuple[float, float | None, float]:
    """``(mean NLL, its standard error or None for one fold, mean training seconds)``."""
    nll = row["nll"]
    se = statistics.stdev(nll) / len(nll) ** 0.5 if len(nll) > 1 else None
    return statistics.mean(nll), se, statistics.mean(row["seconds"])


def format_table(result: dict, seconds: bool = True) -> str:
    """The result's rows as a fixed-width table: parameters, mean NLL ± s.e., and with
    ``seconds`` the training seconds per fold (on the machine that ran the benchmark)."""
    width = max(len(r["model"]) for r in result["rows"])
    head = f"{'model':<{width}}  {'parameters':>10}  {'val NLL':>8}  {'± s.e.':>6}"
    if seconds:
        head += f"  {'train s / fold':>14}"
    lines = [head, "-" * len(head)]
    for row in result["rows"]:
        mean, se, took = summary(row)
        se_text = "–" if se is None else f"{se:.3f}"
        line = f"{row['model']:<{width}}  {row['parameters']:>10,}  {mean:>8.3f}  {se_text:>6}"
        lines.append(line + (f"  {took:>14.2f}" if seconds else ""))
    return "\n".join(lines)


def versus(result: dict, model: str, other: str) -> str:
    """``model`` minus ``other`` in mean NLL, with the standard error of the difference
    paired fold by fold (both were judged on the same held-out names of each fold)."""
    rows = {row["model"]: row["nll"] for row in result["rows"]}
    mean, se, wins = paired(rows[model], rows[other])
    text = f"{model} - {other}: {mean:+.3f} nats per character"
    if se is not None:
        text += f" ± {se:.3f} (paired over the folds; lower in {wins} of {len(rows[model])} folds)"
    return text


def stale(result: dict, names: list[str], configs: dict[str, dict] | None = None) -> list[str]:
    """What differs between a saved ``result`` and what ``make bench`` would measure now, up to
    the timing (empty: nothing): the names, the precision, a quick run, and the configs of
    ``configs`` (``{model: {"model": ..., "train": ...}}``; default: the series' transformer,
    :func:`recipe_configs` of ``names``; the benchmark passes every model's)."""
    reasons = []
    if result.get("names_sha256") != names_checksum(names):
        reasons.append("it was measured on other names")
    for label, now in (configs or {"transformer": recipe_configs(names)}).items():
        if result.get("configs", {}).get(label) != now:
            reasons.append(f"the {label} configs have changed since")
    if result.get("dtype") != str(EXACT):
        reasons.append(f"it was trained in {result.get('dtype', 'float32')}, not {EXACT}")
    if result.get("steps_override") is not None:
        reasons.append(f"it is a quick run of {result['steps_override']} steps")
    return reasons
