"""Bounding-box operations (notes 3.12): formats, areas, IoU and IoU-based losses.

Boxes are ``(..., 4)`` float tensors. ``xyxy`` is ``(x1, y1, x2, y2)`` with
``x2 > x1``, ``y2 > y1``; ``xywh`` is ``(x1, y1, w, h)``; ``cxcywh`` is
``(cx, cy, w, h)``. Pairwise functions return ``(N, M)``; ``*_aligned``
functions compare box ``i`` with box ``i`` and return ``(...)``.
The fast paths are torchvision's kernels; :func:`iou_reference` is the notes'
formula written out in plain Python, the oracle the tests compare against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import torch
from torch import Tensor
from torchvision.ops import box_convert
from torchvision.ops import box_iou as _tv_box_iou
from torchvision.ops import complete_box_iou_loss, generalized_box_iou_loss

BoxFormat = Literal["xyxy", "xywh", "cxcywh"]
BOX_FORMATS: tuple[str, ...] = ("xyxy", "xywh", "cxcywh")


def _check_boxes(boxes: Tensor, name: str = "boxes") -> None:
    if boxes.shape[-1:] != (4,):
        raise ValueError(f"{name} must have shape (..., 4), got {tuple(boxes.shape)}")


def convert_boxes(boxes: Tensor, in_fmt: BoxFormat, out_fmt: BoxFormat) -> Tensor:
    """``(..., 4)`` boxes from ``in_fmt`` to ``out_fmt`` (any of :data:`BOX_FORMATS`)."""
    for fmt in (in_fmt, out_fmt):
        if fmt not in BOX_FORMATS:
            raise ValueError(f"unknown box format {fmt!r}; valid formats: {', '.join(BOX_FORMATS)}")
    _check_boxes(boxes)
    if in_fmt == out_fmt:
        return boxes.clone()
    flat = boxes.reshape(-1, 4)  # torchvision wants (N, 4)
    return box_convert(flat, in_fmt, out_fmt).reshape(boxes.shape)


def xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    """``(..., 4)`` corners -> centre and size."""
    return convert_boxes(boxes, "xyxy", "cxcywh")


def cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    """``(..., 4)`` centre and size -> corners."""
    return convert_boxes(boxes, "cxcywh", "xyxy")


def box_area(boxes: Tensor) -> Tensor:
    """``(..., 4)`` xyxy -> ``(...)`` areas (zero for inverted boxes)."""
    _check_boxes(boxes)
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)


def valid_boxes(boxes: Tensor) -> Tensor:
    """``(..., 4)`` xyxy -> ``(...)`` bool: finite with positive width and height."""
    _check_boxes(boxes)
    finite = torch.isfinite(boxes).all(dim=-1)
    return finite & (boxes[..., 2] > boxes[..., 0]) & (boxes[..., 3] > boxes[..., 1])


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise IoU of ``(N, 4)`` and ``(M, 4)`` xyxy boxes -> ``(N, M)`` (torchvision's kernel)."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    # notes 3.12: IoU(A, B) = |A ∩ B| / |A ∪ B|
    return _tv_box_iou(boxes1, boxes2)


def box_iou_aligned(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-9) -> Tensor:
    """Elementwise IoU of broadcastable ``(..., 4)`` xyxy boxes -> ``(...)``."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    lt = torch.maximum(boxes1[..., :2], boxes2[..., :2])
    rb = torch.minimum(boxes1[..., 2:], boxes2[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=-1)  # |A ∩ B|
    union = box_area(boxes1) + box_area(boxes2) - inter  # |A ∪ B|
    return inter / (union + eps)


def batched_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """IoU of every pair within each batch item: ``(B, N, 4)``, ``(B, M, 4)`` -> ``(B, N, M)``."""
    if boxes1.ndim != 3 or boxes2.ndim != 3 or boxes1.shape[0] != boxes2.shape[0]:
        raise ValueError(f"batched_box_iou needs (B, N, 4) and (B, M, 4), got {tuple(boxes1.shape)} and {tuple(boxes2.shape)}")
    return box_iou_aligned(boxes1[:, :, None, :], boxes2[:, None, :, :], eps=0.0)  # (B, N, M)


def wh_iou(wh1: Tensor, wh2: Tensor) -> Tensor:
    """IoU of boxes sharing a centre, from sizes alone: ``(N, 2)``, ``(M, 2)`` -> ``(N, M)``.

    Used to compare ground-truth shapes with anchors (notes 3.12.1: k-means with
    IoU as metric; the anchor with the highest IoU is responsible).
    """
    if wh1.shape[-1:] != (2,) or wh2.shape[-1:] != (2,):
        raise ValueError(f"wh_iou needs (N, 2) and (M, 2) sizes, got {tuple(wh1.shape)} and {tuple(wh2.shape)}")
    w1, h1 = wh1[:, None, 0], wh1[:, None, 1]  # (N, 1)
    w2, h2 = wh2[None, :, 0], wh2[None, :, 1]  # (1, M)
    inter = torch.minimum(w1, w2) * torch.minimum(h1, h2)  # centred boxes overlap in min(w) x min(h)
    return inter / (w1 * h1 + w2 * h2 - inter)


def giou_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Elementwise ``1 - GIoU`` of ``(..., 4)`` xyxy boxes -> ``(...)`` (torchvision)."""
    return _elementwise(generalized_box_iou_loss, pred, target)


def ciou_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Elementwise ``1 - CIoU`` (IoU, centre distance and aspect-ratio terms) of ``(..., 4)`` xyxy boxes."""
    return _elementwise(complete_box_iou_loss, pred, target)


def _elementwise(loss: Callable[..., Tensor], pred: Tensor, target: Tensor) -> Tensor:
    """A torchvision box loss of ``(N, 4)`` pairs applied to broadcast ``(..., 4)`` boxes -> ``(...)``."""
    _check_boxes(pred, "pred")
    _check_boxes(target, "target")
    pred, target = torch.broadcast_tensors(pred, target)
    out = loss(pred.reshape(-1, 4), target.reshape(-1, 4), reduction="none")  # (N,)
    return out.reshape(pred.shape[:-1])


def iou_reference(a: Sequence[float], b: Sequence[float]) -> float:
    """The notes' IoU for two xyxy boxes, written out: |A ∩ B| / |A ∪ B| (0 when the union is empty)."""
    ax1, ay1, ax2, ay2 = (float(v) for v in a)
    bx1, by1, bx2, by2 = (float(v) for v in b)
    inter_w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    inter_h = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = inter_w * inter_h  # |A ∩ B|
    area_a = max(0.0, ax2 - ax1) * max(0.0, ay2 - ay1)
    area_b = max(0.0, bx2 - bx1) * max(0.0, by2 - by1)
    union = area_a + area_b - inter  # |A ∪ B| = |A| + |B| - |A ∩ B|
    return inter / union if union > 0 else 0.0
