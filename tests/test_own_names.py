"""A teacher's own names, end to end: three lists written here (French with accents, hyphens
and apostrophes; Hindi in Devanagari; Latin and Devanagari mixed, in both cases), each loaded,
trained a few steps, sampled, drawn as a heatmap whose labels a font draws, read by the
notebook explorer, exported for the site's explorer page and benchmarked on two folds."""

from __future__ import annotations

import json
import unicodedata
import warnings
from dataclasses import replace

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402

from attention_utils import data, plotting  # noqa: E402
from attention_utils.explorer import Explorer  # noqa: E402
from attention_utils.pretrained import recipe, untrained_model  # noqa: E402
from attention_utils.sampling import sample  # noqa: E402
from attention_utils.train import train_model  # noqa: E402
from attention_utils.vocab import END, START, CharTable, graphemes, shown  # noqa: E402

FRENCH = """Jean-Luc
O'Brien
Mary Ann
Zoë
ravi
Amélie
Anaïs
Béatrice
Cécile
Chloé
Clément
Éloïse
François
Gaëlle
Hélène
Jérôme
Joël
Léa
Léon
Loïc
Maëlle
Marie-Claire
Mathéo
Noël
Océane
Pierre-Émile
Renée
Sébastien
Thérèse
D'Artagnan
"""

HINDI = """राम
सीता
लक्ष्मण
भरत
कृष्ण
राधा
गीता
अर्जुन
प्रिया
अनिल
सुनील
विजय
अमित
पूजा
नेहा
रवि
सुरेश
महेश
गणेश
दीपक
आरती
कविता
सरिता
मीना
अजय
राहुल
संजय
अंकित
विकास
श्याम
"""

MIXED = """Asha
आशा
Ravi
रवि
PRIYA
प्रिया
Meena
मीना
Arjun
अर्जुन
Kavita
कविता
Sunil
सुनील
Deepak
दीपक
Neha
नेहा
Amit
अमित
Rahul
राहुल
Pooja
पूजा
Vijay
विजय
Gita
गीता
"""

LISTS = {"french": FRENCH, "hindi": HINDI, "mixed": MIXED}


@pytest.fixture(params=sorted(LISTS))
def own_list(request, tmp_path):
    path = tmp_path / f"{request.param}.txt"
    path.write_text(LISTS[request.param], encoding="utf-8")
    return request.param, path


def typed(text: str) -> list[str]:
    """The list as a reader would expect it read: NFC, lower case, one of each, in order."""
    lines = [unicodedata.normalize("NFC", line.strip()).lower() for line in text.split("\n")]
    return list(dict.fromkeys(line for line in lines if line))


def trained_quickly(names: list[str], steps: int = 30):
    table = CharTable.from_names(names)
    model_config, train_config = recipe(names, table)
    train_config = replace(train_config, steps=steps, eval_every=steps)
    model = untrained_model(model_config, train_config.seed)
    train, val = data.split_names(names)
    train_model(model, train, val, table, train_config, progress=False)
    return model.eval(), table


def drawn_with(label) -> set[int]:
    """The code points the fonts of a tick label (its family list, as matplotlib falls back
    from one to the next) have glyphs for."""
    have: set[int] = set()
    for family in label.get_fontfamily():
        path = font_manager.findfont(font_manager.FontProperties(family=[family]))
        have |= plotting._charmap(path)
    return have


def test_every_name_is_kept_as_typed(own_list):
    which, path = own_list
    names = data.load_names(path)
    assert names == typed(LISTS[which])
    table = CharTable.from_names(names)
    letters = {ch for name in names for ch in name}
    assert set(table.symbols) == letters | {START, END}
    assert START not in letters and END not in letters
    if which == "french":
        assert {"jean-luc", "o'brien", "mary ann", "zoë"} <= set(names)
    if which == "mixed":
        assert "priya" in names and "प्रिया" in names  # PRIYA lowered


def test_a_name_with_a_marker_is_refused(tmp_path):
    path = tmp_path / "markers.txt"
    path.write_text("asha\nra^vi\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2.*'\^'"):
        data.load_names(path)


def test_code_points_and_graphemes_of_a_devanagari_name():
    assert list("सीता") == ["स", "\u0940", "त", "\u093e"]  # 4 code points: the symbols
    assert graphemes("सीता") == ["सी", "ता"]  # 2 characters as a reader sees them
    assert shown("\u0940") == "\u25cc\u0940"  # a vowel sign shown on a dotted circle


