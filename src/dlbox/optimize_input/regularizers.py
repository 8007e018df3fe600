"""Image priors: the lambda R(x) of the notes' generative approach (3.9.1).

- :func:`l2`: mean squared distance from mid-grey (keeps pixel values moderate).
- :func:`total_variation`: mean squared difference of neighbouring pixels
  (penalises high-frequency noise; smooth, so L-BFGS copes with it).
- :func:`gaussian_blur`: applied to the image every few steps (a projection,
  not a loss term), it damps the high frequencies gradient ascent amplifies.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def l2(x: torch.Tensor) -> torch.Tensor:
    """``mean((x - 0.5)^2)`` over every pixel of ``(B, C, H, W)``; summed over the batch."""
    return (x - 0.5).pow(2).flatten(1).mean(1).sum()


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """``mean((x[i+1,j] - x[i,j])^2) + mean((x[i,j+1] - x[i,j])^2)`` per image; summed over the batch."""
    dy = (x[:, :, 1:, :] - x[:, :, :-1, :]).pow(2).flatten(1).mean(1)
    dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).pow(2).flatten(1).mean(1)
    return (dy + dx).sum()


def gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``(B, C, H, W)`` with reflected borders; same size out."""
    if sigma <= 0:
        return x
    k = gaussian_kernel(sigma).to(x)
    c, r = x.shape[1], (len(k) - 1) // 2
    r = min(r, x.shape[2] - 1, x.shape[3] - 1)
    if r < 1:
        return x
    k = k[(len(k) - 1) // 2 - r : (len(k) - 1) // 2 + r + 1]
    k = k / k.sum()
    x = F.pad(x, (r, r, r, r), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
