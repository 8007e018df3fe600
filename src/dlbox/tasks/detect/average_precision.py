"""Mean average precision at one IoU threshold, batched: the cheap validation metric (``val_map50``).

The COCO protocol (as pycocotools and torchmetrics compute it, area range "all", up to 100 detections
per image), without Python loops over images or boxes:

1. matching, image by image and class by class: detections in decreasing score take the unmatched
   ground truth of their class with the highest IoU, if it is at least ``iou_threshold``. All images
   advance together, one detection rank per step (at most ``max_detections`` steps);
2. per class, every detection of every image in decreasing score: cumulative true and false positives
   give precision and recall; precision is made non-increasing from the right (the envelope) and read
   at the 101 recall points 0, 0.01, ..., 1 (0 past the last recall reached); AP is their mean;
3. mAP is the mean over the classes that have ground truths.

The tests check it against ``torchmetrics.detection.MeanAveragePrecision`` on random boxes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dlbox.detection import Detections
from dlbox.ops.boxes import batched_box_iou

RECALL_POINTS = 101


def match_by_rank(dets: Detections, boxes: Tensor, labels: Tensor, iou_threshold: float = 0.5) -> Tensor:
    """``(N, K)`` bool: detection ``k`` of image ``n`` is a true positive (COCO's greedy matching, per class)."""
    n, k = dets.labels.shape
    m = labels.shape[1]
    tp = torch.zeros(n, k, dtype=torch.bool)
    if k == 0 or m == 0:
        return tp
    order = torch.argsort(dets.scores.masked_fill(dets.labels < 0, -1.0), dim=1, descending=True, stable=True)  # (N, K)
    ranked_boxes = torch.gather(dets.boxes.float(), 1, order[..., None].expand(-1, -1, 4))
    ranked_labels = torch.gather(dets.labels, 1, order)
    iou = batched_box_iou(ranked_boxes, boxes.float())  # (N, K, M)
    same = (ranked_labels[:, :, None] == labels[:, None, :]) & (labels[:, None, :] >= 0) & (ranked_labels[:, :, None] >= 0)
    iou = iou.masked_fill(~same, -1.0)
    taken = torch.zeros(n, m, dtype=torch.bool)
    rows = torch.arange(n)
    hits = torch.zeros(n, k, dtype=torch.bool)
    for r in range(k):  # one rank for every image at once
        cand = iou[:, r, :].masked_fill(taken, -1.0)  # (N, M)
        best, j = cand.max(dim=1)
        hit = best >= min(iou_threshold, 1 - 1e-10)
        taken[rows[hit], j[hit]] = True
        hits[:, r] = hit
    tp.scatter_(1, order, hits)
    return tp


def average_precision(scores: Tensor, tp: Tensor, n_true: int) -> float:
    """AP of one class from all its detections (``scores``, ``tp`` flags) and its number of ground truths."""
    if n_true == 0:
        return -1.0
    if len(scores) == 0:
        return 0.0
    order = torch.argsort(scores, descending=True, stable=True)
    hits = tp[order].double()
    tps, fps = hits.cumsum(0), (1 - hits).cumsum(0)
    recall = tps / n_true
    precision = tps / (tps + fps)
    envelope = precision.flip(0).cummax(0).values.flip(0)  # best precision at this recall or beyond
    points = torch.linspace(0, 1, RECALL_POINTS, dtype=torch.float64)
    idx = torch.searchsorted(recall, points, side="left")  # first detection reaching each recall point
    reached = idx < len(recall)
    return float(torch.where(reached, envelope[idx.clamp(max=len(recall) - 1)], 0.0).mean())


def map_at_iou(dets: Detections, boxes: Tensor, labels: Tensor, num_classes: int, iou_threshold: float = 0.5) -> tuple[float, list[float]]:
    """mAP over the classes with ground truths, and AP per class (-1 for classes without any)."""
    tp = match_by_rank(dets, boxes, labels, iou_threshold)
    real = dets.labels >= 0
    scores, flags, classes = dets.scores[real].float(), tp[real], dets.labels[real]
    counts = torch.bincount(labels[labels >= 0], minlength=num_classes)
    per_class = [average_precision(scores[classes == c], flags[classes == c], int(counts[c])) for c in range(num_classes)]
    present = [ap for ap in per_class if ap >= 0]
    return (sum(present) / len(present) if present else 0.0), per_class
