"""Gradient-descent training loops: full-batch, mini-batch and online (notes 2.1).

The batch size picks the variant: ``None`` (or ``>= N``) is full-batch, ``1`` is online,
anything in between is mini-batch; mini-batches and online samples are drawn from a fresh
permutation every epoch. ``method`` picks the update rule of :mod:`dlbox.fundamentals.optimizers`.
"""

from __future__ import annotations

import numpy as np

from dlbox.fundamentals.mlp import MLP
from dlbox.fundamentals.optimizers import (
    gradient_descent_step,
    momentum_step,
    nesterov_step_at_lookahead,
    zero_velocity,
)

METHODS = ("gd", "momentum", "nesterov")


def batch_indices(n_samples: int, batch_size: int | None, rng: np.random.Generator) -> list[np.ndarray]:
    """The sample indices of each step of one epoch."""
    if batch_size is None or batch_size >= n_samples:
        # notes 2.1 (full-batch): use the entire dataset
        return [np.arange(n_samples)]
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}")
    # notes 2.1 (mini-batch / online): a subset of the training data, a single sample when batch_size == 1
    order = rng.permutation(n_samples)
    return [order[start : start + batch_size] for start in range(0, n_samples, batch_size)]


def train(
    mlp: MLP,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    lr: float,
    batch_size: int | None = None,
    method: str = "gd",
    alpha: float = 0.9,
    seed: int = 0,
) -> list[float]:
    """Train ``mlp`` in place; returns the full-data loss before training and after every epoch.

    Nesterov uses :func:`nesterov_step_at_lookahead`, so the network holds the look-ahead
    parameters and each gradient is taken at them (as ``torch.optim.SGD(nesterov=True)`` does).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    rng = np.random.default_rng(seed)
    velocity = zero_velocity(mlp.parameters)
    history = [mlp.loss(x, y)]
    for _ in range(epochs):
        for batch in batch_indices(len(x), batch_size, rng):
            velocity = _step(mlp, x[batch], y[batch], velocity, lr, method, alpha)
        history.append(mlp.loss(x, y))
    return history


def _step(
    mlp: MLP, x: np.ndarray, y: np.ndarray, velocity: list[np.ndarray], lr: float, method: str, alpha: float
) -> list[np.ndarray]:
    """One update of ``mlp`` on one batch; returns the new velocity."""
    grads = mlp.flat_gradients(x, y)
    if method == "gd":
        mlp.parameters = gradient_descent_step(mlp.parameters, grads, lr)
        return velocity
    step = momentum_step if method == "momentum" else nesterov_step_at_lookahead
    mlp.parameters, velocity = step(mlp.parameters, grads, velocity, lr, alpha)
    return velocity
