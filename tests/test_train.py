"""attention_utils.train: learning works, the best weights are kept, early stopping."""

from __future__ import annotations

import math

import pytest
import torch

from attention_utils.models import CausalTransformer, ModelConfig, NGramModel
from attention_utils.sampling import sample
from attention_utils.train import (
    TrainConfig,
    evaluate,
    fit_ngram,
    train_model,
)
from attention_utils.vocab import CharTable

HANDFUL = ["asha", "arjun", "kavya", "meera", "ravi"]
TABLE = CharTable.from_names("abcdefghijklmnopqrstuvwxyz")


def small_model(seed: int = 0, dropout: float = 0.0) -> CausalTransformer:
    torch.manual_seed(seed)
    cfg = ModelConfig(
        vocab_size=len(TABLE),
        block_size=8,
        d_model=32,
        n_heads=2,
        n_layers=2,
        d_ff=64,
        dropout=dropout,
    )
    return CausalTransformer(cfg)


def quick(**kw) -> TrainConfig:
    base = dict(steps=20, batch_size=8, lr=1e-2, min_lr=1e-3, warmup=2, eval_every=5)
    return TrainConfig(**{**base, **kw})


def test_the_model_overfits_a_handful_of_names():
    model = small_model()
    before = evaluate(model, HANDFUL, TABLE)
    assert before == pytest.approx(math.log(len(TABLE)), abs=0.2)
    history = train_model(
        model,
        HANDFUL,
        HANDFUL,
        TABLE,
        quick(steps=150, eval_every=25, weight_decay=0.0),
        progress=False,
    )
    after = evaluate(model, HANDFUL, TABLE)
    # 5 names, 26 predictions: a model that has learned them is almost certain of each letter
    # except the first (which of the 4 first letters a name starts with).
    assert after < 0.35, history.val_loss
    assert history.train_loss[-1] < history.train_loss[0]
    names = sample(model, TABLE, n=30, temperature=0.5, seed=1)
    assert sum(n in HANDFUL for n in names) >= 25


def test_training_keeps_the_best_weights_by_validation_loss():
    train, val = HANDFUL[:4], ["omkar", "meena"]
    model = small_model(dropout=0.1)
    history = train_model(model, train, val, TABLE, quick(steps=40), progress=False)
    assert history.steps == [5, 10, 15, 20, 25, 30, 35, 40]
    assert len(history.train_loss) == len(history.val_loss) == 8
    assert history.best_val == min(history.val_loss)
    assert history.best_step == history.steps[history.val_loss.index(history.best_val)]
    assert evaluate(model, val, TABLE) == pytest.approx(history.best_val, rel=1e-6)
    assert not model.training
    assert history.seconds > 0


def test_training_is_repeatable_with_the_same_seed_and_differs_with_another():
    runs = []
    for seed in (3, 3, 4):
        model = small_model(dropout=0.1)
        train_model(model, HANDFUL, ["omkar"], TABLE, quick(seed=seed), progress=False)
        runs.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_training_restores_the_thread_count():
    threads = torch.get_num_threads()
    train_model(small_model(), HANDFUL, ["omkar"], TABLE, quick(steps=2, threads=1), progress=False)
    assert torch.get_num_threads() == threads
    sample(small_model(), TABLE, n=2)
    evaluate(small_model(), HANDFUL, TABLE)
    assert torch.get_num_threads() == threads


def test_train_config_and_train_model_reject_bad_input():
    with pytest.raises(ValueError, match="steps must be at least 1"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="learning rates"):
        TrainConfig(lr=0)
    with pytest.raises(ValueError, match="validation names"):
        train_model(small_model(), HANDFUL, [], TABLE, quick(), progress=False)
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        train_model(small_model(), HANDFUL, ["omkar"], TABLE, quick(device="gpu0"), progress=False)


# --------------------------------------------------------------------------- evaluation, baselines


def test_evaluate_counts_every_character_once():
    # a unigram model with counts only from one name: P(c) known exactly
    model = NGramModel(1, TABLE, alpha=0.0).fit(["aab"])  # a:2, b:1, $:1
    nll = evaluate(model, ["ab", "a"], TABLE)  # predictions: a b $ a $
    want = -(math.log(0.5) * 2 + math.log(0.25) + math.log(0.25) * 2) / 5
    assert nll == pytest.approx(want)
    with pytest.raises(ValueError, match="at least one name"):
        evaluate(model, [], TABLE)


