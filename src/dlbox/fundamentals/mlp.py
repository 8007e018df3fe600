"""A multi-layer perceptron in NumPy (notes 1.2, 2.2): parameters, forward pass, loss and gradients.

Shapes: ``X`` is ``(N, n_0)``, targets ``Y`` are ``(N, n_K)``; ``weights[l]`` is
``W_{l+1}`` of shape ``(n_{l+1}, n_l)`` and ``biases[l]`` is ``(n_{l+1},)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlbox.fundamentals.activations import Activation, get_activation
from dlbox.fundamentals.backprop import ForwardPass, backpropagate, forward_pass
from dlbox.fundamentals.losses import Loss, get_loss


def batch_loss(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    sigmas: Sequence[Activation],
    loss: Loss,
    x: np.ndarray,
    y: np.ndarray,
) -> float:
    """Mean over the batch of ``loss(a_K(x), y)`` for the given parameters."""
    return float(loss.value(forward_pass(weights, biases, sigmas, x).output, y).mean())


class MLP:
    """Fully connected network ``layer_sizes = (n_0, n_1, ..., n_K)``.

    Hidden layers use ``activation``, the last layer ``output_activation``. Weights start
    Gaussian with standard deviation ``gain / sqrt(n_in)`` (``gain = sqrt(2)`` for ReLU hidden
    layers, He; ``1`` otherwise, LeCun), biases at zero; ``seed`` makes them reproducible.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        loss: str = "mse",
        seed: int = 0,
    ) -> None:
        if len(layer_sizes) < 2:
            raise ValueError("layer_sizes needs at least an input and an output size")
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        depth = len(self.layer_sizes) - 1
        self.sigmas: list[Activation] = [get_activation(activation)] * (depth - 1) + [get_activation(output_activation)]
        self.loss_fn: Loss = get_loss(loss)
        rng = np.random.default_rng(seed)
        gain = np.sqrt(2.0) if activation == "relu" else 1.0
        pairs = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.weights: list[np.ndarray] = [rng.normal(0.0, gain / np.sqrt(n_in), (n_out, n_in)) for n_in, n_out in pairs]
        self.biases: list[np.ndarray] = [np.zeros(n_out) for _, n_out in pairs]

    def forward_pass(self, x: np.ndarray) -> ForwardPass:
        """All pre-activations and activations for ``x`` ``(N, n_0)``."""
        return forward_pass(self.weights, self.biases, self.sigmas, x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The output ``a_K`` ``(N, n_K)``."""
        return self.forward_pass(x).output

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean loss over the batch."""
        return batch_loss(self.weights, self.biases, self.sigmas, self.loss_fn, x, y)

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Batch-averaged ``(dL/dW_l, dL/db_l)`` by backpropagation (same shapes as weights and biases)."""
        cache = self.forward_pass(x)
        return backpropagate(self.weights, self.sigmas, cache, self.loss_fn.gradient(cache.output, y))

    @property
    def parameters(self) -> list[np.ndarray]:
        """``[W_1, ..., W_K, b_1, ..., b_K]``, the order used by the optimizers."""
        return [*self.weights, *self.biases]

    @parameters.setter
    def parameters(self, values: Sequence[np.ndarray]) -> None:
        depth = len(self.weights)
        self.weights, self.biases = list(values[:depth]), list(values[depth:])

    def flat_gradients(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Gradients in the order of :attr:`parameters`."""
        d_weights, d_biases = self.gradients(x, y)
        return [*d_weights, *d_biases]
