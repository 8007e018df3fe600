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


def test_patches_fold_the_image_and_unfold_the_output():
    torch.manual_seed(0)
    m = create_model("diffusion_unet", in_channels=3, image_size=32, width=8, mults=(1, 2), patch=2).eval()
    assert m.stem.in_channels == 12  # 3 channels x 2 x 2 pixels per patch
    x, t = torch.randn(2, 3, 32, 32), torch.tensor([10, 900])
    with torch.no_grad():
        out = m(x, t)
    assert out.shape == x.shape
    # pixel-shuffle puts the 12 output maps back where pixel-unshuffle took them: the 4 pixels of a patch differ
    patch = out[0, 0, :2, :2].flatten()
    assert float(patch.std()) > 1e-4
    nopatch = create_model("diffusion_unet", in_channels=3, image_size=32, width=8, mults=(1, 2))
    assert sum(p.numel() for p in m.parameters()) > sum(p.numel() for p in nopatch.parameters())  # wider stem and out conv


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible by patch \\* 2\\^\\(len\\(mults\\)-1\\) = 8"):
        create_model("diffusion_unet", image_size=12, mults=(1, 2, 2), patch=2)
    with pytest.raises(ValueError, match="patch must be at least 1"):
        create_model("diffusion_unet", patch=0)
    with pytest.raises(ValueError, match="divisible"):
        create_model("diffusion_unet", image_size=6, mults=(1, 2, 2))
    with pytest.raises(ValueError, match="even width"):
        create_model("diffusion_unet", width=7)
    with pytest.raises(ValueError, match="timesteps"):
        create_model("diffusion_unet", width=8)(torch.randn(2, 1, 8, 8), torch.tensor(5))
