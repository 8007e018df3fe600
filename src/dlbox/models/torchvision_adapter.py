"""torchvision classifiers adapted to the dlbox ``features`` / ``head`` contract.

``create_model("torchvision", arch="resnet18", num_classes=3)`` builds the
architecture with a new head and no weights; :func:`load_pretrained_weights`
fills the backbone from torchvision's weights API (its cache) or a local file.
ImageNet normalisation is the first layer of ``features``, so inputs stay in
[0, 1] like every dlbox model; one-channel inputs are repeated to three.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch

from dlbox.models.weights import load_state_file
import torch.nn as nn

from dlbox.models.classifier import Classifier
from dlbox.models.registry import register_model

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights are neither cached nor downloadable; the message says how to supply them."""


# GoogLeNet and Inception v3 weights were ported from TensorFlow and expect (x - 0.5) / 0.5; torchvision applies
# that inside forward (transform_input), which splitting the network into features/head would bypass.
TF_PORTED = {"googlenet": ((0.5,) * 3, (0.5,) * 3), "inception_v3": ((0.5,) * 3, (0.5,) * 3)}


class ImageNetNormalize(nn.Module):
    def __init__(self, mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1|3, H, W) -> (B, 3, H, W)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return (x - self.mean) / self.std


def _split_backbone(net: nn.Module, num_classes: int, normalize: nn.Module) -> tuple[nn.Module, nn.Module]:
    """(features, head) for torchvision's two classifier layouts; ``normalize`` becomes the first layer."""
    if isinstance(getattr(net, "fc", None), nn.Linear):  # resnet, resnext, regnet, googlenet, inception
        body = OrderedDict((n, m) for n, m in net.named_children() if n not in ("fc", "aux1", "aux2", "AuxLogits"))
        head = nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc=nn.Linear(net.fc.in_features, num_classes)))
        return nn.Sequential(OrderedDict(normalize=normalize, **body)), head
    classifier = getattr(net, "classifier", None)
    if hasattr(net, "features") and classifier is not None:  # vgg, alexnet, mobilenet, efficientnet, convnext, densenet
        layers = list(classifier.children()) if isinstance(classifier, nn.Sequential) else [classifier]
        last = max(i for i, m in enumerate(layers) if isinstance(m, nn.Linear))
        layers[last] = nn.Linear(layers[last].in_features, num_classes)
        head_parts: OrderedDict[str, nn.Module] = OrderedDict()
        if hasattr(net, "avgpool"):
            head_parts["avgpool"] = net.avgpool
        else:
            head_parts["avgpool"] = nn.AdaptiveAvgPool2d(1)
        head_parts["flatten"] = nn.Flatten()
        head_parts["classifier"] = nn.Sequential(*layers)
        return nn.Sequential(OrderedDict(normalize=normalize, features=net.features)), nn.Sequential(head_parts)
    raise ValueError(f"torchvision model {type(net).__name__} has neither .fc nor .features/.classifier")


@register_model("torchvision")
def torchvision_classifier(
    arch: str = "resnet18",
    num_classes: int = 10,
    in_channels: int = 3,
    image_size: int | Sequence[int] = 224,  # noqa: ARG001 - global pooling takes any size
) -> Classifier:
    import torchvision

    if in_channels not in (1, 3):
        raise ValueError(f"torchvision models take 1 or 3 input channels, got {in_channels}")
    try:
        net = torchvision.models.get_model(arch, weights=None)
    except ValueError:
        raise ValueError(f"unknown torchvision model {arch!r}; valid: {', '.join(torchvision.models.list_models())}") from None
    features, head = _split_backbone(net, num_classes, ImageNetNormalize(*TF_PORTED.get(arch, (IMAGENET_MEAN, IMAGENET_STD))))
    return Classifier(features, head, num_classes)


def _weights_enum(arch: str):
    import torchvision

    try:
        return torchvision.models.get_model_weights(arch).DEFAULT
    except (ValueError, KeyError, AttributeError):
        raise ValueError(f"torchvision model {arch!r} has no pretrained weights") from None


def pretrained_state(arch: str, weights_file: str | Path | None = None) -> dict[str, torch.Tensor]:
    """The state dict of torchvision's default ImageNet weights for ``arch``.

    From ``weights_file`` when given; else from torch hub's cache, downloading
    if possible. Offline with nothing cached: :class:`WeightsUnavailableError`
    naming the missing file and ``--weights FILE``.
    """
    if weights_file is not None:
        return load_state_file(weights_file)
    weights = _weights_enum(arch)
    filename = Path(weights.url).name
    cached = Path(torch.hub.get_dir()) / "checkpoints" / filename
    if cached.is_file():
        return load_state_file(cached)
    try:  # download to the cache, then load through the same weights_only path as every file
        cached.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(weights.url, str(cached), progress=False)
    except Exception as exc:  # noqa: BLE001 - urllib/ssl/socket errors differ by platform
        raise WeightsUnavailableError(
            f"pretrained weights for torchvision:{arch} are not available offline: {cached} is missing and "
            f"downloading {weights.url} failed ({type(exc).__name__}). Copy that file to {cached}, "
            f"or pass --weights FILE (a .pth or .safetensors state dict)."
        ) from None
    return load_state_file(cached)


def load_backbone(model: Classifier, arch: str, weights_file: str | Path | None = None) -> list[str]:
    """Copy pretrained weights into ``model.features``; returns the names loaded."""
    state = pretrained_state(arch, weights_file)
    # The backbone keeps torchvision's parameter names (resnet: conv1.*, layer1.*; vgg: features.*),
    # so backbone tensors match by name; the old classifier's tensors have no match and are dropped.
    target = model.features.state_dict()
    loaded = [k for k, v in state.items() if k in target and target[k].shape == v.shape]
    if not loaded:
        raise ValueError(f"no tensor of the weights matches torchvision:{arch}'s backbone; is the file for that model?")
    target.update({k: state[k] for k in loaded})
    model.features.load_state_dict(target)
    return loaded
