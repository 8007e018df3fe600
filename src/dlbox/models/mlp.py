"""Multi-layer perceptron (notes 1.2): flatten, then ``depth`` dense layers of ``width`` units."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch.nn as nn

from dlbox.layers.activation import make_activation
from dlbox.models.classifier import Classifier, as_hw
from dlbox.models.registry import register_model


@register_model("mlp")
def mlp(
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 8,
    depth: int = 2,
    width: int = 256,
    activation: str = "relu",
    dropout: float = 0.1,
) -> Classifier:
    if depth < 1 or width < 1:
        raise ValueError(f"mlp needs depth >= 1 and width >= 1, got depth={depth} width={width}")
    h, w = as_hw(image_size)
    layers: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten())
    fan_in = in_channels * h * w
    for i in range(1, depth + 1):
        # notes 1.2.1: S_in * S_out + S_out parameters per layer.
        layers[f"fc{i}"] = nn.Linear(fan_in, width)
        layers[f"act{i}"] = make_activation(activation)
        if dropout:
            layers[f"drop{i}"] = nn.Dropout(dropout)
        fan_in = width
    head = nn.Sequential(OrderedDict(fc=nn.Linear(width, num_classes)))
    return Classifier(nn.Sequential(layers), head, num_classes)
