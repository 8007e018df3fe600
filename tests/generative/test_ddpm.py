import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.generative import ddpm
from dlbox.generative.ddpm import ddpm_step
from dlbox.generative.noise_schedule import NoiseSchedule, linear_betas

SCHED = NoiseSchedule.from_betas(linear_betas())
SHORT = NoiseSchedule.from_betas(linear_betas(50, 1e-3, 0.3))


@settings(max_examples=40, deadline=None)
@given(t=st.integers(1, 999), seed=st.integers(0, 10**6))
def test_unclipped_step_is_ddpm_eq_11_plus_posterior_noise(t, seed):
    g = torch.Generator().manual_seed(seed)
    x_t, eps, z = (torch.randn(2, 1, 3, 3, generator=g, dtype=torch.float64) for _ in range(3))
    beta, a = SCHED.betas[t], SCHED.alpha_bars[t]
    # DDPM eq. 11: mu = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_t); sigma^2 = beta~_t
    mu = (x_t - beta / (1 - a).sqrt() * eps) / (1 - beta).sqrt()
    sigma = ((1 - SCHED.alpha_bars[t - 1]) / (1 - a) * beta).sqrt()
    assert torch.allclose(ddpm_step(SCHED, eps, x_t, t, z, clip_denoised=False), mu + sigma * z, rtol=1e-9, atol=1e-9)


def test_last_step_returns_the_predicted_clean_image():
    x_t, eps = torch.randn(2, 1, 3, 3), torch.randn(2, 1, 3, 3)
    x0 = SCHED.predict_x0(x_t, 0, eps)
    assert torch.allclose(ddpm_step(SCHED, eps, x_t, 0, None, clip_denoised=False), x0, atol=1e-6)
    assert torch.allclose(ddpm_step(SCHED, eps, x_t, 0, None, clip_denoised=True), x0.clamp(-1, 1), atol=1e-6)


def test_sample_is_batched_seeded_and_clipped():
    calls = []

    def model(x, t):
        calls.append((x.shape, t.clone()))
        return -10 * x  # predicts an x0 far outside [-1, 1]

    a = ddpm.sample(model, SHORT, (3, 2, 4, 4), torch.Generator().manual_seed(0))
    b = ddpm.sample(model, SHORT, (3, 2, 4, 4), torch.Generator().manual_seed(0))
    c = ddpm.sample(model, SHORT, (3, 2, 4, 4), torch.Generator().manual_seed(1))
    assert a.shape == (3, 2, 4, 4) and torch.equal(a, b) and not torch.equal(a, c)
    assert a.abs().max() <= 1.0 + 1e-6
    assert len(calls) == 150 and all(shape == (3, 2, 4, 4) for shape, _ in calls)  # one batched call per step
    assert [int(t[0]) for _, t in calls[:50]] == list(range(49, -1, -1)) and all(t.unique().numel() == 1 for _, t in calls)
    with pytest.raises(ValueError, match="noise"):
        ddpm_step(SHORT, torch.zeros(1, 1), torch.zeros(1, 1), 5, None)


def test_device_defaults_to_the_networks():
    from dlbox.generative.ddpm import model_device

    net = torch.nn.Conv2d(1, 1, 1)
    assert model_device(net) == torch.device("cpu") and model_device(lambda x, t: x) is None
    out = ddpm.sample(lambda x, t: net(x), SHORT, (2, 1, 2, 2), torch.Generator().manual_seed(0))
    assert out.device == torch.device("cpu")
