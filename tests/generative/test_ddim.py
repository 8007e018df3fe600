import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.generative import ddim, ddpm
from dlbox.generative.ddim import ddim_step, ddim_timesteps
from dlbox.generative.ddpm import ddpm_step
from dlbox.generative.noise_schedule import NoiseSchedule, linear_betas

SCHED = NoiseSchedule.from_betas(linear_betas())
SHORT = NoiseSchedule.from_betas(linear_betas(100, 1e-3, 0.2))


def wobbly_model(x, t):
    """A fixed, nonlinear, time-dependent epsilon 'network'."""
    return 0.8 * torch.tanh(x) + 0.1 * torch.sin(t.float() / 7).view(-1, 1, 1, 1)


def test_timesteps_are_trailing_and_cover_every_step_at_s_equals_t():
    assert ddim_timesteps(1000, 1000) == list(range(999, -1, -1))
    steps = ddim_timesteps(1000, 50)
    assert len(steps) == 50 and steps[0] == 999 and steps[-1] == 19
    assert all(a - b == 20 for a, b in zip(steps, steps[1:]))
    assert ddim_timesteps(10, 3) == [9, 6, 3]
    with pytest.raises(ValueError, match="1..10"):
        ddim_timesteps(10, 11)


@settings(max_examples=40, deadline=None)
@given(t=st.integers(0, 999), seed=st.integers(0, 10**6), clip=st.booleans())
def test_ddim_step_with_eta_1_is_the_ddpm_posterior_step(t, seed, clip):
    # With eta = 1, sigma_t^2 = (1 - a_prev)/(1 - a_t) (1 - a_t/a_prev) = beta~_t, and
    # sqrt(a_prev) x0 + sqrt(1 - a_prev - beta~_t) eps expands to the posterior mean (DDPM eq. 7).
    g = torch.Generator().manual_seed(seed)
    x_t, eps, noise = (torch.randn(2, 1, 3, 3, generator=g, dtype=torch.float64) for _ in range(3))
    expected = ddpm_step(SCHED, eps, x_t, t, noise if t > 0 else None, clip)
    got = ddim_step(SCHED, eps, x_t, t, t - 1, 1.0, noise if t > 0 else None, clip)
    assert torch.allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("clip", [True, False])
def test_ddim_full_trajectory_at_s_equals_t_eta_1_equals_ddpm(clip):
    shape = (3, 1, 4, 4)
    a = ddpm.sample(wobbly_model, SHORT, shape, torch.Generator().manual_seed(5), clip_denoised=clip)
    b = ddim.sample(wobbly_model, SHORT, shape, num_steps=100, eta=1.0, generator=torch.Generator().manual_seed(5), clip_denoised=clip)
    assert a.shape == shape and torch.isfinite(a).all()
    assert torch.allclose(a, b, atol=1e-4), float((a - b).abs().max())
    c = ddim.sample(wobbly_model, SHORT, shape, num_steps=100, eta=0.0, generator=torch.Generator().manual_seed(5), clip_denoised=clip)
    assert not torch.allclose(a, c, atol=1e-2)  # eta = 0 is a different (deterministic) sampler


def test_eta_0_draws_only_x_T_and_eta_1_draws_per_step():
    shape = (2, 1, 4, 4)
    for eta, draws_more in ((0.0, False), (1.0, True)):
        g, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
        ddim.sample(wobbly_model, SHORT, shape, num_steps=10, eta=eta, generator=g)
        torch.randn(shape, generator=g2)  # x_T only
        assert torch.equal(torch.randn(4, generator=g), torch.randn(4, generator=g2)) is not draws_more


def gaussian_oracle(sched, m, s):
    """The exact E[eps | x_t] when x_0 ~ N(m, s^2): sqrt(1-a) (x_t - sqrt(a) m) / (a s^2 + 1 - a)."""

    def model(x, t):
        a = sched.gather(sched.alpha_bars, t, x)
        return (1 - a).sqrt() * (x - a.sqrt() * m) / (a * s**2 + 1 - a)

    return model


