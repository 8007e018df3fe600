"""U-Net (notes 3.11.2): a contracting encoder, an expanding decoder, skips between them.

Encoder level ``i`` (``enc{i}``): conv 3x3 -> conv 3x3 (``width * 2^(i-1)``
channels), its output kept as the skip, then 2x2 max-pooling. The bottleneck
doubles the channels once more. Decoder level ``i`` (``dec{i}``): a 2x2
transposed convolution ``up`` halving channels and doubling size, concatenation
with the level's skip, conv -> conv. A 1x1 ``classifier`` gives per-pixel scores.

``padding="same"`` pads every convolution: the output has the input's size
(any side >= 2^depth; odd sizes are handled by padding the upsampled map to its
skip). ``padding="valid"`` is the original: unpadded convolutions, skip
features centre-cropped to the upsampled map, an output smaller than the input
(572 -> 388 at depth 4); see :mod:`dlbox.ops.unet_sizes`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.layers.conv_block import ConvBlock
from dlbox.models.classifier import as_hw
from dlbox.models.registry import register_model
from dlbox.ops.crop import center_crop
from dlbox.ops.unet_sizes import output_size


def _double_conv(c_in: int, c_out: int, padding: str, batch_norm: bool, activation: str) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv1=ConvBlock(c_in, c_out, 3, 1, padding, 1, batch_norm, activation),
            conv2=ConvBlock(c_out, c_out, 3, 1, padding, 1, batch_norm, activation),
        )
    )


class UNet(nn.Module):
    """``(B, C, H, W)`` -> ``(B, num_classes, H', W')`` with ``(H', W') = output_hw((H, W))``."""

    def __init__(
        self, in_channels: int, num_classes: int, depth: int = 4, width: int = 64, padding: str = "same",
        batch_norm: bool = True, activation: str = "relu",
    ):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"U-Net depth and width must be positive, got depth={depth} width={width}")
        if padding not in ("same", "valid"):
            raise ValueError(f"U-Net padding must be 'same' or 'valid', got {padding!r}")
        self.depth, self.padding, self.num_classes = depth, padding, num_classes
        widths = [width * 2**i for i in range(depth + 1)]
        c = in_channels
        self.encoder = nn.ModuleDict()
        for i in range(depth):
            self.encoder[f"enc{i + 1}"] = _double_conv(c, widths[i], padding, batch_norm, activation)
            c = widths[i]
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _double_conv(c, widths[depth], padding, batch_norm, activation)
        self.decoder = nn.ModuleDict()
        for i in reversed(range(depth)):
            stage = nn.Module()
            stage.up = nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
            stage.convs = _double_conv(2 * widths[i], widths[i], padding, batch_norm, activation)
            self.decoder[f"dec{i + 1}"] = stage
        self.classifier = nn.Conv2d(widths[0], num_classes, 1)

    @property
    def size_multiple(self) -> int:
        """Input shifts by multiples of this leave the pooling grid, hence the output, aligned."""
        return 2**self.depth

    @property
    def min_side(self) -> int:
        """Smallest input side it takes (a valid U-Net predicts any image by tiling)."""
        return 2**self.depth if self.padding == "same" else 1

    def output_hw(self, hw: Sequence[int]) -> tuple[int, int]:
        """Output (H', W') for input (H, W); raises naming the nearest valid sizes when there is none."""
        return output_size(int(hw[0]), self.depth, self.padding), output_size(int(hw[1]), self.depth, self.padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "valid":
            self.output_hw(x.shape[-2:])  # a clear error instead of a shape mismatch deep inside
        skips = []
        for stage in self.encoder.values():
            x = stage(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for stage, skip in zip(self.decoder.values(), reversed(skips)):
            x = stage.up(x)
            if self.padding == "valid":
                skip = center_crop(skip, x.shape[-2:])
            elif x.shape[-2:] != skip.shape[-2:]:  # odd sizes: floor-pooling lost a row/column
                x = F.pad(x, (0, skip.shape[-1] - x.shape[-1], 0, skip.shape[-2] - x.shape[-2]))
            x = stage.convs(torch.cat([skip, x], dim=1))
        return self.classifier(x)


@register_model("unet")
def unet(
    in_channels: int = 3,
    num_classes: int = 2,
    image_size: int | Sequence[int] | None = None,
    depth: int = 4,
    width: int = 64,
    padding: str = "same",
    batch_norm: bool = True,
    activation: str = "relu",
) -> UNet:
    """A U-Net; an ``image_size`` the caller gives is checked (a valid U-Net needs integral sizes at every level)."""
    model = UNet(in_channels, num_classes, depth, width, padding, batch_norm, activation)
    if image_size is not None:
        model.output_hw(as_hw(image_size))
    return model
