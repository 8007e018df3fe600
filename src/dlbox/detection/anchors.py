"""Anchors from the training boxes (notes 3.12.1): k-means on (w, h) with distance ``1 - IoU``.

"Anchors are selected using k-means clustering on the bounding boxes of the
training set using IoU as metric": boxes are compared by shape only (as if they
shared a centre, :func:`dlbox.ops.wh_iou`), so a cluster is a common shape.
The published COCO anchors and the grouping by stride are in
:mod:`dlbox.ops.anchors` and re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from dlbox.ops.anchors import group_anchors, rescale_anchors, yolov3_anchors, yolov3_tiny_anchors
from dlbox.ops.boxes import valid_boxes, wh_iou

__all__ = [
    "AnchorFit",
    "box_sizes",
    "group_anchors",
    "kmeans_anchors",
    "mean_best_iou",
    "rescale_anchors",
    "yolov3_anchors",
    "yolov3_tiny_anchors",
]


@dataclass(frozen=True)
class AnchorFit:
    """The result of :func:`kmeans_anchors`."""

    anchors: Tensor  # (k, 2) widths and heights in pixels, sorted by area
    mean_iou: float  # mean over boxes of the IoU with their best anchor
    assignment: Tensor  # (N,) index of each box's anchor
    iterations: int
    converged: bool

    def grouped(self, strides: tuple[int, ...] = (32, 16, 8)) -> Tensor:
        """``(L, k / L, 2)`` anchors per stride, in ``strides`` order; the smallest go to the finest map."""
        return group_anchors(self.anchors, strides)


def box_sizes(boxes: Tensor, labels: Tensor | None = None) -> Tensor:
    """``(..., 4)`` xyxy boxes (and optional ``(...)`` labels, -1 = padding) -> ``(N, 2)`` sizes of the real boxes."""
    keep = valid_boxes(boxes)
    if labels is not None:
        keep &= labels >= 0
    b = boxes[keep]  # (N, 4)
    return torch.stack([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], dim=1).float()


def mean_best_iou(wh: Tensor, anchors: Tensor) -> float:
    """Mean over the ``(N, 2)`` sizes of the IoU with the best of the ``(K, 2)`` anchors."""
    return float(wh_iou(wh.float(), anchors.float()).max(dim=1).values.mean())


def _init_plus_plus(wh: Tensor, k: int, gen: torch.Generator) -> Tensor:
    """k-means++ seeding with the distance 1 - IoU: each next centre drawn proportionally to d^2."""
    centres = [wh[torch.randint(len(wh), (1,), generator=gen)]]
    for _ in range(1, k):
        d = 1.0 - wh_iou(wh, torch.cat(centres)).max(dim=1).values  # (N,) distance to the nearest centre
        weights = d.clamp(min=0) ** 2
        if float(weights.sum()) <= 0:
            raise ValueError(f"k-means needs at least k={k} distinct box shapes")
        centres.append(wh[torch.multinomial(weights, 1, generator=gen)])
    return torch.cat(centres)  # (k, 2)


def _lloyd(wh: Tensor, centres: Tensor, max_iter: int) -> tuple[Tensor, Tensor, int, bool]:
    """Lloyd's iterations from ``centres``: (centres (k, 2), assignment (N,), iterations, converged)."""
    k = len(centres)
    assignment = torch.full((len(wh),), -1, dtype=torch.long)
    for it in range(1, max_iter + 1):
        iou = wh_iou(wh, centres)  # (N, k)
        new = iou.argmax(dim=1)  # nearest centre: smallest d = 1 - IoU
        if torch.equal(new, assignment):
            return centres, assignment, it, True
        assignment = new
        counts = torch.bincount(assignment, minlength=k)  # (k,)
        sums = torch.zeros(k, 2, dtype=wh.dtype).index_add_(0, assignment, wh)
        empty = counts == 0
        centres = torch.where(empty[:, None], centres, sums / counts.clamp(min=1)[:, None])
        if bool(empty.any()):  # reseed empty clusters at the worst-fitted boxes
            worst = torch.argsort(iou.max(dim=1).values)[: int(empty.sum())]
            centres[empty] = wh[worst]
    return centres, assignment, max_iter, False


def kmeans_anchors(wh: Tensor, k: int = 9, seed: int = 0, n_init: int = 5, max_iter: int = 300) -> AnchorFit:
    """Cluster ``(N, 2)`` box sizes into ``k`` anchors with distance ``d = 1 - IoU`` (notes 3.12.1).

    Lloyd's algorithm: assign every box to the anchor of highest IoU, move each
    anchor to the mean size of its boxes, repeat until no box changes anchor.
    ``n_init`` seeded k-means++ starts (deterministic for a ``seed``); the one
    with the highest mean best IoU wins. An anchor left without boxes moves to
    the worst-fitted box. Returns anchors sorted by area.
    """
    if wh.ndim != 2 or wh.shape[1] != 2:
        raise ValueError(f"kmeans_anchors needs (N, 2) box sizes, got shape {tuple(wh.shape)}")
    if k < 1 or n_init < 1:
        raise ValueError(f"k and n_init must be positive, got k={k} n_init={n_init}")
    wh = wh.double()
    if not bool((wh > 0).all()) or not bool(torch.isfinite(wh).all()):
        raise ValueError("kmeans_anchors needs positive, finite widths and heights (drop padded or empty boxes first)")
    distinct = len(torch.unique(wh, dim=0))
    if distinct < k:
        raise ValueError(f"cannot fit k={k} anchors to {distinct} distinct box shape(s); lower k or add boxes")
    gen = torch.Generator().manual_seed(seed)
    best: tuple[float, Tensor, int, bool] | None = None
    for _ in range(n_init):
        centres, _, it, converged = _lloyd(wh, _init_plus_plus(wh, k, gen), max_iter)
        score = mean_best_iou(wh, centres)
        if best is None or score > best[0]:
            best = (score, centres, it, converged)
    assert best is not None
    score, centres, it, converged = best
    anchors = centres[torch.argsort(centres.prod(dim=1), stable=True)]  # (k, 2) by area
    assignment = wh_iou(wh, anchors).argmax(dim=1)
    return AnchorFit(anchors.float(), score, assignment, it, converged)
