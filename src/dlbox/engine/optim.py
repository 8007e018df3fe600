"""Optimizers and learning-rate schedules from ``torch.optim`` (notes 2.1)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlbox.config import OptimConfig

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw")  # what the training loop steps (one gradient per step)
INPUT_OPTIMIZERS = ("adam", "sgd", "lbfgs")  # what optimising an input image uses (L-BFGS needs a closure)
SCHEDULES = ("none", "cosine", "step", "onecycle")
ONECYCLE_WARMUP = 0.25  # fraction of the steps spent raising the learning rate


def create_optimizer(
    name: str, params: Iterable[Any], lr: float, momentum: float = 0.9, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """The one optimizer factory of dlbox: ``lr`` is the one learning rate.

    ``params`` may be tensors or param-group dicts; a group's ``lr_mult`` (e.g. a slower fine-tuned backbone)
    makes its learning rate ``lr * lr_mult``.
    """
    params = [{**g, "lr": lr * g["lr_mult"]} if isinstance(g, dict) and "lr_mult" in g else g for g in params]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":  # notes 2.1: v_t = mu grad + alpha v_{t-1}
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "nesterov":  # momentum applied before computing the gradient
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "lbfgs":  # one iteration per step() call, strong-Wolfe line search (input optimisation)
        return torch.optim.LBFGS(params, lr=lr, max_iter=1, history_size=50, line_search_fn="strong_wolfe")
    raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS + ('lbfgs',))}")


def build_optimizer(params: Iterable[Any], cfg: OptimConfig) -> torch.optim.Optimizer:
    """The optimizer an ``optim`` config section describes."""
    return create_optimizer(cfg.optimizer, params, cfg.lr, cfg.momentum, cfg.weight_decay)


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: OptimConfig, total_steps: int, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A per-step scheduler (the loop calls ``step()`` after every optimizer step)."""
    total_steps = max(1, total_steps)
    if cfg.schedule == "none":
        return None
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, cfg.step_size * steps_per_epoch), gamma=cfg.gamma)
    if cfg.schedule == "onecycle":
        # torch's OneCycleLR divides by (warm-up steps - 1) and by the remaining steps: it needs 5 or more
        total_steps = max(total_steps, 5)
        max_lr = [g["lr"] for g in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total_steps, pct_start=ONECYCLE_WARMUP)
    raise ValueError(f"unknown schedule {cfg.schedule!r}; valid: {', '.join(SCHEDULES)}")


def adapt_to_budget(optimizers: list[torch.optim.Optimizer], schedulers: list[Any], total_steps: int, lr_scale: float = 1.0) -> None:
    """After loading a checkpoint on ``--resume``: a changed step budget and learning rate take effect.

    The schedules restored from the checkpoint keep their position but now end at ``total_steps``;
    every learning rate (current, initial, peak and floor) is multiplied by ``lr_scale``.
    """
    total_steps = max(1, total_steps)
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            for key in ("lr", "initial_lr", "max_lr", "min_lr"):
                if key in group:
                    group[key] *= lr_scale
    for scheduler in schedulers:
        if scheduler is None:
            continue
        scheduler.base_lrs = [lr * lr_scale for lr in scheduler.base_lrs]
        scheduler._last_lr = [lr * lr_scale for lr in scheduler.get_last_lr()]
        if isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):  # its phase boundaries follow the total
            fresh = torch.optim.lr_scheduler.OneCycleLR(
                torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), max_lr=1.0, total_steps=max(total_steps, 5), pct_start=ONECYCLE_WARMUP
            )
            scheduler.total_steps, scheduler._schedule_phases = fresh.total_steps, fresh._schedule_phases
        elif isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingLR):
            scheduler.T_max = total_steps
