"""Residual networks (notes 3.5): a stem, then stages of residual blocks; variants are data."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch.nn as nn

from dlbox.layers.conv_block import ConvBlock
from dlbox.layers.residual import ResidualBlock
from dlbox.models.classifier import Classifier, dense_head
from dlbox.models.registry import register_model


def _resnet(
    layers: Sequence[int],
    widths: Sequence[int],
    in_channels: int,
    num_classes: int,
    merge: str = "sum",
    dilation: int | Sequence[int] = 1,
    stem_stride: int = 1,
    dropout: float = 0.0,
) -> Classifier:
    """``layers[i]`` residual blocks of width ``widths[i]``; every stage after the first halves the size.

    A stage with dilation > 1 keeps its resolution instead of striding
    (a larger receptive field without losing resolution, notes 3.7).
    """
    if len(layers) != len(widths):
        raise ValueError(f"resnet needs as many widths as stages: layers={list(layers)} widths={list(widths)}")
    dilations = [dilation] * len(layers) if isinstance(dilation, int) else list(dilation)
    if len(dilations) != len(layers):
        raise ValueError(f"resnet needs one dilation per stage ({len(layers)}), got {dilations}")
    stem = ConvBlock(in_channels, widths[0], 3, stem_stride, 1)
    stages: OrderedDict[str, nn.Module] = OrderedDict(stem=stem)
    c_in = widths[0]
    for s, (n_blocks, width, d) in enumerate(zip(layers, widths, dilations), start=1):
        blocks: OrderedDict[str, nn.Module] = OrderedDict()
        for b in range(1, n_blocks + 1):
            stride = 2 if (b == 1 and s > 1 and d == 1) else 1
            blocks[f"block{b}"] = ResidualBlock(c_in, width, stride, d, merge)
            c_in = width
        stages[f"stage{s}"] = nn.Sequential(blocks)
    head = dense_head(c_in, num_classes, dropout=dropout, pool="avg")
    return Classifier(nn.Sequential(stages), head, num_classes)


@register_model("resnet")
def resnet(
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 8,  # noqa: ARG001 - any size works (global pooling)
    layers: Sequence[int] = (1, 1, 1),
    widths: Sequence[int] = (32, 64, 128),
    merge: str = "sum",
    dilation: int | Sequence[int] = 1,
    stem_stride: int = 1,
    dropout: float = 0.0,
) -> Classifier:
    """A configurable residual network: depth via ``layers``, width via ``widths``."""
    return _resnet(layers, widths, in_channels, num_classes, merge, dilation, stem_stride, dropout)


@register_model("resnet18")
def resnet18(
    in_channels: int = 3, num_classes: int = 10, image_size: int | Sequence[int] = 64, merge: str = "sum"  # noqa: ARG001
) -> Classifier:
    """ResNet-18's stage layout (2, 2, 2, 2) x (64, 128, 256, 512) with a 3x3 stem for small images."""
    return _resnet((2, 2, 2, 2), (64, 128, 256, 512), in_channels, num_classes, merge)
