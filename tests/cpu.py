"""Print what emulates a CPU without AVX-512 for NumPy: the value of NPY_DISABLE_CPU_FEATURES.

NumPy names its dispatch targets differently from version to version (AVX512F, AVX512_SKX,
... before 2.4; X86_V4, AVX512_ICL, AVX512_SPR from 2.4 on), and it ignores, with a mere
ImportWarning, a name it does not dispatch: so the names are read from the NumPy installed.
``make test-other-cpu`` uses it (see the Makefile); ``--report`` prints what a process runs on.
"""

from __future__ import annotations


def avx512_targets() -> list[str]:
    """The AVX-512 dispatch targets of the installed NumPy (empty if it has none)."""
    import numpy

    core = getattr(numpy, "_core", None) or numpy.core
    dispatched = core._multiarray_umath.__cpu_dispatch__
    return [name for name in dispatched if "AVX512" in name or name == "X86_V4"]


def report() -> str:
    """What this process runs on: PyTorch's kernel level and NumPy's disabled targets."""
    import os

    import torch

    off = os.environ.get("NPY_DISABLE_CPU_FEATURES") or "-"
    return f"emulated CPU: PyTorch kernels {torch.backends.cpu.get_cpu_capability()}, NumPy without {off}"


if __name__ == "__main__":
    import sys

    print(report() if sys.argv[1:] == ["--report"] else " ".join(avx512_targets()))
