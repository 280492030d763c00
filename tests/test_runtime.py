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


def test_median_seconds_times_each_call_and_takes_the_middle_one():
    from attention_utils.runtime import median_seconds

    calls, sleeps = [], iter([0.0, 0.05, 0.01])

    def call():
        import time

        calls.append(1)
        time.sleep(next(sleeps))

    assert 0.01 <= median_seconds(call, repeats=3) < 0.05
    assert len(calls) == 3
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        median_seconds(call, repeats=0)


def test_median_seconds_passes_its_arguments_on():
    from attention_utils.runtime import median_seconds

    seen = []
    median_seconds(seen.append, "x", repeats=2)
    assert seen == ["x", "x"]
