"""notes 1.1 / 1.2: a perceptron represents NAND but not XOR; a composition of perceptrons does XOR."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.fundamentals import GATES, Perceptron, gate_truth_table, xor_by_composition


@pytest.mark.parametrize("gate", ["nand", "and", "or"])
def test_linearly_separable_gates_converge_to_their_truth_table(gate):
    x, y = gate_truth_table(gate)
    unit = Perceptron(2)
    fit = unit.fit(x, y, epochs=100)
    assert fit.converged
    assert fit.errors[-1] == 0 and fit.epochs_run == len(fit.errors) < 100
    np.testing.assert_array_equal(unit.predict(x), y)


def test_xor_never_converges():
    x, y = gate_truth_table("xor")
    unit = Perceptron(2)
    fit = unit.fit(x, y, epochs=500)
    assert not fit.converged
    assert fit.epochs_run == 500
    assert min(fit.errors) > 0
    assert (unit.predict(x) == y).mean() < 1.0


@settings(max_examples=100, deadline=None)
@given(
    w1=st.floats(-10, 10, allow_nan=False),
    w2=st.floats(-10, 10, allow_nan=False),
    b=st.floats(-10, 10, allow_nan=False),
)
def test_no_single_perceptron_computes_xor(w1, w2, b):
    x, y = gate_truth_table("xor")
    assert not np.array_equal(Perceptron.from_parameters([w1, w2], b).predict(x), y)


def test_two_layer_composition_computes_xor():
    x, y = gate_truth_table("xor")
    np.testing.assert_array_equal(xor_by_composition(x), y)


def test_threshold_is_inclusive():
    """notes 1.1: output 1 when sum_i w_i x_i + b >= 0 (equality included)."""
    unit = Perceptron.from_parameters([1.0, -1.0], 0.0)
    np.testing.assert_array_equal(unit.predict(np.array([[2.0, 2.0], [1.0, 2.0]])), [1, 0])


def test_unknown_gate_names_the_valid_ones():
    with pytest.raises(ValueError, match="nand, and, or, xor"):
        gate_truth_table("nor")
    assert GATES == ("nand", "and", "or", "xor")
