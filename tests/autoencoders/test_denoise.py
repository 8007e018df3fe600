import math

import pytest
import torch

from dlbox.autoencoders.denoise import denoise, psnr_gain


class Shrink(torch.nn.Module):
    """Pulls every pixel toward 0.5: a crude but exact denoiser of constant-0.5 images."""

    def __init__(self, keep: float):
        super().__init__()
        self.keep = keep

    def forward(self, x):
        return 0.5 + self.keep * (x - 0.5)


def test_identity_gains_nothing_and_noisy_psnr_matches_sigma():
    clean = torch.rand(300, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    out = psnr_gain(Shrink(1.0), clean, 0.3, seed=0)
    assert out["sigma"] == 0.3 and out["psnr_gain"] == pytest.approx(0.0, abs=1e-6)
    assert out["psnr_noisy"] == pytest.approx(10 * math.log10(1 / 0.09), abs=0.3)  # E||noise||^2 = sigma^2


def test_shrinking_noise_gains_its_closed_form():
    # clean = 0.5 everywhere: the output's error is keep * noise, so PSNR rises by 20 log10(1 / keep) in every image.
    clean = torch.full((50, 1, 8, 8), 0.5)
    out = psnr_gain(Shrink(0.25), clean, 0.2, seed=3)
    assert out["psnr_gain"] == pytest.approx(20 * math.log10(4), abs=1e-3)
    assert torch.allclose(denoise(Shrink(0.0), clean + 0.1), clean)
