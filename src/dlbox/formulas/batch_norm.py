"""Batch normalization reference (notes 3.8), in training and inference mode.

Shapes: ``x`` is ``(N, C)`` or ``(N, C, H, W)``; statistics are per channel ``C`` over every
other axis; ``gamma``, ``beta``, running mean and variance are ``(C,)``. The moving-average
convention is PyTorch's: ``running = (1 - momentum) * running + momentum * batch_statistic``,
and the running variance uses the unbiased batch variance while normalization uses the biased one.
Arrays may be NumPy arrays or torch tensors; results are of the same kind (torch: on the input's device).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlbox.formulas._arrays import numpy_or_torch


@dataclass(frozen=True)
class RunningStats:
    """Moving averages of the batch mean and variance, used at inference."""

    mean: np.ndarray
    var: np.ndarray


@numpy_or_torch
def normalize(
    x: np.ndarray, mean: np.ndarray, var: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` with per-channel statistics broadcast over ``x``."""
    shape = _channel_shape(x)
    g, m, v, b = (t.reshape(shape) for t in (gamma, mean, var, beta))
    # notes 3.8: gamma (X - mu) / sqrt(sigma^2 + eps) + beta
    return g * (x - m) / np.sqrt(v + eps) + b


@numpy_or_torch
def batch_norm_train(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running: RunningStats, momentum: float = 0.1, eps: float = 1e-5
) -> tuple[np.ndarray, RunningStats]:
    """Training mode: normalize with the batch statistics and return the updated moving averages."""
    axes = _reduce_axes(x)
    count = x.size // x.shape[1]
    # notes 3.8 (training): mu and sigma^2 are computed from the input batch X
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    # notes 3.8 (inference statistics): moving average of the values computed from the batches
    updated = RunningStats(
        mean=(1 - momentum) * running.mean + momentum * mean,
        var=(1 - momentum) * running.var + momentum * var * count / (count - 1),
    )
    return normalize(x, mean, var, gamma, beta, eps), updated


@numpy_or_torch
def batch_norm_inference(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running: RunningStats, eps: float = 1e-5
) -> np.ndarray:
    """Inference mode: normalize with the moving averages collected during training."""
    # notes 3.8 (inference): mu and sigma^2 come from the training data (their moving averages)
    return normalize(x, running.mean, running.var, gamma, beta, eps)


def _reduce_axes(x: np.ndarray) -> tuple[int, ...]:
    return (0, *range(2, x.ndim))


def _channel_shape(x: np.ndarray) -> tuple[int, ...]:
    return (1, x.shape[1], *([1] * (x.ndim - 2)))
