"""Xception-style network (notes 3.4): depthwise-separable convolutions with residual connections."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.layers.conv_block import ConvBlock
from dlbox.layers.separable import SeparableConv2d
from dlbox.models.classifier import Classifier, dense_head
from dlbox.models.registry import register_model


def _sep_bn(c_in: int, c_out: int, pre_act: bool) -> list[tuple[str, nn.Module]]:
    layers: list[tuple[str, nn.Module]] = []
    if pre_act:
        layers.append(("act", nn.ReLU()))
    layers += [("sep", SeparableConv2d(c_in, c_out, 3)), ("bn", nn.BatchNorm2d(c_out))]
    return layers


class XceptionBlock(nn.Module):
    """``reps`` x (ReLU, separable 3x3, BN) [+ max-pool /2], plus a residual shortcut.

    The shortcut is the identity when the shape is kept, else a strided 1x1 conv + BN.
    """

    def __init__(self, in_channels: int, out_channels: int, reps: int = 2, downsample: bool = True, first_act: bool = True):
        super().__init__()
        units: OrderedDict[str, nn.Module] = OrderedDict()
        c = in_channels
        for r in range(1, reps + 1):
            units[f"unit{r}"] = nn.Sequential(OrderedDict(_sep_bn(c, out_channels, pre_act=first_act or r > 1)))
            c = out_channels
        if downsample:
            units["pool"] = nn.MaxPool2d(3, 2, 1)
        self.branch = nn.Sequential(units)
        if downsample or in_channels != out_channels:
            self.shortcut: nn.Module = nn.Sequential(
                OrderedDict(
                    conv=nn.Conv2d(in_channels, out_channels, 1, 2 if downsample else 1, bias=False),
                    bn=nn.BatchNorm2d(out_channels),
                )
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, H, W) -> (B, C_out, H', W')
        return self.branch(x) + self.shortcut(x)


@register_model("xception")
def xception(
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 8,  # noqa: ARG001 - any size works (global pooling)
    stem_channels: int = 32,
    entry_channels: Sequence[int] = (64, 128),
    middle_blocks: int = 2,
    exit_channels: int = 256,
    dropout: float = 0.0,
) -> Classifier:
    """Entry flow (stem + downsampling blocks), middle flow (identity-residual blocks), exit flow."""
    parts: OrderedDict[str, nn.Module] = OrderedDict(stem=ConvBlock(in_channels, stem_channels, 3, 1, 1))
    c = stem_channels
    for i, width in enumerate(entry_channels, start=1):
        parts[f"entry{i}"] = XceptionBlock(c, width, reps=2, downsample=True, first_act=i > 1)
        c = width
    for i in range(1, middle_blocks + 1):
        parts[f"middle{i}"] = XceptionBlock(c, c, reps=3, downsample=False)
    parts["exit"] = nn.Sequential(
        OrderedDict(sep=SeparableConv2d(c, exit_channels, 3), bn=nn.BatchNorm2d(exit_channels), act=nn.ReLU())
    )
    head = dense_head(exit_channels, num_classes, dropout=dropout, pool="avg")
    return Classifier(nn.Sequential(parts), head, num_classes)
