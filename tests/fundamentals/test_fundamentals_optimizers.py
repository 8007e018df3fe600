"""notes 2.1: gradient-descent variants equal torch.optim.SGD, and the batch variants reach the same solution."""

import numpy as np
import pytest
import torch

from dlbox.fundamentals import (
    MLP,
    batch_indices,
    gradient_descent_step,
    momentum_step,
    nesterov_lookahead,
    nesterov_step,
    nesterov_step_at_lookahead,
    train,
    zero_velocity,
)

LR, ALPHA = 0.07, 0.9


def _mlp_and_data(seed: int = 0):
    mlp = MLP((3, 5, 2), activation="tanh", output_activation="sigmoid", loss="mse", seed=seed)
    rng = np.random.default_rng(seed + 100)
    return mlp, rng.normal(size=(8, 3)), rng.uniform(size=(8, 2))


def _torch_sgd_trajectory(params, grad_sequence, **sgd_kwargs):
    """Parameters after each SGD step, given the gradient to use at each step."""
    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    optimizer = torch.optim.SGD(tensors, lr=LR, **sgd_kwargs)
    trajectory = []
    for grads in grad_sequence:
        for tensor, grad in zip(tensors, grads):
            tensor.grad = torch.from_numpy(grad.copy())
        optimizer.step()
        trajectory.append([t.detach().numpy().copy() for t in tensors])
    return trajectory


def _grad_sequence(mlp, x, y, steps):
    """Backprop gradients of the MLP at perturbed points: a realistic sequence of different gradients."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(steps):
        out.append(mlp.flat_gradients(x, y))
        mlp.parameters = [p + 0.1 * rng.normal(size=p.shape) for p in mlp.parameters]
    return out


def _assert_same(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_gradient_descent_step_equals_sgd():
    mlp, x, y = _mlp_and_data()
    grads = mlp.flat_gradients(x, y)
    (expected,) = _torch_sgd_trajectory(mlp.parameters, [grads])
    _assert_same(gradient_descent_step(mlp.parameters, grads, LR), expected)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_steps_equal_sgd_with_momentum(nesterov):
    mlp, x, y = _mlp_and_data(1)
    start = mlp.parameters
    grad_sequence = _grad_sequence(mlp, x, y, steps=4)
    expected = _torch_sgd_trajectory(start, grad_sequence, momentum=ALPHA, nesterov=nesterov)
    step = nesterov_step_at_lookahead if nesterov else momentum_step
    params, velocity = start, zero_velocity(start)
    for grads, torch_params in zip(grad_sequence, expected, strict=True):
        params, velocity = step(params, grads, velocity, LR, ALPHA)
        _assert_same(params, torch_params)


def test_notes_nesterov_matches_the_lookahead_form():
    """Gradient at w_t + alpha v_{t-1} (notes) == PyTorch's form on theta_t = w_t + alpha v_{t-1}."""
    mlp, x, y = _mlp_and_data(2)
    depth = len(mlp.weights)

    def grads_at(params):
        mlp.parameters = params
        return mlp.flat_gradients(x, y)

    w, v = mlp.parameters, zero_velocity(mlp.parameters)
    theta, v_theta = mlp.parameters, zero_velocity(mlp.parameters)
    for _ in range(5):
        w, v = nesterov_step(w, grads_at(nesterov_lookahead(w, v, ALPHA)), v, LR, ALPHA)
        theta, v_theta = nesterov_step_at_lookahead(theta, grads_at(theta), v_theta, LR, ALPHA)
        _assert_same(v, v_theta)
        _assert_same(nesterov_lookahead(w, v, ALPHA), theta)
    assert len(w) == 2 * depth


def test_training_step_equals_sgd_on_the_same_batch():
    """One full-batch epoch of `train` is one SGD step with the backprop gradient."""
    mlp, x, y = _mlp_and_data(3)
    grads = mlp.flat_gradients(x, y)
    (expected,) = _torch_sgd_trajectory(mlp.parameters, [grads], momentum=ALPHA)
    train(mlp, x, y, epochs=1, lr=LR, method="momentum", alpha=ALPHA)
    _assert_same(mlp.parameters, expected)


def test_batch_variants_visit_every_sample_once_per_epoch():
    rng = np.random.default_rng(0)
    assert [b.tolist() for b in batch_indices(5, None, rng)] == [[0, 1, 2, 3, 4]]
    assert len(batch_indices(10, 1, rng)) == 10
    minibatches = batch_indices(10, 4, rng)
    assert [len(b) for b in minibatches] == [4, 4, 2]
    assert sorted(np.concatenate(minibatches).tolist()) == list(range(10))


@pytest.mark.parametrize(
    ("batch_size", "method", "epochs", "lr"),
    [(None, "gd", 400, 0.3), (8, "gd", 100, 0.1), (1, "gd", 40, 0.05), (8, "momentum", 60, 0.02), (8, "nesterov", 60, 0.02)],
)
def test_every_variant_reaches_the_full_batch_solution(batch_size, method, epochs, lr):
    """notes 2.1 remark: mini-batch / online SGD converge to the full-batch result (noise-free linear model)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    true_w, true_b = np.array([[1.5, -2.0, 0.5]]), np.array([0.3])
    y = x @ true_w.T + true_b
    mlp = MLP((3, 1), activation="identity", output_activation="identity", loss="mse", seed=1)
    history = train(mlp, x, y, epochs=epochs, lr=lr, batch_size=batch_size, method=method)
    assert history[-1] < 1e-10 * history[0]
    np.testing.assert_allclose(mlp.weights[0], true_w, atol=1e-5)
    np.testing.assert_allclose(mlp.biases[0], true_b, atol=1e-5)


def test_unknown_method_is_an_error():
    mlp, x, y = _mlp_and_data()
    with pytest.raises(ValueError, match="gd, momentum, nesterov"):
        train(mlp, x, y, epochs=1, lr=0.1, method="adam")
