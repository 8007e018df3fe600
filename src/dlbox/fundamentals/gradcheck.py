"""Finite-difference gradients, the independent check of backpropagation (notes 2.2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


def _central_difference(
    loss: Callable[[list[np.ndarray]], float], parameters: Sequence[np.ndarray], index: int, entry: tuple, eps: float
) -> float:
    def shifted(delta: float) -> list[np.ndarray]:
        moved = [p.copy() for p in parameters]
        moved[index][entry] += delta
        return moved

    return (loss(shifted(eps)) - loss(shifted(-eps))) / (2.0 * eps)
