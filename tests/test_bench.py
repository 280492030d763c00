"""course/bench.py: the benchmark runs end to end on a small names file, and its committed
result is current."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from attention_utils import results
from course import bench

TEACHER_NAMES = """Aarav Aditi Akash Ananya Anika Arjun Aryan Asha Bhavna Chetan Deepa Devika
Dhruv Diya Gauri Harsh Isha Ishaan Jaya Kabir Kavya Kiran Krish Lakshmi Madhav Meera Mohan
Nandini Neha Nikhil Om Pooja Priya Rahul Ravi Riya Rohan Sanjay Sita Tara Uma Varun Vikram
Yash Zoya""".split()


@pytest.fixture()
def names_file(tmp_path):
    path = tmp_path / "teacher.txt"
    path.write_text("\n".join(TEACHER_NAMES) + "\n")
    return path


MODELS = {"bigram", "trigram", "MLP", "GRU", "transformer"}


def _rows(output: str) -> dict[str, list[str]]:
    """The table's rows by the first word of the model: parameters, NLL, s.e., seconds."""
    rows = {}
    for line in output.splitlines():
        m = re.match(
            r"^(bigram|trigram|MLP|GRU|transformer)\b.*?\s{2}([\d,]+)\s+([\d.]+)\s+([\d.]+|–)"
            r"\s+([\d.]+)$",
            line,
        )
        if m:
            rows[m.group(1)] = list(m.groups()[1:])
    return rows


def test_benchmark_prints_and_saves_every_model_cross_validated(names_file, tmp_path, capsys):
    out = tmp_path / "result.json"
    argv = ["--names", str(names_file), "--folds", "2", "--steps", "4", "--out", str(out)]
    assert bench.main(argv) == 0
    printed = capsys.readouterr().out
    rows = _rows(printed)
    assert set(rows) == MODELS, printed
    for params, nll, se, seconds in rows.values():
        assert int(params.replace(",", "")) > 0
        assert 0 < float(nll) < 10 and 0 <= float(se) < 5
        assert float(seconds) >= 0
    assert "45 names in 2 folds by name: 22-23 held out per fold" in printed
    assert "transformer - GRU:" in printed and f"per-fold numbers: {out}" in printed
    result = json.loads(out.read_text())
    assert result["folds"] == 2 and result["steps_override"] == 4
    assert [r["model"] for r in result["rows"]] == [
        "bigram counts",
        "trigram counts",
        "MLP",
        "GRU",
        "transformer",
    ]
    for row in result["rows"]:
        assert len(row["nll"]) == len(row["seconds"]) == 2
        assert all(0 < x < 10 for x in row["nll"])
        printed_nll = rows[row["model"].split()[0]][1]
        assert float(printed_nll) == pytest.approx(sum(row["nll"]) / 2, abs=6e-4)
    for label in ("MLP", "GRU", "transformer"):
        row = next(r for r in result["rows"] if r["model"] == label)
        assert row["best_step"] and all(1 <= s <= 4 for s in row["best_step"])
    # a quick run on other names is never mistaken for the standard result
    from attention_utils.data import read_names_file

    names = read_names_file(names_file)
    assert results.stale(result, names, bench.configs(names)) == ["it is a quick run of 4 steps"]
    assert "other names" in " ".join(results.stale(result, ["asha", "ravi"]))


def test_the_folds_hold_out_every_name_once_and_a_single_split_is_kept(names_file):
    from attention_utils.data import fold_names, read_names_file, split_names

    names = read_names_file(names_file)
    folds = fold_names(names, 5)
    held = [n for _, val in folds for n in val]
    assert sorted(held) == sorted(names)
    for train, val in folds:
        assert not set(train) & set(val) and len(train) + len(val) == len(names)
    assert fold_names(names, 5) == folds  # the same folds every time
    result = bench.run(names, folds=1, steps=2)
    assert all(len(r["nll"]) == 1 for r in result["rows"])
    assert "–" in results.format_table(result)  # one fold: no standard error
    train, val = split_names(names)
    assert len(val) == 4 and len(train) == 41
    with pytest.raises(ValueError, match="folds must be at least 2"):
        fold_names(names, 1)


