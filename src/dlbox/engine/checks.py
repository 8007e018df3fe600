"""Validation of a training config, once for every training command and every way a value arrives.

A value set by a CLI option, ``--set``, a YAML file, a resumed ``config.yaml`` or Python is checked here,
before anything is written, and each message names the option and what would be valid.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def check_config(recipe: Any, cfg: Any) -> None:
    """Raise ``ValueError`` naming the first invalid or unused field of ``cfg`` for ``recipe``'s task."""
    from dlbox.engine.fabric_setup import PRECISIONS
    from dlbox.engine.optim import OPTIMIZERS, SCHEDULES
    from dlbox.engine.run import resolve_batch_size

    if not isinstance(cfg, recipe.config_type):
        raise TypeError(f"dlbox {recipe.task} train takes a {recipe.config_type.__name__}, got {type(cfg).__name__}")
    _check_unused(recipe, cfg)
    t, o, d = cfg.train, cfg.optim, cfg.data
    choices = [
        ("--optimizer (optim.optimizer)", o.optimizer, OPTIMIZERS),
        ("--schedule (optim.schedule)", o.schedule, SCHEDULES),
        ("--precision (fabric.precision)", str(cfg.fabric.precision), PRECISIONS),
        ("--on-bad-image (data.on_bad_image)", d.on_bad_image, ("skip", "fail")),
        ("--monitor (train.monitor)", t.monitor, recipe.monitors),
        ("train.nan_policy", t.nan_policy, ("stop",)),
    ]
    for option, value, valid in choices:
        if value not in valid:
            raise ValueError(f"{_flag(option)} {value!r} is not valid{_key(option)}; choose from {', '.join(str(v) for v in valid)}")
    at_least = [
        ("--epochs (train.epochs)", t.epochs, 1),
        ("--max-steps (train.max_steps)", t.max_steps, 1),
        ("train.eval_batch_size", t.eval_batch_size, 1),
        ("train.log_every", t.log_every, 1),
        ("--patience (train.patience)", t.patience, 0),
        ("--num-nodes (fabric.num_nodes)", cfg.fabric.num_nodes, 1),
        ("data.num_workers", d.num_workers, 0),
    ]
    for option, value, low in at_least:
        if value is not None and value < low:
            raise ValueError(f"{_flag(option)} must be at least {low}{_key(option)}, got {value}")
    positive = [("--max-time (train.max_time)", t.max_time), ("--grad-clip (train.grad_clip)", t.grad_clip)]
    for option, value in positive:
        if value is not None and not value > 0:
            raise ValueError(f"{_flag(option)} must be positive{_key(option)}, got {value}")
    fractions = [
        ("--lr (optim.lr)", o.lr, 0.0, None),
        ("--weight-decay (optim.weight_decay)", o.weight_decay, 0.0, None),
        ("--momentum (optim.momentum)", o.momentum, 0.0, 1.0),
        ("train.ema_decay", t.ema_decay, 0.0, 1.0),
        ("data.val_fraction", d.val_fraction, 0.0, 1.0),
        ("data.test_fraction", d.test_fraction, 0.0, 1.0),
    ]
    for option, value, low, high in fractions:
        if value < low or (high is not None and value >= high):
            raise ValueError(f"{_flag(option)} must lie in [{low}, {high if high is not None else 'inf'}){_key(option)}, got {value}")
    if d.val_fraction + d.test_fraction >= 1:
        raise ValueError(f"data.val_fraction + data.test_fraction must be below 1 (nothing left to train on), got {d.val_fraction} + {d.test_fraction}")
    if o.backbone_lr_mult < 0:
        raise ValueError(f"--backbone-lr-mult (optim.backbone_lr_mult) must be non-negative, got {o.backbone_lr_mult}")
    resolve_batch_size(t.batch_size, 1, 1)
    if d.val_fraction <= 0 and t.patience is not None:
        raise ValueError("early stopping (--patience) needs a validation split (data.val_fraction > 0)")
    if recipe.check is not None:
        recipe.check(cfg)


def _check_unused(recipe: Any, cfg: Any) -> None:
    """A field the task ignores may not be set: it would silently do nothing."""
    defaults = recipe.config_type()
    for path in recipe.unused:
        if _get(cfg, path) != _get(defaults, path):
            raise ValueError(
                f"config field {path} is not used by `dlbox {recipe.task}` (it would do nothing); remove it"
            )


def _get(obj: Any, path: str) -> Any:
    for key in path.split("."):
        obj = obj[key] if isinstance(obj, dict) else getattr(obj, key)
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj


def _flag(option: str) -> str:
    """``"--lr (optim.lr)"`` -> ``"--lr"``; a field without a CLI option stays as it is."""
    return option.split(" (")[0]


def _key(option: str) -> str:
    """``"--lr (optim.lr)"`` -> ``" (config optim.lr)"``, so YAML and ``--set`` users see their key too."""
    return f" (config {option.split(' (')[1][:-1]})" if " (" in option else ""
