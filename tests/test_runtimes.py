"""course/runtimes.py: the graph it exports for ONNX Runtime computes what the model computes
(``make runtimes`` runs the measurement itself, in Chromium)."""

from __future__ import annotations

import torch

from attention_utils.models import ModelConfig
from attention_utils.pretrained import untrained_model
from attention_utils.vocab import CharTable
from course import runtimes

TABLE = CharTable(["$", "^", *"abcdefghijklmnopqrstuvwxyz"])


def test_the_exported_graph_is_the_model():
    config = ModelConfig(vocab_size=28, block_size=8, d_model=16, n_heads=2, n_layers=2, d_ff=24)
    model = untrained_model(config, seed=2)
    torch.nn.init.normal_(model.blocks[0].attn.q_proj.weight)  # heads that are not uniform
    idx = TABLE.encode("^priya")[None]
    for causal in (True, False):
        attention, probs = runtimes._Graph(model, causal)(idx)
        maps = model.attention_maps(idx, causal=causal)
        torch.testing.assert_close(attention, torch.stack([m[0] for m in maps]))
        logits, _ = model(idx, causal=causal)
        torch.testing.assert_close(probs, torch.softmax(logits[0], -1))


def test_prefixes_are_every_keystroke_of_the_names():
    assert runtimes._prefixes(["abc", "de"]) == ["a", "ab", "abc", "d", "de"]
