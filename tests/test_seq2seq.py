"""attention_utils.models.seq2seq: the reversal task, its two models, and cross-attention."""

from __future__ import annotations

import pytest
import torch

from attention_utils.attention import MultiHeadAttention, attention_matrix
from attention_utils.models.common import IGNORE_INDEX
from attention_utils.models.seq2seq import (
    ReversalGRU,
    ReversalTransformer,
    Seq2SeqConfig,
    attention_on_the_answer,
    exact_match,
    reversal_batch,
    reverse_names,
    train_reversal,
)
from attention_utils.runtime import exact, largest_tensor
from attention_utils.vocab import CharTable

NAMES = ["ravi", "om", "abhishek", "priya", "sita", "kiran", "anu", "dev", "meera", "arjun"]
TABLE = CharTable.from_names(NAMES)


def small(cls, seed=0, **sizes):
    config = Seq2SeqConfig(vocab_size=len(TABLE), block_size=9, d_model=16, d_ff=32, **sizes)
    with exact():
        torch.manual_seed(seed)
        return cls(config)


def test_the_batch_reads_name_dollar_and_teaches_the_name_backwards():
    b = reversal_batch(["ravi", "om"], TABLE)
    assert TABLE.decode(b.src[0].tolist()) == "ravi$"
    assert TABLE.decode(b.src[1].tolist()) == "om$$$"  # padded with $
    assert b.src_mask[:, 0].tolist() == [[True] * 5, [True] * 3 + [False] * 2]
    assert TABLE.decode(b.dec_in[0].tolist()) == "^ivar"
    assert TABLE.decode(b.targets[0].tolist()) == "ivar$"
    assert b.targets[1, 3:].tolist() == [IGNORE_INDEX] * 2
    assert TABLE.decode(b.targets[1, :3].tolist()) == "mo$"


@pytest.mark.parametrize("bad", [[], "ravi"])
def test_the_batch_refuses_what_is_not_a_list_of_names(bad):
    with pytest.raises(ValueError, match="non-empty list of names"):
        reversal_batch(bad, TABLE)


def test_cross_attention_takes_queries_from_x_and_keys_values_from_memory():
    torch.manual_seed(1)
    layer = MultiHeadAttention(8, 2)
    x, memory = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    out, weights = layer(x, memory=memory)
    assert weights.shape == (2, 2, 3, 5)
    split = lambda t: t.view(2, -1, 2, 4).transpose(1, 2)  # noqa: E731
    q, k, v = split(layer.q_proj(x)), split(layer.k_proj(memory)), split(layer.v_proj(memory))
    heads, want = attention_matrix(q, k, v)
    torch.testing.assert_close(weights, want)
    torch.testing.assert_close(out, layer.out_proj(heads.transpose(1, 2).reshape(2, 3, 8)))


def test_cross_attention_masks_keys_of_memory_and_refuses_what_does_not_fit():
    torch.manual_seed(1)
    layer = MultiHeadAttention(8, 1)
    x, memory = torch.randn(1, 3, 8), torch.randn(1, 5, 8)
    mask = torch.tensor([[[True, True, False, False, False]]])
    _, weights = layer(x, mask=mask, memory=memory)
    assert (weights[..., 2:] == 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(1, 1, 3))
    with pytest.raises(ValueError, match="cross-attention has no causal order"):
        layer(x, memory=memory, causal=True)
    with pytest.raises(ValueError, match=r"memory must be \(B=1, S, d_model=8\)"):
        layer(x, memory=torch.randn(2, 5, 8))
    with pytest.raises(TypeError, match="memory has dtype"):
        layer(x, memory=memory.double())


def test_the_encoder_sees_both_ways_and_the_decoder_only_back():
    model = small(ReversalTransformer).eval()
    b = reversal_batch(["abhishek"], TABLE)
    with torch.no_grad():
        logits, _ = model(b.src, b.src_mask, b.dec_in)
        changed = b.dec_in.clone()
        changed[0, 5] = TABLE.stoi["z" if "z" in TABLE.stoi else "a"]
        logits2, _ = model(b.src, b.src_mask, changed)
    torch.testing.assert_close(logits[:, :5], logits2[:, :5])  # the past does not see the future
    assert not torch.allclose(logits[:, 5:], logits2[:, 5:])
    enc, dec = model.last_weights["encoder"][0], model.last_weights["decoder"][0]
    assert enc.triu(1).sum() > 0
    assert dec.triu(1).sum() == 0
    assert model.last_weights["cross"][0].shape == (1, 1, 9, 9)


