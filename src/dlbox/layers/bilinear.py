"""Learnable upsampling: a transposed convolution initialised to bilinear interpolation (notes 3.11.1).

FCN upsamples its coarse class-score maps with transposed convolutions whose
weights start as bilinear interpolation and are then learned. For an integer
factor ``f`` the kernel is ``k = 2f - f % 2`` wide with stride ``f``; the 1-D
filter is ``w[t] = 1 - |t - c| / f_c`` (``c`` the kernel centre), and the 2-D
kernel is its outer product, placed on the channel diagonal (each channel is
upsampled on its own; the other weights start at zero but may learn).

With one pixel of edge replication in front, the layer's output at
initialisation is exactly ``F.interpolate(x, scale_factor=f, mode="bilinear",
align_corners=False)`` everywhere, borders included; without it
(``edge="zeros"``, the original FCN) only the borders differ.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def bilinear_kernel_1d(factor: int) -> torch.Tensor:
    """``(2f - f % 2,)`` float32 weights of 1-D linear interpolation by ``factor`` (f=2: [.25, .75, .75, .25])."""
    if factor < 1:
        raise ValueError(f"upsampling factor must be a positive integer, got {factor}")
    size = 2 * factor - factor % 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    t = torch.arange(size, dtype=torch.float64)
    return (1 - (t - centre).abs() / factor).float()


def bilinear_kernel(channels: int, factor: int) -> torch.Tensor:
    """``(channels, channels, k, k)`` transposed-conv weight: the bilinear kernel on the channel diagonal."""
    k1 = bilinear_kernel_1d(factor)
    k2 = torch.outer(k1, k1)
    weight = torch.zeros(channels, channels, *k2.shape)
    idx = torch.arange(channels)
    weight[idx, idx] = k2
    return weight


class BilinearUpsample(nn.Module):
    """``(B, C, H, W)`` -> ``(B, C, fH, fW)``: ``ConvTranspose2d`` (child ``up``) initialised to bilinear.

    ``learnable=False`` freezes the weights (fixed bilinear interpolation).
    ``edge="replicate"`` (default) makes the initial output equal
    ``F.interpolate(..., mode="bilinear", align_corners=False)`` at every pixel.
    """

    def __init__(self, channels: int, factor: int, learnable: bool = True, edge: str = "replicate"):
        super().__init__()
        if edge not in ("replicate", "zeros"):
            raise ValueError(f"edge must be 'replicate' or 'zeros', got {edge!r}")
        self.factor, self.edge = int(factor), edge
        k = 2 * self.factor - self.factor % 2
        # Output size (H-1)f - 2p + k = fH with p = f // 2; replicating one pixel each side
        # adds 2f output pixels, which an extra f of padding crops again.
        pad = self.factor // 2 + (self.factor if edge == "replicate" else 0)
        self.up = nn.ConvTranspose2d(channels, channels, k, stride=self.factor, padding=pad, bias=False)
        with torch.no_grad():
            self.up.weight.copy_(bilinear_kernel(channels, self.factor))
        self.up.weight.requires_grad_(learnable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.edge == "replicate":
            x = F.pad(x, (1, 1, 1, 1), mode="replicate")
        return self.up(x)
