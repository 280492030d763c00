"""attention_utils.bench: the benchmark runs end to end on a small names file."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from attention_utils import bench

TEACHER_NAMES = """Aarav Aditi Akash Ananya Anika Arjun Aryan Asha Bhavna Chetan Deepa Devika
Dhruv Diya Gauri Harsh Isha Ishaan Jaya Kabir Kavya Kiran Krish Lakshmi Madhav Meera Mohan
Nandini Neha Nikhil Om Pooja Priya Rahul Ravi Riya Rohan Sanjay Sita Tara Uma Varun Vikram
Yash Zoya""".split()


@pytest.fixture()
def names_file(tmp_path):
    path = tmp_path / "teacher.txt"
    path.write_text("\n".join(TEACHER_NAMES) + "\n")
    return path


def _rows(output: str) -> dict[str, list[str]]:
    rows = {}
    for line in output.splitlines():
        m = re.match(
            r"^(bigram|trigram|transformer)\b.*?\s{2}([\d,]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$",
            line,
        )
        if m:
            rows[m.group(1)] = list(m.groups()[1:])
    return rows


def test_benchmark_prints_a_row_per_model(names_file, capsys):
    assert bench.main(["--names", str(names_file), "--steps", "4", "--eval-every", "2"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert set(rows) == {"bigram", "trigram", "transformer"}, out
    for params, nll, seconds, per_1000 in rows.values():
        assert int(params.replace(",", "")) > 0
        assert 0 < float(nll) < 10
        assert float(seconds) >= 0 and float(per_1000) >= 0
    assert "41 to train, 4 held out" in out  # 45 names, round(4.5) = 4 held out by name
    assert "torch " in out and "thread" in out


def test_benchmark_rows_agree_with_what_they_measure(names_file):
    from attention_utils.data import read_names_file
    from attention_utils.train import TrainConfig

    rows = bench.run(read_names_file(names_file), TrainConfig(steps=3, eval_every=3, batch_size=4))
    assert [r.model.split()[0] for r in rows] == ["bigram", "trigram", "transformer"]
    assert rows[2].names_seen == 3 * 4
    assert rows[0].names_seen == 41
    assert rows[2].seconds_per_1000 == pytest.approx(rows[2].train_seconds / 12 * 1000)
    V = 2 + len(set("".join(TEACHER_NAMES).lower()))
    assert rows[1].parameters == V * V * (V - 2)


def test_benchmark_as_a_command_and_its_errors(names_file, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "attention_utils.bench", "--names", str(names_file), "--steps", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert set(_rows(done.stdout)) == {"bigram", "trigram", "transformer"}
    missing = subprocess.run(
        [sys.executable, "-m", "attention_utils.bench", "--names", str(tmp_path / "none.txt")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 1
    assert "names file not found" in missing.stderr


def test_explorer_benchmark_times_every_redraw(capsys):
    # 7 names typed, 5 head choices, 3 layer changes, 2 models, 2 mask settings a round; a
    # choice that equals the current value redraws nothing
    assert bench.main(["--explorer", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    count = int(re.search(r"(\d+) redraws: median", out).group(1))
    assert 10 <= count <= 19, out
