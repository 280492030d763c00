"""How a run is set up: one seed for every generator, one CPU thread, the device to train on."""

from __future__ import annotations

import random
from contextlib import contextmanager

import numpy as np
import torch


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's generators.

    Every notebook calls it once at the top, so that its numbers are the same each run.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def one_thread():
    """Run the block with one CPU thread, then restore the thread count.

    The models here are so small that splitting their work between threads costs more than
    it saves; on a busy two-core machine two threads can be many times slower than one.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def default_device() -> torch.device:
    """CUDA if there is a GPU, else Apple's MPS if there is one, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(device) -> torch.device:
    """``device`` as a torch.device; ``None`` or ``"auto"``: :func:`default_device`."""
    if device is None or device == "auto":
        return default_device()
    try:
        return torch.device(device)
    except RuntimeError as e:
        raise ValueError(
            f"unknown device {device!r}; expected 'cpu', 'cuda', 'mps' or 'auto'"
        ) from e