def test_the_result_records_the_recipe_sized_for_its_names():
    long = ["a" * 30, "ravi", "asha"]  # longer than the series' block_size
    recorded = bench.configs(long)["transformer"]["model"]
    assert recorded["block_size"] == 31 and recorded["vocab_size"] == 8  # ^ $ a r v i s h
    assert bench.configs(["ravi", "asha"])["transformer"] != bench.configs(long)["transformer"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [(["--folds", "0"], "--folds must be at least 1, got 0"), (["--steps", "-1"], "--steps must")],
)
def test_bad_run_arguments_exit_with_a_message(argv, said, capsys):
    with pytest.raises(SystemExit) as stop:
        bench.main(argv)
    assert stop.value.code == 1 and said in capsys.readouterr().err


def test_benchmark_as_a_command_and_its_errors(names_file, tmp_path):
    out = tmp_path / "one.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "course.bench",
            "--names",
            str(names_file),
            "--steps",
            "2",
            "--folds",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert set(_rows(done.stdout)) == MODELS
    assert "41 to train, 4 held out" in done.stdout and out.is_file()
    missing = subprocess.run(
        [sys.executable, "-m", "course.bench", "--names", str(tmp_path / "none.txt")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 1
    assert "names file not found" in missing.stderr


def test_explorer_benchmark_times_every_change(capsys):
    # 7 names typed, 2 models, 2 mask settings a round; a value equal to the current one
    # computes nothing (the first name, "a", after the default "abhishek", is a change)
    assert bench.main(["--explorer", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    count = int(re.search(r"part of (\d+) changes: median", out).group(1))
    assert count == 2 * (7 + 2 + 2), out


def test_the_committed_result_is_what_make_bench_measures_now():
    """Notebook 11 shows attention_utils/measured/cross_validated.json: it must be measured with the
    current configs of every model and the current names (``make bench`` writes it again)."""

    from support import NAMES_FILE

    from attention_utils.data import read_names_file

    path = results.MEASURED / "cross_validated.json"
    result = results.measured("cross_validated")
    names = read_names_file(NAMES_FILE)
    reasons = results.stale(result, names, bench.configs(names))
    assert reasons == [], f"{path} is stale ({'; '.join(reasons)}): run make bench"
    assert result["folds"] == 5 and result["command"] == "make bench"
    assert {row["model"].split()[0] for row in result["rows"]} == MODELS
    for row in result["rows"]:
        assert len(row["nll"]) == len(row["seconds"]) == 5
        assert all(1.5 < x < 3.5 for x in row["nll"]), row


def test_the_benchmark_gives_the_same_numbers_on_another_cpu(names_file, tmp_path):
    """PyTorch's kernels forced to their plainest level (no AVX) give the table of this CPU:
    every model trains in float64, where the kernels' rounding stays far below what is
    printed (in float32, 400 steps made another model on another CPU)."""
    nll = {}
    for level in ("native", "default"):
        out = tmp_path / f"{level}.json"
        env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
        if level != "native":
            env["ATEN_CPU_CAPABILITY"] = level
        argv = ["--names", str(names_file), "--folds", "2", "--steps", "60", "--out", str(out)]
        subprocess.run(
            [sys.executable, "-m", "course.bench", *argv],
            env=env,
            check=True,
            capture_output=True,
        )
        nll[level] = {r["model"]: r["nll"] for r in json.loads(out.read_text())["rows"]}
    assert nll["native"].keys() == nll["default"].keys() == set(bench.MODELS)
    for model, folds in nll["native"].items():
        assert folds == pytest.approx(nll["default"][model], rel=1e-9, abs=0), model
