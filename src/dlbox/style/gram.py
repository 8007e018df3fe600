"""The Gram matrix of a feature map: the style representation of notes 3.9.3.

``G^l = F^l F^l^T``, i.e. ``G_{c1,c2} = sum_k F_{c1,k} F_{c2,k}`` over the M = H * W
positions: the correlations between channels, with all spatial arrangement
summed away. ``normalize=True`` divides by M so images of different sizes
(a style image larger than the content) have comparable Gram matrices.
"""

from __future__ import annotations

import torch


def gram_matrix(features: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """``(B, C, H, W)`` (or ``(B, C, M)``) feature maps -> ``(B, C, C)`` Gram matrices."""
    if features.ndim not in (3, 4):
        raise ValueError(f"gram_matrix needs (B, C, H, W) or (B, C, M) features, got shape {tuple(features.shape)}")
    f = features.flatten(2)  # (B, C, M)
    g = torch.bmm(f, f.transpose(1, 2))
    return g / f.shape[2] if normalize else g
