"""attention_utils.sampling: new names from a model, repeatable, and which of them are new."""

from __future__ import annotations

import pytest
import torch

from attention_utils.models import GRU, CausalTransformer, GRUConfig, ModelConfig, NGramModel
from attention_utils.sampling import mark_new, sample
from attention_utils.vocab import CharTable

HANDFUL = ["asha", "arjun", "kavya", "meera", "ravi"]
TABLE = CharTable.from_names("abcdefghijklmnopqrstuvwxyz")


def small_model(seed: int = 0) -> CausalTransformer:
    torch.manual_seed(seed)
    cfg = ModelConfig(vocab_size=len(TABLE), block_size=8, d_model=32, n_heads=2, d_ff=64)
    return CausalTransformer(cfg)


def test_sampling_with_a_seed_is_repeatable():
    model = small_model()
    a = sample(model, TABLE, n=15, temperature=1.0, seed=7)
    b = sample(model, TABLE, n=15, temperature=1.0, seed=7)
    c = sample(model, TABLE, n=15, temperature=1.0, seed=8)
    assert a == b
    assert a != c
    assert len(a) == 15
    assert all(set(n) <= set("abcdefghijklmnopqrstuvwxyz") and len(n) <= 7 for n in a)


def test_sampling_temperature_sharpens_the_choice():
    bigram = NGramModel(2, TABLE, alpha=0.0).fit(["ab"] * 9 + ["ac"])
    cold = sample(bigram, TABLE, n=200, temperature=0.3, seed=0)
    warm = sample(bigram, TABLE, n=200, temperature=1.0, seed=0)
    assert set(cold) | set(warm) <= {"ab", "ac"}
    assert cold.count("ac") < warm.count("ac")
    assert 5 <= warm.count("ac") <= 40  # about 10 % at temperature 1
    with pytest.raises(ValueError, match="temperature must be > 0"):
        sample(bigram, TABLE, temperature=0)


def test_mark_new():
    assert mark_new(["asha", "ashu"], HANDFUL) == [("asha", False), ("ashu", True)]


def test_a_model_without_block_size_samples_names_of_at_most_20_letters():
    torch.manual_seed(0)
    gru = GRU(GRUConfig(vocab_size=len(TABLE), d_emb=8, d_hidden=8))
    names = sample(gru, TABLE, n=30, temperature=3.0, seed=0)  # hot: the end is rarely drawn
    assert max(len(n) for n in names) == 20
