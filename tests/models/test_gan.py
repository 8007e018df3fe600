"""The ``gan`` container: both DCGAN players under one registered name, rebuilt whole from a run directory."""

from __future__ import annotations

import pytest
import torch

from dlbox.models import create_model


def test_gan_holds_the_dcgan_players_and_routes_forward_by_part():
    torch.manual_seed(0)
    m = create_model("gan", in_channels=3, image_size=16, latent_dim=5, g_width=8, d_width=4)
    torch.manual_seed(0)
    g = create_model("dcgan_generator", in_channels=3, image_size=16, latent_dim=5, width=8)
    d = create_model("dcgan_discriminator", in_channels=3, image_size=16, width=4)
    # the same builders with the same seed give the same weights: the container adds nothing of its own
    for mine, theirs in ((m.generator, g), (m.discriminator, d)):
        a, b = mine.state_dict(), theirs.state_dict()
        assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)
    assert all(k.startswith(("generator.", "discriminator.")) for k in m.state_dict())
    m.eval()
    z = torch.randn(3, 5)
    images = m(z)
    assert torch.equal(images, m.generator(z)) and images.shape == (3, 3, 16, 16)
    assert torch.equal(m(images, part="discriminator"), m.discriminator(images))
    with pytest.raises(ValueError, match="generator"):
        m(z, part="critic")


def test_gan_rebuilds_through_model_io(tmp_path):
    from dlbox.model_io import load_model, save_model

    m = create_model("gan", latent_dim=4, g_width=8, d_width=8)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.01)
    save_model(tmp_path, m, {"task": "generate", "kind": "gan"})
    back = load_model(tmp_path)
    z = torch.randn(2, 4)
    assert torch.equal(back(z), m.eval()(z)) and back.latent_dim == 4


def test_gan_passes_base_to_both_players():
    m = create_model("gan", latent_dim=4, g_width=8, d_width=8, base=2)
    assert hasattr(m.generator.body, "up2") and hasattr(m.discriminator.body, "down2")
    assert m(m(torch.randn(2, 4)), part="discriminator").shape == (2,)
