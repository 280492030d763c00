"""Positional information: learned position embeddings and fixed sinusoidal encodings.

Attention by itself cannot tell ``abhishek`` from a shuffle of it (notebook 06). Adding a
vector that depends on the position to each character's embedding fixes that.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_positions(T: int, d_model: int) -> torch.Tensor:
    """The fixed encodings of "Attention Is All You Need": ``(T, d_model)``.

    ``P[t, 2i] = sin(t / 10000^(2i/d_model))``, ``P[t, 2i+1] = cos(...)``.
    """
    if T < 1 or d_model < 2 or d_model % 2:
        raise ValueError(f"need T >= 1 and an even d_model >= 2, got T={T}, d_model={d_model}")
    position = torch.arange(T, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    P = torch.zeros(T, d_model)
    P[:, 0::2] = torch.sin(position * freq)
    P[:, 1::2] = torch.cos(position * freq)
    return P


class LearnedPositions(nn.Module):
    """A learned vector per position: ``x (B, T, d_model)`` -> ``x + P[:T]``, up to ``max_len``."""

    def __init__(self, max_len: int, d_model: int):
        super().__init__()
        self.max_len = max_len
        self.table = nn.Embedding(max_len, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[-2]
        if T > self.max_len:
            raise ValueError(f"sequence of length {T} is longer than max_len={self.max_len}")
        return x + self.table(torch.arange(T, device=x.device))
