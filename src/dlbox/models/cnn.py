"""VGG-style CNN (notes 3.1, 3.3, 3.7, 3.8): stages of conv-bn-act blocks, each followed by pooling."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch.nn as nn

from dlbox.layers.conv_block import ConvBlock
from dlbox.models.classifier import Classifier, as_hw, dense_head, feature_shape
from dlbox.models.registry import register_model


def _per_stage(value: int | Sequence[int], stages: int, name: str) -> list[int]:
    values = [value] * stages if isinstance(value, int) else list(value)
    if len(values) != stages:
        raise ValueError(f"{name} needs one value per stage ({stages}), got {values}")
    return values


def _pool(kind: str) -> nn.Module | None:
    if kind == "max":
        return nn.MaxPool2d(2)
    if kind == "mean":
        return nn.AvgPool2d(2)
    if kind == "none":
        return None
    raise ValueError(f"pool must be 'max', 'mean' or 'none', got {kind!r}")


@register_model("cnn")
def cnn(
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | Sequence[int] = 8,
    channels: Sequence[int] = (32, 64, 128),
    convs_per_stage: int = 2,
    kernel: int = 3,
    stride: int = 1,
    padding: str | int = "same",
    dilation: int | Sequence[int] = 1,
    pool: str = "max",
    batch_norm: bool = True,
    activation: str = "relu",
    head_pool: str = "avg",
    hidden: Sequence[int] = (),
    dropout: float = 0.0,
) -> Classifier:
    """Stage ``i`` = ``convs_per_stage`` x (conv ``channels[i]`` -> bn -> act), then ``pool``.

    ``stride`` applies to the first conv of each stage; ``dilation`` may differ per
    stage. ``head_pool="avg"`` pools globally before the dense head;
    ``"flatten"`` flattens the final C x h x w map (the classic VGG head).
    """
    dilations = _per_stage(dilation, len(channels), "dilation")
    stages: OrderedDict[str, nn.Module] = OrderedDict()
    c_in = in_channels
    for s, (c_out, d) in enumerate(zip(channels, dilations), start=1):
        blocks: OrderedDict[str, nn.Module] = OrderedDict()
        for j in range(1, convs_per_stage + 1):
            blocks[f"conv{j}"] = ConvBlock(
                c_in, c_out, kernel, stride if j == 1 else 1, padding, d, batch_norm, activation
            )
            c_in = c_out
        pool_layer = _pool(pool)
        if pool_layer is not None:
            blocks["pool"] = pool_layer
        stages[f"stage{s}"] = nn.Sequential(blocks)
    features = nn.Sequential(stages)
    try:
        c, h, w = feature_shape(features, in_channels, as_hw(image_size))
    except RuntimeError as exc:  # torch: "Output size is too small"
        raise ValueError(f"cnn: image_size {image_size} is too small for {len(channels)} stages with pool={pool!r} ({exc})") from None
    in_features = c if head_pool == "avg" else c * h * w
    head = dense_head(in_features, num_classes, hidden, dropout, activation, pool=head_pool)
    return Classifier(features, head, num_classes)
