"""The explorer page of the site: the trained model of notebooks 08, 09 and 12 exported for the browser.

    python -m course.webexplorer --out DIR     # explorer.html + explorer/ (make site does it)

The page (``site/explorer/``: HTML, CSS and a hand-written forward pass in JavaScript, drawn by
notebook 12's own drawing, :data:`attention_utils.explorer.DRAWING`) reads
``explorer/model.js``, written here: the weights of the trained model (from the cache of
:func:`~attention_utils.pretrained.load_or_train`, trained if absent) and of the same model
before training (:func:`~attention_utils.pretrained.untrained_model`), as base64 float32, with
the character table, the explorer's messages (:data:`attention_utils.vocab.MESSAGES`) and
the series' colour map. It is a ``<script src>`` (not fetched JSON), so the page works opened
from disk too.

The export reads the model's sizes from its config and refuses, with a message that says
what, a model it cannot reproduce: positions other than a table added to the embeddings
(learned or sinusoidal) and/or a score per head and distance (relative), another norm,
activation or MLP, or any parameter it does not know. Then it runs the exported numbers through
:func:`numpy_forward` and compares them with PyTorch, so a change of the model that slips past
those checks fails the build instead of drawing wrong pictures.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

from attention_utils.data import load_names, split_names
from attention_utils.explorer import DRAWING, STYLE, drawing_info, first_name, read_name
from attention_utils.models import CausalTransformer
from attention_utils.positions import LearnedPositions, RelativePositions, SinusoidalPositions
from attention_utils.pretrained import load_or_train, untrained_model
from attention_utils.vocab import END, MESSAGES, START, CharTable, letters_of
from course.landing import EXPLORER_PAGE as PAGE
from course.notebooks import ROOT, command_line

#: The page's own files (HTML, CSS, JavaScript), copied as they are.
PAGE_DIR = ROOT / "site" / "explorer"
#: The largest difference from PyTorch the export accepts (the browser test holds the page to
#: the same bound).
TOLERANCE = 1e-4
#: Names the export checks itself on, cut to the longest the page takes; and one that long.
CHECK_NAMES = ("a", "priya", "abhishek")
FORMAT = 1


class UnsupportedModel(ValueError):
    """The model is not one the page's forward pass computes."""


def _f32(t: torch.Tensor) -> dict:
    a = t.detach().cpu().to(torch.float32).contiguous().numpy()
    return {"shape": list(a.shape), "b64": base64.b64encode(a.astype("<f4").tobytes()).decode()}


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise UnsupportedModel(f"the web explorer cannot run this model: {what}")


def _layer_norm(ln, where: str) -> dict:
    _need(isinstance(ln, nn.LayerNorm), f"{where} is {type(ln).__name__}, not nn.LayerNorm")
    _need(ln.elementwise_affine and ln.bias is not None, f"{where} has no weight and bias")
    return {"w": _f32(ln.weight), "b": _f32(ln.bias), "eps": float(ln.eps)}


def _linear(lin, where: str) -> dict:
    _need(isinstance(lin, nn.Linear), f"{where} is {type(lin).__name__}, not nn.Linear")
    _need(lin.bias is not None, f"{where} has no bias")
    return {"w": _f32(lin.weight), "b": _f32(lin.bias)}


def _block(block, i: int, n_heads: int) -> dict:
    where = f"blocks[{i}]"
    attn = block.attn
    _need(getattr(attn, "n_heads", None) == n_heads, f"{where}.attn does not have {n_heads} heads")
    mlp = list(block.mlp)
    kinds = [type(m).__name__ for m in mlp]
    _need(
        kinds[:3] == ["Linear", "GELU", "Linear"] and all(k == "Dropout" for k in kinds[3:]),
        f"{where}.mlp is {kinds}, not Linear, GELU, Linear (and dropout)",
    )
    _need(mlp[1].approximate == "none", f"{where}.mlp uses GELU({mlp[1].approximate!r})")
    rel = getattr(block, "rel", None)
    _need(
        rel is None or type(rel) is RelativePositions,
        f"{where}.rel is {type(rel).__name__}, not RelativePositions",
    )
    extra = {} if rel is None else {"rel": _f32(rel.table)}  # (n_heads, block_size)
    return extra | {
        "ln1": _layer_norm(block.ln1, f"{where}.ln1"),
        "q": _linear(attn.q_proj, f"{where}.attn.q_proj"),
        "k": _linear(attn.k_proj, f"{where}.attn.k_proj"),
        "v": _linear(attn.v_proj, f"{where}.attn.v_proj"),
        "o": _linear(attn.out_proj, f"{where}.attn.out_proj"),
        "ln2": _layer_norm(block.ln2, f"{where}.ln2"),
        "fc1": _linear(mlp[0], f"{where}.mlp[0]"),
        "fc2": _linear(mlp[2], f"{where}.mlp[2]"),
    }


