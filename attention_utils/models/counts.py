"""The count baselines: next character from the n - 1 previous ones, by counting (notebook 08)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from attention_utils.models.common import check_idx, next_char_loss
from attention_utils.vocab import START, CharTable


class NGramModel(nn.Module):
    """Next character from the ``n - 1`` previous ones, by counting, with add-``alpha`` smoothing.

    ``P(c | context) = (count(context, c) + alpha) / (count(context) + alpha * (V - 1))``
    over every symbol except ``^`` (which never follows anything; it gets probability 0).
    Contexts that reach before the start of the name are filled with ``^``.
    ``forward(idx (B, T), targets=None)`` -> ``(logits (B, T, V), loss)``, where the logits
    are log-probabilities.
    """

    def __init__(self, n: int, table: CharTable, alpha: float = 1.0):
        super().__init__()
        if n < 1:
            raise ValueError(f"n must be at least 1 (1 = unigram, 2 = bigram), got {n}")
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        self.n, self.alpha, self.table = n, float(alpha), table
        V = len(table)
        self.register_buffer("counts", torch.zeros((V,) * n, dtype=torch.float64))

    def fit(self, names: Sequence[str]) -> NGramModel:
        """Count every (context, next character) in ``names`` (wrapped as ``^name$``)."""
        self.counts.zero_()
        start = self.table.stoi[START]
        for name in names:
            ids = [start] * (self.n - 1) + self.table.encode(self.table.wrap(name)).tolist()[1:]
            for i in range(len(ids) - self.n + 1):
                self.counts[tuple(ids[i : i + self.n])] += 1
        return self

    def probs(self) -> torch.Tensor:
        """``(V,) * n`` table: the last axis is the next character, and sums to 1."""
        if self.alpha == 0 and bool((self.counts.sum(-1) == 0).any()):
            smoothed = self.counts + 1e-12  # unseen contexts: uniform instead of 0/0
        else:
            smoothed = self.counts + self.alpha
        smoothed = smoothed.clone()
        smoothed[..., self.table.stoi[START]] = 0.0
        return smoothed / smoothed.sum(-1, keepdim=True)

    def num_parameters(self) -> int:
        """Free numbers in the probability table: ``V^(n-1)`` contexts x ``(V - 2)``."""
        V = len(self.table)
        return V ** (self.n - 1) * (V - 2)

    def contexts(self, idx: torch.Tensor) -> torch.Tensor:
        """``idx (B, T)`` -> ``(B, T, n-1)``: the ids each position predicts from.

        Position t reads ``idx[t-n+2 .. t]``; positions before the start are ``^``.
        """
        B, T = idx.shape
        if self.n == 1:
            return idx.new_zeros(B, T, 0)
        before = torch.full((B, self.n - 2), self.table.stoi[START], dtype=idx.dtype)
        return torch.cat([before, idx.cpu()], dim=1).unfold(1, self.n - 1, 1)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        check_idx(idx, len(self.table))
        logp = self.probs().log().float()
        ctx = self.contexts(idx)
        logits = logp[tuple(ctx.unbind(-1))] if self.n > 1 else logp.expand(*idx.shape, -1)
        logits = logits.to(idx.device)
        return logits, next_char_loss(logits, targets)
