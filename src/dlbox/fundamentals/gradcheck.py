"""Finite-difference gradients, the independent check of backpropagation (notes 2.2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dlbox.fundamentals.mlp import MLP, batch_loss


def numerical_gradients(
    loss: Callable[[list[np.ndarray]], float], parameters: Sequence[np.ndarray], eps: float = 1e-6
) -> list[np.ndarray]:
    """Central differences ``(L(p + eps) - L(p - eps)) / (2 eps)`` for every entry of every parameter."""
    grads = []
    for index, param in enumerate(parameters):
        grad = np.zeros_like(param)
        for entry in np.ndindex(param.shape):
            grad[entry] = _central_difference(loss, parameters, index, entry, eps)
        grads.append(grad)
    return grads


def mlp_numerical_gradients(mlp: MLP, x: np.ndarray, y: np.ndarray, eps: float = 1e-6) -> list[np.ndarray]:
    """Finite-difference gradients of ``mlp``'s batch loss, in the order of ``mlp.parameters``."""
    depth = len(mlp.weights)

    def loss(params: list[np.ndarray]) -> float:
        return batch_loss(params[:depth], params[depth:], mlp.sigmas, mlp.loss_fn, x, y)

    return numerical_gradients(loss, mlp.parameters, eps)


@dataclass(frozen=True)
class GradientCheck:
    """Backpropagation vs finite differences for one parameter of one network configuration."""

    activation: str
    output: str
    loss: str
    parameter: str
    max_abs_diff: float
    max_abs_grad: float


# hidden activation, output activation, loss: one configuration per output/loss pairing of notes 2.2
CHECK_CONFIGS: tuple[tuple[str, str, str], ...] = (
    ("sigmoid", "sigmoid", "mse"),
    ("tanh", "softmax", "cross_entropy"),
    ("tanh", "sigmoid", "binary_cross_entropy"),
)


def check_backprop(
    layer_sizes: Sequence[int] = (3, 5, 4, 3),
    n_samples: int = 6,
    seed: int = 0,
    configs: Sequence[tuple[str, str, str]] = CHECK_CONFIGS,
) -> list[GradientCheck]:
    """Compare :meth:`MLP.flat_gradients` with :func:`mlp_numerical_gradients` on a random batch per config.

    Targets are probability rows (Dirichlet) for cross-entropy, uniform in ``[0, 1)`` otherwise.
    One :class:`GradientCheck` per parameter ``W1..WK, b1..bK`` of each configuration.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    rng = np.random.default_rng(seed)
    n_in, n_out, depth = layer_sizes[0], layer_sizes[-1], len(layer_sizes) - 1
    checks = []
    for activation, output, loss in configs:
        net = MLP(layer_sizes, activation, output, loss, seed=seed)
        x = rng.normal(size=(n_samples, n_in))  # (N, n_0)
        if loss == "cross_entropy":
            y = rng.dirichlet(np.ones(n_out), size=n_samples)  # (N, n_K), rows sum to 1
        else:
            y = rng.uniform(size=(n_samples, n_out))  # (N, n_K)
        pairs = zip(net.flat_gradients(x, y), mlp_numerical_gradients(net, x, y), strict=True)
        for index, (ours, numeric) in enumerate(pairs):
            name = f"W{index + 1}" if index < depth else f"b{index - depth + 1}"
            checks.append(GradientCheck(activation, output, loss, name, float(np.abs(ours - numeric).max()),
                                        float(np.abs(numeric).max())))
    return checks


def _central_difference(
    loss: Callable[[list[np.ndarray]], float], parameters: Sequence[np.ndarray], index: int, entry: tuple, eps: float
) -> float:
    def shifted(delta: float) -> list[np.ndarray]:
        moved = [p.copy() for p in parameters]
        moved[index][entry] += delta
        return moved

    return (loss(shifted(eps)) - loss(shifted(-eps))) / (2.0 * eps)
