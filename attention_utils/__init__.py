"""attention_names: the helpers of a notebook series that teaches self-attention on names.

One module per stage of the story: ``data`` (names) -> ``vocab`` (ids) -> ``attention``
and ``positions`` (weights and outputs) -> ``models`` and ``train`` (a trained model) ->
``plotting`` (the figures).
"""

from attention_utils.seed import set_seed

__version__ = "0.1.0"
__all__ = ["set_seed", "__version__"]
