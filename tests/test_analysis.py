"""attention_utils.analysis: where each head looks, against an even spread."""

from __future__ import annotations

import pytest
import torch

from attention_utils.analysis import attention_profile, uniform_causal, uniform_weights
from attention_utils.models import CausalTransformer, ModelConfig, encode_batch
from attention_utils.vocab import CharTable

NAMES = ["asha", "arjun", "kavya", "om", "meera", "ravi"]
TABLE = CharTable.from_names("abcdefghijklmnopqrstuvwxyz")


def tiny_model(seed: int = 0) -> CausalTransformer:
    torch.manual_seed(seed)
    config = ModelConfig(
        vocab_size=len(TABLE), block_size=8, d_model=16, n_heads=2, n_layers=2, d_ff=32
    )
    return CausalTransformer(config)


def test_uniform_causal_spreads_each_row_over_the_past():
    w = uniform_causal(4)
    assert torch.allclose(w.sum(-1), torch.ones(4)) and (w.triu(1) == 0).all()
    assert torch.allclose(w[3], torch.full((4,), 0.25)) and w[0, 0] == 1


def test_attention_profile_of_hand_made_heads():
    idx, _ = encode_batch(["abe", "om"], TABLE)  # ^abe, ^om$ (padded)
    T = idx.shape[1]
    previous = torch.zeros(T, T)
    previous[0, 0] = 1
    previous[torch.arange(1, T), torch.arange(T - 1)] = 1  # every query looks one back
    start = torch.zeros(T, T)
    start[:, 0] = 1  # every query looks at ^
    weights = torch.stack([previous, start])[None].expand(2, 2, T, T)
    rows = attention_profile([weights], idx, TABLE)
    assert [(r["layer"], r["head"]) for r in rows] == [(0, 0), (0, 1)]
    # queries from the second letter on: b, e of ^abe and m of ^om
    assert rows[0]["previous"] == pytest.approx(1.0)
    assert rows[0]["start"] == rows[0]["two back"] == rows[0]["self"] == 0.0
    # the keys one back of b, e, m are a, b, o: two vowels of three
    assert rows[0]["vowels"] == pytest.approx(2 / 3)
    assert rows[1]["start"] == pytest.approx(1.0)
    assert rows[1]["previous"] == 0.0
    assert rows[1]["vowels"] == pytest.approx(0.0)


def test_uniform_weights_profile_and_untrained_model_is_close_to_it():
    idx, _ = encode_batch(NAMES, TABLE)
    uniform = uniform_weights(idx, n_heads=2)
    assert uniform.shape == (len(NAMES), 2, idx.shape[1], idx.shape[1])
    assert torch.allclose(uniform.sum(-1), torch.ones(uniform.shape[:-1]))
    (u,) = attention_profile([uniform[:, :1]], idx, TABLE)
    # the query at position i spreads 1/(i+1): ^, two back, previous and self get the same
    assert u["previous"] == pytest.approx(u["start"])
    assert u["self"] == pytest.approx(u["start"])
    assert u["two back"] == pytest.approx(u["start"])
    for row in attention_profile(tiny_model().attention_maps(idx), idx, TABLE):
        for key in ("start", "two back", "previous", "self", "vowels"):
            assert abs(row[key] - u[key]) < 0.05, (row, u)


def test_attention_profile_rejects_mismatched_shapes():
    idx, _ = encode_batch(NAMES, TABLE)
    with pytest.raises(ValueError, match="layer 0: weights must be"):
        attention_profile([torch.ones(2, 1, 3, 3)], idx, TABLE)
