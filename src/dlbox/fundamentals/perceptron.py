"""The perceptron: a single threshold unit trained with the perceptron rule (notes 1.1).

Shapes: ``X`` is ``(N, n_inputs)`` with one sample per row, labels ``y`` are ``(N,)`` in ``{0, 1}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PerceptronFit:
    """Outcome of :meth:`Perceptron.fit`: ``errors[e]`` misclassifications during epoch ``e``."""

    converged: bool
    epochs_run: int
    errors: list[int]


class Perceptron:
    """``1 if sum_i w_i x_i + b >= 0 else 0``; weights and bias start at zero."""

    def __init__(self, n_inputs: int, learning_rate: float = 1.0) -> None:
        self.weights = np.zeros(n_inputs)
        self.bias = 0.0
        self.learning_rate = learning_rate

    @classmethod
    def from_parameters(cls, weights: Sequence[float], bias: float) -> Perceptron:
        """A hand-wired perceptron with the given weights and bias."""
        unit = cls(len(weights))
        unit.weights, unit.bias = np.asarray(weights, dtype=float), float(bias)
        return unit

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Labels ``(N,)`` of the rows of ``x``."""
        # notes 1.1: 1 if sum_i w_i x_i + b >= 0, 0 otherwise
        return (x @ self.weights + self.bias >= 0).astype(int)

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int = 100) -> PerceptronFit:
        """Perceptron rule, one sample at a time, until an epoch without errors or ``epochs`` epochs.

        Update on a sample: ``w += lr (y - y_hat) x`` and ``b += lr (y - y_hat)``. It converges
        exactly when the data are linearly separable (NAND is, XOR is not).
        """
        errors: list[int] = []
        for _ in range(epochs):
            errors.append(self._epoch(x, y))
            if errors[-1] == 0:
                return PerceptronFit(True, len(errors), errors)
        return PerceptronFit(False, len(errors), errors)

    def _epoch(self, x: np.ndarray, y: np.ndarray) -> int:
        mistakes = 0
        for sample, target in zip(x, y, strict=True):
            error = int(target) - int(self.predict(sample[None])[0])
            self.weights = self.weights + self.learning_rate * error * sample
            self.bias += self.learning_rate * error
            mistakes += error != 0
        return mistakes
