"""Activation functions sigma and their backward pass (notes 2.2).

``forward(z)`` maps pre-activations ``z`` of shape ``(N, n)`` to ``a = sigma(z)``;
``backward(z, a, grad_a)`` returns ``dL/dz`` given ``grad_a = dL/da``, both ``(N, n)``.
For element-wise activations that is ``grad_a * sigma'(z)`` (the notes' Hadamard product);
softmax couples the outputs of a layer, so its backward is the Jacobian-vector product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")


@dataclass(frozen=True)
class Activation:
    """A named activation with its forward map and its backward (vector-Jacobian) product."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, evaluated without overflow for large ``|z|``."""
    return np.exp(-np.logaddexp(0.0, -z))


def relu(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)``."""
    return np.maximum(z, 0.0)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise ``exp(z_i) / sum_j exp(z_j)`` (shifted by the row max for stability)."""
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def get_activation(name: str) -> Activation:
    """The activation called ``name``; one of :data:`ACTIVATIONS`."""
    # notes 2.2: delta = grad_a (Hadamard) grad sigma(z) for the element-wise activations
    match name:
        case "sigmoid":
            return Activation(name, sigmoid, lambda z, a, g: g * a * (1.0 - a))
        case "tanh":
            return Activation(name, np.tanh, lambda z, a, g: g * (1.0 - a**2))
        case "relu":
            return Activation(name, relu, lambda z, a, g: g * (z > 0))
        case "identity":
            return Activation(name, lambda z: z, lambda z, a, g: g)
        case "softmax":
            return Activation(name, softmax, _softmax_backward)
    raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")


def _softmax_backward(z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    # d softmax / dz = diag(a) - a a^T, applied to grad_a: a * (grad_a - <a, grad_a>)
    return a * (grad_a - (a * grad_a).sum(axis=-1, keepdims=True))
