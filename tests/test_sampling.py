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


@pytest.mark.parametrize("positions", ["learned", "relative", "both"])
def test_the_kv_cache_gives_the_logits_of_the_whole_sequence(positions):
    from attention_utils.runtime import exact

    with exact():
        torch.manual_seed(3)
        model = CausalTransformer(
            ModelConfig(vocab_size=10, block_size=8, d_model=16, n_heads=2, positions=positions)
        ).eval()
        with torch.no_grad():  # random relative scores, so that they matter
            for block in model.blocks:
                if block.rel is not None:
                    block.rel.table.normal_()
    idx = torch.randint(10, (3, 8), generator=torch.Generator().manual_seed(0))
    want, _ = model(idx)
    past, got = None, []
    for chunk in (idx[:, :1], idx[:, 1:4], idx[:, 4:5], idx[:, 5:]):  # one or several at a time
        logits, past = model.forward_cached(chunk, past)
        got.append(logits)
    torch.testing.assert_close(torch.cat(got, dim=1), want, rtol=1e-12, atol=1e-12)
    assert [layer["k"].shape for layer in past] == [(3, 2, 8, 8)] * 2
    with pytest.raises(
        ValueError, match="8 cached and 1 new characters are more than block_size=8"
    ):
        model.forward_cached(idx[:, :1], past)


def test_sampling_with_and_without_the_cache_gives_the_same_names():
    from attention_utils.runtime import exact

    with exact():
        torch.manual_seed(0)
        model = CausalTransformer(
            ModelConfig(vocab_size=len(TABLE), d_model=16, n_heads=2, positions="relative")
        )
    with torch.no_grad():
        for block in model.blocks:
            block.rel.table.normal_()
    cached = sample(model, TABLE, n=50, seed=1)
    assert cached == sample(model, TABLE, n=50, seed=1, cache=False)
    assert len(set(cached)) > 10  # varied names, not one repeated
