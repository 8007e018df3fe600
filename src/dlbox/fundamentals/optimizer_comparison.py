"""Gradient-descent variants side by side on one problem and one initialization (notes 2.1).

Full-batch, mini-batch and online gradient descent use the learning rate ``lr``. Momentum and
Nesterov use ``lr * (1 - alpha)``: with a constant gradient ``g`` their velocity settles at
``v = -lr' g / (1 - alpha)``, so that scaling makes their steady-state step ``lr g`` as long as
plain gradient descent's and the comparison is about the direction of the steps, not their size.
The learning rate each variant really used is kept in :attr:`OptimizerComparison.effective_lr`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlbox.fundamentals.mlp import MLP
from dlbox.fundamentals.training import train


@dataclass(frozen=True)
class Variant:
    """One training configuration: batch size (``None`` = full batch), update rule and the lr it uses."""

    name: str
    batch_size: int | None
    method: str
    lr: float


@dataclass(frozen=True)
class OptimizerComparison:
    """Full-data loss curves (before training, then after each epoch) and the lr used, per variant name."""

    curves: dict[str, list[float]]
    effective_lr: dict[str, float]


def equal_step_lr(lr: float, alpha: float) -> float:
    """The momentum learning rate whose steady-state step equals a plain gradient step of size ``lr``."""
    # notes 2.1: v_t = mu grad L + alpha v_{t-1}; at a fixed point v = mu grad L / (1 - alpha)
    return lr * (1.0 - alpha)


def gd_variants(lr: float, alpha: float, batch_size: int) -> list[Variant]:
    """Full-batch, mini-batch and online GD at ``lr``; momentum and Nesterov (mini-batch) at :func:`equal_step_lr`."""
    momentum_lr = equal_step_lr(lr, alpha)
    return [
        Variant("full-batch GD", None, "gd", lr),
        Variant(f"mini-batch GD ({batch_size})", batch_size, "gd", lr),
        Variant("online GD", 1, "gd", lr),
        Variant(f"momentum (mini-batch, alpha={alpha})", batch_size, "momentum", momentum_lr),
        Variant(f"Nesterov (mini-batch, alpha={alpha})", batch_size, "nesterov", momentum_lr),
    ]


def compare_optimizers(
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 60,
    lr: float = 0.1,
    alpha: float = 0.9,
    batch_size: int = 16,
    seed: int = 0,
    hidden: int = 16,
) -> OptimizerComparison:
    """Train the same ``n_0 -> hidden -> n_K`` tanh/sigmoid network (binary cross-entropy) with each of :func:`gd_variants`.

    ``x`` is ``(N, n_0)``, ``y`` ``(N, n_K)`` in ``[0, 1]``; every variant starts from the
    same initialization (``seed``) and draws its mini-batches from the same seed.
    """
    if epochs < 1 or batch_size < 1 or hidden < 1:
        raise ValueError(f"epochs, batch_size and hidden must be >= 1, got {epochs}, {batch_size}, {hidden}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    curves, used = {}, {}
    for variant in gd_variants(lr, alpha, batch_size):
        net = MLP((x.shape[1], hidden, y.shape[1]), "tanh", "sigmoid", "binary_cross_entropy", seed=seed)
        curves[variant.name] = train(net, x, y, epochs=epochs, lr=variant.lr, batch_size=variant.batch_size,
                                     method=variant.method, alpha=alpha, seed=seed)
        used[variant.name] = variant.lr
    return OptimizerComparison(curves, used)
