"""The reversal task of notebook 10: write a name backwards, by attention or by recurrence.

The task has a known answer: to write letter ``t`` of ``kehsihba`` the model must read letter
``L - 1 - t`` of ``abhishek``. Two encoder-decoders learn it from the same names:

- :class:`ReversalTransformer`: an encoder (self-attention that sees the whole name, no mask)
  and a decoder (causal self-attention over what it has written, then *cross-attention*:
  queries from the decoder, keys and values from the encoder's output);
- :class:`ReversalGRU`: an encoder GRU reads the name into one state, a decoder GRU writes
  from that state alone (no attention).

:func:`reversal_batch` turns names into tensors, :func:`train_reversal` trains either model,
:func:`reverse_names` writes names backwards greedily, :func:`attention_on_the_answer`
measures how much cross-attention weight falls on the letter the answer needs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from attention_utils.attention import MultiHeadAttention, padding_mask
from attention_utils.models.common import (
    IGNORE_INDEX,
    at_least_one,
    check_idx,
    evaluating,
    next_char_loss,
)
from attention_utils.models.transformer import CausalTransformer
from attention_utils.positions import LearnedPositions
from attention_utils.runtime import one_thread, set_seed
from attention_utils.vocab import END, START, CharTable


class ReversalBatch(NamedTuple):
    """What :func:`reversal_batch` returns; ``S`` = longest name + 1, ``T`` = the same."""

    src: torch.Tensor  # (B, S) ``name$`` padded with ``$``
    src_mask: torch.Tensor  # (B, 1, S) True on the real characters of src
    dec_in: torch.Tensor  # (B, T) ``^eman`` padded with ``$``: what the decoder has written
    targets: torch.Tensor  # (B, T) ``eman$`` padded with IGNORE_INDEX: what it must write


def reversal_batch(names: Sequence[str], table: CharTable) -> ReversalBatch:
    """Names -> a :class:`ReversalBatch`: the encoder reads ``name$``, the decoder is taught
    to write ``eman$`` one character at a time from ``^eman``."""
    if isinstance(names, str) or len(names) == 0:
        raise ValueError(f"reversal_batch takes a non-empty list of names, got {names!r}")
    S = max(len(n) for n in names) + 1
    pad = table.stoi[END]
    src = torch.full((len(names), S), pad, dtype=torch.long)
    dec_in = torch.full((len(names), S), pad, dtype=torch.long)
    targets = torch.full((len(names), S), IGNORE_INDEX, dtype=torch.long)
    for b, name in enumerate(names):
        ids = table.encode(START + name[::-1] + END)  # ^ e m a n $
        src[b, : len(name) + 1] = table.encode(name + END)
        dec_in[b, : len(name) + 1] = ids[:-1]
        targets[b, : len(name) + 1] = ids[1:]
    lengths = torch.tensor([len(n) + 1 for n in names])
    return ReversalBatch(src, padding_mask(lengths, S), dec_in, targets)


@dataclass
class Seq2SeqConfig:
    """Sizes of both encoder-decoders. Plain types only, so it can be saved and loaded."""

    vocab_size: int = 28
    block_size: int = 16  # the longest name$ it reads (letters + 1)
    d_model: int = 64  # the transformer's width; the GRU's state has the same size
    n_heads: int = 1
    n_layers: int = 1  # encoder layers, and decoder layers
    d_ff: int = 128

    def __post_init__(self):
        at_least_one(self, "vocab_size", "block_size", "d_model", "n_heads", "n_layers", "d_ff")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")


def _mlp(config: Seq2SeqConfig) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(config.d_model, config.d_ff), nn.GELU(), nn.Linear(config.d_ff, config.d_model)
    )


class EncoderBlock(nn.Module):
    """Self-attention with no causal mask (each character sees the whole name, before and
    after it; only padding is hidden), then an MLP. Pre-norm, residual."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(config.d_model), nn.LayerNorm(config.d_model)
        self.attn = MultiHeadAttention(config.d_model, config.n_heads)
        self.mlp = _mlp(config)

    def forward(self, x, src_mask):
        out, weights = self.attn(self.ln1(x), mask=src_mask)
        x = x + out
        return x + self.mlp(self.ln2(x)), weights


