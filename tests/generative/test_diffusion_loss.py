import torch
import torch.nn.functional as F

from dlbox.generative.diffusion_loss import diffusion_loss, from_diffusion_range, to_diffusion_range
from dlbox.generative.noise_schedule import NoiseSchedule, linear_betas

SCHED = NoiseSchedule.from_betas(linear_betas())


def test_range_maps_are_inverse():
    x = torch.rand(2, 1, 3, 3)
    assert torch.allclose(from_diffusion_range(to_diffusion_range(x)), x)
    assert to_diffusion_range(torch.tensor([0.0, 1.0])).tolist() == [-1.0, 1.0]


def test_loss_is_the_noise_regression_at_q_sample():
    x0 = to_diffusion_range(torch.rand(4, 1, 3, 3))
    t, noise = torch.tensor([0, 10, 500, 999]), torch.randn(4, 1, 3, 3)
    seen = {}

    def model(x_t, t_in):
        seen["x_t"], seen["t"] = x_t, t_in
        return torch.zeros_like(x_t)

    loss = diffusion_loss(model, SCHED, x0, t, noise)
    a = SCHED.alpha_bars[t].float().view(4, 1, 1, 1)
    assert torch.allclose(seen["x_t"], a.sqrt() * x0 + (1 - a).sqrt() * noise) and torch.equal(seen["t"], t)
    assert torch.allclose(loss, F.mse_loss(torch.zeros_like(noise), noise))


def test_perfect_predictor_has_zero_loss_and_draws_are_seeded():
    x0 = to_diffusion_range(torch.rand(8, 1, 3, 3))

    def oracle(x_t, t):  # knows x0, so recovers the noise exactly
        a = SCHED.gather(SCHED.alpha_bars, t, x_t)
        return (x_t - a.sqrt() * x0) / (1 - a).sqrt()

    assert float(diffusion_loss(oracle, SCHED, x0, generator=torch.Generator().manual_seed(0))) < 1e-8
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731
    a = diffusion_loss(zero, SCHED, x0, generator=torch.Generator().manual_seed(1))
    b = diffusion_loss(zero, SCHED, x0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_min_snr_weights_clamp_the_snr_at_gamma():
    from dlbox.generative.diffusion_loss import min_snr_weights

    t = torch.tensor([0, 300, 700, 999])
    a = SCHED.alpha_bars[t]
    snr = a / (1 - a)
    w = min_snr_weights(SCHED, t, 5.0)
    assert torch.allclose(w, torch.minimum(snr, torch.full_like(snr, 5.0)) / snr)
    assert float(w[0]) < 0.01 and float(w[-1]) == 1.0  # low noise (SNR ~ 1e4) nearly off, high noise weight 1
    import pytest

    with pytest.raises(ValueError, match="gamma must be positive"):
        min_snr_weights(SCHED, t, 0.0)


def test_min_snr_loss_weights_each_image_error():
    from dlbox.generative.diffusion_loss import min_snr_weights

    x0 = to_diffusion_range(torch.rand(4, 1, 3, 3))
    t, noise = torch.tensor([0, 10, 500, 999]), torch.randn(4, 1, 3, 3)
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731
    loss = diffusion_loss(zero, SCHED, x0, t, noise, min_snr_gamma=5.0)
    expected = (min_snr_weights(SCHED, t, 5.0).float() * noise.pow(2).flatten(1).mean(1)).mean()
    assert torch.allclose(loss, expected)
    assert not torch.allclose(loss, diffusion_loss(zero, SCHED, x0, t, noise))  # the weights change the loss
