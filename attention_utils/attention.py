"""The attention functions, the masks, and multi-head attention.

Three implementations of the same thing, from the most explicit to the most compact:

- :func:`attention_loops`: Python loops over queries and keys, as in notebook 04;
- :func:`attention_matrix`: ``softmax(Q K^T / sqrt(d_k)) V`` with matrix products;
- :func:`attention_einsum`: the same with ``einops.einsum`` and named axes.

All three take ``q: (..., T_q, d_k)``, ``k: (..., T_k, d_k)``, ``v: (..., T_k, d_v)`` and
an optional boolean ``mask`` broadcastable to ``(..., T_q, T_k)`` in which True means
"may attend" (as in :func:`torch.nn.functional.scaled_dot_product_attention`). They return
``(out, weights)`` with ``out: (..., T_q, d_v)`` and ``weights: (..., T_q, T_k)``: queries
on rows, keys on columns.

Scaling: by default scores are divided by ``sqrt(d_k)``, so the defaults match PyTorch's
function. ``scale=False`` gives the unscaled form, and a number multiplies the scores by it.

A query whose every key is masked has nothing to attend to. Older PyTorch versions return
NaN there; these functions always return a row of zero weights and a zero output (as the
pinned PyTorch does), so that one padded position cannot spread NaN through a batch.
"""

from __future__ import annotations

import math

import einops
import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------- checks


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask) -> None:
    """Raise a ValueError that names the shapes if q, k, v and mask do not fit together."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise ValueError(
                f"{name} must be a tensor of shape (..., T, d), got {type(t).__name__}"
            )
    shapes = f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
    if not (q.is_floating_point() and q.dtype == k.dtype == v.dtype):
        raise TypeError(
            f"q, k and v must be floating-point tensors of one dtype; got q {q.dtype}, "
            f"k {k.dtype}, v {v.dtype}"
        )
    if q.dim() < 2 or k.dim() < 2 or v.dim() < 2:
        raise ValueError(f"q, k and v need shape (..., T, d); got {shapes}")
    if 0 in (q.shape[-2], q.shape[-1], k.shape[-2], v.shape[-1]):
        raise ValueError(f"q, k and v need at least one position and one feature; got {shapes}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k need the same last size d_k; got {shapes}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v need the same number of positions T_k; got {shapes}")
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the leading (batch, head) sizes do not broadcast; got {shapes}"
        ) from None
    if mask is not None:
        if not isinstance(mask, torch.Tensor):
            raise ValueError(f"mask must be a boolean tensor, got {type(mask).__name__}")
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be boolean (True = may attend), got {mask.dtype}")
        batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        want = (*batch, q.shape[-2], k.shape[-2])
        try:
            torch.broadcast_shapes(mask.shape, want)
        except RuntimeError:
            raise ValueError(
                f"mask of shape {tuple(mask.shape)} does not broadcast to (..., T_q, T_k) = "
                f"{want}; got {shapes}"
            ) from None


def _scale_factor(scale, d_k: int) -> float:
    if scale is True:
        return 1.0 / math.sqrt(d_k)
    if scale is False or scale is None:
        return 1.0
    try:
        return float(scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be True, False or a number, got {scale!r}") from None


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis (keys), giving masked keys exactly zero weight.

    ``scores (..., T_q, T_k)``; ``mask`` boolean, broadcastable to it, True = may attend.
    A row with every key masked gets all-zero weights instead of NaN.
    """
    if mask is None:
        return torch.softmax(scores, dim=-1)
    scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)


# --------------------------------------------------------------------------- three implementations


