"""Cropping and size matching of feature maps and masks (notes 3.11.2: U-Net skips; 3.11.1: FCN fusion)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def center_crop(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """``x (..., H, W)`` -> ``(..., h, w)``: the centre window (the U-Net's cropped skip, or a mask's matching crop).

    When ``H - h`` is odd the extra row (column) is dropped at the bottom (right).
    """
    h, w = int(size[0]), int(size[1])
    H, W = x.shape[-2:]
    if h > H or w > W:
        raise ValueError(f"cannot centre-crop a {H}x{W} map to {h}x{w}")
    top, left = (H - h) // 2, (W - w) // 2
    return x[..., top : top + h, left : left + w]


def match_size(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """``x (B, C, H, W)`` -> ``(B, C, h, w)``, cropping or edge-padding at the bottom/right.

    Upsampling a floor-pooled map by its stride gives a map aligned with the
    finer one at the top-left that may be a row or column short (odd sizes) or
    long; this makes the two fuse pixel for pixel.
    """
    h, w = int(size[0]), int(size[1])
    x = x[..., :h, :w]
    ph, pw = h - x.shape[-2], w - x.shape[-1]
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x
