"""Positional information: learned position embeddings and fixed sinusoidal encodings.

Attention by itself cannot tell ``abhishek`` from a shuffle of it (notebook 06). Adding a
vector that depends on the position to each character's embedding fixes that:

- :class:`LearnedPositions`: a trainable table, one row per position up to ``max_len``;
- :func:`sinusoidal_positions` / :class:`SinusoidalPositions`: the fixed sine and cosine
  waves of "Attention Is All You Need", nothing to train.

Both modules map ``x (..., T, d_model)`` to ``x + P[:T]``. :class:`RelativePositions` gives
positions to attention instead: a learned score for each head and each *distance* back.
"""

from __future__ import annotations

import math
import operator

import torch
from torch import nn


def _size(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``; a ValueError naming it otherwise."""
    try:
        n = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {n}")
    return n


#: The most numbers a table of positions may hold (the series' tables hold a few thousand).
MAX_NUMBERS = 10_000_000


def _table_size(T: int, d_model: int, names: str) -> None:
    if T * d_model > MAX_NUMBERS:
        raise ValueError(
            f"{names} = {T} x {d_model} = {T * d_model:,} numbers: more than {MAX_NUMBERS:,}, "
            "far larger than any model here"
        )


def _check_x(x, d_model: int, max_len: int, start: int = 0) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a tensor (..., T, d_model), got {type(x).__name__}")
    if x.dim() < 2 or x.shape[-1] != d_model:
        raise ValueError(f"x must be (..., T, d_model={d_model}), got {tuple(x.shape)}")
    if start < 0 or start + x.shape[-2] > max_len:
        raise ValueError(
            f"positions {start} to {start + x.shape[-2] - 1}: a sequence of length "
            f"{x.shape[-2]} from position {start} does not fit max_len={max_len}"
            if start
            else f"sequence of length {x.shape[-2]} is longer than max_len={max_len}"
        )


def sinusoidal_positions(T: int, d_model: int) -> torch.Tensor:
    """The fixed encodings of "Attention Is All You Need": ``(T, d_model)``.

    ``P[t, 2i] = sin(t / 10000^(2i/d_model))``, ``P[t, 2i+1] = cos(...)``: pair ``i`` is a
    wave of wavelength ``2 pi 10000^(2i/d_model)``, from ``2 pi`` (column 0) up towards
    ``2 pi 10000``. Every row has norm ``sqrt(d_model / 2)``, and ``P[t] . P[t + k]`` depends
    only on the distance ``k``.
    """
    T, d_model = _size(T, "T"), _size(d_model, "d_model", 2)
    _table_size(T, d_model, "T x d_model")
    if d_model % 2:
        raise ValueError(f"d_model must be even (sine and cosine pairs), got {d_model}")
    position = torch.arange(T, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    P = torch.zeros(T, d_model)
    P[:, 0::2] = torch.sin(position * freq)
    P[:, 1::2] = torch.cos(position * freq)
    return P


class _Positions(nn.Module):
    """What both kinds share: ``max_len`` and ``d_model``, checked."""

    def __init__(self, max_len: int, d_model: int):
        super().__init__()
        self.max_len, self.d_model = _size(max_len, "max_len"), _size(d_model, "d_model")
        _table_size(self.max_len, self.d_model, "max_len x d_model")


class LearnedPositions(_Positions):
    """A learned vector per position: ``x (..., T, d_model)`` -> ``x + P[:T]``, ``T <= max_len``.

    ``self.table.weight`` is the ``(max_len, d_model)`` table, initialised like any
    ``nn.Embedding`` (standard normal) and trained with the rest of a model.
    """

    def __init__(self, max_len: int, d_model: int):
        super().__init__(max_len, d_model)
        self.table = nn.Embedding(self.max_len, self.d_model)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        """``x + P[start : start + T]``: ``start`` > 0 for characters that follow ``start``
        earlier ones (generation with a KV cache)."""
        _check_x(x, self.d_model, self.max_len, start)
        return x + self.table(torch.arange(start, start + x.shape[-2], device=x.device))


class SinusoidalPositions(_Positions):
    """Fixed sinusoidal encodings as a module: ``x (..., T, d_model)`` -> ``x + P[:T]``.

    ``P`` is :func:`sinusoidal_positions` ``(max_len, d_model)``, stored as a buffer (it
    moves with the module, is saved in its state, and is never trained).
    """

    def __init__(self, max_len: int, d_model: int):
        super().__init__(max_len, d_model)
        self.register_buffer("table", sinusoidal_positions(self.max_len, self.d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_x(x, self.d_model, self.max_len)
        return x + self.table[: x.shape[-2]].to(x.dtype)


class RelativePositions(nn.Module):
    """A learned score per head and distance, added to the attention scores (notebook 08).

    ``forward(T)`` -> ``bias (n_heads, T, T)`` with ``bias[h, i, j] = table[h, i - j]`` for
    keys ``j <= i`` (0 above the diagonal, where the causal mask hides the keys anyway).
    ``table`` ``(n_heads, max_len)`` starts at zero (no preference); training raises the
    distances a head should look at: ``table[h, 1]`` high = head ``h`` looks one character back.
    """

    def __init__(self, max_len: int, n_heads: int):
        super().__init__()
        self.max_len, self.n_heads = _size(max_len, "max_len"), _size(n_heads, "n_heads")
        self.table = nn.Parameter(torch.zeros(self.n_heads, self.max_len))

    def forward(self, T: int) -> torch.Tensor:
        if not 1 <= T <= self.max_len:
            raise ValueError(f"T must be between 1 and max_len={self.max_len}, got {T}")
        i = torch.arange(T, device=self.table.device)
        distance = (i[:, None] - i[None, :]).clamp(min=0)  # (T, T): how far back key j is
        return self.table[:, distance]
