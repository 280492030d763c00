"""Diagrams of the mechanisms of attention, drawn from the real numbers of a name.

What a query, a key and a value do, the matrix form, the mask, the heads, cross-attention.

Each function takes the tensors a notebook has just computed and the characters of its name,
and draws the mechanism with those characters and those numbers, so a picture cannot drift
from the code it explains. Every function returns the Figure; nothing is shown or saved.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from attention_utils.describe import describe
from attention_utils.models.common import evaluating
from attention_utils.plotting import CMAP, DIVERGING, MASK_COLOURS, text_colour

#: The colours of the three roles, used in every diagram (Okabe-Ito: told apart by most
#: colour-blind readers, and each role is also named in words).
ROLE_COLOURS = {"query": "#e69f00", "key": "#56b4e9", "value": "#009e73", "out": "#cc79a7"}


def _box(ax, x, y, w, h, text, face="white", edge="black", size=10, weight="normal"):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=face,
            edgecolor=edge,
            linewidth=1.0,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=size, weight=weight, parse_math=False)


def _arrow(ax, start, end, width=1.0, colour="black", alpha=1.0):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=10,
            linewidth=width,
            color=colour,
            alpha=alpha,
            shrinkA=2,
            shrinkB=2,
        )
    )


def _numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().double().numpy()
    return np.asarray(t, dtype=float)


def _characters(word: Sequence[str], n: int) -> list[str]:
    chars = list(word)
    if len(chars) != n:
        raise ValueError(f"{len(chars)} characters {chars!r} for {n} positions")
    return chars


def query_path(word: Sequence[str], q, k, v, i: int, scale: float = 1.0):
    """One query's path through attention, for position ``i`` of ``word``.

    ``q, k (T, d_k)`` and ``v (T, d_v)`` are the queries, keys and values of the name; the
    score of key ``j`` is ``q[i] . k[j] * scale``. Drawn top to bottom: the keys (the
    characters), the scores, the weights after the softmax (bars, with their values), and the
    arrows of the weighted sum into ``out[i]``, each as thick as its weight. Returns the Figure.
    """
    q, k, v = _numpy(q), _numpy(k), _numpy(v)
    T = k.shape[0]
    chars = _characters(word, T)
    if not 0 <= i < q.shape[0]:
        raise ValueError(f"query {i} is not a position of the {q.shape[0]} queries")
    scores = (k @ q[i]) * scale
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    fig, ax = plt.subplots(figsize=(1.0 * T + 2.6, 5.6))
    x0 = 2.0  # the keys start right of the row labels
    xs = x0 + np.arange(T)
    rows = {"key": 4.4, "score": 3.4, "weight": 2.05, "out": 0.2}
    labels = {
        "key": "key k_j\n(each character)",
        "score": f"score\nq_{i} · k_j" + ("" if scale == 1.0 else f" × {scale:.3g}"),
        "weight": "weight w_j\n(softmax)",
        "out": f"out_{i} =\nΣ_j w_j v_j",
    }
    for row, y in rows.items():
        ax.text(0.0, y, labels[row], ha="left", va="center", fontsize=9, parse_math=False)
    # the query, above the keys
    _box(
        ax,
        x0 + i,
        5.45,
        1.9,
        0.55,
        f"query q_{i} of {chars[i]!r}",
        face=ROLE_COLOURS["query"],
        size=9,
        weight="bold",
    )
    top = weights.max()
    for j, x in enumerate(xs):
        _box(ax, x, rows["key"], 0.8, 0.55, chars[j], face=ROLE_COLOURS["key"], size=12)
        _arrow(ax, (x0 + i, 5.15), (x, rows["key"] + 0.3), width=0.6, colour="grey", alpha=0.6)
        _box(ax, x, rows["score"], 0.8, 0.45, f"{scores[j]:.2f}", size=9)
        _arrow(ax, (x, rows["key"] - 0.28), (x, rows["score"] + 0.24), width=0.6)
        height = 0.9 * weights[j] / top
        ax.add_patch(
            plt.Rectangle(
                (x - 0.3, rows["weight"] - 0.45),
                0.6,
                height,
                facecolor=ROLE_COLOURS["value"],
                edgecolor="black",
                linewidth=0.6,
            )
        )
        ax.text(x, rows["weight"] - 0.62, f"{weights[j]:.3f}", ha="center", va="top", fontsize=8)
        _arrow(ax, (x, rows["score"] - 0.24), (x, rows["weight"] + 0.5), width=0.6)
        _arrow(
            ax,
            (x, rows["weight"] - 0.85),
            (x0 + (T - 1) / 2, rows["out"] + 0.3),
            width=0.5 + 5.0 * weights[j] / top,
            colour=ROLE_COLOURS["value"],
            alpha=0.8,
        )
    out = weights @ v
    shown = ", ".join(f"{x:.2f}" for x in out[:3]) + (", ..." if out.size > 3 else "")
    _box(
        ax,
        x0 + (T - 1) / 2,
        rows["out"],
        min(T, 6.0),
        0.55,
        f"out_{i} = [{shown}]  ({out.size} numbers)",
        face=ROLE_COLOURS["out"],
        size=9,
    )
    ax.set_xlim(-0.2, x0 + T)
    ax.set_ylim(-0.4, 5.9)
    ax.axis("off")
    ax.set_title(
        f"One query's path: {chars[i]!r} (position {i}) of {''.join(chars)}",
        parse_math=False,
    )
    best = int(weights.argmax())
    describe(
        fig,
        f"Diagram of one query's path through attention, for {chars[i]!r} at position {i} of "
        f"{''.join(chars)}: its query meets the key of each of the {T} characters, giving scores "
        f"from {scores.min():.2f} to {scores.max():.2f}; the softmax turns them into weights, the "
        f"largest {weights[best]:.2f} on {chars[best]!r} at position {best}; the output is the sum "
        f"of the values, each drawn as an arrow as thick as its weight.",
    )
    return fig


def _panel(ax, m, rows, cols, title, signed=None, vmax=None, fmt=None):
    """One labelled matrix of a diagram: diverging colours for signed values, else CMAP."""
    m = _numpy(m)
    signed = bool(m.min() < 0 < m.max()) if signed is None else signed
    if signed:
        top = float(np.abs(m).max()) if vmax is None else vmax
        image = ax.imshow(m, cmap=DIVERGING, vmin=-top, vmax=top, aspect="equal")
    else:
        image = ax.imshow(m, cmap=CMAP, vmin=0, vmax=1 if vmax is None else vmax, aspect="equal")
    ax.set_xticks(range(len(cols)), cols, parse_math=False, fontsize=7)
    ax.set_yticks(range(len(rows)), rows, parse_math=False, fontsize=7)
    ax.tick_params(length=0, top=True, labeltop=True, bottom=False, labelbottom=False)
    ax.set_title(title, fontsize=9, parse_math=False, pad=14)
    if fmt:
        for r in range(m.shape[0]):
            for c in range(m.shape[1]):
                colour = text_colour(image.cmap(image.norm(m[r, c])))
                ax.text(
                    c,
                    r,
                    format(m[r, c], fmt),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color=colour,
                    parse_math=False,
                )
    return image


def _between(fig, left, right, text):
    """Text on the figure, halfway between two Axes (an operator of the diagram)."""
    a, b = left.get_position(), right.get_position()
    fig.text(
        (a.x1 + b.x0) / 2,
        (a.y0 + a.y1) / 2,
        text,
        ha="center",
        va="center",
        fontsize=12,
        weight="bold",
        parse_math=False,
    )


def matrix_form(word: Sequence[str], q, k, v, scale: float = 1.0):
    """Attention as three matrix products, drawn with the real matrices of ``word``:
    ``Q (T, d_k)`` times ``K^T (d_k, T)`` gives the scores ``(T, T)``, a softmax along each
    row gives the weights, and the weights times ``V (T, d_v)`` give the output ``(T, d_v)``.
    ``scale`` multiplies the scores (``1 / sqrt(d_k)`` for scaled attention). Every matrix
    carries its shape in its title and the characters on its rows. Returns the Figure."""
    q, k, v = _numpy(q), _numpy(k), _numpy(v)
    T = q.shape[0]
    chars = _characters(word, T)
    scores = (q @ k.T) * scale
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    out = weights @ v
    d_k, d_v = q.shape[1], v.shape[1]
    widths = [d_k, T, T, T, d_v, d_v]
    fig, axes = plt.subplots(
        1,
        6,
        figsize=(0.32 * sum(widths) + 4.5, 3.6),
        gridspec_kw={"width_ratios": widths, "wspace": 0.55},
    )
    feats_k = [f"{i}" for i in range(d_k)]
    feats_v = [f"{i}" for i in range(d_v)]
    _panel(axes[0], q, chars, feats_k, f"Q  {q.shape}")
    _panel(axes[1], k.T, feats_k, chars, f"K^T  {k.T.shape}")
    label = "Q K^T" if scale == 1.0 else f"Q K^T × {scale:.3g}"
    _panel(axes[2], scores, chars, chars, f"scores = {label}\n{scores.shape}")
    _panel(
        axes[3],
        weights,
        chars,
        chars,
        f"weights {weights.shape}\n(each row sums to 1)",
        signed=False,
    )
    _panel(axes[4], v, chars, feats_v, f"V  {v.shape}")
    _panel(axes[5], out, chars, feats_v, f"out = weights V\n{out.shape}")
    fig.canvas.draw()  # positions are final after a draw
    for (a, b), op in zip(
        ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5)), ("×", "=", "softmax\n→", "×", "="), strict=True
    ):
        _between(fig, axes[a], axes[b], op)
    fig.suptitle(
        f"Attention in three products, for {''.join(chars)}: rows are the {T} characters",
        y=1.04,
        parse_math=False,
    )
    r, c = np.unravel_index(int(weights.argmax()), weights.shape)
    describe(
        fig,
        f"Diagram of attention as matrices for {''.join(chars)}, six heatmaps in a row: Q "
        f"{q.shape} times K transposed {k.T.shape} gives the scores {scores.shape}; a softmax of "
        f"each row gives the weights, whose rows sum to 1 (the largest, {weights[r, c]:.2f}, is "
        f"{chars[r]!r} at position {r} attending to {chars[c]!r} at position {c}); the weights "
        f"times V {v.shape} give the output {out.shape}.",
    )
    return fig


def masked_softmax_steps(word: Sequence[str], scores, mask):
    """What a mask does, in three steps drawn from real numbers: the scores ``(T, T)``; the
    same scores with every forbidden one (``mask`` False) replaced by ``-inf``; and the
    softmax of each row, where the forbidden weights are exactly 0 and each row sums to 1
    over what it may see. Returns the Figure."""
    s = _numpy(scores)
    allowed = _numpy(torch.as_tensor(mask).to(torch.float64)).astype(bool)
    T = s.shape[0]
    chars = _characters(word, T)
    hidden = np.where(allowed, s, -np.inf)
    e = np.where(allowed, np.exp(s - np.where(allowed, s, -np.inf).max(-1, keepdims=True)), 0.0)
    weights = e / e.sum(-1, keepdims=True)
    fig, axes = plt.subplots(1, 3, figsize=(3.3 * 3 + 1.2, 3.8), gridspec_kw={"wspace": 0.45})
    top = float(np.abs(s).max())
    _panel(axes[0], s, chars, chars, "1. the scores", signed=True, vmax=top, fmt=".1f")
    shown = np.where(allowed, s, 0.0)
    image = _panel(
        axes[1], shown, chars, chars, "2. forbidden scores set to -inf", signed=True, vmax=top
    )
    for r in range(T):
        for c in range(T):
            text = "-inf" if not allowed[r, c] else f"{hidden[r, c]:.1f}"
            axes[1].text(
                c,
                r,
                text,
                ha="center",
                va="center",
                fontsize=5.5,
                parse_math=False,
                color=text_colour(image.cmap(image.norm(shown[r, c])))
                if allowed[r, c]
                else MASK_COLOURS[0],
            )
    for r in range(T):
        for c in range(T):
            if not allowed[r, c]:
                axes[1].add_patch(
                    plt.Rectangle(
                        (c - 0.5, r - 0.5),
                        1,
                        1,
                        facecolor="#dddddd",
                        edgecolor="white",
                        hatch="///",
                        zorder=0.5,
                    )
                )
    _panel(axes[2], weights, chars, chars, "3. softmax of each row", signed=False, fmt=".2f")
    fig.canvas.draw()
    _between(fig, axes[0], axes[1], "→")
    _between(fig, axes[1], axes[2], "→")
    axes[0].set_ylabel("query", fontsize=8)
    for ax in axes:
        ax.set_xlabel("key", fontsize=8)
    fig.suptitle(f"The mask acts before the softmax ({''.join(chars)})", y=1.03, parse_math=False)
    describe(
        fig,
        f"Three heatmaps of {T} queries by {T} keys for {''.join(chars)}: the scores; the same "
        f"scores with the {int((~allowed).sum())} forbidden cells set to minus infinity (hatched); "
        f"and the softmax of each row, where the forbidden weights are exactly 0 and each row "
        f"sums to 1 over the {int(allowed.sum())} allowed cells (the first row puts "
        f"{weights[0].max():.2f} on what it may see).",
    )
    return fig


def heads_split_join(word: Sequence[str], x, weights, n_heads: int):
    """How heads split and join, for ``x (T, d_model)`` of ``word`` and each head's weights
    ``(n_heads, T, T)``: the ``d_model`` features of every query, key and value are cut into
    ``n_heads`` blocks of ``d_model / n_heads`` consecutive features (one colour per head);
    each head attends with its own block and gives its own weights; the heads' outputs are
    put side by side again (concatenated) and mixed by one last matrix ``W_o``. Returns the
    Figure."""
    x = _numpy(x)
    w = _numpy(weights)
    T, d_model = x.shape
    chars = _characters(word, T)
    if d_model % n_heads or w.shape != (n_heads, T, T):
        raise ValueError(
            f"{n_heads} heads need d_model divisible by them and weights ({n_heads}, {T}, {T}),"
            f" got d_model {d_model} and weights {w.shape}"
        )
    d_head = d_model // n_heads
    colours = [ROLE_COLOURS[r] for r in ("query", "key", "value", "out")]
    colours = (colours * n_heads)[:n_heads]
    fig = plt.figure(figsize=(max(9.0, 2.3 * n_heads + 4), 6.2))
    grid = fig.add_gridspec(3, n_heads, height_ratios=[1.3, 1.6, 0.9], hspace=0.55)
    top = fig.add_subplot(grid[0, :])
    top.imshow(x, cmap=DIVERGING, vmin=-np.abs(x).max(), vmax=np.abs(x).max(), aspect="auto")
    for h in range(n_heads):
        top.add_patch(
            plt.Rectangle(
                (h * d_head - 0.5, -0.5), d_head, T, fill=False, edgecolor=colours[h], linewidth=3
            )
        )
        top.text(
            (h + 0.5) * d_head - 0.5,
            -0.9,
            f"head {h}: features {h * d_head}-{(h + 1) * d_head - 1}",
            ha="center",
            va="bottom",
            fontsize=8,
            color="black",
            parse_math=False,
        )
    top.set_yticks(range(T), chars, parse_math=False, fontsize=7)
    top.set_xticks(range(d_model), [str(i) for i in range(d_model)], fontsize=7)
    top.set_title(
        f"1. split: the {d_model} features of each query (and key, and value), in {n_heads} blocks of {d_head}",
        fontsize=9,
        pad=18,
        parse_math=False,
    )
    for h in range(n_heads):
        ax = fig.add_subplot(grid[1, h])
        _panel(ax, w[h], chars, chars, f"head {h} attends", signed=False)
        for side in ax.spines.values():
            side.set_edgecolor(colours[h])
            side.set_linewidth(3)
    bottom = fig.add_subplot(grid[2, :])
    bottom.axis("off")
    bottom.set_xlim(0, n_heads + 1.6)
    bottom.set_ylim(0, 1)
    for h in range(n_heads):
        _box(
            bottom,
            h + 0.5,
            0.55,
            0.85,
            0.45,
            f"out of head {h}\n({T}, {d_head})",
            face="white",
            edge=colours[h],
            size=8,
        )
    _box(
        bottom,
        n_heads + 0.85,
        0.55,
        1.3,
        0.55,
        f"concatenate: ({T}, {d_model})\nthen × W_o ({d_model}, {d_model})",
        face=ROLE_COLOURS["out"],
        size=8,
    )
    bottom.set_title(
        "2. join: the heads' outputs side by side, mixed by one matrix",
        fontsize=9,
        parse_math=False,
    )
    fig.suptitle(f"{n_heads} heads on {''.join(chars)}", y=0.99, parse_math=False)
    peaks = ", ".join(f"head {h} {w[h].max():.2f}" for h in range(n_heads))
    describe(
        fig,
        f"Diagram of {n_heads} heads on {''.join(chars)}: the {d_model} features of every query, "
        f"key and value are cut into {n_heads} blocks of {d_head}, one colour per head; each head "
        f"attends with its own block and draws its own {T} by {T} weights (largest weight: "
        f"{peaks}); the heads' outputs are joined side by side into ({T}, {d_model}) and mixed by "
        f"one matrix W_o.",
    )
    return fig


def cross_attention(source: Sequence[str], written: Sequence[str], weights, least: float = 0.1):
    """Cross-attention as lines: the encoder's characters (``source``, the keys and values) on
    top, the decoder's (``written``, the queries) below, and a line from each written
    character to each source character it gives at least ``least`` of its weight, as thick and
    as dark as that weight (``weights (T_written, T_source)``, rows summing to 1). The largest
    weight of each row is printed under its character. Returns the Figure."""
    w = _numpy(weights)
    if w.ndim != 2:
        raise ValueError(f"weights must be (T_written, T_source), got shape {w.shape}")
    top, bottom = _characters(source, w.shape[1]), _characters(written, w.shape[0])
    width = max(len(top), len(bottom))
    fig, ax = plt.subplots(figsize=(0.62 * width + 1.8, 3.0))
    for j, ch in enumerate(top):
        _box(ax, j, 2.0, 0.7, 0.5, ch, face=ROLE_COLOURS["key"], size=12)
    for i, ch in enumerate(bottom):
        _box(ax, i, 0.0, 0.7, 0.5, ch, face=ROLE_COLOURS["query"], size=12)
        best = int(w[i].argmax())
        ax.text(i, -0.5, f"{w[i, best]:.2f}", ha="center", va="top", fontsize=8)
        for j in range(len(top)):
            if w[i, j] >= least:
                _arrow(ax, (i, 0.28), (j, 1.72), width=0.5 + 3.5 * w[i, j], alpha=w[i, j])
    ax.text(-0.9, 2.0, "read\n(keys)", ha="right", va="center", fontsize=9)
    ax.text(-0.9, 0.0, "written\n(queries)", ha="right", va="center", fontsize=9)
    ax.set_xlim(-2.4, width - 0.4)
    ax.set_ylim(-0.9, 2.5)
    ax.axis("off")
    ax.set_title(f"cross-attention: lines for weights of at least {least}", fontsize=10)
    reads = ", ".join(
        f"{ch!r} reads {top[int(w[i].argmax())]!r} ({w[i].max():.2f})"
        for i, ch in enumerate(bottom)
    )
    describe(
        fig,
        f"Diagram of cross-attention: the {len(top)} characters read, {''.join(top)}, on top and "
        f"the {len(bottom)} written, {''.join(bottom)}, below, with a line for every weight of at "
        f"least {least}. The largest weight of each written character: {reads}.",
    )
    return fig


def _stage(module, key, shapes):
    def hook(mod, args, out):
        shapes.setdefault(key, tuple((out[0] if isinstance(out, tuple) else out).shape))

    return module.register_forward_hook(hook)


def model_diagram(model, table, name: str):
    """The causal transformer of notebook 08 as boxes, bottom to top, run on ``name``: the
    characters of ``^name``, the embedding, one block (layer norm, attention, the residual
    sum, layer norm, MLP, the residual sum) drawn once for its ``n_layers``, the final norm,
    the head, and the model's three likeliest next characters after ``^name``. Every size
    and shape is read from ``model`` and from that run (forward hooks). Returns the Figure."""
    config, block = model.config, model.blocks[0]
    idx = table.batch(name)
    shapes = {}
    parts = {"embedding": model.tok_emb, "norm": block.ln1, "attention": block.attn}
    parts |= {"mlp": block.mlp, "final": model.ln_f, "head": model.head}
    hooks = [_stage(m, key, shapes) for key, m in parts.items()]
    try:
        with torch.no_grad(), evaluating(model):
            logits, _ = model(idx)
    finally:
        for h in hooks:
            h.remove()
    probs = torch.softmax(logits[0, -1].double(), dim=-1)
    top = torch.topk(probs, 3)
    nxt = ", ".join(
        f"{table.itos[int(i)]} {p:.2f}" for p, i in zip(top.values, top.indices, strict=True)
    )
    chars = list(table.reads(name))
    rel = " + a score per distance back" if block.rel is not None else ""
    tied = ", the embedding's transpose" if config.tie_weights else ""
    stages = [  # (y, text, shape key, colour)
        (
            1.0,
            f"token embedding: {config.vocab_size} symbols -> {config.d_model} numbers",
            "embedding",
            "#dddddd",
        ),
        (2.2, "layer norm", "norm", "white"),
        (3.2, f"causal attention, {config.n_heads} heads{rel}", "attention", ROLE_COLOURS["query"]),
        (4.2, "+  (the residual: x + attention)", None, "white"),
        (5.2, "layer norm", None, "white"),
        (
            6.2,
            f"MLP: {config.d_model} -> {config.d_ff}, GELU, -> {config.d_model}",
            "mlp",
            ROLE_COLOURS["value"],
        ),
        (7.2, "+  (the residual: x + MLP)", None, "white"),
        (8.4, "final layer norm", "final", "white"),
        (9.4, f"head: {config.d_model} -> {config.vocab_size} scores{tied}", "head", "#dddddd"),
    ]
    fig, ax = plt.subplots(figsize=(7.2, 6.0))
    for j, ch in enumerate(chars):
        _box(ax, -1.6 + 3.2 * j / max(len(chars) - 1, 1), 0.0, 0.3, 0.42, ch, size=10)
    ax.text(2.0, 0.0, f"input ids {tuple(idx.shape)}", va="center", fontsize=8)
    _arrow(ax, (0, 0.25), (0, 0.75))
    for k, (y, text, key, face) in enumerate(stages):
        _box(ax, 0, y, 4.2, 0.5, text, face=face, size=9)
        if key in shapes:
            ax.text(2.25, y, str(shapes[key]), va="center", fontsize=8)
        if k + 1 < len(stages):
            _arrow(ax, (0, y + 0.27), (0, stages[k + 1][0] - 0.27))
    for start, end in ((1.6, 4.2), (4.6, 7.2)):  # the residual paths around each sub-layer
        ax.plot([-2.1, -2.5, -2.5], [start, start, end], color="grey", linewidth=1.2)
        _arrow(ax, (-2.5, end), (-2.1, end), colour="grey")
    ax.add_patch(
        FancyBboxPatch(
            (-2.8, 1.75),
            5.85,
            5.8,
            boxstyle="round,pad=0.05",
            fill=False,
            linestyle="--",
            edgecolor="grey",
        )
    )
    ax.text(-2.7, 7.75, f"one block, repeated {config.n_layers} times", fontsize=9, color="dimgrey")
    _arrow(ax, (0, 9.67), (0, 10.1))
    ax.text(
        0,
        10.3,
        f"next character after {''.join(chars)}: {nxt}",
        ha="center",
        fontsize=9,
        parse_math=False,
    )
    ax.set_xlim(-3.0, 3.6)
    ax.set_ylim(-0.5, 10.7)
    ax.axis("off")
    describe(
        fig,
        f"Diagram of the model as boxes from bottom to top, run on {''.join(chars)}: the input "
        f"ids {tuple(idx.shape)}; the token embedding of {config.vocab_size} symbols into "
        f"{config.d_model} numbers; one block, repeated {config.n_layers} times, of layer norm, "
        f"causal attention with {config.n_heads} heads{rel}, a residual sum, layer norm, the MLP "
        f"{config.d_model} to {config.d_ff} and back, and a residual sum; the final layer norm; "
        f"the head to {config.vocab_size} scores. The likeliest next characters: {nxt}.",
    )
    return fig


def training_loop(config, history):
    """One training step as a loop of boxes, with the numbers of ``config`` (a TrainConfig)
    and of ``history`` (its run): the batch, the loss (first and last batch), the gradients,
    the clipping, the AdamW step, the weight average, and in the middle how often the
    validation names are measured and which weights are kept. Returns the Figure."""
    import math

    losses = history.batch_loss
    loss = f"{losses[0]:.2f} at step 1, {losses[-1]:.2f} at step {len(losses)}" if losses else ""
    steps = [
        f"a batch of {config.batch_size} training names",
        f"forward: scores and the loss,\n{loss}",
        "backward: loss.backward(),\na gradient for every weight",
        "clip the gradient\nto length 1",
        f"AdamW step: lr {config.lr:g} -> {config.min_lr:g},\nweight decay {config.weight_decay:g}",
    ]
    if config.ema:
        steps.append(f"average the weights:\nema {config.ema:g}")
    fig, ax = plt.subplots(figsize=(8.5, 5.6))
    n = len(steps)
    points = [
        (3.4 * math.sin(2 * math.pi * k / n), 2.0 * math.cos(2 * math.pi * k / n)) for k in range(n)
    ]
    for (x, y), text in zip(points, steps, strict=True):
        _box(ax, x, y, 3.1, 0.8, text, size=8.5)
    for k in range(n):
        (x0, y0), (x1, y1) = points[k], points[(k + 1) % n]
        a, b = (
            (x0 + 0.18 * (x1 - x0), y0 + 0.18 * (y1 - y0)),
            (x0 + 0.82 * (x1 - x0), y0 + 0.82 * (y1 - y0)),
        )
        _arrow(ax, a, b)
    middle = (
        f"{config.steps} steps\n\nevery {config.eval_every} steps: the loss\non the validation names;\n"
        f"kept: the best, step {history.best_step}"
    )
    ax.text(0, 0, middle, ha="center", va="center", fontsize=9)
    ax.set_xlim(-5.1, 5.1)
    ax.set_ylim(-2.6, 2.6)
    ax.axis("off")
    loop = "; ".join(" ".join(step.split()) for step in steps)
    describe(
        fig,
        f"Diagram of one training step as a loop of {n} boxes, each leading to the next and the "
        f"last back to the first: {loop}. In the middle: {config.steps} steps, the validation "
        f"loss every {config.eval_every} steps, and the weights kept from step {history.best_step}.",
    )
    return fig
