"""One helper that makes a run repeatable."""

from __future__ import annotations

import random

import numpy as np
import torch


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's generators.

    Every notebook calls it once at the top, so that its numbers are the same each run.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
