import pytest
import torch

from dlbox.models import create_model


@pytest.mark.parametrize(("c", "size", "mults"), [(1, 8, (1, 2)), (1, 8, (1, 2, 2)), (3, 32, (1, 2, 2))])
def test_predicts_noise_of_the_input_shape(c, size, mults):
    torch.manual_seed(0)
    m = create_model("diffusion_unet", in_channels=c, image_size=size, width=8, mults=mults)
    x = torch.randn(3, c, size, size)
    t = torch.tensor([0, 500, 999])
    assert m(x, t).shape == x.shape


def test_output_depends_on_t_and_each_image_alone():
    torch.manual_seed(0)
    m = create_model("diffusion_unet", width=8, blocks=2).eval()
    x = torch.randn(4, 1, 8, 8)
    t = torch.tensor([3, 3, 700, 700])
    out = m(x, t)
    assert not torch.allclose(m(x, torch.full((4,), 3)), m(x, torch.full((4,), 700)), atol=1e-4)
    assert torch.allclose(m(x[2:3], t[2:3]), out[2:3], atol=1e-5)  # GroupNorm: no mixing across the batch


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible"):
        create_model("diffusion_unet", image_size=6, mults=(1, 2, 2))
    with pytest.raises(ValueError, match="even width"):
        create_model("diffusion_unet", width=7)
    with pytest.raises(ValueError, match="timesteps"):
        create_model("diffusion_unet", width=8)(torch.randn(2, 1, 8, 8), torch.tensor(5))
