"""The contract of the generative kind of registered models (the classifier one is in test_registry.py).

Each model builds from ``in_channels`` and ``image_size`` alone at 1x8x8 and 3x32x32, runs its
kind's forward, back-propagates into every parameter, and rebuilds with stable names.
"""

from __future__ import annotations

import pytest
import torch

from dlbox.models import create_model, list_models

SHAPES = [(1, 8), (3, 32)]


def _vae(m, c, s):
    x = torch.rand(2, c, s, s, requires_grad=True)
    out = m(x)
    assert out.mean.shape == x.shape and out.mu.shape == out.logvar.shape == (2, m.latent_dim)
    return out.mean.sum() + out.mu.sum() + out.logvar.sum(), x


def _realnvp(m, c, s):
    x = torch.randn(2, c, s, s, requires_grad=True)
    z, log_det = m(x)
    assert z.shape == x.shape and log_det.shape == (2,)
    assert torch.allclose(m.inverse(z), x, atol=1e-4)
    return z.sum() + log_det.sum(), x


def _diffusion_unet(m, c, s):
    x = torch.randn(2, c, s, s, requires_grad=True)
    eps = m(x, torch.tensor([0, 999]))
    assert eps.shape == x.shape
    return eps.sum(), x


def _generator(m, c, s):
    z = torch.randn(2, m.latent_dim, requires_grad=True)
    images = m(z)
    assert images.shape == (2, c, s, s)
    return images.sum(), z


def _discriminator(m, c, s):
    x = torch.rand(2, c, s, s, requires_grad=True)
    logits = m(x)
    assert logits.shape == (2,)
    return logits.sum(), x


def _gan(m, c, s):
    z = torch.randn(2, m.latent_dim, requires_grad=True)
    images = m(z)
    assert images.shape == (2, c, s, s)
    logits = m(images, part="discriminator")
    assert logits.shape == (2,)
    return logits.sum(), z


# name -> (extra kwargs, forward check returning a scalar of every parameter and the input it probes)
GENERATIVE = {
    "vae": ({}, _vae),
    "realnvp": ({}, _realnvp),
    "diffusion_unet": ({"width": 8}, _diffusion_unet),
    "dcgan_generator": ({"width": 8}, _generator),
    "dcgan_discriminator": ({"width": 8}, _discriminator),
    "gan": ({"g_width": 8, "d_width": 4}, _gan),
}


@pytest.mark.parametrize(("c", "s"), SHAPES, ids=["1x8x8", "3x32x32"])
@pytest.mark.parametrize("name", sorted(GENERATIVE))
def test_every_generative_model_builds_runs_and_trains(name, c, s):
    assert name in list_models()
    torch.manual_seed(0)
    extra, check = GENERATIVE[name]
    kwargs = {"in_channels": c, "image_size": s, **extra}
    model = create_model(name, **kwargs)
    assert model.dlbox_config == {"name": name, "kwargs": kwargs}
    scalar, probe = check(model, c, s)
    scalar.backward()
    assert probe.grad is not None and probe.grad.abs().sum() > 0
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, missing
    again = create_model(name, **kwargs)
    assert [(n, p.shape) for n, p in again.named_parameters()] == [(n, p.shape) for n, p in model.named_parameters()]
    assert list(again.state_dict()) == list(model.state_dict())


def test_generative_models_rebuild_through_model_io(tmp_path):
    from dlbox.model_io import load_model, save_model

    m = create_model("realnvp", in_channels=1, image_size=8, hidden=4)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.01)
    save_model(tmp_path, m, {"task": "generate", "input": {"channels": 1, "size": [8, 8]}})
    back = load_model(tmp_path)
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(back(x)[0], m.eval()(x)[0])
