import math

import pytest
import torch

from dlbox.generative.latent_interpolation import lerp, slerp


def test_lerp_endpoints_and_midpoint():
    z0, z1 = torch.randn(2, 5), torch.randn(2, 5)
    path = lerp(z0, z1, 5)
    assert path.shape == (5, 2, 5)
    assert torch.equal(path[0], z0) and torch.allclose(path[-1], z1) and torch.allclose(path[2], (z0 + z1) / 2)


def test_slerp_follows_the_great_circle():
    z0, z1 = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    path = slerp(z0, z1, 7)
    assert torch.allclose(path.norm(dim=1), torch.full((7,), 3.0))  # equal-norm ends: the norm is kept
    angles = torch.atan2(path[:, 1], path[:, 0])
    assert torch.allclose(angles, torch.linspace(0, math.pi / 2, 7), atol=1e-6)  # evenly spaced angles
    assert torch.allclose(path[0], z0, atol=1e-6) and torch.allclose(path[-1], z1, atol=1e-6)


def test_slerp_of_parallel_codes_is_lerp_and_bad_inputs():
    z = torch.tensor([1.0, 2.0])
    assert torch.allclose(slerp(z, 2 * z, 3), lerp(z, 2 * z, 3))
    with pytest.raises(ValueError, match="at least 2"):
        lerp(z, z, 1)
    with pytest.raises(ValueError, match="shapes differ"):
        slerp(z, torch.zeros(3), 4)
