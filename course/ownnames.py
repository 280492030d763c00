"""Draws the teacher's guide's example of one's own names: a Hindi list, trained and mapped.

The list is in Devanagari, trained with the series' recipe, and the heatmap is of one of its names.

    python -m course.ownnames                    # course/figures/own-names-devanagari.png
    python -m course.ownnames --steps 20 --out /tmp/x.png   # a quick run

Prints what the guide says of the list: its names and symbols, one name as code points (the
symbols the model reads) and as graphemes (the characters a reader sees), the model's held-out
loss, names it writes, and the file the heatmap went to (its description beside it, in a
``.txt`` file of the same name).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from attention_utils import data, plotting  # noqa: E402
from attention_utils.describe import description  # noqa: E402
from attention_utils.pretrained import recipe, untrained_model  # noqa: E402
from attention_utils.sampling import mark_new, sample  # noqa: E402
from attention_utils.train import train_model  # noqa: E402
from attention_utils.vocab import CharTable, graphemes, shown  # noqa: E402
from course.notebooks import ROOT, command_line  # noqa: E402

#: Fifty-nine common Hindi first names in Devanagari, one a line, as a teacher would type them.
HINDI = """
राम सीता लक्ष्मण भरत कृष्ण राधा गीता अर्जुन प्रिया अनिल सुनील विजय अमित पूजा नेहा रवि सुरेश
महेश गणेश दीपक आरती कविता सरिता मीना अजय राहुल संजय अंकित विकास श्याम आशा उषा रेखा सुमन
अनीता सुनीता ममता लता किरण ज्योति रमेश दिनेश मुकेश राजेश नरेश सतीश अशोक विनोद प्रकाश
आकाश विशाल कमल निर्मला शीला शांति सविता मोहन सोहन गोपाल
""".split()
#: The name the guide draws: four code points, two graphemes.
NAME = "सीता"
OUT = ROOT / "course" / "figures" / "own-names-devanagari.png"


def main(argv: list[str] | None = None) -> int:
    parser = command_line("ownnames", __doc__, out=OUT)
    parser.add_argument("--steps", type=int, help="training steps (default: the recipe's)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:  # the list as a teacher's file
        path = Path(folder) / "hindi.txt"
        path.write_text("\n".join(HINDI) + "\n", encoding="utf-8")
        names = data.load_names(path)
    table = CharTable.from_names(names)
    model_config, train_config = recipe(names, table)
    if args.steps:
        train_config = replace(train_config, steps=args.steps, eval_every=min(args.steps, 100))
    train, val = data.split_names(names)
    model = untrained_model(model_config, train_config.seed)
    history = train_model(model, train, val, table, train_config, progress=False)
    model.eval()

    print(f"{len(names)} names, {len(table)} symbols: {table.describe()}")
    print(
        f"{NAME}: {len(NAME)} code points {' '.join(shown(c) for c in NAME)}; "
        f"{len(graphemes(NAME))} graphemes {' '.join(graphemes(NAME))}"
    )
    clusters = {g for name in names for g in graphemes(name)}
    letters = {c for name in names for c in name}
    print(f"the list as code points: {len(letters)} letters; as graphemes: {len(clusters)}")
    print(
        f"held-out NLL after {train_config.steps} steps: {history.best_val:.3f} nats per symbol "
        f"({len(train)} names to train, {len(val)} held out)"
    )
    written = mark_new(sample(model, table, n=8, seed=0), train)
    print("names it writes:", ", ".join(f"{n}{' (new)' if new else ''}" for n, new in written))

    maps = model.attention_maps(table.batch(NAME))
    weights = maps[-1][0].mean(0).detach()
    fig, ax = plt.subplots(figsize=(4.2, 3.6), dpi=150)
    plotting.plot_attention(
        weights,
        list(table.reads(NAME)),
        ax=ax,
        annotate=True,
        title=f"{NAME}: last layer, heads averaged",
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    out.with_suffix(".txt").write_text(description(fig) + "\n", encoding="utf-8")
    plt.close(fig)
    print(f"heatmap: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
