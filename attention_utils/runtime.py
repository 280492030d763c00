"""How a run is set up: the seed, the threads, the precision, the device, a kernel or not."""

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


#: The precision every model of the series is trained in. PyTorch picks its CPU kernels by the
#: processor's instruction set (``ATEN_CPU_CAPABILITY``: default, AVX2, AVX-512), and in float32
#: their rounding differs enough that 400 training steps make another model on another laptop.
#: In float64 the series' model trained under all three agrees to about 1e-9 (its attention
#: weights; its validation NLL to 3e-10): every number the notebooks print is then the same on
#: every CPU. It costs about 1.65 times the training time (7.7 s against 4.7 s here).
EXACT = torch.float64


@contextmanager
def exact():
    """Build the block's tensors and modules in :data:`EXACT` (float64), then restore the
    default dtype: the models built inside train to the same weights on every CPU."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(EXACT)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def kernel_shell():
    """The IPython shell of the running Jupyter kernel, or None outside one (a script, a
    terminal IPython): where outputs are saved into a notebook and an event loop runs."""
    try:
        from IPython import get_ipython
    except ImportError:  # IPython comes with Jupyter: no IPython, no kernel
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


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


def largest_tensor(fn, *args) -> int:
    """Run ``fn(*args)`` and return the size in bytes of the largest tensor any PyTorch
    operation produced while it ran (a measure of the memory a layer needs at once: for
    attention the ``(T, T)`` scores, for a recurrence the ``(T, d)`` states)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class _Largest(TorchDispatchMode):
        size = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, (tuple, list)) else (out,):
                if isinstance(t, torch.Tensor):
                    self.size = max(self.size, t.numel() * t.element_size())
            return out

    with _Largest() as mode:
        fn(*args)
    return mode.size


def median_seconds(call, *args, repeats: int = 5) -> float:
    """The median wall time of ``repeats`` calls of ``call(*args)``, in seconds (this machine's,
    so it differs from run to run: print it in an output that is not compared)."""
    import time

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call(*args)
        times.append(time.perf_counter() - start)
    return sorted(times)[repeats // 2]
