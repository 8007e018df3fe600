"""Residual block (notes 3.5): ``act(F(x) + shortcut(x))``, or the concatenation the notes allow."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn as nn

from dlbox.layers.activation import make_activation
from dlbox.layers.conv_block import ConvBlock


class ResidualBlock(nn.Module):
    """Two 3x3 conv-bn layers plus a shortcut.

    ``merge="sum"``: output = act(F(x) + S(x)) where S is the identity, or a
    1x1 strided conv when the shape changes. ``merge="concat"``: F and S each
    produce half of ``out_channels`` and are concatenated along channels.
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 1, dilation: int = 1,
        merge: str = "sum", activation: str = "relu",
    ):
        super().__init__()
        if merge not in ("sum", "concat"):
            raise ValueError(f"merge must be 'sum' or 'concat', got {merge!r}")
        if merge == "concat" and out_channels % 2:
            raise ValueError(f"merge='concat' needs an even out_channels, got {out_channels}")
        self.merge = merge
        branch_out = out_channels if merge == "sum" else out_channels // 2
        pad = dilation  # 'same' for a 3x3 kernel with this dilation
        self.branch = nn.Sequential(
            OrderedDict(
                conv1=ConvBlock(in_channels, branch_out, 3, stride, pad, dilation, activation=activation),
                conv2=nn.Conv2d(branch_out, branch_out, 3, 1, pad, dilation, bias=False),
                bn2=nn.BatchNorm2d(branch_out),
            )
        )
        if merge == "sum" and stride == 1 and in_channels == out_channels:
            self.shortcut: nn.Module = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                OrderedDict(
                    conv=nn.Conv2d(in_channels, out_channels - branch_out if merge == "concat" else out_channels, 1, stride, bias=False),
                    bn=nn.BatchNorm2d(out_channels - branch_out if merge == "concat" else out_channels),
                )
            )
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, H, W) -> (B, C_out, H/s, W/s)
        f, s = self.branch(x), self.shortcut(x)
        # notes 3.5: the input is added (or concatenated) without passing through an activation.
        out = f + s if self.merge == "sum" else torch.cat([f, s], dim=1)
        return self.act(out)
