"""Models that predict the next character of a name: count baselines and a small transformer.

Every model has the same interface (as in makemore)::

    logits, loss = model(idx, targets)     # idx, targets: (B, T) -> logits: (B, T, V)

``idx`` holds the ids of ``^name`` (padded on the right), ``targets`` the ids of ``name$``
with :data:`IGNORE_INDEX` where there is padding. The loss is the mean negative
log-likelihood in nats per predicted character, counting the end token ``$`` once per name
and ignoring the padding (see :func:`encode_batch`).

:class:`NGramModel` counts (n-1 previous characters -> next character) with add-alpha
smoothing; :class:`CausalTransformer` is embeddings + learned positions, ``n_layers`` pre-norm
blocks of causal :class:`~attention_utils.attention.MultiHeadAttention` and an MLP, and a
linear head; :meth:`CausalTransformer.attention_maps` gives every layer's weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from attention_utils.attention import MultiHeadAttention
from attention_utils.positions import LearnedPositions
from attention_utils.runtime import one_thread
from attention_utils.vocab import END, START, CharTable

#: Target id of padding: ignored by the loss.
IGNORE_INDEX = -1

# --------------------------------------------------------------------------- batches


def encode_batch(names: Sequence[str], table: CharTable, device=None):
    """Names -> ``(idx, targets)``, both ``(B, T)`` long tensors with ``T = max len + 1``.

    ``idx[b]`` is ``^name`` padded with the id of ``$``; ``targets[b]`` is ``name$`` padded
    with :data:`IGNORE_INDEX`. So each name contributes ``len(name) + 1`` predictions: every
    letter and the end token once, and padding none.
    """
    if isinstance(names, str):
        raise ValueError(f"encode_batch takes a list of names, got the string {names!r}")
    if len(names) == 0:
        raise ValueError("encode_batch needs at least one name, got an empty list")
    T = max(len(n) for n in names) + 1
    pad = table.stoi[END]
    idx = torch.full((len(names), T), pad, dtype=torch.long)
    targets = torch.full((len(names), T), IGNORE_INDEX, dtype=torch.long)
    for b, name in enumerate(names):
        ids = table.encode(table.wrap(name))  # ^ n a m e $
        idx[b, : len(ids) - 1] = ids[:-1]
        targets[b, : len(ids) - 1] = ids[1:]
    return idx.to(device), targets.to(device)


def _loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
    if targets is None:
        return None
    if targets.shape != logits.shape[:2]:
        raise ValueError(
            f"targets must be (B, T) = {tuple(logits.shape[:2])}, got {tuple(targets.shape)}"
        )
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX
    )


def check_idx(idx, vocab_size: int) -> None:
    """A TypeError or ValueError naming ``idx`` unless it is a ``(B, T)`` tensor of ids."""
    if not isinstance(idx, torch.Tensor):
        raise TypeError(f"idx must be a (B, T) tensor of ids, got {type(idx).__name__}")
    if idx.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"idx must hold integer ids (torch.long), got {idx.dtype}")
    if idx.dim() != 2 or 0 in idx.shape:
        raise ValueError(f"idx must be (B, T) with B, T >= 1, got shape {tuple(idx.shape)}")
    if idx.numel() and (idx.min() < 0 or idx.max() >= vocab_size):
        raise ValueError(
            f"idx: ids must be in 0..{vocab_size - 1}, got {int(idx.min())}..{int(idx.max())}"
        )


def check_model_table(model: nn.Module, table: CharTable) -> None:
    """A ValueError unless ``model`` reads and writes the symbols of ``table``.

    A :class:`CausalTransformer` needs ``config.vocab_size == len(table)``; an
    :class:`NGramModel` must have been built with the same symbols.
    """
    if isinstance(model, NGramModel):
        if model.table.symbols != table.symbols:
            raise ValueError(
                f"table: the model counts the symbols {model.table.describe()}, but the table "
                f"has {table.describe()}: fit the model with this table"
            )
        return
    size = getattr(getattr(model, "config", None), "vocab_size", None)
    if size is not None and size != len(table):
        raise ValueError(
            f"table: the model reads {size} symbols, but the character table has {len(table)} "
            f"({table.describe()}): build the model with ModelConfig(vocab_size=len(table))"
        )


def count_parameters(model: nn.Module) -> int:
    """Number of numbers the model learns (parameters that need gradients; counts for n-grams)."""
    if isinstance(model, NGramModel):
        return model.num_parameters()
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# --------------------------------------------------------------------------- count baselines


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
        return logits, _loss(logits, targets)


# --------------------------------------------------------------------------- the transformer


def at_least_one(config, *fields: str) -> None:
    """A ValueError naming the first of ``config``'s ``fields`` that is below 1."""
    for field in fields:
        if getattr(config, field) < 1:
            raise ValueError(f"{field} must be at least 1, got {getattr(config, field)}")


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

    def __post_init__(self):
        at_least_one(self, "vocab_size", "block_size", "d_model", "n_heads", "n_layers", "d_ff")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


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

    def forward(self, x: torch.Tensor, causal: bool = True):
        out, weights = self.attn(self.ln1(x), causal=causal)
        x = x + self.drop(out)
        x = x + self.mlp(self.ln2(x))
        return x, weights


class CausalTransformer(nn.Module):
    """A small decoder-only transformer over characters.

    ``forward(idx (B, T), targets (B, T) or None)`` -> ``(logits (B, T, vocab_size), loss)``.
    ``attention_maps(idx, causal=True)`` -> one ``(B, n_heads, T, T)`` tensor per layer.
    The weights of the last forward pass are also kept in ``last_weights``.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.pos = LearnedPositions(config.block_size, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size)
        self.last_weights: list[torch.Tensor] = []
        self.apply(self._init)

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
        x = self.drop(self.pos(self.tok_emb(idx)))
        weights = []
        for block in self.blocks:
            x, w = block(x, causal=causal)
            weights.append(w.detach())
        self.last_weights = weights
        logits = self.head(self.ln_f(x))
        return logits, _loss(logits, targets)

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor, causal: bool = True) -> list[torch.Tensor]:
        """Every layer's attention weights for ``idx (B, T)``: a list of ``(B, H, T, T)``.

        Queries on rows, keys on columns. ``causal=False`` runs every layer without the mask:
        what the trained queries and keys do when they may look ahead, which the model never
        did in training. Runs in eval mode (no dropout) on one CPU thread (fastest for a model
        this small) and restores the mode it was in.
        """
        was_training = self.training
        self.eval()
        try:
            with one_thread():
                self(idx, causal=causal)
        finally:
            self.train(was_training)
        return list(self.last_weights)
