"""Loss functions L(a_K, y) and their gradient w.r.t. the network output a_K (notes 2.2).

``value(a, y)`` returns the per-sample losses ``(N,)``; ``gradient(a, y)`` returns
``dL_n/da_n`` per sample, ``(N, n_K)``. Batch losses are the mean over samples, so the
per-sample definitions below make the batch loss equal PyTorch's ``reduction="mean"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LOSSES = ("mse", "cross_entropy", "binary_cross_entropy")


@dataclass(frozen=True)
class Loss:
    """A named per-sample loss and its gradient w.r.t. the network output."""

    name: str
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray]


def mean_squared_error(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``mean_i (a_i - y_i)^2`` per sample (batch mean = ``F.mse_loss``)."""
    return ((a - y) ** 2).mean(axis=-1)


def cross_entropy(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``-sum_i y_i log a_i`` per sample, for probabilities ``a`` (e.g. a softmax output) and targets ``y``."""
    return -(y * np.log(a)).sum(axis=-1)


def binary_cross_entropy(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``-mean_i [y_i log a_i + (1 - y_i) log(1 - a_i)]`` per sample (batch mean = ``F.binary_cross_entropy``)."""
    return -(y * np.log(a) + (1.0 - y) * np.log1p(-a)).mean(axis=-1)


def get_loss(name: str) -> Loss:
    """The loss called ``name``; one of :data:`LOSSES`."""
    # notes 2.2: grad L(a_K), the first factor of delta_K
    match name:
        case "mse":
            return Loss(name, mean_squared_error, lambda a, y: 2.0 * (a - y) / a.shape[-1])
        case "cross_entropy":
            return Loss(name, cross_entropy, lambda a, y: -y / a)
        case "binary_cross_entropy":
            return Loss(name, binary_cross_entropy, lambda a, y: (a - y) / (a * (1.0 - a)) / a.shape[-1])
    raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}")
