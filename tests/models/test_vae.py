import pytest
import torch

from dlbox.models import create_model


@pytest.mark.parametrize(
    ("c", "size", "kwargs"),
    [(1, 8, {}), (3, 32, {"channels": (8, 16, 16)}), (3, 30, {"channels": (4, 8)}), (1, 8, {"channels": (), "hidden": (32, 16)})],
    ids=["conv-8", "conv-32", "odd-30", "mlp-8"],
)
@pytest.mark.parametrize("likelihood", ["gaussian", "discretized"])
def test_shapes_for_both_likelihoods(c, size, kwargs, likelihood):
    torch.manual_seed(0)
    m = create_model("vae", in_channels=c, image_size=size, latent_dim=5, likelihood=likelihood, **kwargs)
    x = torch.rand(2, c, size, size)
    out = m(x)
    assert out.mean.shape == x.shape and out.mu.shape == (2, 5) and out.logvar.shape == (2, 5)
    assert out.mean.min() >= 0 and out.mean.max() <= 1
    if likelihood == "gaussian":
        assert out.log_scale is None
    else:
        assert out.log_scale.shape == x.shape and out.log_scale.min() >= -7.0
    mean, log_scale = m.decode(torch.randn(3, 5))
    assert mean.shape == (3, c, size, size)


def test_training_draws_z_eval_uses_mu():
    torch.manual_seed(0)
    m = create_model("vae", latent_dim=4)
    x = torch.rand(4, 1, 8, 8)
    m.train()
    a, b = m(x), m(x)
    assert not torch.allclose(a.mean, b.mean)  # a fresh z ~ q(z|x) each call
    m.eval()
    c, d = m(x), m(x)
    assert torch.equal(c.mean, d.mean)
    assert torch.allclose(c.mean, m.decode(m.encode(x)[0])[0])


def test_layer_names_and_bad_arguments():
    names = dict(create_model("vae").named_modules())
    assert {"encoder.conv1", "encoder.conv2", "fc_mu", "fc_logvar", "decoder.fc1", "decoder.deconv1", "decoder.out"} <= set(names)
    with pytest.raises(ValueError, match="likelihood"):
        create_model("vae", likelihood="bernoulli")
    with pytest.raises(ValueError, match="latent_dim"):
        create_model("vae", latent_dim=0)
