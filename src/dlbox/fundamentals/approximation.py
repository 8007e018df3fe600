"""Universal approximation with one hidden layer (notes 1.2): a shallow network fits a continuous f: R -> [0, 1].

The network is built by the constructive argument: ``width`` steep sigmoids are steps at the
midpoints of an even grid on ``[lo, hi]``, each as high as ``f``'s change between grid points,
so the output is a staircase that follows ``f``; the error shrinks with the grid spacing, i.e.
as the width grows. Gradient descent can then refine the constructed network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dlbox.fundamentals.mlp import MLP
from dlbox.fundamentals.training import train

Function = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ApproximationResult:
    """Errors of the width-``width`` network on a dense grid: before (constructed) and after gradient descent."""

    width: int
    constructed_max_error: float
    constructed_mse: float
    trained_max_error: float
    trained_mse: float


def bump(x: np.ndarray) -> np.ndarray:
    """A default continuous target with values in ``[0, 1]``: ``0.5 + 0.45 sin(2x) exp(-x^2 / 8)``."""
    return 0.5 + 0.45 * np.sin(2.0 * x) * np.exp(-(x**2) / 8.0)


def staircase_network(f: Function, width: int, lo: float, hi: float, sharpness: float = 5.0) -> MLP:
    """A ``1 -> width -> 1`` network (sigmoid hidden layer, identity output) whose output follows ``f``.

    Hidden unit ``i`` is ``sigmoid(k (x - c_i))``, a step at the midpoint ``c_i`` of grid cell ``i``,
    with ``k = sharpness / spacing``; its output weight is ``f(x_i) - f(x_{i-1})``.
    """
    knots = np.linspace(lo, hi, width + 1)
    values = f(knots)
    centers = (knots[:-1] + knots[1:]) / 2.0
    steepness = sharpness / (knots[1] - knots[0])
    mlp = MLP([1, width, 1], activation="sigmoid", output_activation="identity", loss="mse")
    mlp.weights = [np.full((width, 1), steepness), np.diff(values)[None, :]]
    # notes 1.2: a shallow network: sum of (scaled, shifted) sigmoids, here one step per grid cell
    mlp.biases = [-steepness * centers, values[:1].copy()]
    return mlp


def errors(mlp: MLP, f: Function, grid: np.ndarray) -> tuple[float, float]:
    """``(max |net - f|, mean (net - f)^2)`` over ``grid`` ``(M,)``."""
    residual = mlp.forward(grid[:, None])[:, 0] - f(grid)
    return float(np.abs(residual).max()), float((residual**2).mean())


def approximation_study(
    widths: Sequence[int],
    f: Function = bump,
    lo: float = -3.0,
    hi: float = 3.0,
    epochs: int = 500,
    lr: float = 0.03,
) -> list[ApproximationResult]:
    """Construct and then train (full-batch momentum GD on MSE) one network per width."""
    grid = np.linspace(lo, hi, 1001)
    train_x = np.linspace(lo, hi, 401)[:, None]
    results = []
    for width in widths:
        mlp = staircase_network(f, width, lo, hi)
        constructed = errors(mlp, f, grid)
        train(mlp, train_x, f(train_x), epochs=epochs, lr=lr, method="momentum")
        results.append(ApproximationResult(width, *constructed, *errors(mlp, f, grid)))
    return results
