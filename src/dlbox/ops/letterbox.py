"""Letterboxing: resize keeping the aspect ratio, pad to the network's input size, and undo it on boxes.

A detector sees every image at one size (416x416 for YOLOv3); squashing a
non-square image would distort the shapes its anchors describe, so the image is
scaled by the largest factor that fits and centred on a ``fill`` canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class Letterbox:
    """How an ``in_hw`` image was placed into an ``out_hw`` canvas: ``x' = x * scale_x + pad_x``."""

    in_hw: tuple[int, int]
    out_hw: tuple[int, int]
    scale_x: float
    scale_y: float
    pad_x: int
    pad_y: int


def _hw(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, int):
        size = (size, size)
    h, w = (int(v) for v in size)
    if h <= 0 or w <= 0:
        raise ValueError(f"letterbox size must be positive, got {size}")
    return h, w


def letterbox_params(in_hw: Sequence[int], size: int | Sequence[int]) -> Letterbox:
    """The placement of an ``in_hw`` image in a ``size`` canvas (no pixels touched)."""
    (h, w), (oh, ow) = _hw(tuple(in_hw)), _hw(size)
    scale = min(oh / h, ow / w)
    nh, nw = max(1, min(oh, round(h * scale))), max(1, min(ow, round(w * scale)))
    return Letterbox((h, w), (oh, ow), nw / w, nh / h, (ow - nw) // 2, (oh - nh) // 2)


def letterbox(images: Tensor, size: int | Sequence[int], fill: float = 0.5) -> tuple[Tensor, Letterbox]:
    """``(B, C, H, W)`` or ``(C, H, W)`` images -> the same batch at ``size`` with padding, and the placement."""
    if images.ndim not in (3, 4):
        raise ValueError(f"letterbox needs (C, H, W) or (B, C, H, W) images, got {tuple(images.shape)}")
    batch = images if images.ndim == 4 else images[None]
    lb = letterbox_params(batch.shape[-2:], size)
    nh, nw = round(lb.in_hw[0] * lb.scale_y), round(lb.in_hw[1] * lb.scale_x)
    resized = F.interpolate(batch, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)  # (B, C, nh, nw)
    out = torch.full((*batch.shape[:2], *lb.out_hw), fill, dtype=batch.dtype, device=batch.device)  # (B, C, oh, ow)
    out[..., lb.pad_y : lb.pad_y + nh, lb.pad_x : lb.pad_x + nw] = resized
    return (out if images.ndim == 4 else out[0]), lb


def letterbox_boxes(boxes: Tensor, lb: Letterbox) -> Tensor:
    """``(..., 4)`` xyxy boxes in the original image -> in the letterboxed canvas."""
    scale = boxes.new_tensor([lb.scale_x, lb.scale_y, lb.scale_x, lb.scale_y])
    shift = boxes.new_tensor([lb.pad_x, lb.pad_y, lb.pad_x, lb.pad_y])
    return boxes * scale + shift


def unletterbox_boxes(boxes: Tensor, lb: Letterbox, clip: bool = True) -> Tensor:
    """``(..., 4)`` xyxy boxes predicted on the canvas -> original image pixels (clipped to it by default)."""
    scale = boxes.new_tensor([lb.scale_x, lb.scale_y, lb.scale_x, lb.scale_y])
    shift = boxes.new_tensor([lb.pad_x, lb.pad_y, lb.pad_x, lb.pad_y])
    out = (boxes - shift) / scale
    if clip:
        h, w = lb.in_hw
        out = torch.stack(
            [out[..., 0].clamp(0, w), out[..., 1].clamp(0, h), out[..., 2].clamp(0, w), out[..., 3].clamp(0, h)], dim=-1
        )
    return out
