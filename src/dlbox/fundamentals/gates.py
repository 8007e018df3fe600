"""Logic gates as data sets for the perceptron, and XOR by composing perceptrons (notes 1.1, 1.2)."""

from __future__ import annotations

import numpy as np

from dlbox.fundamentals.perceptron import Perceptron

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
