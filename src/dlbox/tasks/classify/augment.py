"""Batched training augmentation: random horizontal flips and small translations, no per-sample Python."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment_batch(x: torch.Tensor, max_shift: float = 0.1, flip: bool = True) -> torch.Tensor:
    """``x (B, C, H, W)`` -> same shape; each image flipped with p=0.5 and shifted by up to ``max_shift``."""
    b = x.shape[0]
    theta = torch.zeros(b, 2, 3, device=x.device, dtype=x.dtype)
    sign = torch.where(torch.rand(b, device=x.device) < 0.5, -1.0, 1.0) if flip else torch.ones(b, device=x.device)
    theta[:, 0, 0] = sign
    theta[:, 1, 1] = 1.0
    theta[:, :, 2] = (torch.rand(b, 2, device=x.device) * 2 - 1) * 2 * max_shift  # grid units: [-1, 1] spans the image
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
