"""Darknet backbones for YOLOv3 (notes 3.12.1): Darknet-53 (residual) and the tiny conv/max-pool stack.

A backbone is an ``nn.Sequential`` of named stages (the ``features`` of a
detector, as for a classifier: transferable, notes 3.6) plus, per stage, the
stride of its output and its channels, so a detector can tap the stages it
needs. ``width`` scales every channel count, ``depth`` every repeat count.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn as nn

from dlbox.models.classifier import Classifier, dense_head
from dlbox.models.registry import register_model


@dataclass
class Backbone:
    features: nn.Sequential  # named stages; features(x) is the last (coarsest) map
    strides: tuple[int, ...]  # stride of each stage's output
    channels: tuple[int, ...]  # channels of each stage's output


def scaled(channels: int, width: float) -> int:
    """A channel count times the width multiplier, at least 4."""
    return max(4, round(channels * width))


def conv_unit(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Darknet's unit: conv (no bias) -> batch norm -> leaky ReLU(0.1); children ``conv``, ``bn``, ``act``."""
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
            bn=nn.BatchNorm2d(c_out),
            act=nn.LeakyReLU(0.1),
        )
    )


class DarknetResidual(nn.Module):
    """``x + conv3x3(conv1x1(x))`` with a bottleneck of half the channels (notes 3.5: identity shortcut)."""

    def __init__(self, channels: int):
        super().__init__()
        self.reduce = conv_unit(channels, max(1, channels // 2), 1)
        self.expand = conv_unit(max(1, channels // 2), channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, C, H, W)
        return x + self.expand(self.reduce(x))


#: Darknet-53: a 32-channel stem, then five stages, each a stride-2 conv and residual units.
DARKNET53_WIDTHS = (64, 128, 256, 512, 1024)
DARKNET53_BLOCKS = (1, 2, 8, 8, 4)
#: YOLOv3-tiny's backbone: 3x3 convs with these widths, each stage after the first behind a 2x2 max-pool.
TINY_WIDTHS = (16, 32, 64, 128, 256, 512)


def darknet53(in_channels: int = 3, width: float = 1.0, depth: float = 1.0) -> Backbone:
    """Darknet-53 (52 convolutions here; the 53rd is the classifier's): strides 1, 2, 4, 8, 16, 32."""
    stem = scaled(32, width)
    stages: OrderedDict[str, nn.Module] = OrderedDict(stem=conv_unit(in_channels, stem, 3))
    strides, channels, c = [1], [stem], stem
    for i, (w, n) in enumerate(zip(DARKNET53_WIDTHS, DARKNET53_BLOCKS), start=1):
        c_out = scaled(w, width)
        layers: OrderedDict[str, nn.Module] = OrderedDict(down=conv_unit(c, c_out, 3, 2))
        for b in range(1, max(1, round(n * depth)) + 1):
            layers[f"block{b}"] = DarknetResidual(c_out)
        stages[f"stage{i}"] = nn.Sequential(layers)
        strides.append(2**i)
        channels.append(c_out)
        c = c_out
    return Backbone(nn.Sequential(stages), tuple(strides), tuple(channels))


def darknet_tiny(in_channels: int = 3, width: float = 1.0, depth: float = 1.0) -> Backbone:
    """YOLOv3-tiny's backbone: conv/max-pool stages to stride 32, then a stride-1 max-pool and a 1024 conv.

    ``depth`` repeats each stage's 3x3 convolution ``round(depth)`` times (at least once).
    """
    reps = max(1, round(depth))
    stages: OrderedDict[str, nn.Module] = OrderedDict()
    strides, channels, c = [], [], in_channels
    for i, w in enumerate(TINY_WIDTHS, start=1):
        c_out = scaled(w, width)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if i > 1:  # ceil_mode: the same on multiples of 32, and a 1x1 map stays 1x1 on small inputs
            layers["pool"] = nn.MaxPool2d(2, 2, ceil_mode=True)
        for r in range(1, reps + 1):
            layers[f"conv{r}"] = conv_unit(c if r == 1 else c_out, c_out, 3)
        if i == len(TINY_WIDTHS):  # the published 13x13 tail: a stride-1 max-pool, then 1024 channels
            layers["pad"] = nn.ZeroPad2d((0, 1, 0, 1))
            layers["pool_s1"] = nn.MaxPool2d(2, 1)
            layers["wide"] = conv_unit(c_out, scaled(1024, width), 3)
            c_out = scaled(1024, width)
        stages[f"stage{i}"] = nn.Sequential(layers)
        strides.append(2 ** (i - 1))
        channels.append(c_out)
        c = c_out
    return Backbone(nn.Sequential(stages), tuple(strides), tuple(channels))


BACKBONES = {"darknet53": darknet53, "darknet_tiny": darknet_tiny}


def _classifier(backbone: Backbone, num_classes: int, dropout: float) -> Classifier:
    return Classifier(backbone.features, dense_head(backbone.channels[-1], num_classes, dropout=dropout), num_classes)


@register_model("darknet53")
def darknet53_classifier(
    in_channels: int = 3, num_classes: int = 1000, image_size: int | tuple[int, int] = 256,  # noqa: ARG001 - any size (global pooling)
    width: float = 1.0, depth: float = 1.0, dropout: float = 0.0,
) -> Classifier:
    """Darknet-53 as a classifier: global average pooling and one dense layer on its last map.

    Its ``features`` are the ``features`` of ``yolov3`` with the same ``in_channels``,
    ``width`` and ``depth``: a classification run's backbone transfers to the detector (notes 3.6).
    """
    return _classifier(darknet53(in_channels, width, depth), num_classes, dropout)


@register_model("darknet_tiny")
def darknet_tiny_classifier(
    in_channels: int = 3, num_classes: int = 1000, image_size: int | tuple[int, int] = 256,  # noqa: ARG001
    width: float = 1.0, depth: float = 1.0, dropout: float = 0.0,
) -> Classifier:
    """YOLOv3-tiny's backbone as a classifier; its ``features`` transfer to ``yolov3-tiny``."""
    return _classifier(darknet_tiny(in_channels, width, depth), num_classes, dropout)
