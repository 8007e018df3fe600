import pytest
import torch

from dlbox.layers.reparameterize import reparameterize


def test_seeded_draw_is_mu_plus_sigma_eps():
    mu, logvar = torch.randn(3, 4), torch.randn(3, 4)
    z = reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    eps = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(z, mu + torch.exp(0.5 * logvar) * eps)
    with pytest.raises(ValueError, match="logvar shape"):
        reparameterize(mu, logvar[:, :2])
