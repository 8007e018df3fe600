"""notes 1.2: a shallow network approximates a continuous f: R -> [0, 1]; notes 2.2: the vanishing gradient."""

import numpy as np
import pytest

from dlbox.fundamentals import approximation_study, bump, deep_network, layer_gradient_norms, vanishing_study

WIDTHS = (4, 8, 16, 32, 64)


@pytest.fixture(scope="module")
def study():
    return approximation_study(WIDTHS)


def test_target_maps_into_unit_interval():
    values = bump(np.linspace(-50, 50, 10001))
    assert values.min() >= 0.0 and values.max() <= 1.0


def test_max_error_falls_as_width_grows(study):
    constructed = [r.constructed_max_error for r in study]
    trained = [r.trained_max_error for r in study]
    assert all(a > b for a, b in zip(constructed, constructed[1:]))
    assert all(a > b for a, b in zip(trained, trained[1:]))
    assert trained[-1] < 0.01


def test_gradient_descent_does_not_undo_the_construction(study):
    assert all(r.trained_mse <= r.constructed_mse for r in study)


def test_sigmoid_first_layers_get_orders_of_magnitude_smaller_gradients():
    norms = vanishing_study(("sigmoid", "relu"), depth=10, width=32)
    sigmoid, relu = norms["sigmoid"], norms["relu"]
    assert sigmoid.shape == relu.shape == (11,)
    # notes 2.2: first layers learn much slower than the last ones (sigmoid) ...
    assert sigmoid[0] / sigmoid[-1] < 1e-4
    # ... ReLU was designed to solve this
    assert relu[0] / relu[-1] > 1e-2
    assert sigmoid[0] < 1e-4 * relu[0]


def test_gradient_norms_shrink_layer_after_layer_for_sigmoid():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(32, 16)), rng.uniform(size=(32, 1))
    norms = layer_gradient_norms(deep_network("sigmoid", depth=8, width=16, seed=3), x, y)
    assert np.all(np.diff(np.log(norms)) > 0)
