"""From raw YOLOv3 outputs to detections: decode every scale, score, threshold, NMS (notes 3.12.1, 3.12.3).

A prediction's score for class ``c`` is ``objectness x p(c)``; since classes
are independent sigmoids (YOLOv3), one box may be reported for several classes.
Pairs above ``conf_threshold`` go through per-class, per-image NMS in one
``batched_nms`` call; each image keeps its ``max_detections`` best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from dlbox.detection.coder import decode_boxes
from dlbox.ops.boxes import cxcywh_to_xyxy
from dlbox.ops.nms import nms


@dataclass(frozen=True)
class Detections:
    """Per-image detections padded to the largest count ``K`` of the batch."""

    boxes: Tensor  # (B, K, 4) xyxy pixels, 0 in padding
    scores: Tensor  # (B, K) objectness x class probability, highest first, 0 in padding
    labels: Tensor  # (B, K) long class, -1 in padding
    counts: Tensor  # (B,) long number of real detections per image

    def per_image(self) -> list[tuple[Tensor, Tensor, Tensor]]:
        """``[(boxes (k_i, 4), scores (k_i,), labels (k_i,)), ...]`` without padding."""
        return [(self.boxes[i, :k], self.scores[i, :k], self.labels[i, :k]) for i, k in enumerate(self.counts.tolist())]


def decode_outputs(outputs: Sequence[Tensor], anchors: Tensor, strides: Sequence[int], coding: str = "yolov3") -> tuple[Tensor, Tensor, Tensor]:
    """Raw outputs (list of ``(B, A, H, W, 5 + C)``) -> every prediction of every scale (boxes by ``coding``).

    Returns ``boxes (B, N, 4)`` xyxy pixels, ``objectness (B, N)`` and
    ``class_probs (B, N, C)`` (sigmoids), with ``N = sum_l A H_l W_l`` in output order.
    """
    if not len(outputs) == len(strides) == anchors.shape[0]:
        raise ValueError(f"need one stride and anchor group per output: {len(outputs)} outputs, {len(strides)} strides, {anchors.shape[0]} anchor groups")
    boxes, obj, cls = [], [], []
    for p, anc, stride in zip(outputs, anchors, strides):
        b, c = p.shape[0], p.shape[-1] - 5
        boxes.append(cxcywh_to_xyxy(decode_boxes(p[..., :4], anc.to(p), stride, coding)).reshape(b, -1, 4))
        obj.append(torch.sigmoid(p[..., 4]).reshape(b, -1))
        cls.append(torch.sigmoid(p[..., 5:]).reshape(b, -1, c))
    return torch.cat(boxes, dim=1), torch.cat(obj, dim=1), torch.cat(cls, dim=1)


def select_detections(
    boxes: Tensor, objectness: Tensor, class_probs: Tensor,
    conf_threshold: float = 0.25, iou_threshold: float = 0.45, max_detections: int = 100,
) -> Detections:
    """Score, threshold and suppress decoded predictions ``(B, N, 4)``, ``(B, N)``, ``(B, N, C)``."""
    if not 0.0 <= conf_threshold <= 1.0 or max_detections < 1:
        raise ValueError(f"conf_threshold must lie in [0, 1] and max_detections be >= 1, got {conf_threshold}, {max_detections}")
    batch, num_classes = boxes.shape[0], class_probs.shape[-1]
    scores = objectness[..., None] * class_probs  # (B, N, C): objectness x p(c)
    bi, ni, ci = (scores > conf_threshold).nonzero(as_tuple=True)  # candidate (image, prediction, class)
    cand_scores = scores[bi, ni, ci]
    # notes 3.12.3, per class and per image: one batched call with group = image * C + class
    keep = nms(boxes[bi, ni], cand_scores, bi * num_classes + ci, iou_threshold)  # by score, descending
    keep = keep[torch.argsort(bi[keep], stable=True)]  # image by image, each still by score
    img = bi[keep]
    counts = torch.bincount(img, minlength=batch)  # (B,)
    rank = torch.arange(len(keep), device=boxes.device) - (torch.cumsum(counts, 0) - counts)[img]
    top = rank < max_detections
    keep, img, rank = keep[top], img[top], rank[top]
    counts = counts.clamp(max=max_detections)
    k = int(counts.max()) if batch else 0
    out_boxes = boxes.new_zeros(batch, k, 4)
    out_scores = scores.new_zeros(batch, k)
    out_labels = torch.full((batch, k), -1, dtype=torch.long, device=boxes.device)
    out_boxes[img, rank] = boxes[bi[keep], ni[keep]]
    out_scores[img, rank] = cand_scores[keep]
    out_labels[img, rank] = ci[keep]
    return Detections(out_boxes, out_scores, out_labels, counts)


def postprocess(
    outputs: Sequence[Tensor], anchors: Tensor, strides: Sequence[int],
    conf_threshold: float = 0.25, iou_threshold: float = 0.45, max_detections: int = 100, coding: str = "yolov3",
) -> Detections:
    """Raw outputs of every scale -> per-image detections (boxes in the network input's pixels)."""
    with torch.no_grad():
        boxes, obj, cls = decode_outputs(outputs, anchors, strides, coding)
        return select_detections(boxes, obj, cls, conf_threshold, iou_threshold, max_detections)
