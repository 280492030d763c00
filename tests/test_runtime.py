"""attention_utils.runtime: one seed, one thread, the device."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from attention_utils.runtime import default_device, one_thread, resolve_device, set_seed


def test_set_seed_makes_every_generator_repeat():
    set_seed(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    set_seed(3)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_one_thread_restores_the_thread_count_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), one_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_default_device_is_a_real_device():
    device = default_device()
    assert device.type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert device.type == "cpu"


def test_resolve_device_names_what_it_accepts():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None) == resolve_device("auto") == default_device()
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        resolve_device("gpu0")