def linear_gaussian_moments(steps, m, s, eta=None):
    """Exact mean and std of a sampler's output when x_0 ~ N(m, s^2) and eps is exact (numpy float64).

    Every step is affine in x_t plus Gaussian noise, so the moments propagate in closed form:
    DDPM (eta=None) x_prev = c0 x0_hat + ct x_t + sqrt(beta~) z; DDIM x_prev = sqrt(a_p) x0_hat
    + sqrt(1 - a_p - sigma^2) eps_hat + sigma z, with x0_hat and eps_hat linear in x_t.
    """
    betas = np.linspace(1e-4, 0.02, 1000)
    ab = np.cumprod(1 - betas)
    mean, var = 0.0, 1.0  # x_T ~ N(0, 1)
    for t, tp in zip(steps, steps[1:] + [-1]):
        a, ap = ab[t], (ab[tp] if tp >= 0 else 1.0)
        v = a * s * s + 1 - a  # Var(x_t)
        x0_gain, eps_gain = math.sqrt(a) * s * s / v, math.sqrt(1 - a) / v  # d x0_hat / dx_t, d eps_hat / dx_t
        if eta is None:
            beta = betas[t]
            c0, ct = math.sqrt(ap) * beta / (1 - a), math.sqrt(1 - beta) * (1 - ap) / (1 - a)
            gain, sigma2 = c0 * x0_gain + ct, (1 - ap) / (1 - a) * beta
            offset = c0 * (m - x0_gain * math.sqrt(a) * m)
        else:
            sigma2 = eta**2 * (1 - ap) / (1 - a) * (1 - a / ap)
            gain = math.sqrt(ap) * x0_gain + math.sqrt(max(1 - ap - sigma2, 0)) * eps_gain
            offset = math.sqrt(ap) * m - gain * math.sqrt(a) * m
        mean, var = gain * mean + offset, gain**2 * var + sigma2
    return mean, math.sqrt(var)


@pytest.mark.parametrize(
    ("num_steps", "eta"), [(1000, None), (50, 0.0), (100, 1.0), (1000, 0.0)], ids=["ddpm", "ddim-50-eta0", "ddim-100-eta1", "ddim-1000-eta0"]
)
def test_samplers_with_the_exact_noise_predictor_have_the_predicted_moments(num_steps, eta):
    m, s, n = 0.3, 0.2, 4000
    model, g = gaussian_oracle(SCHED, m, s), torch.Generator().manual_seed(0)
    if eta is None:
        x = ddpm.sample(model, SCHED, (n, 1, 1, 1), g, clip_denoised=False)
    else:
        x = ddim.sample(model, SCHED, (n, 1, 1, 1), num_steps=num_steps, eta=eta, generator=g, clip_denoised=False)
    mean, sd = linear_gaussian_moments(ddim_timesteps(1000, num_steps), m, s, eta)
    x = x.double()
    assert float(x.mean()) == pytest.approx(mean, abs=5 * sd / math.sqrt(n))
    assert float(x.std()) == pytest.approx(sd, rel=5 / math.sqrt(2 * n))
    if num_steps == 1000:  # the full chains recover the data distribution N(m, s^2)
        assert mean == pytest.approx(m, abs=1e-3) and sd == pytest.approx(s, rel=0.03)


def test_clipping_keeps_the_sample_in_range_and_bad_arguments_are_named():
    wild = lambda x, t: -10 * x  # noqa: E731  predicts an x0 far outside [-1, 1]
    out = ddim.sample(wild, SHORT, (2, 1, 3, 3), num_steps=7, eta=0.5, generator=torch.Generator().manual_seed(1))
    assert out.abs().max() <= 1.0 + 1e-6
    with pytest.raises(ValueError, match="noise"):
        ddim_step(SHORT, torch.zeros(1, 1), torch.zeros(1, 1), 5, 4, 1.0, None)
    with pytest.raises(ValueError, match="t_prev"):
        ddim_step(SHORT, torch.zeros(1, 1), torch.zeros(1, 1), 5, 5, 0.0, None)
    with pytest.raises(ValueError, match="eta"):
        ddim.sample(wild, SHORT, (1, 1, 2, 2), eta=-1)
