import pytest
import torch

from dlbox.models import create_model


@pytest.mark.parametrize(("c", "size", "stages"), [(1, 8, 1), (3, 16, 2), (3, 32, 3)])
def test_generator_and_discriminator_shapes(c, size, stages):
    torch.manual_seed(0)
    g = create_model("dcgan_generator", in_channels=c, image_size=size, latent_dim=10, width=8)
    d = create_model("dcgan_discriminator", in_channels=c, image_size=size, width=8)
    images = g(torch.randn(4, 10))
    assert images.shape == (4, c, size, size) and images.min() >= 0 and images.max() <= 1
    assert d(images).shape == (4,)
    assert [n for n, _ in g.body.named_children()] == ["project"] + [f"up{i}" for i in range(1, stages + 1)]
    assert [n for n, _ in d.body.named_children()] == [f"down{i}" for i in range(1, stages + 1)] + ["classifier"]
    # Radford et al.: no BatchNorm on the generator output or the discriminator input layer
    assert not hasattr(getattr(g.body, f"up{stages}"), "bn") and not hasattr(d.body.down1, "bn")
    assert all(hasattr(getattr(d.body, f"down{i}"), "bn") for i in range(2, stages + 1))


def test_dcgan_init_and_errors():
    torch.manual_seed(0)
    g = create_model("dcgan_generator", image_size=32, width=32)
    w = g.body.up1.deconv.weight
    w = w.detach()
    assert float(w.std()) == pytest.approx(0.02, rel=0.05) and abs(float(w.mean())) < 2e-3
    with pytest.raises(ValueError, match="4 \\* 2\\^n"):
        create_model("dcgan_generator", image_size=12)
    with pytest.raises(ValueError, match="square"):
        create_model("dcgan_discriminator", image_size=(8, 16))
    with pytest.raises(ValueError, match="latent codes"):
        create_model("dcgan_generator", latent_dim=4)(torch.randn(2, 5))


def test_base_two_doubles_the_stages_from_a_2x2_projection():
    torch.manual_seed(0)
    g = create_model("dcgan_generator", image_size=8, latent_dim=6, width=8, base=2)
    d = create_model("dcgan_discriminator", image_size=8, width=8, base=2)
    assert [n for n, _ in g.body.named_children()] == ["project", "up1", "up2"]
    assert [n for n, _ in d.body.named_children()] == ["down1", "down2", "classifier"]
    assert g.body.project.deconv.kernel_size == (2, 2) and g.body.project.deconv.out_channels == 16  # width * 2^(n-1)
    assert d.body.classifier.kernel_size == (2, 2) and d.body.classifier.in_channels == 16
    z = torch.randn(3, 6)
    assert g.body.project(z[:, :, None, None]).shape == (3, 16, 2, 2)
    assert d(g(z)).shape == (3,)
    with pytest.raises(ValueError, match="2 \\* 2\\^n"):
        create_model("dcgan_generator", image_size=12, base=2)
    with pytest.raises(ValueError, match="base must be one of"):
        create_model("dcgan_discriminator", image_size=8, base=3)
