"""Image-quality and reconstruction measures (pure functions)."""

from __future__ import annotations

import torch
import torch.nn as nn


def mse_per_image(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each image ``(B, ...) -> (B,)``."""
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    return (pred.float() - target.float()).pow(2).flatten(1).mean(1)


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, reduction: str = "mean") -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, per image: ``10 log10(data_range^2 / MSE)``.

    ``reduction="mean"`` averages the per-image values, ``"none"`` returns them
    ``(B,)``. An exact reconstruction has infinite PSNR.
    """
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    values = 10.0 * torch.log10(data_range**2 / mse_per_image(pred, target))
    return values.mean() if reduction == "mean" else values


def add_noise(images: torch.Tensor, sigma: float, generator: torch.Generator | None = None, clip: bool = False) -> torch.Tensor:
    """Additive white Gaussian noise ``x + sigma * N(0, 1)`` (clamped to [0, 1] only with ``clip``)."""
    if sigma < 0:
        raise ValueError(f"noise sigma must be non-negative, got {sigma}")
    noise = torch.randn(images.shape, generator=generator, device=generator.device if generator else images.device)
    noisy = images + sigma * noise.to(images.device, images.dtype)
    return noisy.clamp(0.0, 1.0) if clip else noisy


@torch.no_grad()
def reconstruct(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """The model's reconstructions of ``images`` (eval mode, in batches)."""
    model.eval()
    if len(images) == 0:
        return images.clone()
    return torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


@torch.no_grad()
def encode(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Latent codes ``(N, latent_dim)`` of ``images``."""
    model.eval()
    return torch.cat([model.encode(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def reconstruction_error(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Per-image reconstruction MSE ``(N,)``: the anomaly score of notes 3.10.3."""
    return mse_per_image(reconstruct(model, images, batch_size), images)
