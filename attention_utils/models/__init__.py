"""Models that predict the next character of a name: counts, an MLP, a GRU, a transformer.

Every model has the same interface (as in makemore)::

    logits, loss = model(idx, targets)     # idx, targets: (B, T) -> logits: (B, T, V)

- :mod:`.common`: :func:`encode_batch` (names -> ``idx``, ``targets``), :data:`IGNORE_INDEX`,
  :func:`next_char_loss`, :func:`evaluating`, :func:`count_parameters`, the checks;
- :mod:`.counts`: :class:`NGramModel`, the count baselines;
- :mod:`.baselines`: :class:`MLP` (a fixed window of characters) and :class:`GRU` (recurrence);
- :mod:`.transformer`: :class:`CausalTransformer` and its :class:`ModelConfig`;
  :meth:`CausalTransformer.attention_maps` gives every layer's weights.
"""

from __future__ import annotations

from attention_utils.models.baselines import GRU, MLP, GRUConfig, MLPConfig
from attention_utils.models.common import (
    IGNORE_INDEX,
    at_least_one,
    check_idx,
    check_model_table,
    count_parameters,
    encode_batch,
    evaluating,
    next_char_loss,
)
from attention_utils.models.counts import NGramModel
from attention_utils.models.transformer import Block, CausalTransformer, ModelConfig

__all__ = [
    "GRU",
    "IGNORE_INDEX",
    "MLP",
    "Block",
    "CausalTransformer",
    "GRUConfig",
    "MLPConfig",
    "ModelConfig",
    "NGramModel",
    "at_least_one",
    "check_idx",
    "check_model_table",
    "count_parameters",
    "encode_batch",
    "evaluating",
    "next_char_loss",
]
