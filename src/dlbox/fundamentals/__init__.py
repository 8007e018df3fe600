"""First principles in NumPy (notes 1, 2): perceptron, MLP with hand-written backpropagation,
gradient-descent variants, universal approximation and the vanishing gradient.

NumPy only: importing this package does not import torch (PyTorch is the oracle in the tests).
The studies behind ``dlbox fundamentals ...`` return their numbers here (:func:`learn_gate`,
:func:`check_backprop`, :func:`learn_xor`, :func:`compare_optimizers`, :func:`approximation_study`,
:func:`vanishing_study`); :mod:`dlbox.tasks.fundamentals` writes them to run directories with plots.
"""

from dlbox.fundamentals.activations import ACTIVATIONS, Activation, get_activation
from dlbox.fundamentals.approximation import ApproximationResult, approximation_study, bump, staircase_network
from dlbox.fundamentals.backprop import ForwardPass, backpropagate, forward_pass
from dlbox.fundamentals.gates import GATES, GateFit, XorFit, gate_truth_table, learn_gate, learn_xor, xor_by_composition
from dlbox.fundamentals.gradcheck import (
    CHECK_CONFIGS,
    GradientCheck,
    check_backprop,
    mlp_numerical_gradients,
    numerical_gradients,
)
from dlbox.fundamentals.losses import LOSSES, Loss, get_loss
from dlbox.fundamentals.mlp import MLP
from dlbox.fundamentals.moons import two_moons
from dlbox.fundamentals.optimizer_comparison import (
    OptimizerComparison,
    Variant,
    compare_optimizers,
    equal_step_lr,
    gd_variants,
)
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
    "CHECK_CONFIGS",
    "ForwardPass",
    "GATES",
    "GateFit",
    "GradientCheck",
    "LOSSES",
    "Loss",
    "METHODS",
    "MLP",
    "OptimizerComparison",
    "Perceptron",
    "PerceptronFit",
    "Variant",
    "XorFit",
    "approximation_study",
    "backpropagate",
    "batch_indices",
    "bump",
    "check_backprop",
    "compare_optimizers",
    "deep_network",
    "equal_step_lr",
    "forward_pass",
    "gate_truth_table",
    "gd_variants",
    "get_activation",
    "get_loss",
    "gradient_descent_step",
    "layer_gradient_norms",
    "learn_gate",
    "learn_xor",
    "mlp_numerical_gradients",
    "momentum_step",
    "nesterov_lookahead",
    "nesterov_step",
    "nesterov_step_at_lookahead",
    "numerical_gradients",
    "staircase_network",
    "train",
    "two_moons",
    "vanishing_study",
    "xor_by_composition",
    "zero_velocity",
]
