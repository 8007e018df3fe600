"""Logic gates as data sets for the perceptron, and XOR by composing perceptrons (notes 1.1, 1.2).

Also the two studies on gates: one perceptron trained on a gate (:func:`learn_gate`) and a
2-4-1 sigmoid network trained on XOR by backpropagation (:func:`learn_xor`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlbox.fundamentals.mlp import MLP
from dlbox.fundamentals.perceptron import Perceptron, PerceptronFit
from dlbox.fundamentals.training import train

GATES = ("nand", "and", "or", "xor")


def gate_inputs() -> np.ndarray:
    """The four binary input pairs ``(4, 2)``, in truth-table order."""
    return np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


def gate_truth_table(gate: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a two-input gate: ``X`` ``(4, 2)``, ``y`` ``(4,)`` in ``{0, 1}``."""
    a, b = gate_inputs().T.astype(bool)
    match gate:
        case "nand":
            y = ~(a & b)
        case "and":
            y = a & b
        case "or":
            y = a | b
        case "xor":
            y = a ^ b
        case _:
            raise ValueError(f"unknown gate {gate!r}; valid: {', '.join(GATES)}")
    return gate_inputs(), y.astype(int)


def xor_by_composition(x: np.ndarray) -> np.ndarray:
    """XOR of the rows of ``x`` ``(N, 2)`` by a hand-wired two-layer network of perceptrons.

    Hidden layer: OR and NAND; output: AND of the two. One perceptron cannot do it (notes 1.1),
    a composition can (notes 1.2).
    """
    or_unit = Perceptron.from_parameters([1.0, 1.0], -0.5)
    nand_unit = Perceptron.from_parameters([-1.0, -1.0], 1.5)
    and_unit = Perceptron.from_parameters([1.0, 1.0], -1.5)
    # notes 1.2: a multi-layer perceptron is a composition of perceptrons
    hidden = np.stack([or_unit.predict(x), nand_unit.predict(x)], axis=1).astype(float)
    return and_unit.predict(hidden)


@dataclass(frozen=True)
class GateFit:
    """A perceptron trained on a gate: inputs ``x`` ``(4, 2)``, targets and predictions ``(4,)``.

    ``two_layer`` holds the hand-wired two-layer network's predictions for XOR (``None`` for other gates).
    """

    gate: str
    x: np.ndarray
    y: np.ndarray
    perceptron: Perceptron
    fit: PerceptronFit
    predicted: np.ndarray
    two_layer: np.ndarray | None

    @property
    def accuracy(self) -> float:
        """Fraction of the truth table the perceptron gets right."""
        return float((self.predicted == self.y).mean())


def learn_gate(gate: str, epochs: int = 100) -> GateFit:
    """Train one perceptron on ``gate`` with the perceptron rule (notes 1.1); NAND/AND/OR converge, XOR never does."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    x, y = gate_truth_table(gate)
    unit = Perceptron(2)
    fit = unit.fit(x, y, epochs)
    # notes 1.2: a composition of perceptrons computes XOR
    two_layer = xor_by_composition(x) if gate == "xor" else None
    return GateFit(gate, x, y, unit, fit, unit.predict(x), two_layer)


@dataclass(frozen=True)
class XorFit:
    """A network trained on XOR: the full-batch loss before training and after each epoch, and its predictions."""

    mlp: MLP
    history: list[float]
    predicted: np.ndarray
    accuracy: float


def learn_xor(epochs: int = 3000, lr: float = 2.0, seed: int = 0) -> XorFit:
    """Train a 2-4-1 sigmoid network on XOR with full-batch gradient descent on the MSE (notes 2.2).

    Predictions are the outputs thresholded at 0.5.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    x, y = gate_truth_table("xor")
    net = MLP((2, 4, 1), "sigmoid", "sigmoid", "mse", seed=seed)
    history = train(net, x, y[:, None].astype(float), epochs=epochs, lr=lr)
    predicted = (net.forward(x)[:, 0] >= 0.5).astype(int)  # (4,)
    return XorFit(net, history, predicted, float((predicted == y).mean()))