@pytest.mark.parametrize("cls", [ReversalTransformer, ReversalGRU])
def test_padding_does_not_change_what_a_model_writes_for_a_name(cls):
    model = small(cls).eval()
    alone, padded = reversal_batch(["ravi"], TABLE), reversal_batch(["ravi", "abhishek"], TABLE)
    with torch.no_grad():
        a, _ = model(alone.src, alone.src_mask, alone.dec_in)
        p, _ = model(padded.src, padded.src_mask, padded.dec_in)
    torch.testing.assert_close(a[0], p[0, :5])


@pytest.mark.parametrize("cls", [ReversalTransformer, ReversalGRU])
def test_training_is_the_same_twice_and_lowers_the_loss(cls):
    runs, states = [], []
    for _ in range(2):
        model = small(cls)
        runs.append(train_reversal(model, NAMES, TABLE, steps=30, batch_size=8, record_every=10))
        states.append(model.state_dict())
    assert runs[0].loss == runs[1].loss
    assert runs[0].steps == [10, 20, 30]
    for k in states[0]:
        torch.testing.assert_close(states[0][k], states[1][k], rtol=0, atol=0)
    assert runs[0].loss[-1] < runs[0].loss[0]
    assert all(torch.equal(v, v.float().double()) for v in states[0].values())  # float32's grid


def test_train_reversal_refuses_a_budget_of_nothing():
    with pytest.raises(ValueError, match="steps, batch_size, record_every must be >= 1"):
        train_reversal(small(ReversalGRU), NAMES, TABLE, steps=0)


class _Oracle(torch.nn.Module):
    """A stand-in model that writes the right answer (or a wrong one, ``shift``)."""

    def __init__(self, table, shift=0):
        super().__init__()
        self.table, self.shift, self.w = table, shift, torch.nn.Parameter(torch.zeros(1))

    def encode(self, src, src_mask):
        return src, src_mask

    def decode(self, memory, src_mask, dec_in):
        src, _ = memory
        lengths = src_mask[:, 0].sum(-1)  # letters + 1
        t = dec_in.shape[1] - 1
        logits = torch.zeros(src.shape[0], dec_in.shape[1], len(self.table))
        for b in range(src.shape[0]):
            L = int(lengths[b]) - 1
            pos = L - 1 - t + self.shift
            target = src[b, pos] if 0 <= pos < L else self.table.stoi["$"]
            logits[b, -1, target] = 1.0
        return logits


def test_exact_match_counts_names_written_back_letter_for_letter():
    assert reverse_names(_Oracle(TABLE), ["ravi", "om"], TABLE) == ["ivar", "mo"]
    assert exact_match(_Oracle(TABLE), NAMES, TABLE) == 1.0
    assert exact_match(_Oracle(TABLE, shift=1), NAMES, TABLE) == 0.0


def test_attention_on_the_answer_reads_the_weight_on_the_right_letter():
    model = small(ReversalTransformer)
    cross = model.decoder[0].cross_attn
    names = ["ravi", "abhishek"]
    b = reversal_batch(names, TABLE)
    T = b.src.shape[1]
    right = torch.zeros(2, 1, T, T)
    for i, name in enumerate(names):
        L = len(name)
        for t in range(L):
            right[i, 0, t, L - 1 - t] = 1.0
        right[i, 0, L, L] = 1.0

    # the layer's weights replaced by the right pattern, then by an even spread
    def forcing(pattern):
        def hook(module, args, kwargs, output):
            return output[0], pattern

        return cross.register_forward_hook(hook, with_kwargs=True)

    handle = forcing(right)
    assert attention_on_the_answer(model, names, TABLE).tolist() == [[1.0], [1.0]]
    handle.remove()
    even = b.src_mask[:, None].expand(2, 1, T, T).double()
    even = even / even.sum(-1, keepdim=True)
    handle = forcing(even)
    got = attention_on_the_answer(model, names, TABLE)
    handle.remove()
    torch.testing.assert_close(got, torch.tensor([[1 / 5], [1 / 9]], dtype=torch.float64))


def test_largest_tensor_grows_with_the_square_for_attention_and_linearly_for_a_gru():
    layer, gru = MultiHeadAttention(8, 1).eval(), torch.nn.GRU(8, 8, batch_first=True)
    with torch.no_grad():
        a = [
            largest_tensor(lambda x: layer(x, causal=True), torch.randn(1, T, 8)) for T in (64, 128)
        ]
        g = [largest_tensor(gru, torch.randn(1, T, 8)) for T in (64, 128)]
    assert a == [64 * 64 * 4, 128 * 128 * 4]  # the (T, T) scores, float32
    assert g[1] == 2 * g[0]
