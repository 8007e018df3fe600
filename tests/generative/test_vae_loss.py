import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Independent, MultivariateNormal, Normal, kl_divergence

from dlbox.generative.vae_loss import (
    discretized_negative_elbo,
    gaussian_negative_elbo,
    kl_standard_normal,
    negative_elbo_terms,
    reparameterize,
)

floats = st.floats(-4, 4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 4),
    data=st.data(),
)
def test_kl_closed_form_matches_torch_distributions(rows, data):
    dim = data.draw(st.integers(1, 6))
    mu = torch.tensor(data.draw(st.lists(st.lists(floats, min_size=dim, max_size=dim), min_size=rows, max_size=rows)), dtype=torch.float64)
    logvar = torch.tensor(data.draw(st.lists(st.lists(floats, min_size=dim, max_size=dim), min_size=rows, max_size=rows)), dtype=torch.float64)
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    assert torch.allclose(kl_standard_normal(mu, logvar), kl_divergence(q, p), rtol=1e-10, atol=1e-10)


def test_kl_is_zero_only_at_the_prior_and_pushes_mu_to_0_sigma_to_1():
    assert float(kl_standard_normal(torch.zeros(1, 5), torch.zeros(1, 5))) == 0.0
    mu, logvar = torch.tensor([[0.5, -1.0]], requires_grad=True), torch.tensor([[1.0, -2.0]], requires_grad=True)
    kl_standard_normal(mu, logvar).sum().backward()
    assert torch.allclose(mu.grad, mu.detach())  # d KL / d mu = mu (notes 4.1.1: pushes mu to 0)
    assert torch.allclose(logvar.grad, 0.5 * (logvar.detach().exp() - 1))  # zero at sigma = 1
    with pytest.raises(ValueError, match="logvar shape"):
        kl_standard_normal(torch.zeros(2, 3), torch.zeros(2, 4))


def test_reparameterize_draws_the_gaussian_and_passes_gradients():
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor([[1.0, -2.0]]).expand(50000, 2).clone().requires_grad_()
    logvar = torch.tensor([[0.0, math.log(0.25)]]).expand(50000, 2).clone().requires_grad_()
    z = reparameterize(mu, logvar, g)
    assert torch.allclose(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.02)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 0.5]), rtol=0.02)
    z.sum().backward()
    assert torch.equal(mu.grad, torch.ones_like(mu))
    eps = (z - mu) / (0.5 * logvar).exp()
    assert torch.allclose(logvar.grad, 0.5 * (0.5 * logvar).exp() * eps, atol=1e-5)  # dz/dlogvar = sigma eps / 2


def test_elbo_with_the_exact_posterior_of_a_linear_gaussian_model_equals_log_evidence():
    # p(z) = N(0, I_2), p(x|z) = N(W z + b, sigma^2 I_4) with orthogonal columns in W, so the exact
    # posterior is diagonal: N(M^-1 W^T (x - b), sigma^2 M^-1), M = W^T W + sigma^2 I. Then
    # E_q[-log p(x|z)] + KL(q || p) = -log p(x) with p(x) = N(b, W W^T + sigma^2 I).
    torch.manual_seed(0)
    sigma = 0.3
    w = torch.zeros(4, 2, dtype=torch.float64)
    w[0, 0], w[1, 0], w[2, 1] = 1.2, -0.9, 0.5
    b, x = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    m_diag = (w * w).sum(0) + sigma**2
    mu = (w.T @ (x - b)) / m_diag
    logvar = torch.log(sigma**2 / m_diag)
    n = 200000
    z = reparameterize(mu.expand(n, 2), logvar.expand(n, 2), torch.Generator().manual_seed(1))
    mean = (z @ w.T + b).view(n, 1, 2, 2)
    terms = gaussian_negative_elbo(x.view(1, 1, 2, 2).expand(n, 1, 2, 2), mean, mu.expand(n, 2), logvar.expand(n, 2), math.log(sigma))
    evidence = MultivariateNormal(b, w @ w.T + sigma**2 * torch.eye(4, dtype=torch.float64)).log_prob(x)
    assert float(terms.nats.mean()) == pytest.approx(-float(evidence), abs=0.01)
    # any other q gives a looser bound (the ELBO is a lower bound on log p(x))
    worse = gaussian_negative_elbo(x.view(1, 1, 2, 2).expand(n, 1, 2, 2), mean + 0.2, (mu + 0.2).expand(n, 2), logvar.expand(n, 2), math.log(sigma))
    assert float(worse.nats.mean()) > -float(evidence) + 0.05


def test_terms_weight_kl_by_beta_and_report_bits_per_dim():
    nll, kl = torch.tensor([10.0, 20.0]), torch.tensor([1.0, 3.0])
    t = negative_elbo_terms(nll, kl, num_dims=64, beta=4.0)
    assert float(t.loss) == pytest.approx((14 + 32) / 2)
    assert torch.equal(t.nats, nll + kl)  # the bound itself does not depend on beta
    assert torch.allclose(t.bits_per_dim, (nll + kl) / (64 * math.log(2)))
    with pytest.raises(ValueError, match="beta"):
        negative_elbo_terms(nll, kl, 64, beta=-1)


def test_gaussian_elbo_on_dequantized_data_adds_d_log_levels():
    x, mean = torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4)
    mu, logvar = torch.randn(2, 3), torch.randn(2, 3)
    plain = gaussian_negative_elbo(x, mean, mu, logvar)
    bound = gaussian_negative_elbo(x, mean, mu, logvar, levels=17)
    assert torch.allclose(bound.nats - plain.nats, torch.full((2,), 16 * math.log(17)))


def test_discretized_elbo_uses_the_exact_discrete_probability():
    x = torch.randint(0, 17, (2, 1, 4, 4)).float() / 16
    mean, log_scale = torch.rand(2, 1, 4, 4), torch.full((2, 1, 4, 4), -2.0)
    mu, logvar = torch.zeros(2, 3), torch.zeros(2, 3)  # KL = 0
    t = discretized_negative_elbo(x, mean, log_scale, mu, logvar, levels=17)
    assert torch.all(t.nats > 0)  # a probability, not a density: -log P >= 0
    assert torch.all(t.bits_per_dim < math.log2(17) * 4)  # and not absurd
