"""Models that predict the next character of a name: counts, an MLP, a GRU, a transformer.

Every model has the same interface (as in makemore)::

    logits, loss = model(idx, targets)     # idx, targets: (B, T) -> logits: (B, T, V)

- :mod:`.common`: :func:`encode_batch` (names -> ``idx``, ``targets``), :data:`IGNORE_INDEX`,
  the checks every model runs;
- :mod:`.counts`: :class:`NGramModel`, the count baselines;
- :mod:`.baselines`: :class:`MLP` (a fixed window of characters) and :class:`GRU` (recurrence);
- :mod:`.transformer`: :class:`CausalTransformer` and its :class:`ModelConfig`;
  :meth:`CausalTransformer.attention_maps` gives every layer's weights.
"""

from __future__ import annotations

from torch import nn

from attention_utils.models.baselines import GRU, MLP, GRUConfig, MLPConfig
from attention_utils.models.common import IGNORE_INDEX, at_least_one, check_idx, encode_batch
from attention_utils.models.counts import NGramModel
from attention_utils.models.transformer import Block, CausalTransformer, ModelConfig
from attention_utils.vocab import CharTable

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
]


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
            f"({table.describe()}): build the model with config with vocab_size=len(table)"
        )


def count_parameters(model: nn.Module) -> int:
    """Number of numbers the model learns (parameters that need gradients; counts for n-grams)."""
    if isinstance(model, NGramModel):
        return model.num_parameters()
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
