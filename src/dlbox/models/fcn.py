"""Fully convolutional networks FCN-32s, FCN-16s, FCN-8s (notes 3.11.1, Long et al. 2015).

Built from a dlbox ``cnn``-style classifier (``features`` = ``stage1..stageN``,
each ending in a 2x2 pool; a dense head): the dense head is convolutionalized
(:func:`dlbox.models.convolutionalize.convolutionalize`, ``padding="same"``), its final
class layer is discarded and replaced by ``score_fr``, a 1x1 convolution to the
segmentation classes. Then, as in the notes' figure 3.17:

- ``fcn32s``: the class-score map of the last stage is upsampled to the input
  size in one step (``upsample``, factor = the last stage's stride);
- ``fcn16s``: the score map is first upsampled x2 (``skip_up.stageN-1``),
  fused with a 1x1 score of the second-to-last pooling output
  (``skip_score.stageN-1``), then upsampled to the input;
- ``fcn8s``: the same again with the third-to-last pooling output.

The variants are defined relative to the backbone's stages: the last three
pools are at strides ``2^N, 2^(N-1), 2^(N-2)``. With a 5-stage backbone these
are the paper's 32, 16 and 8; with 4 stages, 16/8/4; ``model.strides`` holds
the actual values. Every upsampling is a transposed convolution initialised to
bilinear interpolation and learnable (:class:`dlbox.layers.bilinear.BilinearUpsample`).
Skip score layers start at zero (as in the paper), so a freshly built FCN-16s or
FCN-8s computes exactly what FCN-32s does until the skips learn. ``fuse="sum"``
adds the maps (the paper); ``fuse="concat"`` concatenates them and mixes with a
1x1 convolution initialised to the sum (the notes' figure caption).

Input sizes that are not multiples of the stride are handled: upsampled maps
are cropped or edge-padded at the bottom/right to the finer map and finally to
the input, so the output is always ``(B, num_classes, H, W)``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn

from dlbox.layers.bilinear import BilinearUpsample
from dlbox.models.classifier import as_hw
from dlbox.models.convolutionalize import convolutionalize
from dlbox.models.registry import create_model, register_model
from dlbox.ops.crop import match_size

VARIANTS = {"fcn32s": 0, "fcn16s": 1, "fcn8s": 2}  # number of skip connections

# A 5-stage VGG-like backbone: strides 8/16/32 as in the paper; a dense head to convolutionalize.
DEFAULT_BACKBONE: dict[str, Any] = {
    "name": "cnn",
    "kwargs": {"channels": [16, 32, 64, 64, 128], "head_pool": "flatten", "hidden": [128]},
}


class FCN(nn.Module):
    """``(B, C, H, W)`` -> ``(B, num_classes, H, W)`` per-pixel class scores."""

    def __init__(
        self,
        features: nn.Sequential,
        head: nn.Sequential,
        num_classes: int,
        variant: str = "fcn8s",
        fuse: str = "sum",
        learnable_upsampling: bool = True,
        in_channels: int = 3,
    ):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown FCN variant {variant!r}; valid: {', '.join(VARIANTS)}")
        if fuse not in ("sum", "concat"):
            raise ValueError(f"fuse must be 'sum' or 'concat', got {fuse!r}")
        stages = list(features._modules)
        n_skips = VARIANTS[variant]
        if len(stages) < n_skips + 1:
            raise ValueError(f"{variant} taps the last {n_skips + 1} pooling stages; the backbone has {len(stages)} ({', '.join(stages)})")
        self.features, self.head = features, head
        self.variant, self.fuse, self.num_classes = variant, fuse, num_classes
        channels, strides = _stage_shapes(features, in_channels)
        head_channels = _out_channels(head, channels[stages[-1]])
        self.score_fr = nn.Conv2d(head_channels, num_classes, 1)
        self.taps = [stages[-2 - j] for j in range(n_skips)]  # coarse to fine: stageN-1, stageN-2
        self.skip_score = nn.ModuleDict()
        self.skip_up = nn.ModuleDict()
        self.skip_fuse = nn.ModuleDict()
        coarse = stages[-1]
        for tap in self.taps:
            score = nn.Conv2d(channels[tap], num_classes, 1)
            nn.init.zeros_(score.weight)
            nn.init.zeros_(score.bias)
            self.skip_score[tap] = score
            self.skip_up[tap] = BilinearUpsample(num_classes, _ratio(strides[coarse], strides[tap]), learnable_upsampling)
            if fuse == "concat":
                mix = nn.Conv2d(2 * num_classes, num_classes, 1, bias=False)
                with torch.no_grad():  # [I | I]: starts as the sum
                    eye = torch.eye(num_classes)[:, :, None, None]
                    mix.weight.copy_(torch.cat([eye, eye], dim=1))
                self.skip_fuse[tap] = mix
            coarse = tap
        self.output_stride = strides[coarse]
        self.upsample = BilinearUpsample(num_classes, self.output_stride, learnable_upsampling)
        self.strides = {"score_fr": strides[stages[-1]], **{t: strides[t] for t in self.taps}, "output": self.output_stride}

    @property
    def min_side(self) -> int:
        """Smallest input side: the last stage must keep at least one pixel."""
        return self.strides["score_fr"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        kept: dict[str, torch.Tensor] = {}
        for name, stage in self.features.named_children():
            x = stage(x)
            if name in self.taps:
                kept[name] = x
        y = self.score_fr(self.head(x))
        for tap in self.taps:
            skip = self.skip_score[tap](kept[tap])
            up = match_size(self.skip_up[tap](y), skip.shape[-2:])
            y = self.skip_fuse[tap](torch.cat([up, skip], 1)) if self.fuse == "concat" else up + skip
        return match_size(self.upsample(y), size)


def _stage_shapes(features: nn.Sequential, in_channels: int) -> tuple[dict[str, int], dict[str, int]]:
    """Channels and total stride after each stage (one dry pass on a probe image)."""
    n = len(features._modules)
    side = 2 ** (n + 2)
    was = features.training
    features.eval()
    channels, strides = {}, {}
    with torch.no_grad():
        x = torch.zeros(1, in_channels, side, side, device=next(features.parameters()).device)
        for name, stage in features.named_children():
            x = stage(x)
            channels[name], strides[name] = x.shape[1], side // x.shape[-1]
    features.train(was)
    return channels, strides


def _out_channels(head: nn.Sequential, default: int) -> int:
    convs = [m for m in head.modules() if isinstance(m, nn.Conv2d)]
    return convs[-1].out_channels if convs else default


def _ratio(coarse: int, fine: int) -> int:
    if coarse % fine:
        raise ValueError(f"FCN skip: stride {coarse} is not a multiple of stride {fine}")
    return coarse // fine


def fcn_from_classifier(classifier: nn.Module, num_classes: int, variant: str = "fcn8s", fuse: str = "sum", learnable_upsampling: bool = True) -> FCN:
    """An FCN sharing ``classifier``'s features and its convolutionalized hidden dense layers (weights kept)."""
    conv = convolutionalize(classifier, padding="same")
    head = nn.Sequential(OrderedDict(conv.head._modules))  # the same module objects...
    del head._modules["fc"]  # ...without the classifier's class layer (replaced by score_fr)
    in_channels = next(m for m in conv.features.modules() if isinstance(m, nn.Conv2d)).in_channels
    return FCN(conv.features, head, num_classes, variant, fuse, learnable_upsampling, in_channels)


