"""The public surface under arbitrary input: a valid result, or a clear error naming the argument.

Every public function of the package gets inputs of the right and of the wrong kinds (strings
with any Unicode, empty and huge sizes, NaN and inf, wrong dtypes and shapes, masks of every
shape). Each call must either return a valid result or raise a ValueError, TypeError or
KeyError whose message names the argument it is about: never an internal error from torch,
NumPy or matplotlib, and never a bare message a user cannot place.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attention_utils import analysis, attention, data, models, plotting, positions, sampling, train
from attention_utils.vocab import CharTable

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run, so CI is repeatable
)
TABLE = CharTable.from_names(["abhishek", "priya", "meera", "zoya", "vijay", "kunal", "om"])
ALLOWED = (ValueError, TypeError, KeyError)

texts = st.text(max_size=30)  # any Unicode, the empty string included
sizes = st.one_of(st.integers(-5, 40), st.sampled_from([0, 10**9]))
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -1.0, 1e308])
)
dtypes = st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool, torch.float16])


@st.composite
def tensors(draw, max_dims: int = 4):
    shape = tuple(draw(st.lists(st.integers(0, 6), max_size=max_dims)))
    dtype = draw(dtypes)
    values = torch.randn(shape, generator=torch.Generator().manual_seed(draw(st.integers(0, 99))))
    special = draw(st.sampled_from([None, math.nan, math.inf, -math.inf]))
    if special is not None and values.numel():
        values.view(-1)[0] = special
    return values.to(dtype) if dtype != torch.bool else values > 0


def check(call, *names: str):
    """Run ``call``; an allowed error must name one of ``names``. Returns the result or None."""
    try:
        return call()
    except ALLOWED as e:
        message = str(e.args[0] if isinstance(e, KeyError) and e.args else e)
        assert any(name in message for name in names), (
            f"{type(e).__name__}({message!r}) names none of {names}"
        )
        return None
    finally:
        plt.close("all")


# --------------------------------------------------------------------------- names and ids


@SETTINGS
@given(text=texts)
def test_encode_wrap_batch_one_hot(text):
    ids = check(lambda: TABLE.encode(text), "text", "character", "string")
    if ids is not None:
        assert ids.dtype == torch.long and len(ids) == len(text)
        assert TABLE.decode(ids) == text
    wrapped = check(lambda: TABLE.batch(text), "name", "character", "string")
    if wrapped is not None:
        assert wrapped.shape == (1, len(text) + 1)  # ^name: what a model reads
    hot = check(lambda: TABLE.one_hot(text), "text", "character", "string")
    if hot is not None:
        assert torch.equal(hot.sum(-1), torch.ones(len(text)))


@SETTINGS
@given(
    ids=st.one_of(
        st.lists(st.one_of(st.integers(-3, 40), floats, st.booleans(), texts), max_size=6),
        tensors(2),
    )
)
def test_decode(ids):
    text = check(lambda: TABLE.decode(ids), "ids", "id")
    if text is not None:
        assert isinstance(text, str)


@SETTINGS
@given(lines=st.lists(texts, max_size=8), skip=st.booleans())
def test_clean_names(lines, skip):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = check(lambda: data.clean_names(lines, skip_invalid=skip), "names", "line")
    if names is not None:
        assert names and len(set(names)) == len(names)
        assert all(data.normal_form(n) == n and not data.not_in_names(n) for n in names)


@SETTINGS
@given(names=st.lists(texts, max_size=6), fraction=floats, seed=st.integers())
def test_split_names(names, fraction, seed):
    split = check(lambda: data.split_names(names, fraction, seed), "val_fraction", "names")
    if split is not None:
        train_names, val = split
        assert set(train_names).isdisjoint(val) and set(train_names) | set(val) == set(names)


@SETTINGS
@given(symbols=st.one_of(st.lists(texts, max_size=5), texts))
def test_char_table(symbols):
    table = check(lambda: CharTable(symbols), "symbols", "symbol")
    if table is not None:
        assert len(table) == len(table.symbols)


# --------------------------------------------------------------------------- attention


@SETTINGS
@given(q=tensors(), k=tensors(), v=tensors(), mask=st.one_of(st.none(), tensors()))
def test_attention_functions(q, k, v, mask):
    for fn in (attention.attention_matrix, attention.attention_einsum, attention.attention_loops):
        result = check(lambda fn=fn: fn(q, k, v, mask), "q", "k", "v", "mask")
        if result is not None:
            out, weights = result
            assert out.shape[-1] == v.shape[-1] and weights.shape[-1] == k.shape[-2]


@SETTINGS
@given(T=sizes, lengths=st.lists(st.integers(-2, 8), max_size=4), d_model=sizes)
def test_masks_and_positions(T, lengths, d_model):
    if T < 1000:
        mask = check(lambda: attention.causal_mask(T), "T")
        if mask is not None:
            assert mask.shape == (T, T) and mask.dtype == torch.bool
        padded = check(lambda: attention.padding_mask(lengths, T), "lengths", "T")
        if padded is not None:
            assert padded.dtype == torch.bool
    if T < 1000 and d_model < 1000:
        table = check(lambda: positions.sinusoidal_positions(T, d_model), "T", "d_model")
        if table is not None:
            assert table.shape == (T, d_model) and torch.isfinite(table).all()
        check(lambda: analysis.uniform_causal(T), "T")
    check(lambda: positions.LearnedPositions(T, d_model), "max_len", "d_model")


@SETTINGS
@given(x=tensors(), d_model=st.integers(-1, 9), heads=st.integers(-1, 5), causal=st.booleans())
def test_multi_head_attention(x, d_model, heads, causal):
    module = check(lambda: attention.MultiHeadAttention(d_model, heads), "d_model", "n_heads")
    if module is not None:
        result = check(lambda: module(x, causal=causal), "x", "d_model")
        if result is not None:
            assert result[1].shape[1] == heads


# --------------------------------------------------------------------------- models


@SETTINGS
@given(names=st.lists(texts, max_size=4))
def test_encode_batch(names):
    result = check(
        lambda: models.encode_batch(names, TABLE), "names", "character", "string", "name"
    )
    if result is not None:
        idx, targets = result
        assert idx.shape == targets.shape == (len(names), max(map(len, names)) + 1)


@SETTINGS
@given(idx=tensors(3), n=st.integers(-1, 4), alpha=floats)
def test_models_forward(idx, n, alpha):
    config = models.ModelConfig(
        vocab_size=len(TABLE), block_size=8, d_model=8, n_heads=2, n_layers=1, d_ff=8
    )
    model = models.CausalTransformer(config).eval()
    result = check(lambda: model(idx), "idx", "ids")
    if result is not None:
        assert result[0].shape == (*idx.shape, len(TABLE))
    maps = check(lambda: model.attention_maps(idx), "idx", "ids")
    if maps is not None:
        assert len(maps) == 1
    counts = check(lambda: models.NGramModel(n, TABLE, alpha), "n", "alpha")
    if counts is not None:
        check(lambda: counts(idx), "idx", "ids")


@SETTINGS
@given(
    sizes=st.fixed_dictionaries(
        {k: st.integers(-1, 3) for k in ("d_model", "n_heads", "n_layers", "d_ff", "block_size")}
    ),
    dropout=floats,
)
def test_model_config(sizes, dropout):
    check(lambda: models.ModelConfig(**sizes, dropout=dropout), *sizes, "dropout")


@SETTINGS
@given(steps=st.integers(-1, 3), lr=floats, ema=floats, batch=st.integers(-1, 3))
def test_train_config(steps, lr, ema, batch):
    check(
        lambda: train.TrainConfig(steps=steps, lr=lr, ema=ema, batch_size=batch),
        "steps", "lr", "ema", "batch_size", "learning rate",
    )  # fmt: skip


@SETTINGS
@given(n=st.integers(-2, 3), temperature=floats, names=st.lists(texts, max_size=3))
def test_sample_evaluate_mark_new(n, temperature, names):
    config = models.ModelConfig(
        vocab_size=len(TABLE), block_size=8, d_model=8, n_heads=2, n_layers=1, d_ff=8
    )
    model = models.CausalTransformer(config)
    written = check(
        lambda: sampling.sample(model, TABLE, n=n, temperature=temperature), "n", "temperature"
    )
    if written is not None:
        assert len(written) == n and all(isinstance(w, str) for w in written)
    score = check(
        lambda: train.evaluate(model, names, TABLE), "names", "character", "string", "name"
    )
    if score is not None:
        assert math.isfinite(score)
    assert [new for _, new in sampling.mark_new(names, ["om"])] == [n != "om" for n in names]


# --------------------------------------------------------------------------- figures


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(weights=tensors(3), labels=st.lists(texts, max_size=5), title=texts)
def test_plots(weights, labels, title):
    check(
        lambda: plotting.plot_attention(weights, labels, title=title), "weights", "labels", "label"
    )
    check(
        lambda: plotting.plot_matrix(weights, labels, labels, title=title),
        "matrix",
        "labels",
        "label",
    )
    panels = weights if weights.dim() == 3 else weights[None]
    check(
        lambda: plt.close(plotting.plot_attention_grid(panels, labels, suptitle=title)),
        "weights",
        "label",
        "panel",
    )


@pytest.mark.parametrize("bad", [3, b"bytes", ["a"]])
def test_load_names_with_a_source_of_the_wrong_kind(bad):
    with pytest.raises(TypeError, match="source"):
        data.load_names(bad)
