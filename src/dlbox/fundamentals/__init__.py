"""First principles in NumPy (notes 1, 2): perceptron, MLP with hand-written backpropagation,
gradient-descent variants, universal approximation and the vanishing gradient.

NumPy only: importing this package does not import torch (PyTorch is the oracle in the tests).
"""

from dlbox.fundamentals.activations import ACTIVATIONS, Activation, get_activation
from dlbox.fundamentals.approximation import ApproximationResult, approximation_study, bump, staircase_network
from dlbox.fundamentals.backprop import ForwardPass, backpropagate, forward_pass
from dlbox.fundamentals.gates import GATES, gate_truth_table, xor_by_composition
from dlbox.fundamentals.gradcheck import mlp_numerical_gradients, numerical_gradients
from dlbox.fundamentals.losses import LOSSES, Loss, get_loss
from dlbox.fundamentals.mlp import MLP
from dlbox.fundamentals.optimizers import (
    gradient_descent_step,
    momentum_step,
    nesterov_lookahead,
    nesterov_step,
    nesterov_step_at_lookahead,
    zero_velocity,
)
from dlbox.fundamentals.perceptron import Perceptron, PerceptronFit
from dlbox.fundamentals.training import METHODS, batch_indices, train
from dlbox.fundamentals.vanishing import deep_network, layer_gradient_norms, vanishing_study

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "ApproximationResult",
    "ForwardPass",
    "GATES",
    "LOSSES",
    "Loss",
    "METHODS",
    "MLP",
    "Perceptron",
    "PerceptronFit",
    "approximation_study",
    "backpropagate",
    "batch_indices",
    "bump",
    "deep_network",
    "forward_pass",
    "gate_truth_table",
    "get_activation",
    "get_loss",
    "gradient_descent_step",
    "layer_gradient_norms",
    "mlp_numerical_gradients",
    "momentum_step",
    "nesterov_lookahead",
    "nesterov_step",
    "nesterov_step_at_lookahead",
    "numerical_gradients",
    "staircase_network",
    "train",
    "vanishing_study",
    "xor_by_composition",
    "zero_velocity",
]
