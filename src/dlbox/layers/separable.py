"""Depthwise-separable convolution (notes 3.4): a k x k kernel per channel, then a 1x1 pointwise mix.

Parameters: (K_w K_h) D_in + D_in D_out (+ biases), against (K_w K_h) D_in D_out for a
standard convolution (notes 3.4.1).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from dlbox.layers.conv_block import resolve_padding


class SeparableConv2d(nn.Module):
    def __init__(
        self, in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1, padding: str | int = "same",
        dilation: int = 1, bias: bool = False,
    ):
        super().__init__()
        pad = resolve_padding(padding, kernel, dilation)
        # notes 3.4: D_in different k x k x 1 kernels (groups = D_in) ...
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel, stride, pad, dilation, groups=in_channels, bias=bias)
        # ... then D_out kernels of 1 x 1 x D_in.
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, D_in, H, W) -> (B, D_out, H', W')
        return self.pointwise(self.depthwise(x))
