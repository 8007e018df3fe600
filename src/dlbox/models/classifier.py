"""The classifier contract shared by every model family: ``features`` then ``head``.

Later tasks rely on it: transfer learning replaces ``head`` and freezes
``features``; convolutionalization rewrites ``head``'s dense layers as
convolutions; visualization hooks layers by their stable dotted names
(``features.stage2.conv1.conv``, ``head.fc``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.layers.activation import make_activation


def as_hw(image_size: int | Sequence[int]) -> tuple[int, int]:
    """``28`` or ``(28, 28)`` -> ``(28, 28)``."""
    if isinstance(image_size, int):
        return image_size, image_size
    h, w = image_size
    return int(h), int(w)


class Classifier(nn.Module):
    """``logits = head(features(x))``; x is ``(B, C, H, W)`` in [0, 1]."""

    def __init__(self, features: nn.Module, head: nn.Module, num_classes: int):
        super().__init__()
        self.features = features
        self.head = head
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, num_classes)
        return self.head(self.features(x))


def dense_head(
    in_features: int,
    num_classes: int,
    hidden: Sequence[int] = (),
    dropout: float = 0.0,
    activation: str = "relu",
    pool: str = "avg",
) -> nn.Sequential:
    """``[pool] -> flatten -> (fc_i -> act_i -> drop_i)* -> fc``.

    ``pool="avg"`` applies global average pooling first (``in_features`` is
    then the channel count); ``pool="flatten"`` flattens a C x h x w map
    (``in_features`` = C*h*w).
    """
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    if pool == "avg":
        layers["pool"] = nn.AdaptiveAvgPool2d(1)
    elif pool != "flatten":
        raise ValueError(f"head pool must be 'avg' or 'flatten', got {pool!r}")
    layers["flatten"] = nn.Flatten()
    width = in_features
    for i, h in enumerate(hidden, start=1):
        layers[f"fc{i}"] = nn.Linear(width, h)
        layers[f"act{i}"] = make_activation(activation)
        if dropout:
            layers[f"drop{i}"] = nn.Dropout(dropout)
        width = h
    if dropout and not hidden:
        layers["drop"] = nn.Dropout(dropout)
    layers["fc"] = nn.Linear(width, num_classes)
    return nn.Sequential(layers)


def feature_shape(features: nn.Module, in_channels: int, image_size: tuple[int, int]) -> tuple[int, ...]:
    """Shape (C, h, w) that ``features`` produces for one image (one dry forward pass)."""
    was_training = features.training
    features.eval()
    with torch.no_grad():
        out = features(torch.zeros(1, in_channels, *image_size))
    features.train(was_training)
    return tuple(out.shape[1:])