class DecoderBlock(nn.Module):
    """Causal self-attention over what has been written, cross-attention to the encoder's
    output (``memory``), then an MLP. Pre-norm, residual."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(config.d_model) for _ in range(3))
        self.self_attn = MultiHeadAttention(config.d_model, config.n_heads)
        self.cross_attn = MultiHeadAttention(config.d_model, config.n_heads)
        self.mlp = _mlp(config)

    def forward(self, y, memory, src_mask):
        out, self_weights = self.self_attn(self.ln1(y), causal=True)
        y = y + out
        out, cross_weights = self.cross_attn(self.ln2(y), mask=src_mask, memory=memory)
        y = y + out
        return y + self.mlp(self.ln3(y)), self_weights, cross_weights


class ReversalTransformer(nn.Module):
    """An encoder-decoder transformer (the shape of the original transformer, small).

    ``forward(src (B, S), src_mask (B, 1, S), dec_in (B, T), targets or None)`` ->
    ``(logits (B, T, vocab_size), loss)``. After each call ``last_weights`` holds, per layer,
    ``"encoder"`` ``(B, H, S, S)``, ``"decoder"`` ``(B, H, T, T)`` and ``"cross"``
    ``(B, H, T, S)`` weights.
    """

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.config = config
        self.src_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.tgt_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.src_pos = LearnedPositions(config.block_size, config.d_model)
        self.tgt_pos = LearnedPositions(config.block_size, config.d_model)
        self.encoder = nn.ModuleList(EncoderBlock(config) for _ in range(config.n_layers))
        self.decoder = nn.ModuleList(DecoderBlock(config) for _ in range(config.n_layers))
        self.ln_enc, self.ln_f = nn.LayerNorm(config.d_model), nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size)
        self.last_weights: dict[str, list[torch.Tensor]] = {}
        for module in self.modules():  # as CausalTransformer's, in this order
            CausalTransformer._init(module)

    def encode(self, src, src_mask):
        """``src (B, S)`` -> the encoder's output ``(B, S, d_model)``."""
        check_idx(src, self.config.vocab_size)
        x = self.src_pos(self.src_emb(src))
        self.last_weights = {"encoder": [], "decoder": [], "cross": []}
        for block in self.encoder:
            x, w = block(x, src_mask)
            self.last_weights["encoder"].append(w.detach())
        return self.ln_enc(x)

    def decode(self, memory, src_mask, dec_in):
        """The encoder's output and ``dec_in (B, T)`` -> logits ``(B, T, vocab_size)``."""
        check_idx(dec_in, self.config.vocab_size)
        y = self.tgt_pos(self.tgt_emb(dec_in))
        self.last_weights["decoder"], self.last_weights["cross"] = [], []
        for block in self.decoder:
            y, w_self, w_cross = block(y, memory, src_mask)
            self.last_weights["decoder"].append(w_self.detach())
            self.last_weights["cross"].append(w_cross.detach())
        return self.head(self.ln_f(y))

    def forward(self, src, src_mask, dec_in, targets=None):
        logits = self.decode(self.encode(src, src_mask), src_mask, dec_in)
        return logits, next_char_loss(logits, targets)


