"""attention_utils: the helpers of a notebook series that teaches self-attention on names.

One module per stage of the story: ``data`` (names) -> ``vocab`` (ids) -> ``attention``
and ``positions`` (weights and outputs) -> ``models`` and ``train`` (a trained model) ->
``plotting`` (the figures); ``pretrained`` (the trained model of notebooks 08, 09 and 12),
``analysis`` (what its heads do), ``explorer`` and ``render`` (notebook 12), ``exercises``
(the checks of every notebook's exercises).
"""

from attention_utils.runtime import set_seed

__version__ = "0.1.0"
__all__ = ["set_seed", "__version__"]
