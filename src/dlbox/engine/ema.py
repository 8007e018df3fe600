"""The exponential moving average of the weights (``train.ema``), optionally with a warm-up of its decay.

Without warm-up the average starts as a copy of the first weights and decays at ``train.ema_decay``
from then on, so in a short run the random initial weights keep a visible share (``decay^steps``).
With ``train.ema_warmup`` the decay after ``n`` averaged updates is ``min(decay, (1 + n) / (10 + n))``
(the warm-up of TensorFlow's ``ExponentialMovingAverage(num_updates=...)``, used by the DDPM code of
Ho et al. 2020): early weights are forgotten quickly and the full decay applies after ~``10 / (1 - decay)`` steps.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def ema_decay(num_averaged: int, decay: float, warmup: bool) -> float:
    """The decay applied at the update after ``num_averaged`` previous ones (``decay`` itself without warm-up)."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"train.ema_decay must lie in [0, 1], got {decay}")
    if num_averaged < 0:
        raise ValueError(f"the number of averaged updates must be non-negative, got {num_averaged}")
    # TF ExponentialMovingAverage with num_updates: decay_n = min(decay, (1 + n) / (10 + n))
    return min(decay, (1.0 + num_averaged) / (10.0 + num_averaged)) if warmup else decay


def ema_model(model: nn.Module, decay: float, warmup: bool) -> AveragedModel:
    """An :class:`~torch.optim.swa_utils.AveragedModel` of ``model`` (buffers averaged too) at :func:`ema_decay`."""
    if not warmup:
        return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)

    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], num_averaged: torch.Tensor | int) -> None:
        # EMA: averaged <- d_n averaged + (1 - d_n) current, torch's update at this step's decay d_n
        get_ema_multi_avg_fn(ema_decay(int(num_averaged), decay, warmup=True))(averaged, current, num_averaged)

    return AveragedModel(model, multi_avg_fn=update, use_buffers=True)
