"""The numbers behind `dlbox fundamentals ...`: learn_gate, check_backprop, learn_xor, compare_optimizers."""

import numpy as np
import pytest

from dlbox.fundamentals import (
    MLP,
    check_backprop,
    compare_optimizers,
    equal_step_lr,
    gate_truth_table,
    gd_variants,
    learn_gate,
    learn_xor,
    momentum_step,
    train,
    two_moons,
    zero_velocity,
)


@pytest.mark.parametrize("gate", ["nand", "and", "or"])
def test_separable_gates_are_learned(gate):
    result = learn_gate(gate)
    assert result.fit.converged and result.accuracy == 1.0 and result.two_layer is None
    np.testing.assert_array_equal(result.perceptron.predict(result.x), gate_truth_table(gate)[1])


def test_xor_is_learned_only_by_the_two_layer_network():
    result = learn_gate("xor", epochs=30)
    assert not result.fit.converged and result.fit.epochs_run == 30 and result.accuracy < 1.0
    np.testing.assert_array_equal(result.two_layer, result.y)


@pytest.mark.parametrize(("call", "message"), [(lambda: learn_gate("nor"), "nand"), (lambda: learn_gate("and", 0), "epochs"),
                                               (lambda: learn_xor(0), "epochs")])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_backprop_check_covers_every_parameter_of_every_config():
    checks = check_backprop(layer_sizes=(2, 3, 2), n_samples=4, seed=1)
    assert [c.parameter for c in checks] == ["W1", "W2", "b1", "b2"] * 3
    assert {c.loss for c in checks} == {"mse", "cross_entropy", "binary_cross_entropy"}
    assert max(c.max_abs_diff for c in checks) < 1e-7
    assert min(c.max_abs_grad for c in checks) > 0  # the check compares non-trivial gradients


def test_xor_network_learns_xor():
    result = learn_xor(epochs=2000)
    assert result.accuracy == 1.0 and result.history[-1] < result.history[0] / 5
    np.testing.assert_array_equal(result.predicted, gate_truth_table("xor")[1])


def test_equal_step_lr_gives_momentum_the_plain_gd_step_in_the_steady_state():
    grad = [np.array([0.3, -2.0])]
    lr, alpha = 0.1, 0.9
    params, velocity = [np.zeros(2)], zero_velocity([np.zeros(2)])
    for _ in range(400):  # constant gradient: the velocity converges geometrically
        params, velocity = momentum_step(params, grad, velocity, equal_step_lr(lr, alpha), alpha)
    np.testing.assert_allclose(velocity[0], -lr * grad[0], rtol=1e-12)


def test_compare_optimizers_records_the_lr_each_variant_used():
    x, y = two_moons(60, seed=0)
    result = compare_optimizers(x, y, epochs=3, lr=0.2, alpha=0.8, batch_size=10, seed=0, hidden=4)
    variants = gd_variants(0.2, 0.8, 10)
    assert list(result.curves) == [v.name for v in variants]
    assert all(len(curve) == 4 for curve in result.curves.values())
    for v in variants:
        expected = 0.2 * (1 - 0.8) if v.method in ("momentum", "nesterov") else 0.2
        assert result.effective_lr[v.name] == pytest.approx(expected, rel=1e-12)
    # the recorded lr is the one used: retraining momentum at that lr gives the same curve
    momentum = next(v for v in variants if v.method == "momentum")
    net = MLP((2, 4, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    again = train(net, x, y, epochs=3, lr=result.effective_lr[momentum.name], batch_size=10, method="momentum",
                  alpha=0.8, seed=0)
    np.testing.assert_array_equal(again, result.curves[momentum.name])
