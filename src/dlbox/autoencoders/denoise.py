"""Denoising (notes 3.10.3): noisy input, clean target; measured by PSNR before and after."""

from __future__ import annotations

import torch
import torch.nn as nn

from dlbox.autoencoders.metrics import add_noise, psnr, reconstruct


def denoise(model: nn.Module, noisy: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The autoencoder's clean estimate of ``noisy`` images."""
    return reconstruct(model, noisy, batch_size)


def psnr_gain(model: nn.Module, clean: torch.Tensor, sigma: float, seed: int = 0, clip: bool = False) -> dict[str, float]:
    """PSNR (dB) of the noisy images and of their denoised versions against ``clean``, and the gain."""
    gen = torch.Generator(device=clean.device).manual_seed(seed)
    noisy = add_noise(clean, sigma, gen, clip)
    den = denoise(model, noisy)
    before, after = float(psnr(noisy, clean)), float(psnr(den, clean))
    return {"sigma": sigma, "psnr_noisy": before, "psnr_denoised": after, "psnr_gain": after - before}
