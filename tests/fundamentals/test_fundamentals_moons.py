"""dlbox.fundamentals.moons: two noisy half circles, reproducible by seed."""

import numpy as np
import pytest

from dlbox.fundamentals import two_moons


def test_clean_points_lie_on_their_half_circles():
    x, y = two_moons(500, noise=0.0, seed=3)
    assert x.shape == (500, 2) and y.shape == (500, 1) and set(np.unique(y)) == {0.0, 1.0}
    upper, lower = x[y[:, 0] == 0], x[y[:, 0] == 1]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0, atol=1e-12)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()


def test_seed_reproduces_and_noise_has_the_requested_scale():
    a, _ = two_moons(2000, noise=0.1, seed=1)
    b, _ = two_moons(2000, noise=0.1, seed=1)
    clean, _ = two_moons(2000, noise=0.0, seed=1)
    np.testing.assert_array_equal(a, b)
    assert np.std(a - clean) == pytest.approx(0.1, rel=0.05)
    assert not np.array_equal(a, two_moons(2000, noise=0.1, seed=2)[0])


@pytest.mark.parametrize(("kwargs", "name"), [({"n_samples": 0}, "n_samples"), ({"noise": -0.1}, "noise")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        two_moons(**kwargs)