#: Every parameter of a block that :func:`_block` exports (anything else is refused).
_BLOCK_KEYS = {
    f"{m}.{p}"
    for m in ("ln1", "ln2", "attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.out_proj")
    for p in ("weight", "bias")
} | {f"mlp.{i}.{p}" for i in (0, 2) for p in ("weight", "bias")}


def export_model(model: CausalTransformer) -> dict:
    """The weights of ``model`` as the page reads them; UnsupportedModel if it cannot."""
    _need(isinstance(model, CausalTransformer), f"it is a {type(model).__name__}")
    config = model.config
    kinds = {LearnedPositions: "pos.table.weight", SinusoidalPositions: "pos.table"}
    pos = getattr(model, "pos", None)
    _need(
        pos is None or type(pos) in kinds,
        f"its positions are {type(pos).__name__}, not learned or sinusoidal",
    )
    known = {"tok_emb.weight", "ln_f.weight", "ln_f.bias", "head.weight", "head.bias"}
    known |= {kinds[type(pos)]} if pos is not None else set()
    known |= {f"blocks.{i}.{k}" for i in range(len(model.blocks)) for k in _BLOCK_KEYS}
    known |= {f"blocks.{i}.rel.table" for i in range(len(model.blocks))}
    _need(len(model.blocks) == config.n_layers, "its number of blocks is not config.n_layers")
    blocks = [_block(b, i, config.n_heads) for i, b in enumerate(model.blocks)]  # says what
    unknown = sorted(set(model.state_dict()) - known)
    _need(not unknown, f"it has parameters the page does not compute: {unknown}")
    return {
        "tok_emb": _f32(model.tok_emb.weight),
        # (max_len, d_model), or none: only relative positions
        "pos": None if pos is None else _f32(model.state_dict()[kinds[type(pos)]]),
        "blocks": blocks,
        "ln_f": _layer_norm(model.ln_f, "ln_f"),
        "head": _linear(model.head, "head"),
    }


def export(
    trained: CausalTransformer,
    untrained: CausalTransformer,
    table: CharTable,
    train_names: list[str] = (),
) -> dict:
    """Everything the page needs: both models, the table, the messages, the colour map, and
    the names seen in training (so the names it writes can be marked new)."""
    config = trained.config
    _need(untrained.config == config, "the untrained model has other sizes than the trained one")
    _need(config.vocab_size == len(table), "config.vocab_size is not the size of the table")
    return drawing_info(config, table) | {
        "format": FORMAT,
        "vocabulary": table.describe(),
        "messages": {k: MESSAGES[k] for k in ("empty", "too_long", "unknown")},
        "letters": letters_of(table),
        "sizes": {
            "n_layers": config.n_layers,
            "n_heads": config.n_heads,
            "d_model": config.d_model,
            "block_size": config.block_size,
            "vocab_size": config.vocab_size,
        },
        "train_names": sorted(train_names),
        "first_name": first_name(table, train_names),
        "models": {"trained": export_model(trained), "untrained": export_model(untrained)},
    }


# --------------------------------------------------------------------------- checking it


def _array(entry: dict) -> np.ndarray:
    flat = np.frombuffer(base64.b64decode(entry["b64"]), dtype="<f4").astype(np.float64)
    return flat.reshape(entry["shape"])


