"""Models that predict the next character of a name: count baselines and a small transformer.

Every model has the same interface (as in makemore)::

    logits, loss = model(idx, targets)     # idx, targets: (B, T) -> logits: (B, T, V)

``idx`` holds the ids of ``^name`` (padded on the right), ``targets`` the ids of ``name$``
with :data:`IGNORE_INDEX` where there is padding. The loss is the mean negative
log-likelihood in nats per predicted character, counting the end token ``$`` once per name
and ignoring the padding (see :func:`encode_batch`).

- :class:`NGramModel`: counts of (n-1 previous characters -> next character), add-alpha
  smoothing; ``n=2`` is the bigram model, ``n=3`` the trigram model.
- :class:`CausalTransformer`: embeddings + learned positions, then ``n_layers`` blocks of
  (layer norm, causal :class:`~attention_utils.attention.MultiHeadAttention`, residual,
  layer norm, MLP, residual), a final layer norm and a linear head. Every layer's attention
  weights are returned by :meth:`CausalTransformer.attention_weights`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from attention_utils.attention import MultiHeadAttention
from attention_utils.positions import LearnedPositions
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
        if idx.dim() != 2:
            raise ValueError(f"idx must be (B, T), got shape {tuple(idx.shape)}")
        logp = self.probs().log().float()
        ctx = self.contexts(idx)
        logits = logp[tuple(ctx.unbind(-1))] if self.n > 1 else logp.expand(*idx.shape, -1)
        logits = logits.to(idx.device)
        return logits, _loss(logits, targets)


# --------------------------------------------------------------------------- the transformer


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
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        for field in ("vocab_size", "block_size", "d_model", "n_heads", "n_layers", "d_ff"):
            if getattr(self, field) < 1:
                raise ValueError(f"{field} must be at least 1, got {getattr(self, field)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class Block(nn.Module):
    """One transformer layer: ``x (B, T, d_model)`` -> ``(x, weights (B, H, T, T))``.

    Pre-norm: ``x = x + attn(ln1(x))``, ``x = x + mlp(ln2(x))``; the attention is causal.
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

    def forward(self, x: torch.Tensor):
        out, weights = self.attn(self.ln1(x), causal=True)
        x = x + self.drop(out)
        x = x + self.mlp(self.ln2(x))
        return x, weights


class CausalTransformer(nn.Module):
    """A small decoder-only transformer over characters.

    ``forward(idx (B, T), targets (B, T) or None)`` -> ``(logits (B, T, vocab_size), loss)``.
    ``attention_weights(idx)`` -> one ``(B, n_heads, T, T)`` tensor per layer.
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

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        if idx.dim() != 2:
            raise ValueError(f"idx must be (B, T), got shape {tuple(idx.shape)}")
        if idx.shape[1] > self.config.block_size:
            raise ValueError(
                f"sequence of length {idx.shape[1]} is longer than block_size="
                f"{self.config.block_size}"
            )
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.config.vocab_size):
            raise ValueError(
                f"ids must be in 0..{self.config.vocab_size - 1}, got {idx.min()}..{idx.max()}"
            )
        x = self.drop(self.pos(self.tok_emb(idx)))
        weights = []
        for block in self.blocks:
            x, w = block(x)
            weights.append(w.detach())
        self.last_weights = weights
        logits = self.head(self.ln_f(x))
        return logits, _loss(logits, targets)

    @torch.no_grad()
    def attention_weights(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's attention weights for ``idx (B, T)``: a list of ``(B, H, T, T)``.

        Runs the model in eval mode (no dropout) and restores the mode it was in.
        """
        was_training = self.training
        self.eval()
        try:
            self(idx)
        finally:
            self.train(was_training)
        return list(self.last_weights)


# --------------------------------------------------------------------------- reading the heads

VOWELS = "aeiou"


def attention_profile(weights: Sequence[torch.Tensor], idx: torch.Tensor, table: CharTable):
    """Where each head looks, averaged over the characters of a batch of names.

    ``weights``: one ``(B, H, T, T)`` tensor per layer (from
    :meth:`CausalTransformer.attention_weights`); ``idx (B, T)``: the inputs ``^name`` from
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
    is_vowel = torch.isin(idx, vowel_ids).to(torch.float32)  # (B, T) over keys
    rows = []
    for layer, w in enumerate(weights):
        if w.dim() != 4 or w.shape[0] != B or w.shape[-1] != T:
            raise ValueError(
                f"layer {layer}: weights must be (B={B}, H, T={T}, T), got {tuple(w.shape)}"
            )
        w = w.detach().cpu().float()
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


def uniform_weights(idx: torch.Tensor, n_heads: int = 1) -> torch.Tensor:
    """Causal weights that spread evenly: query i gives ``1 / (i + 1)`` to each key j <= i.

    ``idx (B, T)`` -> ``(B, n_heads, T, T)``, laid out as the model's weights.
    """
    B, T = idx.shape
    w = torch.ones(T, T).tril()
    w = w / w.sum(-1, keepdim=True)
    return w.expand(B, n_heads, T, T).clone()
