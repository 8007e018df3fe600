import math

import pytest
import torch

from dlbox.autoencoders.metrics import add_noise, mse_per_image, psnr, reconstruction_error


def test_psnr_is_the_formula_per_image():
    target = torch.zeros(2, 1, 2, 2)
    pred = target.clone()
    pred[0] += 0.1  # MSE 0.01 -> 20 dB
    pred[1, 0, 0, 0] = 0.5  # MSE 0.0625 -> 12.04 dB
    per = psnr(pred, target, reduction="none")
    assert per.tolist() == pytest.approx([20.0, 10 * math.log10(1 / 0.0625)], abs=1e-4)
    assert float(psnr(pred, target)) == pytest.approx(float(per.mean()))
    assert float(psnr(pred * 255, target * 255, data_range=255.0, reduction="none")[0]) == pytest.approx(20.0, abs=1e-4)
    assert math.isinf(float(psnr(target, target)))
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(pred, target[:1])


def test_noise_of_sigma_03_gives_about_10_5_db():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 1, 8, 8, generator=g)
    noisy = add_noise(x, 0.3, g)
    assert float(psnr(noisy, x)) == pytest.approx(10 * math.log10(1 / 0.09), abs=0.3)
    clipped = add_noise(x, 0.3, g, clip=True)
    assert clipped.min() >= 0 and clipped.max() <= 1
    with pytest.raises(ValueError):
        add_noise(x, -1.0)


def test_reconstruction_error_is_per_image_mse():
    class Half(torch.nn.Module):
        def forward(self, x):
            return x / 2

    x = torch.ones(3, 1, 2, 2) * torch.tensor([0.0, 0.2, 1.0]).view(3, 1, 1, 1)
    err = reconstruction_error(Half(), x)
    assert err.tolist() == pytest.approx([0.0, 0.01, 0.25])
    assert torch.allclose(err, mse_per_image(x / 2, x))
