"""Convolutionalization (notes 3.11.1): a trained classifier's dense head rewritten as convolutions.

A dense layer after flattening a ``C x h x w`` feature map computes, for each
output unit, a dot product with a ``C x h x w`` weight block: exactly a
convolution with an ``h x w`` kernel evaluated at the one position where the
kernel covers the map. Later dense layers act on vectors, i.e. ``1 x 1``
convolutions. Reshaping the weights (``(out, C*h*w) -> (out, C, h, w)``) needs
no retraining:

- at the classifier's input size the network outputs a ``1 x 1`` map equal to
  its logits;
- on a larger image the kernel slides: the output is a heatmap per class, the
  classifier evaluated at every window of stride = the features' total stride.

With ``head_pool="avg"`` the global average pool becomes an average pool over
``h x w`` windows, stride 1 (identical at the input size; a heatmap beyond), and
the dense layers become ``1 x 1`` convolutions.

``padding="same"`` (used by FCN) zero-pads the map before the ``h x w``
convolution so the score map keeps the feature map's size (the original FCN
pads the input by 100 pixels to the same end); at the input size the logits
then sit at position ``((h-1)//2, (w-1)//2)``. An average-pooled head drops its
pool and applies its ``1 x 1`` convolutions at every position.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.models.classifier import Classifier, as_hw, feature_shape


class ConvolutionalizedClassifier(nn.Module):
    """``(B, C, H, W)`` -> ``(B, K, H', W')`` class-score maps; ``features`` shared with the classifier.

    ``head`` keeps the classifier's layer names (``fc1``, ``act1``, ..., ``fc``),
    so its state dict differs from the classifier's only in the shapes of the
    dense weights. ``input_size`` is the classifier's (H, W), ``map_size`` the
    feature map's (h, w) there.
    """

    def __init__(self, features: nn.Module, head: nn.Sequential, num_classes: int, input_size: tuple[int, int], map_size: tuple[int, int]):
        super().__init__()
        self.features, self.head = features, head
        self.num_classes, self.input_size, self.map_size = num_classes, input_size, map_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _classifier_input(classifier: nn.Module, input_size: int | Sequence[int] | None) -> tuple[int, tuple[int, int]]:
    kwargs = getattr(classifier, "dlbox_config", {}).get("kwargs", {})
    if input_size is None:
        input_size = kwargs.get("image_size") or getattr(classifier, "dlbox_meta", {}).get("input", {}).get("size")
    if input_size is None:
        raise ValueError("convolutionalize: the classifier's input size is unknown; pass input_size=(H, W)")
    channels = kwargs.get("in_channels")
    if channels is None:
        first = next((m for m in classifier.features.modules() if isinstance(m, nn.Conv2d)), None)
        if first is None:
            raise ValueError("convolutionalize: cannot tell the classifier's input channels")
        channels = first.in_channels
    return int(channels), as_hw(input_size)


def convolutionalize(
    classifier: nn.Module,
    input_size: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> ConvolutionalizedClassifier:
    """The fully convolutional equivalent of a dlbox ``Classifier`` (``features`` + dense ``head``).

    ``input_size`` defaults to the size the classifier was built for (its
    ``model.json``). The result is in the classifier's train/eval mode and on its
    device; the classifier itself is not modified, but ``features`` is shared.
    """
    if not isinstance(classifier, Classifier):
        raise TypeError(f"convolutionalize needs a dlbox Classifier (features + head), got {type(classifier).__name__}")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    channels, size = _classifier_input(classifier, input_size)
    c, h, w = feature_shape(classifier.features, channels, size)
    head = classifier.head
    names = list(head._modules)
    if "flatten" not in names:
        raise ValueError(f"convolutionalize: the head has no 'flatten' layer (layers: {', '.join(names)})")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    in_shape: tuple[int, int, int] | None = (c, h, w)  # shape the next dense layer sees (None: a vector)
    for name, module in head.named_children():
        if name == "flatten":
            continue
        if name == "pool":
            if not isinstance(module, nn.AdaptiveAvgPool2d):
                raise ValueError(f"convolutionalize: unsupported head pool {type(module).__name__}")
            if padding == "valid":  # global pool at the input size == (h, w) window average, stride 1
                layers["pool"] = nn.AvgPool2d((h, w), stride=1)
            in_shape = None
            continue
        if isinstance(module, nn.Linear):  # the first sees the (C, h, w) map, the rest vectors
            layers[name] = _dense_to_conv(module, in_shape or (module.in_features, 1, 1))
            in_shape = None
            continue
        layers[name] = _copy_module(module)  # activations and dropout act elementwise
    conv_head = nn.Sequential(_with_padding(layers, padding, (h, w)))
    conv_head.to(next(classifier.parameters()).device)
    model = ConvolutionalizedClassifier(classifier.features, conv_head, classifier.num_classes, size, (h, w))
    model.train(classifier.training)
    return model


def _dense_to_conv(fc: nn.Linear, in_shape: tuple[int, int, int]) -> nn.Conv2d:
    c, h, w = in_shape
    if fc.in_features != c * h * w:
        raise ValueError(f"convolutionalize: dense layer takes {fc.in_features} inputs but the map is {c}x{h}x{w}")
    conv = nn.Conv2d(c, fc.out_features, (h, w), bias=fc.bias is not None)
    with torch.no_grad():
        # nn.Flatten orders a (C, h, w) map channel-major, the order of the reshaped kernel.
        conv.weight.copy_(fc.weight.reshape(fc.out_features, c, h, w))
        if fc.bias is not None:
            conv.bias.copy_(fc.bias)
    return conv.to(fc.weight.device)


def _with_padding(layers: OrderedDict[str, nn.Module], padding: str, hw: tuple[int, int]) -> OrderedDict[str, nn.Module]:
    """``padding="same"``: zero-pad before the ``h x w`` convolution so its output keeps the map size."""
    h, w = hw
    first = next((n for n, m in layers.items() if isinstance(m, nn.Conv2d)), None)
    if padding != "same" or first is None or layers[first].kernel_size == (1, 1):
        return layers
    out: OrderedDict[str, nn.Module] = OrderedDict()
    for name, module in layers.items():
        if name == first:  # even kernels pad one more at the bottom/right
            out["pad"] = nn.ZeroPad2d(((w - 1) // 2, w // 2, (h - 1) // 2, h // 2))
        out[name] = module
    return out


def _copy_module(module: nn.Module) -> nn.Module:
    import copy

    return copy.deepcopy(module)
