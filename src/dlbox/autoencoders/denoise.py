"""Denoising (notes 3.10.3): noisy input, clean target; measured by PSNR before and after."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def denoise_report(model: nn.Module, clean: torch.Tensor, sigma: float, run_dir: Path, seed: int = 0,
                   clip: bool = False, show: int = 8, other_sigmas: Sequence[float] = (0.1, 0.2, 0.3, 0.5)) -> dict[str, Any]:
    """Held-out PSNR before/after at the training ``sigma`` (and at ``other_sigmas``); ``denoised.png``."""
    from dlbox.autoencoders.train import save_rows

    main = psnr_gain(model, clean, sigma, seed, clip)
    by_sigma = [main if abs(s - sigma) < 1e-12 else psnr_gain(model, clean, s, seed, clip) for s in sorted({*other_sigmas, sigma})]
    gen = torch.Generator(device=clean.device).manual_seed(seed)
    noisy = add_noise(clean[:show], sigma, gen, clip)
    den = denoise(model, noisy)
    titles = [
        ["clean"] * len(noisy),
        [f"noisy {float(p):.1f} dB" for p in psnr(noisy, clean[:show], reduction="none")],
        [f"denoised {float(p):.1f} dB" for p in psnr(den, clean[:show], reduction="none")],
    ]
    save_rows([clean[:show], noisy, den], ["clean", "noisy", "denoised"], run_dir / "denoised.png", show, titles)
    return {**main, "n_test": len(clean), "by_sigma": by_sigma}
