"""Training and evaluation of the models of :mod:`attention_utils.models`.

:func:`fit_ngram` (a count baseline, smoothing chosen on the validation names),
:func:`train_model` (AdamW on random batches, loss curves, the best weights by validation
kept), :func:`evaluate` (held-out NLL in nats per character); new names come from
:mod:`.sampling`. The trained model of notebooks 08, 09 and 12 is in :mod:`.pretrained`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch

from attention_utils.models import (
    IGNORE_INDEX,
    NGramModel,
    at_least_one,
    check_model_table,
    encode_batch,
    evaluating,
)
from attention_utils.progress import progress_bar
from attention_utils.runtime import one_thread, resolve_device, set_seed
from attention_utils.vocab import CharTable

# --------------------------------------------------------------------------- evaluation


@torch.no_grad()
def evaluate(model, names: Sequence[str], table: CharTable, batch_size: int = 512) -> float:
    """Mean negative log-likelihood of ``names``, in nats per character.

    Every letter and the end token ``$`` of every name count once; the mean is over all
    those characters together (a long name weighs more than a short one). Runs the model
    in eval mode (on one CPU thread, see :func:`attention_utils.runtime.one_thread`) and restores its mode.
    """
    if len(names) == 0:
        raise ValueError("evaluate needs at least one name, got an empty list")
    check_model_table(model, table)
    device = next(iter(model.buffers()), next(iter(model.parameters()), None))
    device = device.device if device is not None else torch.device("cpu")
    total, count = 0.0, 0
    with evaluating(model), one_thread():
        for i in range(0, len(names), batch_size):
            idx, targets = encode_batch(names[i : i + batch_size], table, device)
            logits, _ = model(idx)
            nll = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).double(),
                targets.reshape(-1),
                ignore_index=IGNORE_INDEX,
                reduction="sum",
            )
            total += float(nll)
            count += int((targets != IGNORE_INDEX).sum())
    return total / count


# --------------------------------------------------------------------------- count baselines

#: Smoothing strengths tried by :func:`fit_ngram`.
ALPHAS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def fit_ngram(
    n: int, train: Sequence[str], val: Sequence[str], table: CharTable, alphas=ALPHAS
) -> NGramModel:
    """Count ``n``-grams on ``train`` and pick the add-alpha smoothing best on ``val``.

    The chosen value is in ``model.alpha``; the validation NLL of each value tried is in
    ``model.alpha_scores`` (a dict alpha -> nats per character).
    """
    if not alphas:
        raise ValueError("alphas must list at least one smoothing value")
    model = NGramModel(n, table).fit(train)
    scores = {}
    for alpha in alphas:
        model.alpha = float(alpha)
        scores[float(alpha)] = evaluate(model, val, table)
    model.alpha = min(scores, key=scores.get)
    model.alpha_scores = scores
    return model


# --------------------------------------------------------------------------- training


@dataclass
class TrainConfig:
    """How :func:`train_model` trains. Plain types only, so it can be saved and loaded."""

    steps: int = 500
    batch_size: int = 128
    lr: float = 3e-3
    min_lr: float = 3e-4  # cosine decay from lr to min_lr after a short warm-up
    warmup: int = 50
    weight_decay: float = 0.1
    eval_every: int = 50
    seed: int = 0
    device: str = "auto"  # "auto" (a CUDA GPU or Apple MPS if present, else the CPU) or a device
    threads: int = 1  # CPU threads while training (a model this small is fastest on one); 0 = as is
    train_eval_names: int = 256  # the train curve is measured on this many fixed training names
    ema: float = 0.0  # > 0: evaluate and keep a moving average of the weights with this decay
    patience: int = 0  # > 0: stop after this many evaluations without a better validation NLL
    batches: str = "random"  # "random" names each step, or "by_length" (less padding, faster)

    def __post_init__(self):
        at_least_one(self, "steps", "batch_size", "eval_every")
        if self.batches not in ("random", "by_length"):
            raise ValueError(f"batches must be 'random' or 'by_length', got {self.batches!r}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0 (0 = train every step), got {self.patience}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be in [0, 1) (0 = off), got {self.ema}")
        if self.lr <= 0 or self.min_lr < 0:
            raise ValueError(
                f"learning rates must be positive, got lr={self.lr}, min_lr={self.min_lr}"
            )


@dataclass
class History:
    """Loss curves of a training run: at each evaluation ``step``, the NLL on both splits;
    ``batch_loss``: the loss of every step's batch, as training saw it."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_step: int = 0
    best_val: float = float("inf")
    seconds: float = 0.0
    batch_loss: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _lr_at(step: int, config: TrainConfig) -> float:
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1 + math.cos(math.pi * progress))


