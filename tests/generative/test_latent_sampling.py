import pytest
import torch

from dlbox.generative.flow_loss import logit_transform
from dlbox.generative.latent_sampling import sample_flow, sample_gan, sample_vae, standard_normal_latents
from dlbox.models import create_model


def test_vae_samples_are_decoded_prior_draws():
    torch.manual_seed(0)
    m = create_model("vae", latent_dim=3).eval()
    a = sample_vae(m, 5, torch.Generator().manual_seed(1))
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    assert a.shape == (5, 1, 8, 8) and torch.allclose(a, m.decode(z)[0])
    assert m.training is False


def test_discretized_vae_samples_lie_on_the_grid():
    torch.manual_seed(0)
    m = create_model("vae", latent_dim=3, likelihood="discretized").eval()
    x = sample_vae(m, 6, torch.Generator().manual_seed(0), levels=17)
    assert torch.allclose(x * 16, (x * 16).round()) and x.min() >= 0 and x.max() <= 1
    means = sample_vae(m, 6, torch.Generator().manual_seed(0))  # without levels: the means
    assert not torch.allclose(means * 16, (means * 16).round())


def test_gan_and_flow_samples():
    torch.manual_seed(0)
    g = create_model("dcgan_generator", latent_dim=6, width=8).eval()
    assert sample_gan(g, 4, torch.Generator().manual_seed(0)).shape == (4, 1, 8, 8)
    flow = create_model("realnvp", hidden=4)  # identity at initialisation
    y = sample_flow(flow, 3, (1, 8, 8), torch.Generator().manual_seed(0), temperature=0.5)
    z = 0.5 * torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(logit_transform(y)[0], z, atol=1e-4)  # inverse flow, then inverse logit
    x = sample_flow(flow, 3, (1, 8, 8), torch.Generator().manual_seed(0), levels=17)
    assert torch.allclose(x * 16, (x * 16).round())
    with pytest.raises(ValueError, match="temperature"):
        sample_flow(flow, 1, (1, 8, 8), temperature=0)
    with pytest.raises(ValueError, match="at least 1"):
        standard_normal_latents(0, (3,))