def attention_loops(q, k, v, mask=None, scale=True):
    """Attention by explicit loops: ``q (..., T_q, d_k), k (..., T_k, d_k), v (..., T_k, d_v)``
    -> ``out (..., T_q, d_v), weights (..., T_q, T_k)``.

    For each query i and key j, ``score[i, j] = q_i . k_j * scale``; each row of scores goes
    through a softmax; ``out[i] = sum_j weights[i, j] * v_j``. Slow, and written to be read.
    """
    _check_qkv(q, k, v, mask)
    T_q, T_k, d_k, d_v = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    leading = [q.shape[:-2], k.shape[:-2], v.shape[:-2]]
    if mask is not None:  # a mask may carry batch axes of its own, as in attention_matrix
        leading.append(mask.shape[:-2])
    batch = torch.broadcast_shapes(*leading)
    qb = q.expand(*batch, T_q, d_k).reshape(-1, T_q, d_k)
    kb = k.expand(*batch, T_k, d_k).reshape(-1, T_k, d_k)
    vb = v.expand(*batch, T_k, d_v).reshape(-1, T_k, d_v)
    mb = None
    if mask is not None:
        mb = mask.expand(*batch, T_q, T_k).reshape(-1, T_q, T_k)
    factor = _scale_factor(scale, d_k)
    dtype = torch.result_type(q, v)
    out = torch.zeros(qb.shape[0], T_q, d_v, dtype=dtype, device=q.device)
    weights = torch.zeros(qb.shape[0], T_q, T_k, dtype=dtype, device=q.device)
    for b in range(qb.shape[0]):
        for i in range(T_q):
            allowed = [j for j in range(T_k) if mb is None or bool(mb[b, i, j])]
            if not allowed:  # nothing to attend to: zero weights, zero output
                continue
            scores = {j: float(qb[b, i] @ kb[b, j]) * factor for j in allowed}
            top = max(scores.values())  # subtract the largest score: same softmax, no overflow
            exps = {j: math.exp(s - top) for j, s in scores.items()}
            total = sum(exps.values())
            for j in allowed:
                weights[b, i, j] = exps[j] / total
                out[b, i] += weights[b, i, j] * vb[b, j]
    return out.reshape(*batch, T_q, d_v), weights.reshape(*batch, T_q, T_k)


def attention_matrix(q, k, v, mask=None, scale=True):
    """Attention as matrix products: ``softmax(q @ k^T * scale) @ v``.

    ``q (..., T_q, d_k), k (..., T_k, d_k), v (..., T_k, d_v)``
    -> ``out (..., T_q, d_v), weights (..., T_q, T_k)``.
    """
    _check_qkv(q, k, v, mask)
    scores = q @ k.transpose(-2, -1) * _scale_factor(scale, q.shape[-1])
    weights = masked_softmax(scores, mask)
    return weights @ v, weights


def attention_einsum(q, k, v, mask=None, scale=True):
    """Attention with named axes (einops): ``q (..., T_q, d_k)`` etc., as :func:`attention_matrix`."""
    _check_qkv(q, k, v, mask)
    scores = einops.einsum(q, k, "... i d, ... j d -> ... i j") * _scale_factor(scale, q.shape[-1])
    weights = masked_softmax(scores, mask)
    out = einops.einsum(weights, v, "... i j, ... j d -> ... i d")
    return out, weights


# --------------------------------------------------------------------------- masks


#: The longest sequence a mask is made for (a (T, T) mask of 20,000 is 400 MB already).
MAX_T = 20_000