def test_train_sample_heatmap_explorer(own_list):
    which, path = own_list
    names = data.load_names(path)
    model, table = trained_quickly(names)
    drawn = sample(model, table, n=12, seed=0)
    assert len(drawn) == 12 and all(drawn)
    assert all(ch in table.symbols for name in drawn for ch in name)

    name = max(names, key=lambda n: len(set(n)))
    idx = table.batch(name)
    weights = model.attention_maps(idx)[-1][0, 0].detach()
    labels = list(table.reads(name))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = plotting.plot_attention(weights, labels)
    fig = ax.figure
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
    assert ticks
    fallback = [w for w in caught if "code points" in str(w.message)]
    for tick in ticks:
        text = tick.get_text()
        if fallback:  # no installed font has the script: U+XXXX, said once
            assert text.isascii(), text
        else:
            missing = {c for c in text if not plotting._drawn(c)} - {
                chr(p) for p in drawn_with(tick)
            }
            assert not missing, (
                f"{text!r} drawn as boxes: {missing} (fonts {tick.get_fontfamily()})"
            )
    matplotlib.pyplot.close(fig)

    opened = Explorer((model, table), train_names=names)  # opens with a name of the list
    assert opened.message == "" and opened.name in names
    explorer = Explorer((model, table), train_names=names, name=name)
    assert explorer.message == ""
    assert explorer.labels == labels
    explorer.name = "xyz?" if which != "french" else "ravi7"
    message = explorer.message
    assert "a-z" not in message or which == "french"
    for letter in ("र" if which != "french" else "é",):
        assert letter in message, message
    assert len(explorer.generate_names()) == 10


def test_explorer_page_and_bench_on_own_list(own_list, tmp_path, capsys):
    from course import bench, webexplorer

    which, path = own_list
    names = data.load_names(path)
    model, table = trained_quickly(names, steps=10)
    exported = webexplorer.write(tmp_path / "site", trained=(model, table), names=str(path))
    assert exported["letters"] == table.describe()[2:]
    assert exported["train_names"] == sorted(data.split_names(names)[0])
    assert exported["first_name"] in names
    assert exported["trained_on"] == f"{len(names)} names of {path.name}"
    script = (tmp_path / "site" / "explorer" / "model.js").read_text(encoding="utf-8")
    page_data = json.loads(script.split("window.EXPLORER_DATA = ", 1)[1].rstrip().rstrip(";"))
    assert page_data["symbols"] == list(table.symbols)  # what the page's letters are
    assert page_data["first_name"] == exported["first_name"]

    out = tmp_path / "bench.json"
    assert (
        bench.main(["--names", f"  {path}  ", "--folds", "2", "--steps", "10", "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert f"{len(names)} names in 2 folds" in printed
    result = json.loads(out.read_text())
    assert result["names"] == len(names)
    assert "transformer" in printed and "GRU" in printed


# --------------------------------------------------------------------------- as a person types it


def test_a_path_as_pasted(tmp_path, monkeypatch):
    path = tmp_path / "class.txt"
    path.write_text(FRENCH, encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    want = data.load_names(path)
    for pasted in (f"  {path}\n", f"'{path}'", f'"{path}" ', "~/class.txt", " ~/class.txt "):
        assert data.load_names(pasted) == want, pasted


def test_an_address_with_its_scheme_in_capitals(http_server, data_dir):
    url = http_server("/teacher.txt")
    want = data.load_names(url)
    assert want == ["meera", "arjun", "kavya"]
    assert data.load_names("  " + url.replace("http://", "HTTP://") + " ") == want


def test_a_download_that_is_not_utf8_names_its_line(http_server, data_dir):
    with pytest.raises(data.DownloadError, match=r"line 2 is not UTF-8 text, byte b'\\xeb'"):
        data.load_names(http_server("/latin1.txt"))
    assert not [p for p in data_dir.rglob("*") if p.is_file()]  # nothing half written


def test_a_data_folder_that_is_a_file_or_cannot_be_written(tmp_path, monkeypatch):
    from attention_utils import download

    folder = tmp_path / "data"
    folder.write_text("not a folder")
    with pytest.raises(
        NotADirectoryError, match=r"data is a file, not a folder.*ATTENTION_NAMES_DATA"
    ):
        download.write_atomically(b"x", folder / "cache" / "names.txt")
    assert folder.read_text() == "not a folder"

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked"))

    monkeypatch.setattr(download.tempfile, "mkstemp", refused)
    with pytest.raises(PermissionError, match=r"locked cannot be written.*ATTENTION_NAMES_DATA"):
        download.write_atomically(b"x", tmp_path / "locked" / "names.txt")
    assert not list((tmp_path / "locked").glob("*"))


def test_labels_no_font_draws_are_spelled_as_code_points(monkeypatch):
    ascii_only = frozenset(range(32, 127))
    monkeypatch.setattr(plotting, "_charmap", lambda path: ascii_only)
    with pytest.warns(UserWarning, match=r"U\+0930.*install a font"):
        labels = plotting.drawable(["^", "र", "a"])
    assert labels == ["^", "U+0930", "a"]


def test_the_guides_devanagari_example(tmp_path, capsys):
    from course import ownnames

    out = tmp_path / "deva.png"
    assert ownnames.main(["--steps", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "सीता: 4 code points स ◌ी त ◌ा; 2 graphemes सी ता" in printed
    assert out.stat().st_size > 1000
    assert "queries ^ स ी त ा down" in out.with_suffix(".txt").read_text(encoding="utf-8")
    readme = (ownnames.ROOT / "README.md").read_text(encoding="utf-8")
    assert "](course/figures/own-names-devanagari.png)" in readme and ownnames.OUT.is_file()
