"""Detection metrics: mean average precision (torchmetrics, COCO protocol) and a detection confusion matrix.

Predictions and ground truths are padded tensors: :class:`dlbox.detection.Detections` for the
former, ``boxes (N, M, 4)`` and ``box_labels (N, M)`` (-1 = padding) for the latter.

- :func:`mean_ap`: ``torchmetrics.detection.MeanAveragePrecision`` (pycocotools backend): AP averaged
  over IoU thresholds 0.5:0.05:0.95 (``map``) and at IoU 0.5 (``map_50``); per class, and the
  101-point precision-recall curves at IoU 0.5.
- :func:`match_detections`: class-agnostic matching at IoU >= 0.5 (each prediction and each ground
  truth at most once, highest IoU first), giving the confusion matrix with a background row and column
  and the errors of each image (missed objects, false and misclassified detections).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from dlbox.detection import Detections
from dlbox.ops.boxes import batched_box_iou


def concat_detections(parts: list[Detections]) -> Detections:
    """Batches of detections (each padded to its own ``K``) as one, padded to the largest."""
    k = max((p.boxes.shape[1] for p in parts), default=0)

    def pad(t: Tensor, value: float) -> Tensor:
        return torch.nn.functional.pad(t, (0, 0, 0, k - t.shape[1]) if t.ndim == 3 else (0, k - t.shape[1]), value=value)

    return Detections(
        torch.cat([pad(p.boxes, 0.0) for p in parts]), torch.cat([pad(p.scores, 0.0) for p in parts]),
        torch.cat([pad(p.labels, -1) for p in parts]), torch.cat([p.counts for p in parts]),
    )


def above(dets: Detections, threshold: float) -> Detections:
    """Only the detections scoring at least ``threshold`` (they are sorted by score within each image)."""
    keep = (dets.scores >= threshold) & (dets.labels >= 0)
    return Detections(
        torch.where(keep[..., None], dets.boxes, 0.0), torch.where(keep, dets.scores, 0.0),
        torch.where(keep, dets.labels, -1), keep.sum(1),
    )


def _torchmetrics_inputs(dets: Detections, boxes: Tensor, labels: Tensor) -> tuple[list[dict[str, Tensor]], list[dict[str, Tensor]]]:
    preds = [{"boxes": b.float().cpu(), "scores": s.float().cpu(), "labels": lab.cpu()} for b, s, lab in dets.per_image()]
    keep = labels >= 0
    targets = [{"boxes": boxes[i][keep[i]].float().cpu(), "labels": labels[i][keep[i]].cpu()} for i in range(len(labels))]
    return preds, targets


def map50(dets: Detections, boxes: Tensor, labels: Tensor) -> float:
    """mAP at IoU 0.5 by torchmetrics (COCO's 101-point interpolation, classes averaged)."""
    from torchmetrics.detection import MeanAveragePrecision

    metric = MeanAveragePrecision(iou_thresholds=[0.5])
    metric.update(*_torchmetrics_inputs(dets, boxes, labels))
    return max(0.0, float(metric.compute()["map"]))


def mean_ap(dets: Detections, boxes: Tensor, labels: Tensor, class_names: list[str]) -> dict[str, Any]:
    """COCO mAP@0.5:0.95 and mAP@0.5, per-class AP (both), and per-class precision-recall curves at IoU 0.5."""
    from torchmetrics.detection import MeanAveragePrecision

    preds, targets = _torchmetrics_inputs(dets, boxes, labels)
    coco = MeanAveragePrecision(class_metrics=True, extended_summary=True)
    coco.update(preds, targets)
    r = coco.compute()
    classes = [int(c) for c in torch.atleast_1d(r["classes"]).tolist()]
    per_map = torch.atleast_1d(r["map_per_class"]).tolist()
    precision = r["precision"]  # (T=10, R=101, K, areas, max_dets): T[0] is IoU 0.5, area "all", 100 detections
    ap50 = []
    curves = {}
    recall = torch.linspace(0, 1, precision.shape[1])
    for j, c in enumerate(classes):
        p = precision[0, :, j, 0, -1]  # (101,)
        valid = p >= 0
        ap50.append(float(p[valid].mean()) if bool(valid.any()) else -1.0)
        curves[class_names[c]] = (recall[valid].tolist(), p[valid].tolist())
    per_class = {class_names[c]: {"ap50": ap50[j], "ap50_95": per_map[j]} for j, c in enumerate(classes)}
    return {
        "map50": max(0.0, float(r["map_50"])),
        "map50_95": max(0.0, float(r["map"])),
        "map75": float(r["map_75"]),
        "mar100": float(r["mar_100"]),
        "per_class": per_class,
        "pr_curves": curves,
    }


@dataclass(frozen=True)
class Matching:
    """The result of :func:`match_detections`."""

    confusion: Tensor  # (C + 1, C + 1) long: rows true class, columns predicted; index C = background
    errors: Tensor  # (N,) long per image: missed ground truths + unmatched detections + wrong classes
    matched_pred: Tensor  # (N, K) bool: the detection matched a ground truth
    matched_gt: Tensor  # (N, M) bool


def _first(key: Tensor) -> Tensor:
    """Positions of the first occurrence of each value of ``key`` (already in priority order)."""
    order = torch.argsort(key, stable=True)
    first = torch.ones_like(order, dtype=torch.bool)
    first[1:] = key[order][1:] != key[order][:-1]
    return order[first]


def match_detections(dets: Detections, boxes: Tensor, labels: Tensor, num_classes: int, iou_threshold: float = 0.5) -> Matching:
    """Match each image's detections to its ground truths, class-agnostically, pairs of highest IoU first."""
    n, k = dets.labels.shape
    m = labels.shape[1]
    pred_ok, gt_ok = dets.labels >= 0, labels >= 0  # (N, K), (N, M)
    iou = batched_box_iou(dets.boxes.float(), boxes.float()) if k and m else torch.zeros(n, k, m)  # (N, K, M)
    iou = iou.masked_fill(~(pred_ok[:, :, None] & gt_ok[:, None, :]), 0.0)
    img, pi, gi = (iou >= iou_threshold).nonzero(as_tuple=True)  # candidate pairs
    by_iou = torch.argsort(iou[img, pi, gi], descending=True, stable=True)
    img, pi, gi = img[by_iou], pi[by_iou], gi[by_iou]
    once = _first(img * k + pi)  # each detection to its best ground truth ...
    once = once[torch.argsort(once)]  # ... keeping the IoU order
    img, pi, gi = img[once], pi[once], gi[once]
    once = _first(img * m + gi)  # ... and each ground truth to one detection
    img, pi, gi = img[once], pi[once], gi[once]
    matched_pred = torch.zeros(n, k, dtype=torch.bool)
    matched_gt = torch.zeros(n, m, dtype=torch.bool)
    matched_pred[img, pi] = True
    matched_gt[img, gi] = True
    bg = num_classes
    true = torch.cat([labels[img, gi], labels[gt_ok & ~matched_gt], torch.full((int((pred_ok & ~matched_pred).sum()),), bg)])
    pred = torch.cat([dets.labels[img, pi], torch.full((int((gt_ok & ~matched_gt).sum()),), bg), dets.labels[pred_ok & ~matched_pred]])
    confusion = torch.bincount(true * (bg + 1) + pred, minlength=(bg + 1) ** 2).reshape(bg + 1, bg + 1)
    wrong = torch.zeros(n, dtype=torch.long).index_add_(0, img, (labels[img, gi] != dets.labels[img, pi]).long())
    errors = (gt_ok & ~matched_gt).sum(1) + (pred_ok & ~matched_pred).sum(1) + wrong
    return Matching(confusion, errors, matched_pred, matched_gt)