def causal_mask(T: int, device=None) -> torch.Tensor:
    """``(T, T)`` boolean, True on and below the diagonal: query i may attend to keys j <= i."""
    if isinstance(T, bool) or not isinstance(T, int):
        raise TypeError(f"T must be an integer, got {T!r}")
    if not 1 <= T <= MAX_T:
        raise ValueError(f"T must be between 1 and {MAX_T:,}, got {T}")
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def padding_mask(lengths, T: int | None = None) -> torch.Tensor:
    """Key mask for names padded to one length: ``lengths (B,)`` -> ``(B, 1, T)`` boolean.

    ``mask[b, 0, j]`` is True where position j of sequence b is a real token; the middle axis
    of size 1 broadcasts over the queries, so padded *keys* get zero weight.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or not len(lengths) or lengths.is_floating_point():
        raise ValueError(
            f"lengths must be a non-empty list of whole numbers, got {lengths.tolist()}"
        )
    T = int(lengths.max()) if T is None else T
    if (lengths < 1).any() or (lengths > T).any():
        raise ValueError(f"lengths must be between 1 and T={T}, got {lengths.tolist()}")
    return (torch.arange(T)[None, :] < lengths[:, None])[:, None, :]


# --------------------------------------------------------------------------- multi-head


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention that shows its weights.

    ``x: (B, T, d_model)`` -> ``out: (B, T, d_model), weights: (B, n_heads, T, T)``.

    The input is projected to queries, keys and values of size ``d_model``, split into
    ``n_heads`` heads of size ``d_head = d_model // n_heads`` with einops, attended per head,
    joined again and passed through the output projection ``out_proj``.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if d_model < 1 or n_heads < 1:
            raise ValueError(f"d_model and n_heads must be at least 1, got {d_model}, {n_heads}")
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        causal: bool = False,
        need_weights: bool = True,
        bias: torch.Tensor | None = None,
        memory: torch.Tensor | None = None,
    ):
        """``x (B, T, d_model)``; ``mask`` boolean, True = may attend: ``(T, T)``, one per name
        ``(B, T, T)`` or ``(B, 1, T)`` (as :func:`padding_mask` makes; the same for every
        head), or broadcastable to ``(B, H, T, T)``. ``causal=True`` adds the causal mask.
        ``bias``: numbers added to the scores before the softmax, broadcastable to
        ``(B, H, T, T)`` (e.g. :class:`~attention_utils.positions.RelativePositions`).
        Returns ``(out, weights)``. ``need_weights=False`` (training): the same attention by
        PyTorch's fused ``scaled_dot_product_attention``, faster, and ``weights`` is None.
        ``memory (B, S, d_model)``: *cross-attention*, the queries from ``x``, the keys and
        values from ``memory`` (an encoder's output); ``weights`` is then ``(B, H, T, S)``
        and ``mask`` hides keys of ``memory`` (``causal`` has no meaning there)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a tensor (B, T, d_model), got {type(x).__name__}")
        if x.dim() != 3 or x.shape[-1] != self.d_model or 0 in x.shape:
            raise ValueError(f"x must be (B, T, d_model={self.d_model}), got {tuple(x.shape)}")
        if x.dtype != self.q_proj.weight.dtype:
            raise TypeError(
                f"x has dtype {x.dtype}; this module computes in {self.q_proj.weight.dtype}"
            )
        T = x.shape[1]
        source = x
        if memory is not None:
            if causal:
                raise ValueError("causal=True with memory: cross-attention has no causal order")
            if (
                not isinstance(memory, torch.Tensor)
                or memory.dim() != 3
                or (memory.shape[0] != x.shape[0] or memory.shape[-1] != self.d_model)
            ):
                got = tuple(memory.shape) if isinstance(memory, torch.Tensor) else memory
                raise ValueError(
                    f"memory must be (B={x.shape[0]}, S, d_model={self.d_model}), got {got}"
                )
            if memory.dtype != x.dtype:
                raise TypeError(f"memory has dtype {memory.dtype}, x has {x.dtype}")
            source = memory
        if isinstance(mask, torch.Tensor) and mask.dim() == 3:
            mask = mask[:, None]  # one mask per name -> (B, 1, T_q, T_k), shared by the heads
        if causal and (need_weights or mask is not None):
            cm = causal_mask(T, device=x.device)
            mask = cm if mask is None else mask & cm
        q, k, v = self._heads(x, source)
        if not need_weights and mask is None:  # the fast path, as nanoGPT has it
            p = self.dropout.p if self.training else 0.0
            if bias is not None and causal:  # one additive mask: the bias, -inf on the future
                bias = bias.masked_fill(~causal_mask(T, device=x.device), float("-inf"))
            is_causal = causal and bias is None
            heads = F.scaled_dot_product_attention(
                q, k, v, attn_mask=bias, dropout_p=p, is_causal=is_causal
            )
            return self.out_proj(einops.rearrange(heads, "b h t d -> b t (h d)")), None
        _check_qkv(q, k, v, mask)
        return self._attend(q, k, v, mask, bias)

    def _heads(self, x: torch.Tensor, source: torch.Tensor):
        """Queries from ``x``, keys and values from ``source``, each split into heads:
        ``(B, T, d_model)`` -> ``(B, H, T, d_head)``."""
        split = "b t (h d) -> b h t d"
        q = einops.rearrange(self.q_proj(x), split, h=self.n_heads)
        k = einops.rearrange(self.k_proj(source), split, h=self.n_heads)
        v = einops.rearrange(self.v_proj(source), split, h=self.n_heads)
        return q, k, v

    def _attend(self, q, k, v, mask, bias):
        """Scaled scores (plus ``bias``), the masked softmax, the weighted sum of the values,
        the heads joined and projected: ``(out (B, T_q, d_model), weights)``."""
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if bias is not None:
            scores = scores + bias
        weights = masked_softmax(scores, mask)
        heads = self.dropout(weights) @ v  # (B, H, T, d_head)
        return self.out_proj(einops.rearrange(heads, "b h t d -> b t (h d)")), weights

    def forward_cached(self, x: torch.Tensor, cache: dict | None, bias: torch.Tensor | None = None):
        """Causal attention for new positions only, with a **KV cache** (for generation).

        ``x (B, n, d_model)``: the positions after the ``t`` ones whose keys and values are in
        ``cache`` (``{"k", "v"}``, each ``(B, H, t, d_head)``; ``None`` when ``t = 0``). Their
        queries meet the cached keys and their own, each only the keys at or before its
        position; ``bias`` (broadcastable to ``(B, H, n, t + n)``) is added to the scores.
        Returns ``(out (B, n, d_model), cache)``, the cache now holding ``t + n`` positions:
        the same outputs as :meth:`forward` with ``causal=True`` on all ``t + n`` positions,
        at the cost of ``n`` rows instead of ``t + n``."""
        q, k, v = self._heads(x, x)
        if cache is not None:
            k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
        n, total = x.shape[1], k.shape[2]
        mask = causal_mask(total, device=x.device)[total - n :]  # the rows of the new positions
        out, _ = self._attend(q, k, v, mask, bias)
        return out, {"k": k, "v": v}

    @torch.no_grad()
    def load_from_torch(self, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the weights of a ``torch.nn.MultiheadAttention`` (batch_first, same sizes)."""
        if mha.embed_dim != self.d_model or mha.num_heads != self.n_heads:
            raise ValueError(
                f"sizes differ: theirs d_model={mha.embed_dim}, n_heads={mha.num_heads}; "
                f"ours d_model={self.d_model}, n_heads={self.n_heads}"
            )
        if mha.in_proj_weight is None:
            raise ValueError("only nn.MultiheadAttention with a packed in_proj_weight is supported")
        if mha.bias_k is not None or mha.add_zero_attn:
            raise ValueError("add_bias_kv and add_zero_attn are not supported")
        theirs, ours = mha.in_proj_bias is not None, self.q_proj.bias is not None
        if theirs != ours:
            raise ValueError(f"bias differs: theirs bias={theirs}, ours bias={ours}")
        w_q, w_k, w_v = mha.in_proj_weight.chunk(3)
        for proj, w in zip((self.q_proj, self.k_proj, self.v_proj), (w_q, w_k, w_v), strict=True):
            proj.weight.copy_(w)
        self.out_proj.weight.copy_(mha.out_proj.weight)
        if ours:
            for proj, b in zip(
                (self.q_proj, self.k_proj, self.v_proj), mha.in_proj_bias.chunk(3), strict=True
            ):
                proj.bias.copy_(b)
            self.out_proj.bias.copy_(mha.out_proj.bias)
        return self
