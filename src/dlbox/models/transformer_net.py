"""The image transformation network of the perceptual-loss approach (Johnson et al. 2016; notes 3.9.3).

``conv 9x9 -> conv 3x3 /2 -> conv 3x3 /2`` (encoder), ``res_blocks`` residual
blocks, two ``upsample x2 -> conv 3x3`` stages (decoder; nearest-neighbour
upsampling avoids the checkerboard of transposed convolutions) and a final
``conv 9x9``; every convolution pads by reflection and is followed by instance
normalisation and ReLU; a sigmoid maps the output into [0, 1]. Any image size
works; the output has the input's size.

Registered as the dlbox model ``style_transformer`` so ``load_model(run_dir)``
rebuilds a trained one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.models.registry import register_model


class ConvIN(nn.Sequential):
    """``reflection pad -> conv -> instance norm -> ReLU`` (``norm=False, act=False`` for the output)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, norm: bool = True, act: bool = True):
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["pad"] = nn.ReflectionPad2d(kernel // 2)
        layers["conv"] = nn.Conv2d(c_in, c_out, kernel, stride)
        if norm:
            layers["norm"] = nn.InstanceNorm2d(c_out, affine=True)
        if act:
            layers["act"] = nn.ReLU()
        super().__init__(layers)


class ResidualBlock(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))``."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = ConvIN(channels, channels, 3)
        self.conv2 = ConvIN(channels, channels, 3, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.conv1(x))


class UpsampleConv(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = ConvIN(c_in, c_out, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class TransformerNet(nn.Module):
    """``(B, C, H, W)`` in [0, 1] -> stylised ``(B, C, H, W)`` in [0, 1]."""

    def __init__(self, in_channels: int = 3, channels: Sequence[int] = (32, 64, 128), res_blocks: int = 5):
        super().__init__()
        if len(channels) != 3:
            raise ValueError(f"style_transformer needs 3 channel widths (encoder stages), got {list(channels)}")
        c1, c2, c3 = (int(c) for c in channels)
        self.encoder = nn.Sequential(
            OrderedDict(conv1=ConvIN(in_channels, c1, 9), conv2=ConvIN(c1, c2, 3, 2), conv3=ConvIN(c2, c3, 3, 2))
        )
        self.residual = nn.Sequential(OrderedDict((f"res{i + 1}", ResidualBlock(c3)) for i in range(res_blocks)))
        self.decoder = nn.Sequential(
            OrderedDict(up1=UpsampleConv(c3, c2), up2=UpsampleConv(c2, c1), out=ConvIN(c1, in_channels, 9, norm=False, act=False))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        y = self.decoder(self.residual(self.encoder(x)))
        if y.shape[-2:] != (h, w):  # sizes not divisible by 4 lose a pixel on the way down
            y = F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)
        return torch.sigmoid(y)


@register_model("style_transformer")
def style_transformer(in_channels: int = 3, channels: Sequence[int] = (32, 64, 128), res_blocks: int = 5) -> TransformerNet:
    """Johnson et al.'s image transformation network (default widths 32/64/128, 5 residual blocks)."""
    return TransformerNet(in_channels, channels, res_blocks)
