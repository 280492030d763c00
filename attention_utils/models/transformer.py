"""The causal transformer of notebooks 08, 09 and 12: embeddings, positions, attention blocks, a head."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from attention_utils.attention import MultiHeadAttention
from attention_utils.models.common import at_least_one, check_idx, evaluating, next_char_loss
from attention_utils.positions import LearnedPositions, RelativePositions
from attention_utils.runtime import one_thread


@dataclass
class ModelConfig:
    """Sizes of :class:`CausalTransformer`. Plain types only, so it can be saved and loaded."""

    vocab_size: int = 28
    block_size: int = 16  # the longest input ^name it can read (letters + 1)
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 128  # hidden size of the MLP
    dropout: float = 0.2
    tie_weights: bool = False  # the output head reuses the token embedding (its transpose)
    positions: str = "learned"  # "learned" (added to x), "relative" (added to scores), "both"

    def __post_init__(self):
        at_least_one(self, "vocab_size", "block_size", "d_model", "n_heads", "n_layers", "d_ff")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.positions not in ("learned", "relative", "both"):
            raise ValueError(
                f"positions must be 'learned', 'relative' or 'both', got {self.positions!r}"
            )


class Block(nn.Module):
    """One transformer layer: ``x (B, T, d_model)`` -> ``(x, weights (B, H, T, T))``.

    Pre-norm: ``x = x + attn(ln1(x))``, ``x = x + mlp(ln2(x))``; the attention is causal
    unless ``causal=False`` (never in training: only to look at what the mask hides).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.d_model)
        self.attn = MultiHeadAttention(config.d_model, config.n_heads, dropout=config.dropout)
        self.ln2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, config.d_ff),
            nn.GELU(),
            nn.Linear(config.d_ff, config.d_model),
            nn.Dropout(config.dropout),
        )
        self.drop = nn.Dropout(config.dropout)
        self.rel = None
        if config.positions in ("relative", "both"):
            self.rel = RelativePositions(config.block_size, config.n_heads)

    def forward(self, x: torch.Tensor, causal: bool = True, need_weights: bool = True):
        bias = self.rel(x.shape[1]) if self.rel is not None else None
        out, weights = self.attn(self.ln1(x), causal=causal, need_weights=need_weights, bias=bias)
        x = x + self.drop(out)
        x = x + self.mlp(self.ln2(x))
        return x, weights

    def forward_cached(self, x: torch.Tensor, cache: dict | None):
        """:meth:`forward` (causal) for the new positions ``x (B, n, d_model)`` only, the
        earlier ones' keys and values in ``cache``; returns ``(x, cache)``."""
        total = n = x.shape[1]
        if cache is not None:
            total += cache["k"].shape[2]
        bias = self.rel(total)[:, total - n :] if self.rel is not None else None
        out, cache = self.attn.forward_cached(self.ln1(x), cache, bias=bias)
        x = x + self.drop(out)
        return x + self.mlp(self.ln2(x)), cache


class CausalTransformer(nn.Module):
    """A small decoder-only transformer over characters.

    ``forward(idx (B, T), targets (B, T) or None)`` -> ``(logits (B, T, vocab_size), loss)``.
    ``attention_maps(idx, causal=True)`` -> one ``(B, n_heads, T, T)`` tensor per layer.
    The weights of the last forward pass in eval mode are also kept in ``last_weights``; in
    training mode nobody looks at them, so the attention takes the fast fused path (see
    :class:`~attention_utils.attention.MultiHeadAttention`) and ``last_weights`` is empty.
    ``config.tie_weights``: the head's weight *is* the embedding table (one ``(V, d_model)``
    matrix reads characters in and scores them out).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.pos = None
        if config.positions in ("learned", "both"):
            self.pos = LearnedPositions(config.block_size, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size)
        self.last_weights: list[torch.Tensor] = []
        self.apply(self._init)
        if config.tie_weights:
            self.head.weight = self.tok_emb.weight

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, causal: bool = True):
        check_idx(idx, self.config.vocab_size)
        if idx.shape[1] > self.config.block_size:
            raise ValueError(
                f"idx: a sequence of length {idx.shape[1]} is longer than block_size="
                f"{self.config.block_size}"
            )
        x = self.tok_emb(idx)
        x = self.drop(self.pos(x) if self.pos is not None else x)
        weights = []
        for block in self.blocks:
            x, w = block(x, causal=causal, need_weights=not self.training)
            if w is not None:
                weights.append(w.detach())
        self.last_weights = weights
        logits = self.head(self.ln_f(x))
        return logits, next_char_loss(logits, targets)

    @torch.no_grad()
    def forward_cached(self, idx: torch.Tensor, cache: list[dict] | None = None):
        """Generation with a KV cache: the logits of the new characters ``idx (B, n)`` that
        follow the ones already read, whose keys and values are in ``cache`` (one dict per
        layer, from the last call; ``None`` to start). Returns ``(logits (B, n, vocab_size),
        cache)``. The same logits as ``forward`` on the whole sequence (causal), while each
        step computes the new characters' rows only. Eval mode (no dropout) is the caller's."""
        check_idx(idx, self.config.vocab_size)
        start = cache[0]["k"].shape[2] if cache else 0
        if start + idx.shape[1] > self.config.block_size:
            raise ValueError(
                f"idx: {start} cached and {idx.shape[1]} new characters are more than "
                f"block_size={self.config.block_size}"
            )
        x = self.tok_emb(idx)
        x = self.drop(self.pos(x, start=start) if self.pos is not None else x)
        cache = cache or [None] * len(self.blocks)
        new = []
        for block, past in zip(self.blocks, cache, strict=True):
            x, past = block.forward_cached(x, past)
            new.append(past)
        return self.head(self.ln_f(x)), new

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor, causal: bool = True) -> list[torch.Tensor]:
        """Every layer's attention weights for ``idx (B, T)``: a list of ``(B, H, T, T)``.

        Queries on rows, keys on columns. ``causal=False`` runs every layer without the mask:
        what the trained queries and keys do when they may look ahead, which the model never
        did in training. Runs in eval mode (no dropout) on one CPU thread (fastest for a model
        this small) and restores the mode it was in.
        """
        with evaluating(self), one_thread():
            self(idx, causal=causal)
        return list(self.last_weights)
