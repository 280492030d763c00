"""course/ablations.py: each variant is the series' recipe with its fields replaced, and
the command runs end to end on a small names file."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from attention_utils import results
from attention_utils.models import ModelConfig
from attention_utils.train import TrainConfig
from course import ablations

NAMES = """aarav aditi akash ananya anika arjun aryan asha bhavna chetan deepa devika dhruv diya
gauri harsh isha ishaan jaya kabir kavya kiran krish meera mohan neha om priya""".split()


@pytest.fixture()
def names_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("\n".join(NAMES) + "\n")
    return path


def test_every_variant_replaces_real_fields_and_the_first_is_the_recipe():
    model_fields = {f.name for f in fields(ModelConfig)}
    train_fields = {f.name for f in fields(TrainConfig)}
    first, *others = ablations.VARIANTS.values()
    assert first == ({}, {})
    for model, train in others:
        assert (model or train) and set(model) <= model_fields and set(train) <= train_fields


def test_the_command_prints_a_row_per_variant_chosen(names_file, capsys):
    argv = ["--names", str(names_file), "--folds", "2", "--steps", "2", "--only", "0", "3"]
    assert ablations.main(argv) == 0
    out = capsys.readouterr().out
    names = list(ablations.VARIANTS)
    rows = [line for line in out.splitlines() if line.startswith((names[0], names[3]))]
    assert len(rows) == 2, out
    for row in rows:
        m = re.search(r"(\d\.\d{3}) ± (\d\.\d{3})\s+([+-]\d\.\d{3}) ± \d\.\d{3} \((\d)/2\)", row)
        assert m and 0 < float(m.group(1)) < 10, row
    assert "28 names, 2 folds by name; GRU as make bench trains it" in out


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--folds", "1"], "--folds must be at least 2, got 1"),
        (["--steps", "0"], "--steps must be at least 1, got 0"),  # the benchmark's own check
        (["--only", "99"], "numbered 0 to 7"),
        (["--names", "no.txt"], ""),
    ],
)
def test_bad_arguments_exit_with_a_message(argv, said, capsys):
    with pytest.raises(SystemExit) as stop:
        ablations.main(argv)
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and said in err


def test_out_writes_every_variant_and_the_gru_fold_by_fold(names_file, tmp_path, capsys):
    out = tmp_path / "ablations.json"
    argv = ["--names", str(names_file), "--folds", "2", "--steps", "2", "--only", "0", "2"]
    assert ablations.main([*argv, "--out", str(out)]) == 0
    result = results.load_result(out)
    names = list(ablations.VARIANTS)
    assert [row["model"] for row in result["rows"]] == [names[0], names[2], "GRU"]
    assert result["rows"][1]["train_fields"] == {"ema": 0.0}
    assert all(len(row["nll"]) == 2 for row in result["rows"])
    assert result["steps_override"] == 2 and result["folds"] == 2
    assert str(out) in capsys.readouterr().out


def test_the_committed_ablations_are_what_the_command_measures_now():
    """Notebook 11 shows attention_utils/measured/ablations.json: measured with the current
    recipe and names, on 5 folds, every variant (``python -m course.ablations --out ...``)."""
    from support import NAMES_FILE

    from attention_utils.data import read_names_file

    result = results.measured("ablations")
    reasons = results.stale(result, read_names_file(NAMES_FILE))
    assert reasons == [], f"ablations.json is stale ({'; '.join(reasons)}): run the command again"
    assert result["folds"] == 5
    rows = {row["model"]: row for row in result["rows"]}
    assert list(rows) == [*ablations.VARIANTS, "GRU"]
    for name, (model_fields, train_fields) in ablations.VARIANTS.items():
        assert (rows[name]["model_fields"], rows[name]["train_fields"]) == (
            model_fields,
            train_fields,
        ), f"{name}: measured with other fields than VARIANTS gives now"