def load_classifier_weights(fcn: FCN, classifier: nn.Module) -> list[str]:
    """Copy a trained classifier's features and (convolutionalized) hidden layers into ``fcn``; return the keys set."""
    source = fcn_from_classifier(classifier, fcn.num_classes, fcn.variant, fcn.fuse)
    state = {k: v for k, v in source.state_dict().items() if k.startswith(("features.", "head."))}
    missing, unexpected = fcn.load_state_dict(state, strict=False)
    if unexpected:
        raise ValueError(f"the classifier does not match this FCN's backbone: unexpected {unexpected[:5]}")
    return sorted(state)


def backbone_spec(backbone: dict[str, Any] | None, in_channels: int, num_classes: int, image_size: Any) -> dict[str, Any]:
    """The classifier to build (registry name + kwargs), with shape defaults filled in."""
    spec = backbone or DEFAULT_BACKBONE
    if "name" not in spec:
        raise ValueError(f"FCN backbone must be {{'name': ..., 'kwargs': {{...}}}}, got {spec!r}")
    kwargs = {"in_channels": in_channels, "num_classes": num_classes, "image_size": image_size, **spec.get("kwargs", {})}
    return {"name": spec["name"], "kwargs": kwargs}


def fcn(
    in_channels: int = 3,
    num_classes: int = 2,
    image_size: int | Sequence[int] = 64,
    variant: str = "fcn8s",
    backbone: dict[str, Any] | None = None,
    fuse: str = "sum",
    learnable_upsampling: bool = True,
) -> FCN:
    """Build an FCN; ``backbone`` = ``{"name": "cnn", "kwargs": {...}}`` (its ``image_size``
    is the classifier's input size, which sets the convolutionalized kernel; default: ``image_size``)."""
    spec = backbone_spec(backbone, in_channels, num_classes, list(as_hw(image_size)))
    if spec["kwargs"]["in_channels"] != in_channels:
        raise ValueError(f"FCN backbone takes {spec['kwargs']['in_channels']}-channel images but in_channels={in_channels}")
    classifier = create_model(spec["name"], **spec["kwargs"])
    return fcn_from_classifier(classifier, num_classes, variant, fuse, learnable_upsampling)


def _variant(kwargs: dict[str, Any], variant: str) -> dict[str, Any]:
    if kwargs.get("variant", variant) != variant:
        raise ValueError(f"model {variant} cannot have variant={kwargs['variant']!r}; choose the model {kwargs['variant']} instead")
    return {**kwargs, "variant": variant}


@register_model("fcn32s")
def fcn32s(**kwargs: Any) -> FCN:
    """FCN-32s: the last stage's scores upsampled in one step."""
    return fcn(**_variant(kwargs, "fcn32s"))


@register_model("fcn16s")
def fcn16s(**kwargs: Any) -> FCN:
    """FCN-16s: plus a skip from the second-to-last pooling stage."""
    return fcn(**_variant(kwargs, "fcn16s"))


@register_model("fcn8s")
def fcn8s(**kwargs: Any) -> FCN:
    """FCN-8s: plus skips from the last two pooling stages before the last."""
    return fcn(**_variant(kwargs, "fcn8s"))
