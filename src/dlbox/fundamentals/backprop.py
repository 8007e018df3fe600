"""Forward pass and hand-written backpropagation of a fully connected network (notes 2.2).

Layout: a batch is a matrix whose *rows* are samples, ``a_0 = X`` of shape ``(N, n_0)``.
Layer ``l`` has ``W_l`` of shape ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l,)``, so the
notes' column form ``z_l = W_l a_{l-1} + b_l`` reads ``Z_l = A_{l-1} W_l^T + b_l`` on a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlbox.fundamentals.activations import Activation


@dataclass(frozen=True)
class ForwardPass:
    """Everything backpropagation needs: ``z_1..z_K`` and ``a_0..a_K`` (each ``(N, n_l)``)."""

    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]

    @property
    def output(self) -> np.ndarray:
        """``a_K``, the network's output ``(N, n_K)``."""
        return self.activations[-1]


def forward_pass(
    weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], sigmas: Sequence[Activation], x: np.ndarray
) -> ForwardPass:
    """Run ``x`` ``(N, n_0)`` through the layers, keeping each ``z_l`` and ``a_l``."""
    zs, activations = [], [x]
    for weight, bias, sigma in zip(weights, biases, sigmas, strict=True):
        # notes 2.2: z_l = W_l a_{l-1} + b_l, written for a batch of row vectors
        z = activations[-1] @ weight.T + bias
        zs.append(z)
        # notes 2.2: a_l = sigma_l(z_l)
        activations.append(sigma.forward(z))
    return ForwardPass(zs, activations)


def backpropagate(
    weights: Sequence[np.ndarray], sigmas: Sequence[Activation], cache: ForwardPass, grad_output: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Batch-averaged ``(dL/dW_l, dL/db_l)`` for every layer, from ``grad_output = dL_n/da_K`` ``(N, n_K)``.

    Uses the notes' stored intermediate values ``delta_l = dL/dz_l`` (one row per sample).
    """
    n_samples = grad_output.shape[0]
    depth = len(weights)
    d_weights: list[np.ndarray] = [np.empty(0)] * depth
    d_biases: list[np.ndarray] = [np.empty(0)] * depth
    # notes 2.2: delta_K = grad L(a_K) (Hadamard) grad sigma_K(z_K)
    delta = _through_activation(sigmas[-1], cache, depth, grad_output)
    for layer in range(depth, 0, -1):
        # notes 2.2: dL/dW_l = delta_l a_{l-1}^T (summed over the batch, then averaged)
        d_weights[layer - 1] = delta.T @ cache.activations[layer - 1] / n_samples
        # notes 2.2: dL/db_l = delta_l . 1
        d_biases[layer - 1] = delta.mean(axis=0)
        if layer > 1:
            # notes 2.2: delta_l = (delta_{l+1}^T W_{l+1}) (Hadamard) grad sigma_l(z_l)
            delta = _through_activation(sigmas[layer - 2], cache, layer - 1, delta @ weights[layer - 1])
    return d_weights, d_biases


def _through_activation(sigma: Activation, cache: ForwardPass, layer: int, grad_a: np.ndarray) -> np.ndarray:
    """``dL/dz_layer`` from ``dL/da_layer`` (layers are numbered from 1)."""
    return sigma.backward(cache.pre_activations[layer - 1], cache.activations[layer], grad_a)