def _batches(lengths: torch.Tensor, config: TrainConfig, gen: torch.Generator):
    """Row numbers of the training names, one ``(batch_size,)`` tensor per step, forever.

    ``"random"``: ``batch_size`` names drawn at random each step. ``"by_length"``: epochs in
    which every name comes once, in batches of names of about the same length (sorted by
    length, ties in random order), the batches in random order: a batch is then padded only
    to its own longest name, which saves about half of the work on these names.
    """
    n = len(lengths)
    while True:
        if config.batches == "random":
            yield torch.randint(n, (config.batch_size,), generator=gen)
            continue
        order = torch.randperm(n, generator=gen)
        order = order[torch.sort(lengths[order], stable=True).indices]
        groups = order.split(config.batch_size)
        for i in torch.randperm(len(groups), generator=gen).tolist():
            yield groups[i]


def _diverged(step: int, lr: float, loss: float, config: TrainConfig):
    raise FloatingPointError(
        f"training diverged at step {step} of {config.steps}: the loss is {loss} (learning "
        f"rate {lr:.3g} at that step, TrainConfig.lr={config.lr:g}); nothing was kept. Try a "
        "smaller learning rate."
    )


def train_model(
    model: torch.nn.Module,
    train: Sequence[str],
    val: Sequence[str],
    table: CharTable,
    config: TrainConfig | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` in place on ``train`` and keep the weights best on ``val``.

    Each step takes ``batch_size`` names (at random or by length, see ``config.batches``; a
    generator seeded by ``config.seed``), so two runs with the same config give the same model. Every ``eval_every`` steps (and at
    the end) the NLL of all validation names, and of a fixed sample of ``train_eval_names``
    training names, is recorded in the returned :class:`History` (in eval mode: no dropout).
    At the end the model holds the weights of the best validation NLL and is in eval mode.
    With ``config.patience`` > 0 training stops early, after that many evaluations in a row
    without a better validation NLL (``history.steps[-1]`` is then the last step trained).
    """
    config = config or TrainConfig()
    if len(train) == 0 or len(val) == 0:
        raise ValueError(f"need training and validation names, got {len(train)} and {len(val)}")
    check_model_table(model, table)
    device = resolve_device(config.device)
    set_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    # fused: one kernel for all the parameters, much less overhead per step (CPU and CUDA)
    fused = device.type in ("cpu", "cuda")
    opt = torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.99), fused=fused)
    idx_all, targets_all = encode_batch(list(train), table, device)
    # The train curve uses a fixed sample: evaluating every training name each time would cost
    # more than the training steps in between.
    order = torch.randperm(len(train), generator=gen)[: config.train_eval_names].tolist()
    probe = [train[i] for i in order]
    history = History()
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    averaged = None
    if config.ema:  # an exponential moving average of the weights: smoother than the last step
        averaged = torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.ema)
        )
    threads = torch.get_num_threads()
    if config.threads and device.type == "cpu":
        torch.set_num_threads(config.threads)
    start = time.perf_counter()
    try:
        with progress_bar(config.steps, "training", enabled=progress) as bar:
            model.train()
            batches = _batches((targets_all != IGNORE_INDEX).sum(1).cpu(), config, gen)
            for step in range(config.steps):
                rows = next(batches).to(device)
                idx, targets = idx_all[rows], targets_all[rows]
                width = int((targets != IGNORE_INDEX).sum(1).max())  # crop the shared padding
                for group in opt.param_groups:
                    group["lr"] = _lr_at(step, config)
                _, loss = model(idx[:, :width], targets[:, :width])
                if not torch.isfinite(loss):
                    _diverged(step + 1, opt.param_groups[0]["lr"], loss.item(), config)
                history.batch_loss.append(loss.item())
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                if averaged is not None:
                    averaged.update_parameters(model)
                bar.update(1)
                if (step + 1) % config.eval_every == 0 or step + 1 == config.steps:
                    judged = averaged.module if averaged is not None else model
                    tr, va = evaluate(judged, probe, table), evaluate(judged, val, table)
                    history.steps.append(step + 1)
                    history.train_loss.append(tr)
                    history.val_loss.append(va)
                    if not math.isfinite(va):
                        _diverged(step + 1, opt.param_groups[0]["lr"], va, config)
                    if va < history.best_val:
                        history.best_val, history.best_step = va, step + 1
                        for k, v in judged.state_dict().items():
                            best_state[k].copy_(v)
                    bar.set_postfix(train=f"{tr:.3f}", val=f"{va:.3f}")
                    waited = (step + 1 - history.best_step) // config.eval_every
                    if config.patience and waited >= config.patience:
                        break  # early stopping: validation has stopped improving
    finally:
        torch.set_num_threads(threads)
    model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
