"""Sampling new names from a trained model, and marking which of them are new (notebook 08)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from attention_utils.models import check_model_table, evaluating
from attention_utils.runtime import one_thread
from attention_utils.vocab import END, START, CharTable


@torch.no_grad()
def sample(
    model,
    table: CharTable,
    n: int = 20,
    temperature: float = 1.0,
    seed: int | None = 0,
    max_len: int | None = None,
    cache: bool = True,
) -> list[str]:
    """Draw ``n`` names, one character at a time, from ``softmax(logits / temperature)``.

    Each name starts from ``^`` and ends at ``$`` (or after ``max_len`` letters, by default
    the model's ``block_size - 1``, or 20). A lower temperature picks likely letters more
    often; a higher one flattens the choice. The same ``seed`` gives the same names.

    With ``cache`` (the default) a model that has ``forward_cached`` (the transformer) keeps
    each layer's keys and values from step to step (a KV cache) and computes only the new
    character's row; without it, every step runs the model on the whole name so far. The
    names are the same either way.
    """
    if not temperature > 0:  # NaN too
        raise ValueError(f"temperature must be > 0, got {temperature}")
    check_model_table(model, table)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if max_len is None:
        max_len = getattr(getattr(model, "config", None), "block_size", 21) - 1
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    with evaluating(model):
        start = table.stoi[START]
        idx = torch.full((n, 1), start, dtype=torch.long)
        done = torch.zeros(n, dtype=torch.bool)
        end = table.stoi[END]
        device = next(iter(model.parameters()), torch.zeros(0)).device
        cached = cache and hasattr(model, "forward_cached")
        past, new = None, idx
        with one_thread():
            for _ in range(max_len):
                if cached:
                    logits, past = model.forward_cached(new.to(device), past)
                else:
                    logits, _ = model(idx.to(device))
                logits = logits[:, -1].double().cpu() / temperature
                logits[:, start] = float("-inf")  # ^ only ever starts a name
                probs = torch.softmax(logits, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=gen)[:, 0]
                nxt[done] = end
                idx = torch.cat([idx, nxt[:, None]], dim=1)
                new = nxt[:, None]
                done |= nxt == end
                if done.all():
                    break
    names = []
    for row in idx[:, 1:].tolist():
        text = table.decode(row)
        names.append(text.split(END, 1)[0])
    return names


def mark_new(samples: Sequence[str], train: Sequence[str]) -> list[tuple[str, bool]]:
    """``[(name, is_new)]``: ``is_new`` is True for a name not in the training names."""
    seen = set(train)
    return [(s, s not in seen) for s in samples]
