"""Reading the heads of a trained model: where each one looks, against an even spread.

Notebook 08 uses these to say what each head of the standard model learned.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from attention_utils.vocab import END, CharTable

VOWELS = "aeiou"


def attention_profile(weights: Sequence[torch.Tensor], idx: torch.Tensor, table: CharTable):
    """Where each head looks, averaged over the characters of a batch of names.

    ``weights``: one ``(B, H, T, T)`` tensor per layer (from
    :meth:`~attention_utils.models.CausalTransformer.attention_maps`); ``idx (B, T)``: the inputs ``^name`` from
    :func:`encode_batch`. Averages over every query from the second letter on (so that the
    start token, the character two back, the previous character and the query itself are
    four different keys) of every name, padding left out. Returns a list of dicts, one per
    layer and head, with the mean weight on:

    - ``start``: the start token ``^``;
    - ``two back``: the character two before the query;
    - ``previous``: the character just before the query;
    - ``self``: the query's own character;
    - ``vowels``: keys that are vowels (a, e, i, o, u), all together.

    :func:`uniform_weights` gives the weights of a head that spreads its attention evenly,
    the reference to compare with.
    """
    if idx.dim() != 2:
        raise ValueError(f"idx must be (B, T), got shape {tuple(idx.shape)}")
    B, T = idx.shape
    lengths = (idx != table.stoi[END]).sum(1)  # ^name has no $; padding is $
    pos = torch.arange(T)
    queries = (pos[None, :] >= 2) & (pos[None, :] < lengths[:, None])  # (B, T)
    n = queries.sum().clamp(min=1)
    vowel_ids = torch.tensor([table.stoi[c] for c in VOWELS if c in table.stoi], dtype=idx.dtype)
    is_vowel = torch.isin(idx, vowel_ids).double()  # (B, T) over keys
    rows = []
    for layer, w in enumerate(weights):
        if w.dim() != 4 or w.shape[0] != B or w.shape[-1] != T:
            raise ValueError(
                f"layer {layer}: weights must be (B={B}, H, T={T}, T), got {tuple(w.shape)}"
            )
        w = w.detach().cpu().double()
        back1 = torch.zeros_like(w[..., 0])
        back1[..., 1:] = torch.diagonal(w, offset=-1, dim1=-2, dim2=-1)
        back2 = torch.zeros_like(w[..., 0])
        back2[..., 2:] = torch.diagonal(w, offset=-2, dim1=-2, dim2=-1)
        stats = {
            "start": w[..., 0],
            "two back": back2,
            "previous": back1,
            "self": torch.diagonal(w, dim1=-2, dim2=-1),
            "vowels": (w * is_vowel[:, None, None, :]).sum(-1),
        }  # each (B, H, T): one number per query
        for head in range(w.shape[1]):
            row = {"layer": layer, "head": head}
            for key, value in stats.items():
                row[key] = float((value[:, head] * queries).sum() / n)
            rows.append(row)
    return rows


def uniform_causal(T: int) -> torch.Tensor:
    """``(T, T)`` causal weights that spread evenly: query i gives ``1 / (i + 1)`` to each key
    j <= i. What a head does that has learned nothing (see notebook 12)."""
    if isinstance(T, bool) or not isinstance(T, int) or not 1 <= T <= 20_000:
        raise ValueError(f"T must be a whole number from 1 to 20,000, got {T!r}")
    w = torch.ones(T, T).tril()
    return w / w.sum(-1, keepdim=True)


def uniform_weights(idx: torch.Tensor, n_heads: int = 1) -> torch.Tensor:
    """:func:`uniform_causal` laid out as the model's weights: ``idx (B, T)`` ->
    ``(B, n_heads, T, T)``."""
    B, T = idx.shape
    return uniform_causal(T).expand(B, n_heads, T, T).clone()
