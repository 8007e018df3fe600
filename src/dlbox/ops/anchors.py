"""Anchor boxes as data (notes 3.12.1): YOLOv3's published anchors and their grouping by stride.

Anchors are ``(K, 2)`` widths and heights in pixels. A detector with ``L``
output scales uses ``K / L`` anchors per scale, the smallest anchors on the
finest map (smallest stride). This lives in ``ops`` (not ``detection``) because
the model builders need the defaults and models may not import task packages;
fitting anchors to a dataset is :func:`dlbox.detection.anchors.kmeans_anchors`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

#: The image side the published anchors were chosen for.
REFERENCE_SIZE = 416
#: YOLOv3's nine COCO anchors (w, h) at 416x416 (Redmon & Farhadi 2018), by area.
YOLOV3_COCO_ANCHORS: tuple[tuple[int, int], ...] = (
    (10, 13), (16, 30), (33, 23), (30, 61), (62, 45), (59, 119), (116, 90), (156, 198), (373, 326),
)
#: YOLOv3-tiny's six COCO anchors (w, h) at 416x416.
YOLOV3_TINY_COCO_ANCHORS: tuple[tuple[int, int], ...] = ((10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319))


def _hw(image_size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(image_size, int):
        return image_size, image_size
    h, w = image_size
    return int(h), int(w)


def rescale_anchors(anchors: Tensor | Sequence[Sequence[float]], image_size: int | Sequence[int], reference: int = REFERENCE_SIZE) -> Tensor:
    """``(K, 2)`` anchors chosen at ``reference`` x ``reference`` -> the same relative shapes at ``image_size``."""
    a = torch.as_tensor(anchors, dtype=torch.float32)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"anchors must be a list of (w, h) pairs, got shape {tuple(a.shape)}")
    h, w = _hw(image_size)
    return a * torch.tensor([w / reference, h / reference])


def yolov3_anchors(image_size: int | Sequence[int] = REFERENCE_SIZE) -> Tensor:
    """YOLOv3's 9 COCO anchors ``(9, 2)`` rescaled from 416 to ``image_size``."""
    return rescale_anchors(YOLOV3_COCO_ANCHORS, image_size)


def yolov3_tiny_anchors(image_size: int | Sequence[int] = REFERENCE_SIZE) -> Tensor:
    """YOLOv3-tiny's 6 COCO anchors ``(6, 2)`` rescaled from 416 to ``image_size``."""
    return rescale_anchors(YOLOV3_TINY_COCO_ANCHORS, image_size)


def group_anchors(anchors: Tensor | Sequence[Sequence[float]], strides: Sequence[int]) -> Tensor:
    """``(K, 2)`` anchors -> ``(L, K / L, 2)`` aligned with ``strides``; smaller anchors go to smaller strides.

    With ``strides=(32, 16, 8)`` (YOLOv3's output order, coarse first) the three
    largest anchors come first: the 13x13 map at 416 predicts the largest objects.
    """
    a = torch.as_tensor(anchors, dtype=torch.float32)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"anchors must be a list of (w, h) pairs, got shape {tuple(a.shape)}")
    n_scales = len(strides)
    if n_scales == 0 or a.shape[0] % n_scales:
        raise ValueError(f"{a.shape[0]} anchors cannot be split evenly over {n_scales} strides {tuple(strides)}")
    by_area = a[torch.argsort(a.prod(dim=1), stable=True)].reshape(n_scales, -1, 2)  # (L, A, 2), small first
    rank = sorted(range(n_scales), key=lambda i: strides[i])  # rank[j] = index of the j-th smallest stride
    out = torch.empty_like(by_area)
    for j, i in enumerate(rank):
        out[i] = by_area[j]
    return out
