"""The ex-post mixture prior of a VAE: fitting recovers known clusters, sampling has the mixture's moments."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.generative.latent_prior import (
    GaussianMixture,
    fit_gaussian_mixture,
    fit_model_mixture,
    model_mixture,
    sample_gaussian_mixture,
    standard_mixture,
)
from dlbox.generative.latent_sampling import sample_vae
from dlbox.models import create_model


def _oracle(m: GaussianMixture) -> torch.distributions.MixtureSameFamily:
    return torch.distributions.MixtureSameFamily(torch.distributions.Categorical(probs=m.weights.double()),
                                                 torch.distributions.MultivariateNormal(m.means.double(), scale_tril=m.scale_tril.double()))


def _random_mixture(seed: int, k: int, d: int) -> GaussianMixture:
    g = torch.Generator().manual_seed(seed)
    weights = torch.rand(k, generator=g) + 0.2
    a = torch.randn(k, d, d, generator=g) * 0.3
    covariances = a @ a.transpose(1, 2) + 0.2 * torch.eye(d)
    return GaussianMixture(weights / weights.sum(), 3 * torch.randn(k, d, generator=g), torch.linalg.cholesky(covariances))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), d=st.integers(1, 4))
def test_samples_have_the_mean_and_covariance_of_the_mixture(seed, k, d):
    m = _random_mixture(seed, k, d)
    z = sample_gaussian_mixture(m, 40_000, torch.Generator().manual_seed(seed)).double()  # (N, D)
    oracle = _oracle(m)  # torch.distributions: mean, and the covariance by the law of total covariance
    w, mu = m.weights.double(), m.means.double()
    cov = (w[:, None, None] * (m.scale_tril.double() @ m.scale_tril.double().transpose(1, 2) + mu[:, :, None] * mu[:, None, :])).sum(0)
    cov = cov - oracle.mean[:, None] * oracle.mean[None, :]
    scale = cov.diagonal().sqrt()
    assert torch.allclose(z.mean(0), oracle.mean, atol=float(0.05 * scale.max()))
    assert torch.allclose(torch.cov(z.T).reshape(d, d), cov, atol=float(0.08 * scale.max() ** 2))


def test_sampling_is_repeatable_from_a_generator():
    m = _random_mixture(0, 3, 2)
    a = sample_gaussian_mixture(m, 50, torch.Generator().manual_seed(1))
    assert torch.equal(a, sample_gaussian_mixture(m, 50, torch.Generator().manual_seed(1)))
    assert not torch.equal(a, sample_gaussian_mixture(m, 50, torch.Generator().manual_seed(2)))


def test_the_standard_mixture_is_n01():
    z = sample_gaussian_mixture(standard_mixture(5, 3), 40_000, torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), torch.zeros(3), atol=0.03)
    assert torch.allclose(torch.cov(z.T), torch.eye(3), atol=0.04)


def test_fitting_recovers_well_separated_clusters():
    truth = _random_mixture(3, 3, 2)
    truth = truth._replace(means=torch.tensor([[-10.0, 0.0], [0.0, 10.0], [10.0, 0.0]]))
    codes = sample_gaussian_mixture(truth, 6_000, torch.Generator().manual_seed(0))
    fitted = fit_gaussian_mixture(codes, 3)
    order = fitted.means[:, 0].argsort()
    assert torch.allclose(fitted.means[order], truth.means, atol=0.1)
    assert torch.allclose(fitted.weights[order], truth.weights, atol=0.03)
    cov = lambda m: m.scale_tril @ m.scale_tril.transpose(1, 2)  # noqa: E731
    assert torch.allclose(cov(fitted)[order], cov(truth), atol=0.1)
    # the fitted mixture explains its data better than N(0, I) copies do
    assert _oracle(fitted).log_prob(codes.double()).mean() > _oracle(standard_mixture(3, 2)).log_prob(codes.double()).mean()


def test_fitting_refuses_too_few_codes_and_bad_shapes():
    with pytest.raises(ValueError, match="a mixture of 5 components needs at least as many codes; got 3"):
        fit_gaussian_mixture(torch.randn(3, 2), 5)
    with pytest.raises(ValueError, match=r"codes must be \(N, D\), got shape \(10,\)"):
        fit_gaussian_mixture(torch.randn(10), 2)
    with pytest.raises(ValueError, match="at least 1"):
        sample_gaussian_mixture(standard_mixture(2, 2), 0)


def test_a_vae_with_a_prior_fits_it_to_its_codes_and_samples_from_it():
    torch.manual_seed(0)
    model = create_model("vae", channels=[], hidden=[16], latent_dim=3, prior_components=4).eval()
    assert model_mixture(create_model("vae", channels=[], hidden=[16], latent_dim=3)) is None
    before = model_mixture(model)
    assert torch.equal(before.means, torch.zeros(4, 3)) and torch.equal(before.scale_tril, torch.eye(3).expand(4, 3, 3))
    images = torch.rand(300, 1, 8, 8)
    fitted = fit_model_mixture(model, images)
    held = model_mixture(model)
    assert all(torch.equal(a, b) for a, b in zip(held, fitted))  # written into the buffers
    assert {"prior_weights", "prior_means", "prior_scale_tril"} <= set(model.state_dict())
    codes = model.encode(images)[0].detach()
    assert torch.allclose(codes.mean(0), (held.weights[:, None] * held.means).sum(0), atol=1e-3)  # EM keeps the mean
    g = torch.Generator().manual_seed(0)
    from_mixture = sample_vae(model, 8, g, mixture=True)
    assert from_mixture.shape == (8, 1, 8, 8)
    z = sample_gaussian_mixture(held, 8, torch.Generator().manual_seed(0))
    assert torch.allclose(from_mixture, model.decode(z)[0])  # decoded mixture draws
    with pytest.raises(ValueError, match="holds no fitted mixture prior"):
        sample_vae(create_model("vae", channels=[], hidden=[16], latent_dim=3), 2, mixture=True)
    with pytest.raises(ValueError, match="built without a mixture prior"):
        fit_model_mixture(create_model("vae", channels=[], hidden=[16], latent_dim=3), images)


def test_a_prior_with_more_components_than_images_gives_the_rest_no_weight():
    torch.manual_seed(0)
    model = create_model("vae", channels=[], hidden=[8], latent_dim=2, prior_components=10).eval()
    fitted = fit_model_mixture(model, torch.rand(4, 1, 8, 8))
    assert (fitted.weights[4:] == 0).all() and torch.isclose(fitted.weights.sum(), torch.tensor(1.0))
    z = sample_gaussian_mixture(model_mixture(model), 200, torch.Generator().manual_seed(0))
    assert torch.isfinite(z).all()
