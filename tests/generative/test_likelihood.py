import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Normal

from dlbox.generative.likelihood import (
    bits_per_dim,
    discretized_logistic_nll,
    gaussian_nll,
    sample_discretized_logistic,
    standard_normal_log_prob,
)


def test_gaussian_nll_is_the_normal_log_density():
    x, mean = torch.rand(3, 2, 4, 4, dtype=torch.float64), torch.rand(3, 2, 4, 4, dtype=torch.float64)
    ref = -Normal(mean, 0.1).log_prob(x).flatten(1).sum(1)
    assert torch.allclose(gaussian_nll(x, mean, math.log(0.1)), ref)
    log_sigma = torch.randn(1, 2, 1, 1, dtype=torch.float64)  # a per-channel learnt scale broadcasts
    assert torch.allclose(gaussian_nll(x, mean, log_sigma), -Normal(mean, log_sigma.exp()).log_prob(x).flatten(1).sum(1))
    with pytest.raises(ValueError, match="decoder mean shape"):
        gaussian_nll(x, mean[:, :1], 0.0)


def test_standard_normal_log_prob_and_bits_per_dim():
    z = torch.randn(4, 3, 2, 2, dtype=torch.float64)
    assert torch.allclose(standard_normal_log_prob(z), Normal(0.0, 1.0).log_prob(z).flatten(1).sum(1))
    assert float(bits_per_dim(torch.tensor(12 * math.log(2)), 12)) == pytest.approx(1.0)


def reference_probabilities(mean, scale, levels):
    """P(k) for every level by CDF differences in float64, edges extended to +-infinity."""
    edges = torch.arange(1, levels, dtype=torch.float64) / levels  # inner edges k/L, k = 1..L-1
    cdf = torch.sigmoid((edges - mean) / scale)
    cdf = torch.cat([torch.zeros(1, dtype=torch.float64), cdf, torch.ones(1, dtype=torch.float64)])
    return cdf[1:] - cdf[:-1]  # (L,)


@settings(max_examples=50, deadline=None)
@given(levels=st.integers(2, 40), mean=st.floats(-0.3, 1.3), log_scale=st.floats(-6, 1))
def test_discretized_logistic_matches_cdf_differences_and_sums_to_one(levels, mean, log_scale):
    ks = torch.arange(levels, dtype=torch.float64)
    x = (ks / (levels - 1)).view(levels, 1, 1, 1)
    m = torch.full_like(x, mean)
    ls = torch.full_like(x, log_scale)
    nll = discretized_logistic_nll(x, m, ls, levels)  # one image per level
    ref = reference_probabilities(torch.tensor(mean, dtype=torch.float64), math.exp(log_scale), levels)
    assert float(torch.exp(-nll).sum()) == pytest.approx(1.0, abs=1e-9)
    mask = ref > 1e-12  # the reference's subtraction underflows where the stable form still works
    assert torch.allclose(torch.exp(-nll)[mask], ref[mask], rtol=1e-6, atol=1e-12)


def test_discretized_logistic_is_finite_with_finite_gradients_at_extremes():
    x = torch.tensor([0.0, 1.0, 128 / 255, 128 / 255]).view(4, 1, 1, 1)
    mean = torch.tensor([1.0, 0.0, 0.5, 0.01]).view(4, 1, 1, 1).requires_grad_()
    log_scale = torch.tensor([-7.0, -7.0, -7.0, -7.0]).view(4, 1, 1, 1).requires_grad_()
    nll = discretized_logistic_nll(x, mean, log_scale, levels=256)
    nll.sum().backward()
    assert torch.isfinite(nll).all() and torch.isfinite(mean.grad).all() and torch.isfinite(log_scale.grad).all()
    # a sharp logistic centred in the bin of 0.5 (level 128 of 256: [128/256, 129/256)) takes nearly all the mass
    sharp = discretized_logistic_nll(torch.full((1, 1, 1, 1), 128 / 255), torch.full((1, 1, 1, 1), 128.5 / 256), torch.full((1, 1, 1, 1), -9.0), 256)
    assert float(sharp) < 1e-3


def test_discretized_logistic_rejects_off_grid_data():
    with pytest.raises(ValueError, match="17 levels"):
        discretized_logistic_nll(torch.full((1, 1, 1, 1), 0.51), torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), 17)


def test_sampling_follows_the_discrete_probabilities():
    levels, n = 5, 40000
    mean, log_scale = torch.full((n, 1, 1, 1), 0.45), torch.full((n, 1, 1, 1), math.log(0.15))
    x = sample_discretized_logistic(mean, log_scale, levels, torch.Generator().manual_seed(0))
    k = torch.round(x * (levels - 1)).long().flatten()
    assert torch.allclose(x * (levels - 1), k.view_as(x).float())  # on the grid
    freq = torch.bincount(k, minlength=levels).double() / n
    ref = reference_probabilities(torch.tensor(0.45, dtype=torch.float64), 0.15, levels)
    assert torch.allclose(freq, ref, atol=0.01)
