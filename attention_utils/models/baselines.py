"""The neural baselines a reader would pick instead of attention: an MLP and a GRU (notebook 08).

Both have the interface of every model here, ``forward(idx (B, T), targets=None)`` ->
``(logits (B, T, vocab_size), loss)``, and both are causal: the prediction at position
``t`` reads only ``idx[:, :t + 1]``.

- :class:`MLP` (Bengio et al. 2003): the embeddings of the ``context`` previous characters,
  concatenated, through one hidden layer. It sees a fixed window and nothing before it.
- :class:`GRU`: a gated recurrent network that carries a state from character to character,
  so in principle it remembers the whole name, one step at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from attention_utils.models.common import at_least_one, check_idx, next_char_loss


def _check_dropout(config) -> None:
    if not 0.0 <= config.dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {config.dropout}")


@dataclass
class MLPConfig:
    """Sizes of :class:`MLP`. Plain types only, so it can be saved and loaded."""

    vocab_size: int = 28
    context: int = 16  # how many previous characters it reads (before the name: ^)
    d_emb: int = 16  # the size of one character's embedding
    d_hidden: int = 64
    dropout: float = 0.0

    def __post_init__(self):
        at_least_one(self, "vocab_size", "context", "d_emb", "d_hidden")
        _check_dropout(self)


class MLP(nn.Module):
    """Next character from a fixed window of ``context`` previous ones (Bengio et al. 2003).

    Position ``t`` reads ``idx[t - context + 1 .. t]``; positions before the start of the
    name read the id of ``^`` (id ``start_id``, 1 in the tables of the series).
    ``x (B, T, context * d_emb)`` -> ``tanh`` hidden ``(B, T, d_hidden)`` -> logits.
    """

    def __init__(self, config: MLPConfig, start_id: int = 1):
        super().__init__()
        self.config, self.start_id = config, start_id
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_emb)
        self.hidden = nn.Linear(config.context * config.d_emb, config.d_hidden)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.d_hidden, config.vocab_size)

    def windows(self, idx: torch.Tensor) -> torch.Tensor:
        """``idx (B, T)`` -> ``(B, T, context)``: the ids each position predicts from."""
        before = idx.new_full((idx.shape[0], self.config.context - 1), self.start_id)
        return torch.cat([before, idx], dim=1).unfold(1, self.config.context, 1)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        check_idx(idx, self.config.vocab_size)
        x = self.tok_emb(self.windows(idx)).flatten(2)  # (B, T, context * d_emb)
        logits = self.head(self.drop(torch.tanh(self.hidden(x))))
        return logits, next_char_loss(logits, targets)


@dataclass
class GRUConfig:
    """Sizes of :class:`GRU`. Plain types only, so it can be saved and loaded."""

    vocab_size: int = 28
    d_emb: int = 64
    d_hidden: int = 64
    n_layers: int = 1
    dropout: float = 0.0

    def __post_init__(self):
        at_least_one(self, "vocab_size", "d_emb", "d_hidden", "n_layers")
        _check_dropout(self)


class GRU(nn.Module):
    """A recurrent network: a state ``h`` updated by each character in turn (``nn.GRU``).

    ``idx (B, T)`` -> embeddings ``(B, T, d_emb)`` -> states ``(B, T, d_hidden)`` -> logits.
    The state after character ``t`` is all it knows of ``idx[:, :t + 1]``.
    """

    def __init__(self, config: GRUConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_emb)
        self.rnn = nn.GRU(config.d_emb, config.d_hidden, config.n_layers, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.d_hidden, config.vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        check_idx(idx, self.config.vocab_size)
        states, _ = self.rnn(self.drop(self.tok_emb(idx)))
        logits = self.head(self.drop(states))
        return logits, next_char_loss(logits, targets)
