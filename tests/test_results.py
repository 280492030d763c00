"""attention_utils.results: what notebook 08 reads of the benchmark's committed result."""

from __future__ import annotations

import pytest

from attention_utils import results

RESULT = {
    "names_sha256": results.names_checksum(["asha", "ravi"]),
    "configs": {"transformer": results.recipe_configs(["asha", "ravi"])},
    "dtype": "torch.float64",
    "steps_override": None,
    "rows": [
        {"model": "GRU", "parameters": 1200, "nll": [2.0, 2.1, 1.9], "seconds": [1.0, 2.0, 3.0]},
        {"model": "transformer", "parameters": 69020, "nll": [2.1, 2.0, 2.0], "seconds": [2, 2, 2]},
    ],
}


def test_paired_differences_count_the_folds_won():
    mean, se, wins = results.paired([2.1, 2.0, 2.0], [2.0, 2.1, 1.9])
    assert mean == pytest.approx(1 / 30) and wins == 1
    assert se == pytest.approx(0.0666667, abs=1e-6)  # stdev(0.1, -0.1, 0.1) / sqrt(3)
    assert results.paired([2.0], [1.0])[1] is None  # one fold: no standard error


def test_the_table_and_the_comparison_read_the_result():
    table = results.format_table(RESULT).splitlines()
    assert table[0].split() == [
        "model",
        "parameters",
        "val",
        "NLL",
        "±",
        "s.e.",
        "train",
        "s",
        "/",
        "fold",
    ]
    assert table[2].split() == ["GRU", "1,200", "2.000", "0.058", "2.00"]
    said = results.versus(RESULT, "transformer", "GRU")
    assert said == (
        "transformer - GRU: +0.033 nats per character ± 0.067 (paired over the folds; "
        "lower in 1 of 3 folds)"
    )


def test_a_result_is_stale_when_its_names_configs_precision_or_steps_differ():
    assert results.stale(RESULT, ["asha", "ravi"]) == []
    # other names of the same letters and lengths: the same sized configs, other names
    assert results.stale(RESULT, ["asha", "ravi", "hari"]) == ["it was measured on other names"]
    assert "the transformer configs have changed since" in results.stale(RESULT, ["asha"])
    older = {k: v for k, v in RESULT.items() if k != "dtype"} | {"steps_override": 3}
    assert results.stale(older, ["asha", "ravi"]) == [
        "it was trained in float32, not torch.float64",
        "it is a quick run of 3 steps",
    ]
    other = {"GRU": {"model": {"d": 1}, "train": {}}}
    assert results.stale(RESULT, ["asha", "ravi"], other) == ["the GRU configs have changed since"]


def test_the_table_for_students_leaves_the_seconds_out():
    from attention_utils.results import format_table

    result = {
        "rows": [{"model": "GRU", "parameters": 10, "nll": [2.0, 2.1], "seconds": [1.5, 2.5]}]
    }
    with_seconds, without = format_table(result), format_table(result, seconds=False)
    assert "train s / fold" in with_seconds and "2.00" in with_seconds.splitlines()[-1]
    assert "train s / fold" not in without and without.splitlines()[-1].rstrip().endswith("0.050")