def test_fit_ngram_picks_the_smoothing_best_on_validation():
    model = fit_ngram(2, HANDFUL, ["omkar", "ravina"], TABLE, alphas=(0.001, 0.3, 5.0))
    assert set(model.alpha_scores) == {0.001, 0.3, 5.0}
    assert model.alpha == min(model.alpha_scores, key=model.alpha_scores.get)
    assert evaluate(model, ["omkar", "ravina"], TABLE) == pytest.approx(
        model.alpha_scores[model.alpha]
    )
    with pytest.raises(ValueError, match="alphas"):
        fit_ngram(2, HANDFUL, ["omkar"], TABLE, alphas=())


def test_weight_averaging_keeps_an_average_that_is_evaluated():
    model = small_model(dropout=0.1)
    cfg = quick(steps=30, ema=0.9)
    history = train_model(model, HANDFUL, ["omkar", "meena"], TABLE, cfg, progress=False)
    assert evaluate(model, ["omkar", "meena"], TABLE) == pytest.approx(history.best_val, rel=1e-6)
    plain = small_model(dropout=0.1)
    train_model(plain, HANDFUL, ["omkar", "meena"], TABLE, quick(steps=30), progress=False)
    assert not torch.equal(model.head.weight, plain.head.weight)
    with pytest.raises(ValueError, match="ema must be in"):
        TrainConfig(ema=1.0)


def test_a_diverging_run_stops_with_the_step_and_the_learning_rate():
    config = quick(steps=40, eval_every=5, lr=1e9, min_lr=1e9, warmup=1)
    with pytest.raises(
        FloatingPointError, match=r"diverged at step \d+ of 40.*TrainConfig.lr=1e\+09"
    ):
        train_model(small_model(), HANDFUL, ["omkar"], TABLE, config, progress=False)


def test_a_model_and_a_table_that_disagree_are_refused_where_they_meet():
    small_table = CharTable.from_names(["abc"])  # ^ $ a b c: 5 symbols, the model reads 28
    model = small_model()
    for call in (
        lambda: train_model(model, ["abc"], ["cab"], small_table, quick(), progress=False),
        lambda: evaluate(model, ["abc"], small_table),
        lambda: sample(model, small_table, n=2),
    ):
        with pytest.raises(ValueError, match=r"table: the model reads 28 symbols.*has 5"):
            call()
    counts = NGramModel(2, small_table).fit(["abc"])
    with pytest.raises(ValueError, match="table: the model counts the symbols"):
        evaluate(counts, HANDFUL, TABLE)


def test_early_stopping_ends_training_once_validation_stops_improving():
    # a learning rate far too large for this model: validation gets worse after a few steps
    config = quick(steps=200, eval_every=2, lr=0.05, min_lr=0.05, warmup=1, patience=3)
    model = small_model()
    history = train_model(model, HANDFUL * 4, ["omkar"], TABLE, config, progress=False)
    assert history.steps[-1] < 200
    assert history.steps[-1] == history.best_step + 3 * 2  # three evaluations without progress
    assert evaluate(model, ["omkar"], TABLE) == pytest.approx(history.best_val, rel=1e-6)
    full = train_model(
        small_model(),
        HANDFUL * 4,
        ["omkar"],
        TABLE,
        quick(steps=200, eval_every=2, lr=0.05, min_lr=0.05, warmup=1),
        progress=False,
    )
    assert full.steps[-1] == 200
    with pytest.raises(ValueError, match="patience must be >= 0"):
        TrainConfig(patience=-1)


def test_batches_by_length_hold_every_name_once_an_epoch_and_names_of_one_length():
    from attention_utils.train import _batches

    lengths = torch.tensor([3, 5, 3, 7, 5, 3, 7, 5, 4, 6])
    config = quick(batch_size=3, batches="by_length")
    gen = torch.Generator().manual_seed(0)
    batches = _batches(lengths, config, gen)
    epoch = [next(batches) for _ in range(4)]  # 10 names in batches of 3: 4 batches
    assert sorted(torch.cat(epoch).tolist()) == list(range(10))
    spread = sorted(int(lengths[b].max() - lengths[b].min()) for b in epoch)
    # sorted by length 3 3 3 | 4 5 5 | 5 6 7 | 7: neighbours in length share a batch
    assert spread == [0, 0, 1, 2]
    random = _batches(lengths, quick(batch_size=3), gen)
    assert all(len(next(random)) == 3 for _ in range(5))
    with pytest.raises(ValueError, match="batches must be"):
        TrainConfig(batches="sorted")
    model = small_model()
    by_length = quick(steps=30, batches="by_length")
    history = train_model(model, HANDFUL * 3, ["omkar"], TABLE, by_length, progress=False)
    assert history.best_val < math.log(len(TABLE))  # it learns
