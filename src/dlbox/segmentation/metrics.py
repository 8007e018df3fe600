"""Segmentation metrics (notes 3.11): per-class IoU, mIoU and pixel accuracy from a confusion matrix.

The confusion matrix comes from torchmetrics (rows: true class, columns:
predicted; pixels whose truth is the ignore index are dropped). For class
``k``: ``IoU_k = C[k,k] / (sum_j C[k,j] + sum_i C[i,k] - C[k,k])``; a class
that neither occurs nor is predicted has no IoU (NaN) and is left out of the
mean. Pixel accuracy is ``trace(C) / sum(C)``.
"""

from __future__ import annotations

import math
from typing import Any

import torch


def confusion_matrix(preds: torch.Tensor, target: torch.Tensor, num_classes: int, ignore_index: int | None = 255) -> torch.Tensor:
    """``preds``, ``target`` ``(N, H, W)`` int -> ``(K, K)`` int64 counts (torchmetrics)."""
    from torchmetrics.functional.classification import multiclass_confusion_matrix

    return multiclass_confusion_matrix(preds.flatten(), target.flatten(), num_classes, ignore_index=ignore_index).long()


def iou_from_confusion(cm: torch.Tensor) -> torch.Tensor:
    """``(K, K)`` -> ``(K,)`` float IoU per class, NaN where the class is absent from truth and prediction."""
    cm = cm.double()
    tp = cm.diagonal()
    union = cm.sum(0) + cm.sum(1) - tp
    return torch.where(union > 0, tp / union.clamp(min=1), torch.full_like(tp, math.nan))


def mean_iou(cm: torch.Tensor) -> float:
    iou = iou_from_confusion(cm)
    present = ~iou.isnan()
    return float(iou[present].mean()) if bool(present.any()) else math.nan


def pixel_accuracy(cm: torch.Tensor) -> float:
    total = cm.sum()
    return float(cm.diagonal().sum() / total) if total > 0 else math.nan


def per_image_miou(preds: torch.Tensor, target: torch.Tensor, num_classes: int, ignore_index: int | None = 255) -> torch.Tensor:
    """``(N, H, W)`` predictions and truths -> ``(N,)`` mIoU of each image (one scatter, no Python loop)."""
    n, k = preds.shape[0], num_classes
    valid = target != ignore_index if ignore_index is not None else torch.ones_like(target, dtype=torch.bool)
    index = (torch.arange(n, device=preds.device)[:, None, None] * k * k + target.clamp(0, k - 1) * k + preds.clamp(0, k - 1))
    counts = torch.zeros(n * k * k, dtype=torch.long, device=preds.device)
    counts.scatter_add_(0, index[valid], torch.ones_like(index[valid]))
    cm = counts.view(n, k, k).double()
    tp = cm.diagonal(dim1=1, dim2=2)
    union = cm.sum(1) + cm.sum(2) - tp
    iou = tp / union.clamp(min=1)
    present = union > 0
    return (iou * present).sum(1) / present.sum(1).clamp(min=1)


def segmentation_report(cm: torch.Tensor, class_names: list[str]) -> dict[str, Any]:
    """mIoU, pixel accuracy and per-class IoU / true pixels / predicted pixels; the confusion matrix."""
    iou = iou_from_confusion(cm)
    cm = cm.cpu()
    return {
        "miou": mean_iou(cm),
        "pixel_acc": pixel_accuracy(cm),
        "pixels": int(cm.sum()),
        "per_class": {
            name: {
                "iou": None if math.isnan(float(iou[i])) else float(iou[i]),
                "pixels": int(cm[i].sum()),
                "predicted": int(cm[:, i].sum()),
            }
            for i, name in enumerate(class_names)
        },
        "confusion_matrix": cm.tolist(),
    }