class ReversalGRU(nn.Module):
    """A GRU encoder-decoder without attention: the encoder's last state (after ``$``) is all
    the decoder gets of the name. Same ``forward`` as :class:`ReversalTransformer`."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.config = config
        d = config.d_model
        self.src_emb, self.tgt_emb = (
            nn.Embedding(config.vocab_size, d),
            nn.Embedding(config.vocab_size, d),
        )
        self.encoder = nn.GRU(d, d, config.n_layers, batch_first=True)
        self.decoder = nn.GRU(d, d, config.n_layers, batch_first=True)
        self.head = nn.Linear(d, config.vocab_size)

    def encode(self, src, src_mask):
        """``src (B, S)`` -> the encoder's state after each name's ``$``: ``(layers, B, d)``."""
        check_idx(src, self.config.vocab_size)
        lengths = src_mask[:, 0].sum(-1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.src_emb(src), lengths, batch_first=True, enforce_sorted=False
        )
        _, state = self.encoder(packed)
        return state

    def decode(self, memory, src_mask, dec_in):
        check_idx(dec_in, self.config.vocab_size)
        states, _ = self.decoder(self.tgt_emb(dec_in), memory)
        return self.head(states)

    def forward(self, src, src_mask, dec_in, targets=None):
        logits = self.decode(self.encode(src, src_mask), src_mask, dec_in)
        return logits, next_char_loss(logits, targets)


class ReversalRun(NamedTuple):
    """What :func:`train_reversal` returns."""

    steps: list[int]  # the steps at which the loss was recorded
    loss: list[float]  # the mean training loss of the steps since the last record
    seconds: float  # the time training took


def train_reversal(
    model: nn.Module,
    names: Sequence[str],
    table: CharTable,
    steps: int = 600,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    record_every: int = 25,
) -> ReversalRun:
    """Train ``model`` in place to reverse ``names``: AdamW, ``steps`` batches of
    ``batch_size`` names drawn with a generator seeded by ``seed``, the learning rate
    decaying from ``lr`` to ``lr / 10`` along a cosine, one CPU thread. Returns the loss curve.

    Build the model in float64 (:func:`~attention_utils.runtime.exact`). After every step
    its weights are rounded to float32's precision (and kept in float64): processors differ
    in the last digits of float64 sums, and this task's training, which finds the right
    letters suddenly, would grow those digits into another model; rounded, every CPU keeps
    the same weights."""
    if steps < 1 or batch_size < 1 or record_every < 1:
        raise ValueError(
            f"steps, batch_size, record_every must be >= 1, got {steps}, {batch_size}, {record_every}"
        )
    set_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    data = reversal_batch(list(names), table)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    run, total, since, start = ReversalRun([], [], 0.0), 0.0, 0, time.perf_counter()
    model.train()
    with one_thread():
        for step in range(steps):
            rows = torch.randint(len(names), (batch_size,), generator=gen)
            width = int((data.targets[rows] != IGNORE_INDEX).sum(1).max())
            for group in opt.param_groups:
                group["lr"] = lr * (0.55 + 0.45 * math.cos(math.pi * step / steps))
            _, loss = model(
                data.src[rows, :width],
                data.src_mask[rows, :, :width],
                data.dec_in[rows, :width],
                data.targets[rows, :width],
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            with torch.no_grad():  # see the docstring: the same model on every CPU
                for param in model.parameters():
                    param.copy_(param.float())
            total, since = total + loss.item(), since + 1
            if (step + 1) % record_every == 0 or step + 1 == steps:
                run.steps.append(step + 1)
                run.loss.append(total / since)
                total, since = 0.0, 0
    model.eval()
    return run._replace(seconds=time.perf_counter() - start)


@torch.no_grad()
def reverse_names(model: nn.Module, names: Sequence[str], table: CharTable) -> list[str]:
    """Write each name backwards, greedily (the likeliest character each step, ``^`` never),
    until ``$`` or as many characters as the name has plus one."""
    data = reversal_batch(list(names), table)
    start = table.stoi[START]
    with evaluating(model), one_thread():
        memory = model.encode(data.src, data.src_mask)
        out = torch.full((len(names), 1), start, dtype=torch.long)
        for _ in range(data.src.shape[1]):
            logits = model.decode(memory, data.src_mask, out)[:, -1]
            logits[:, start] = float("-inf")
            out = torch.cat([out, logits.argmax(-1, keepdim=True)], dim=1)
    return [table.decode(row[1:].tolist()).split(END, 1)[0] for row in out]


def exact_match(model: nn.Module, names: Sequence[str], table: CharTable) -> float:
    """The share of ``names`` that ``model`` writes backwards exactly, letter for letter."""
    written = reverse_names(model, names, table)
    return sum(w == n[::-1] for w, n in zip(written, names, strict=True)) / len(names)


@torch.no_grad()
def attention_on_the_answer(model: ReversalTransformer, names: Sequence[str], table: CharTable):
    """How much cross-attention weight falls where the answer is: for each name and each
    letter written (teacher-forced), the weight of the last decoder layer's cross-attention
    on source position ``L - 1 - t`` (letter ``t`` of the reversed name is letter
    ``L - 1 - t`` of the name), and on ``$`` for the final ``$``.

    Returns ``(B, H)``: per name and head, the mean of those weights over the name's
    characters (1.0 = all of the weight on the right letter, every time)."""
    data = reversal_batch(list(names), table)
    with evaluating(model), one_thread():
        model(data.src, data.src_mask, data.dec_in)
    cross = model.last_weights["cross"][-1]  # (B, H, T, S)
    per_name = []
    for b, name in enumerate(names):
        L = len(name)
        right = [L - 1 - t for t in range(L)] + [L]  # then '$' reads the source's '$'
        w = cross[b, :, torch.arange(L + 1), torch.tensor(right)]  # (H, L + 1)
        per_name.append(w.mean(-1))
    return torch.stack(per_name)
