"""Convolution - batch norm - activation, the VGG-style unit (notes 3.1, 3.7, 3.8)."""

from __future__ import annotations

from collections import OrderedDict

import torch.nn as nn

from dlbox.layers.activation import make_activation


def resolve_padding(padding: str | int, kernel: int, dilation: int = 1) -> int:
    """Per-side padding: ``'same'`` keeps the size at stride 1 (odd kernels), ``'valid'`` is 0."""
    if padding == "same":
        span = dilation * (kernel - 1)
        if span % 2:
            raise ValueError(f"padding='same' needs an odd effective kernel, got kernel={kernel} dilation={dilation}")
        return span // 2
    if padding == "valid":
        return 0
    if isinstance(padding, int) and padding >= 0:
        return padding
    raise ValueError(f"padding must be 'same', 'valid' or a non-negative int, got {padding!r}")


class ConvBlock(nn.Sequential):
    """``conv -> [bn] -> act`` with stable child names ``conv``, ``bn``, ``act``."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1, padding: str | int = "same",
        dilation: int = 1, batch_norm: bool = True, activation: str = "relu", groups: int = 1,
    ):
        pad = resolve_padding(padding, kernel, dilation)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["conv"] = nn.Conv2d(
            in_channels, out_channels, kernel, stride, pad, dilation, groups=groups, bias=not batch_norm
        )
        if batch_norm:
            layers["bn"] = nn.BatchNorm2d(out_channels)
        layers["act"] = make_activation(activation)
        super().__init__(layers)