def numpy_forward(weights: dict, ids: list[int], n_heads: int, causal: bool = True):
    """The page's computation in numpy: ``ids`` (T,) -> ``(maps, probs)``.

    ``maps``: per layer ``(n_heads, T, T)`` attention weights; ``probs``: ``(T, V)``, the
    next-character distribution at every position. Reads what :func:`export_model` wrote.
    """

    def norm(x, ln):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + ln["eps"]) * _array(ln["w"]) + _array(ln["b"])

    def lin(x, p):
        return x @ _array(p["w"]).T + _array(p["b"])

    T = len(ids)
    x = _array(weights["tok_emb"])[ids]
    if weights["pos"] is not None:
        x = x + _array(weights["pos"])[:T]
    i = np.arange(T)
    distance = np.clip(i[:, None] - i[None, :], 0, None)  # how far back key j is from query i
    allowed = np.tril(np.ones((T, T), dtype=bool)) if causal else np.ones((T, T), dtype=bool)
    maps = []
    for block in weights["blocks"]:
        h = norm(x, block["ln1"])
        q, k, v = (lin(h, block[n]).reshape(T, n_heads, -1).transpose(1, 0, 2) for n in "qkv")
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
        if "rel" in block:  # a learned score per head and distance back
            scores = scores + _array(block["rel"])[:, distance]
        scores = np.where(allowed, scores, -np.inf)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        maps.append(w)
        x = x + lin((w @ v).transpose(1, 0, 2).reshape(T, -1), block["o"])
        h = lin(norm(x, block["ln2"]), block["fc1"])
        h = 0.5 * h * (1.0 + np.vectorize(math.erf)(h / np.sqrt(2.0)))
        x = x + lin(h, block["fc2"])
    logits = lin(norm(x, weights["ln_f"]), weights["head"])
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    return maps, probs / probs.sum(-1, keepdims=True)


def torch_reference(model: CausalTransformer, table: CharTable, name: str, causal: bool = True):
    """PyTorch's ``(maps, probs)`` for ``^name``, as notebook 12's explorer computes them: maps
    per layer ``(n_heads, T, T)``, probs ``(T, V)``."""
    maps, probs = read_name(model, table, name, causal)
    return [m.numpy() for m in maps], probs.numpy()


def check_export(data: dict, models: dict, table: CharTable, names=None) -> float:
    """The largest difference between :func:`numpy_forward` on ``data`` and PyTorch for
    ``names`` (default :data:`CHECK_NAMES`); UnsupportedModel if it is above :data:`TOLERANCE`."""
    longest = data["max_letters"]
    if names is None:
        letters = [s for s in table.symbols if s not in (START, END)]
        spelled = [n for n in CHECK_NAMES if all(ch in letters for ch in n)]
        own = [data["first_name"]] if "first_name" in data else []
        names = [n[:longest] for n in [*spelled, *own]] + [letters[0], letters[-1] * longest]
    worst = 0.0
    n_heads = data["sizes"]["n_heads"]
    for kind, model in models.items():
        for name in names:
            for causal in (True, False):
                ids = table.batch(name)[0].tolist()
                got = numpy_forward(data["models"][kind], ids, n_heads, causal)
                want = torch_reference(model, table, name, causal)
                for g, w in zip([*got[0], got[1]], [*want[0], want[1]], strict=True):
                    worst = max(worst, float(np.abs(g - w).max()))
    _need(worst <= TOLERANCE, f"the exported numbers differ from PyTorch by {worst:.2e}")
    return worst


# --------------------------------------------------------------------------- writing the page


def write(out: Path, page_dir: Path = PAGE_DIR, trained=None, names=None) -> dict:
    """Write ``explorer.html`` and ``explorer/`` (the page's files and ``model.js``) into
    ``out``; returns what was exported. ``trained``: a ``(model, table, ...)``, default
    :func:`load_or_train` on ``names`` (a names file's path or address; default the series'
    list), so that a class can see the model of its own names."""
    listed = load_names(names)
    trained = trained or load_or_train(names=listed if names is not None else None, progress=False)
    model, table = trained[0], trained[1]
    untrained = untrained_model(model.config)
    data = export(model, untrained, table, split_names(listed)[0])
    if names is not None:  # say on the page whose names it is
        data["trained_on"] = f"{len(listed):,} names of {Path(str(names).strip()).name}"
    check_export(data, {"trained": model, "untrained": untrained}, table)
    out = Path(out)
    (out / "explorer").mkdir(parents=True, exist_ok=True)
    shutil.copy2(page_dir / PAGE, out / PAGE)
    for path in [*sorted(page_dir.iterdir()), DRAWING, STYLE]:  # the page's, the drawing
        if path.name != PAGE and path.is_file():
            shutil.copy2(path, out / "explorer" / path.name)
    blob = json.dumps(data, separators=(",", ":"))
    (out / "explorer" / "model.js").write_text(
        f"// The model of the explorer page, written by course/webexplorer.py.\n"
        f"window.EXPLORER_DATA = {blob};\n",
        encoding="utf-8",
    )
    return data


def main(argv: list[str] | None = None) -> int:
    parser = command_line("webexplorer", __doc__, out=ROOT / "build" / "explorer")
    parser.add_argument("--names", help="a names file or address to train on (default: the list)")
    args = parser.parse_args(argv)
    write(args.out, names=args.names)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"explorer page written to {args.out / PAGE} ({size:,} bytes with its files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
