"""What every model shares: batches, the loss, eval mode, the parameter count, and the checks.

Every model has the same interface (as in makemore)::

    logits, loss = model(idx, targets)     # idx, targets: (B, T) -> logits: (B, T, V)

``idx`` holds the ids of ``^name`` (padded on the right), ``targets`` the ids of ``name$``
with :data:`IGNORE_INDEX` where there is padding. The loss is the mean negative
log-likelihood in nats per predicted character, counting the end token ``$`` once per name
and ignoring the padding (see :func:`encode_batch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from attention_utils.vocab import END, CharTable

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


# --------------------------------------------------------------------------- the loss


def next_char_loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
    """Mean NLL of ``targets (B, T)`` under ``logits (B, T, V)``, in nats per character,
    padding (:data:`IGNORE_INDEX`) ignored; ``None`` without targets. Every model's loss."""
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


# --------------------------------------------------------------------------- every model


@contextmanager
def evaluating(model: nn.Module):
    """Run the block with ``model`` in eval mode (no dropout), then give it back its mode."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def count_parameters(model: nn.Module) -> int:
    """Number of numbers the model learns (parameters that need gradients; counts for n-grams)."""
    if hasattr(model, "num_parameters"):  # NGramModel: its counts
        return model.num_parameters()
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# --------------------------------------------------------------------------- checks


def at_least_one(config, *fields: str) -> None:
    """A ValueError naming the first of ``config``'s ``fields`` that is below 1 (the configs of
    the models and of training check their sizes and counts with it)."""
    for field in fields:
        if getattr(config, field) < 1:
            raise ValueError(f"{field} must be at least 1, got {getattr(config, field)}")


def check_model_table(model: nn.Module, table: CharTable) -> None:
    """A ValueError unless ``model`` reads and writes the symbols of ``table``.

    A model with a ``config`` needs ``config.vocab_size == len(table)``; a count model (with a
    ``table`` of its own) must have been built with the same symbols.
    """
    own = getattr(model, "table", None)
    if isinstance(own, CharTable):
        if own.symbols != table.symbols:
            raise ValueError(
                f"table: the model counts the symbols {own.describe()}, but the table "
                f"has {table.describe()}: fit the model with this table"
            )
        return
    size = getattr(getattr(model, "config", None), "vocab_size", None)
    if size is not None and size != len(table):
        raise ValueError(
            f"table: the model reads {size} symbols, but the character table has {len(table)} "
            f"({table.describe()}): build the model with config with vocab_size=len(table)"
        )
