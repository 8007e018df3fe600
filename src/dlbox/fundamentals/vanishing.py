"""Vanishing gradient (notes 2.2): per-layer gradient norms of a deep sigmoid network versus ReLU.

Backpropagation multiplies one factor ``sigma'(z_l)`` per layer; the sigmoid's is at most 1/4,
so the first layers of a deep sigmoid network get gradients orders of magnitude smaller than
the last ones, while ReLU's derivative is 0 or 1.
"""

from __future__ import annotations

import numpy as np

from dlbox.fundamentals.mlp import MLP


def layer_gradient_norms(mlp: MLP, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Frobenius norm of ``dL/dW_l`` for each layer ``l = 1..K`` (shape ``(K,)``), first layer first."""
    d_weights, _ = mlp.gradients(x, y)
    return np.array([np.linalg.norm(grad) for grad in d_weights])


def deep_network(activation: str, depth: int, width: int, seed: int = 0) -> MLP:
    """``depth`` hidden layers of ``width`` units with ``activation``, then a linear output, MSE loss."""
    sizes = [width] * (depth + 1) + [1]
    return MLP(sizes, activation=activation, output_activation="identity", loss="mse", seed=seed)


def vanishing_study(
    activations: tuple[str, ...] = ("sigmoid", "relu"),
    depth: int = 10,
    width: int = 32,
    n_samples: int = 64,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Per-layer gradient norms at initialization for the same random regression batch, per activation."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, width))
    y = rng.uniform(size=(n_samples, 1))
    # notes 2.2 (vanishing gradient): the chain of products shrinks the gradient of the first layers
    return {name: layer_gradient_norms(deep_network(name, depth, width, seed), x, y) for name in activations}
