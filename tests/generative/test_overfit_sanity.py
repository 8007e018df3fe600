"""20 optimiser steps on 16 digits images reduce each model's loss (the wiring of model + loss is trainable).

Every loss is measured before and after on fixed draws (same dequantization noise, same t and noise,
same latent codes), so a decrease is the model's doing, not the sampling's.
"""

from __future__ import annotations

import pytest
import torch

from dlbox.data.digits import load_digits_tensors
from dlbox.generative.diffusion_loss import diffusion_loss, to_diffusion_range
from dlbox.generative.flow_loss import flow_negative_log_likelihood
from dlbox.generative.gan_loss import discriminator_loss, generator_loss_nonsaturating
from dlbox.generative.noise_schedule import NoiseSchedule, linear_betas
from dlbox.generative.vae_loss import discretized_negative_elbo, gaussian_negative_elbo
from dlbox.models import create_model

STEPS = 20


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    return load_digits_tensors()[0][:16]  # (16, 1, 8, 8), 17 levels


def fit(params, loss_fn, lr=2e-3):
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()


@pytest.mark.parametrize("likelihood", ["gaussian", "discretized"])
def test_vae_negative_elbo_drops(digits, likelihood):
    torch.manual_seed(0)
    model = create_model("vae", latent_dim=4, likelihood=likelihood)

    def loss() -> torch.Tensor:
        out = model(digits)
        if likelihood == "gaussian":
            return gaussian_negative_elbo(digits, out.mean, out.mu, out.logvar).loss
        return discretized_negative_elbo(digits, out.mean, out.log_scale, out.mu, out.logvar, levels=17).loss

    def evaluate() -> float:
        model.eval()  # z = mu: deterministic
        with torch.no_grad():
            value = float(loss())
        model.train()
        return value

    before = evaluate()
    fit(model.parameters(), loss, lr=1e-2)
    assert evaluate() < 0.9 * before


def test_realnvp_bits_per_dim_drop(digits):
    torch.manual_seed(0)
    flow = create_model("realnvp", hidden=16)

    def evaluate() -> float:
        with torch.no_grad():
            return float(flow_negative_log_likelihood(flow, digits, 17, generator=torch.Generator().manual_seed(0)).loss)

    before = evaluate()
    fit(flow.parameters(), lambda: flow_negative_log_likelihood(flow, digits, 17).loss, lr=3e-3)
    after = evaluate()
    assert after < before - 0.3, (before, after)


def test_diffusion_unet_noise_regression_drops(digits):
    torch.manual_seed(0)
    net = create_model("diffusion_unet", width=16)
    sched = NoiseSchedule.from_betas(linear_betas())
    x0 = to_diffusion_range(digits)
    g = torch.Generator().manual_seed(0)
    t_eval, noise_eval = torch.randint(0, 1000, (16,), generator=g), torch.randn(x0.shape, generator=g)

    def evaluate() -> float:
        with torch.no_grad():
            return float(diffusion_loss(net, sched, x0, t_eval, noise_eval))

    before = evaluate()
    fit(net.parameters(), lambda: diffusion_loss(net, sched, x0), lr=2e-3)
    assert evaluate() < 0.7 * before


def test_dcgan_each_player_lowers_its_loss_against_a_fixed_opponent(digits):
    torch.manual_seed(0)
    gen = create_model("dcgan_generator", latent_dim=8, width=16)
    disc = create_model("dcgan_discriminator", width=16)
    z = torch.randn(16, 8)

    def d_loss() -> torch.Tensor:
        with torch.no_grad():
            fake = gen(z)
        return discriminator_loss(disc(digits), disc(fake))

    def g_loss() -> torch.Tensor:
        return generator_loss_nonsaturating(disc(gen(z)))

    before = float(d_loss().detach())
    fit(disc.parameters(), d_loss, lr=3e-3)  # only D's optimiser steps
    assert float(d_loss().detach()) < 0.8 * before
    before = float(g_loss().detach())
    fit(gen.parameters(), g_loss, lr=3e-3)  # only G's optimiser steps
    assert float(g_loss().detach()) < 0.8 * before


def test_dcgan_alternating_steps_with_two_optimisers(digits):
    # The step the integrator wires: D on real and detached fakes, then G through a frozen D.
    torch.manual_seed(0)
    gen = create_model("dcgan_generator", latent_dim=8, width=16)
    disc = create_model("dcgan_discriminator", width=16)
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g_before = [p.detach().clone() for p in gen.parameters()]
    for _ in range(STEPS):
        fake = gen(torch.randn(16, 8))
        loss_d = discriminator_loss(disc(digits), disc(fake.detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        d_grads = [p.grad.clone() for p in disc.parameters()]
        disc.requires_grad_(False)  # G's loss must not touch D's gradients
        loss_g = generator_loss_nonsaturating(disc(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        disc.requires_grad_(True)
        assert all(torch.equal(p.grad, g) for p, g in zip(disc.parameters(), d_grads))
    assert torch.isfinite(loss_d) and torch.isfinite(loss_g)
    assert all(not torch.equal(a, b) for a, b in zip(g_before, gen.parameters()))
