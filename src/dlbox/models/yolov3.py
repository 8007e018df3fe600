"""YOLOv3 (notes 3.12.1, 3.12.2): a Darknet backbone, a multi-scale neck, one head per scale.

Each head predicts, per cell, ``A`` boxes of ``5 + C`` numbers
``(t_x, t_y, t_w, t_h, t_o, p_1..p_C)`` (logits; decoding is
:mod:`dlbox.detection.coder`). The output is a list over scales, coarsest first,
of ``(B, A, H_l, W_l, 5 + C)``; ``model.strides`` and the ``model.anchors``
buffer ``(L, A, 2)`` (pixels) say how to decode each, ``model.box_coding`` by which
formula (``yolov3``, the notes', or ``yolov5``: set by ``dlbox detect train`` for ``--assign neighbours``).

The four multi-scale approaches of notes 3.12.2 are data (:class:`MultiscalePlan`),
not subclasses: which input scale and which backbone stage feed each head, and
whether coarser features are injected back into finer ones:

- ``pyramid`` (featurized image pyramid): the image at 1x, 2x, 4x through the
  same backbone, each giving its last map (effective strides 32, 16, 8); slow.
- ``single`` (single feature map): only the last map, all anchors on it.
- ``hierarchy`` (pyramidal feature hierarchy): the stride 32, 16, 8 stages, each on its own.
- ``fpn`` (feature pyramid network, YOLOv3's, the default): the same stages,
  each coarser neck output reduced, upsampled and concatenated into the next finer.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.models.classifier import as_hw
from dlbox.models.darknet import Backbone, conv_unit, darknet53, darknet_tiny
from dlbox.models.registry import register_model
from dlbox.ops.anchors import group_anchors, yolov3_anchors, yolov3_tiny_anchors

MULTISCALE = ("pyramid", "single", "hierarchy", "fpn")
#: How the head's offsets are decoded: dlbox.detection.coder.CODINGS (models/ stays below detection/; a test keeps
#: the two equal). "yolov3": the notes' b = c + sigma(t); "yolov5": b = c + 2 sigma(t) - 0.5 (neighbour cells).
BOX_CODINGS = ("yolov3", "yolov5")
#: Per level, coarsest first: (convolutions in the neck, neck width / tapped stage's width); the last
#: entry repeats. YOLOv3: five alternating 1x1/3x3 convolutions at half the width; the head is a
#: 3x3 conv at twice the neck width then a 1x1 prediction.
YOLOV3_NECK: tuple[tuple[int, float], ...] = ((5, 0.5),)
#: YOLOv3-tiny: one 1x1 conv to a quarter width at 13x13; at 26x26 the concatenation goes straight to the head.
TINY_NECK: tuple[tuple[int, float], ...] = ((1, 0.25), (0, 0.5))


@dataclass(frozen=True)
class MultiscalePlan:
    """Per head (coarsest first): the input's upscale factor and the backbone stride tapped."""

    name: str
    image_scales: tuple[int, ...]
    tap_strides: tuple[int, ...]
    top_down: bool

    @property
    def strides(self) -> tuple[int, ...]:
        """Each head's stride relative to the original input."""
        return tuple(t // s for t, s in zip(self.tap_strides, self.image_scales))


def make_plan(multiscale: str, strides: Sequence[int]) -> MultiscalePlan:
    """The plan of a notes 3.12.2 approach for detection ``strides`` (descending, e.g. (32, 16, 8))."""
    strides = tuple(sorted(strides, reverse=True))
    top = strides[0]
    if multiscale == "fpn":
        return MultiscalePlan("fpn", (1,) * len(strides), strides, True)
    if multiscale == "hierarchy":
        return MultiscalePlan("hierarchy", (1,) * len(strides), strides, False)
    if multiscale == "single":
        return MultiscalePlan("single", (1,), (top,), False)
    if multiscale == "pyramid":
        return MultiscalePlan("pyramid", tuple(top // s for s in strides), (top,) * len(strides), False)
    raise ValueError(f"unknown multiscale approach {multiscale!r}; valid: {', '.join(MULTISCALE)}")


def _neck(c_in: int, c: int, convs: int) -> nn.Sequential:
    """Alternating 1x1 (c) and 3x3 (2c) convolutions, ``convs`` of them, starting and ending with 1x1."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for i in range(convs):
        k, c_out = (1, c) if i % 2 == 0 else (3, 2 * c)
        layers[f"conv{i + 1}"] = conv_unit(c_in, c_out, k)
        c_in = c_out
    return nn.Sequential(layers)


class YOLOv3(nn.Module):
    """``(B, C_in, H, W)`` -> list over scales of ``(B, A, H / s_l, W / s_l, 5 + num_classes)``."""

    def __init__(
        self, backbone: Backbone, plan: MultiscalePlan, anchors: torch.Tensor, num_classes: int,
        neck: Sequence[tuple[int, float]], box_coding: str = "yolov3",
    ):
        super().__init__()
        if box_coding not in BOX_CODINGS:
            raise ValueError(f"box_coding {box_coding!r} is not valid; choose from {', '.join(BOX_CODINGS)}")
        self.box_coding = box_coding  # how to decode the offsets (BOX_CODINGS)
        if anchors.ndim != 3 or anchors.shape[0] != len(plan.strides):
            raise ValueError(f"anchors must be grouped (L={len(plan.strides)}, A, 2), got {tuple(anchors.shape)}")
        self.features = backbone.features
        self.plan, self.multiscale = plan, plan.name
        self.strides: tuple[int, ...] = plan.strides
        self.num_classes = num_classes
        self.num_anchors = anchors.shape[1]
        self.register_buffer("anchors", anchors.float().clone())  # (L, A, 2) pixels, saved with the weights
        self._stage_of = {s: i for i, s in enumerate(backbone.strides)}  # last stage with each stride
        self.necks, self.laterals, self.heads = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        out = self.num_anchors * (5 + num_classes)
        c_prev = 0
        for lvl, tap in enumerate(plan.tap_strides):
            if tap not in self._stage_of:
                raise ValueError(f"the backbone has no stage of stride {tap}; strides: {backbone.strides}")
            convs, ratio = neck[min(lvl, len(neck) - 1)]
            c_tap = backbone.channels[self._stage_of[tap]]
            c = max(2, round(c_tap * ratio))
            c_in = c_tap
            if plan.top_down and lvl > 0:
                self.laterals.append(conv_unit(c_prev, c_prev // 2, 1))  # reduce before upsampling
                c_in += c_prev // 2
            self.necks.append(_neck(c_in, c, convs))
            c_neck = c if convs else c_in  # a neck without convolutions passes its input through
            head = nn.Sequential(OrderedDict(conv=conv_unit(c_neck, 2 * c, 3), pred=nn.Conv2d(2 * c, out, 1)))
            with torch.no_grad():  # objectness starts at p = 0.01: few false positives at first
                head.pred.bias.view(self.num_anchors, 5 + num_classes)[:, 4] = math.log(0.01 / 0.99)
            self.heads.append(head)
            c_prev = c_neck

    def _taps(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """Run the backbone once; the output of the last stage of every stride, by stride."""
        outs = []
        for stage in self.features:
            x = stage(x)
            outs.append(x)
        return {s: outs[i] for s, i in self._stage_of.items()}

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        top = max(self.plan.tap_strides)
        if x.shape[-2] % top or x.shape[-1] % top:
            raise ValueError(f"YOLOv3 input sides must be multiples of {top}, got {tuple(x.shape[-2:])}")
        feats = {f: self._taps(x if f == 1 else F.interpolate(x, scale_factor=f, mode="bilinear")) for f in set(self.plan.image_scales)}
        outputs, prev = [], None
        for lvl, (f, tap) in enumerate(zip(self.plan.image_scales, self.plan.tap_strides)):
            inp = feats[f][tap]  # (B, C_tap, H_l, W_l)
            if self.plan.top_down and prev is not None:
                up = F.interpolate(self.laterals[lvl - 1](prev), size=inp.shape[-2:], mode="nearest")
                inp = torch.cat([up, inp], dim=1)  # notes 3.12.2: inject the higher level back
            prev = self.necks[lvl](inp)
            p = self.heads[lvl](prev)  # (B, A * (5 + C), H_l, W_l)
            b, _, h, w = p.shape
            outputs.append(p.view(b, self.num_anchors, 5 + self.num_classes, h, w).permute(0, 1, 3, 4, 2).contiguous())
        return outputs


def _build(backbone: Backbone, default_anchors: torch.Tensor, strides: tuple[int, ...], num_classes: int,
           image_size: int | Sequence[int], anchors: Sequence[Sequence[float]] | None, multiscale: str,
           neck: Sequence[tuple[int, float]], box_coding: str) -> YOLOv3:
    h, w = as_hw(image_size)
    if h % strides[0] or w % strides[0]:
        raise ValueError(f"image_size must be a multiple of {strides[0]} per side, got {(h, w)}; e.g. {max(1, round(h / 32)) * 32}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    plan = make_plan(multiscale, strides)
    a = default_anchors if anchors is None else torch.as_tensor(anchors, dtype=torch.float32)
    return YOLOv3(backbone, plan, group_anchors(a, plan.strides), num_classes, neck, box_coding)


@register_model("yolov3")
def yolov3(in_channels: int = 3, num_classes: int = 80, image_size: int | Sequence[int] = 416,
           anchors: Sequence[Sequence[float]] | None = None, width: float = 1.0, depth: float = 1.0,
           multiscale: str = "fpn", box_coding: str = "yolov3") -> YOLOv3:
    """YOLOv3: Darknet-53, three scales (strides 32, 16, 8), 9 anchors (default: COCO's, rescaled to ``image_size``)."""
    return _build(darknet53(in_channels, width, depth), yolov3_anchors(as_hw(image_size)), (32, 16, 8),
                  num_classes, image_size, anchors, multiscale, YOLOV3_NECK, box_coding)


@register_model("yolov3-tiny")
def yolov3_tiny(in_channels: int = 3, num_classes: int = 80, image_size: int | Sequence[int] = 416,
                anchors: Sequence[Sequence[float]] | None = None, width: float = 1.0, depth: float = 1.0,
                multiscale: str = "fpn", box_coding: str = "yolov3") -> YOLOv3:
    """YOLOv3-tiny: the conv/max-pool backbone, two scales (strides 32, 16), 6 anchors (COCO's by default)."""
    return _build(darknet_tiny(in_channels, width, depth), yolov3_tiny_anchors(as_hw(image_size)), (32, 16),
                  num_classes, image_size, anchors, multiscale, TINY_NECK, box_coding)
