"""notes 2.2: hand-written backpropagation equals torch.autograd (float64) and finite differences."""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlbox.fundamentals import MLP, mlp_numerical_gradients

TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda z: z}


def _data(mlp: MLP, loss: str, n: int = 7, seed: int = 1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, mlp.layer_sizes[0]))
    k = mlp.layer_sizes[-1]
    if loss == "cross_entropy":
        y = rng.dirichlet(np.ones(k), size=n)  # probability targets
    else:
        y = rng.uniform(size=(n, k))
    return x, y


def _randomize_biases(mlp: MLP, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    mlp.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in mlp.biases]


def _autograd(mlp: MLP, activation: str, output: str, loss: str, x, y):
    weights = [torch.tensor(w, requires_grad=True) for w in mlp.weights]
    biases = [torch.tensor(b, requires_grad=True) for b in mlp.biases]
    a = torch.from_numpy(x)
    for index, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w.T + b
        last = index == len(weights) - 1
        a = z if last and output == "softmax" else TORCH_ACTIVATIONS[output if last else activation](z)
    target = torch.from_numpy(y)
    if loss == "mse":
        value = F.mse_loss(a, target)
    elif loss == "binary_cross_entropy":
        value = F.binary_cross_entropy(a, target)
    else:
        value = F.cross_entropy(a, target)  # `a` holds the logits z_K here: softmax is inside
    value.backward()
    return [w.grad.numpy() for w in weights], [b.grad.numpy() for b in biases], value.item()


CASES = [
    ("sigmoid", "sigmoid", "mse"),
    ("tanh", "identity", "mse"),
    ("relu", "identity", "mse"),
    ("tanh", "sigmoid", "binary_cross_entropy"),
    ("relu", "softmax", "cross_entropy"),
    ("sigmoid", "softmax", "cross_entropy"),
]


@pytest.mark.parametrize(("activation", "output", "loss"), CASES)
@pytest.mark.parametrize("sizes", [(3, 5, 4), (4, 6, 5, 3), (2, 3)])
def test_gradients_equal_autograd(activation, output, loss, sizes):
    mlp = MLP(sizes, activation=activation, output_activation=output, loss=loss, seed=sum(sizes))
    _randomize_biases(mlp)
    x, y = _data(mlp, loss)
    d_weights, d_biases = mlp.gradients(x, y)
    t_weights, t_biases, t_loss = _autograd(mlp, activation, output, loss, x, y)
    assert mlp.loss(x, y) == pytest.approx(t_loss, rel=1e-12)
    for ours, theirs in zip(d_weights + d_biases, t_weights + t_biases, strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("activation", "output", "loss"), [c for c in CASES if c[0] != "relu"])
def test_gradients_equal_finite_differences(activation, output, loss):
    mlp = MLP((3, 4, 3), activation=activation, output_activation=output, loss=loss, seed=5)
    _randomize_biases(mlp)
    x, y = _data(mlp, loss, n=5)
    numerical = mlp_numerical_gradients(mlp, x, y, eps=1e-6)
    for ours, theirs in zip(mlp.flat_gradients(x, y), numerical, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_gradient_shapes_follow_the_notes():
    """notes 2.2: dL/dW_l is n_l x n_{l-1}, dL/db_l has n_l entries."""
    mlp = MLP((4, 6, 2), seed=0)
    assert [w.shape for w in mlp.weights] == [(6, 4), (2, 6)]
    d_weights, d_biases = mlp.gradients(*_data(mlp, "mse"))
    assert [g.shape for g in d_weights] == [(6, 4), (2, 6)]
    assert [g.shape for g in d_biases] == [(6,), (2,)]


def test_importing_fundamentals_does_not_import_torch():
    code = "import sys, dlbox.fundamentals; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
