"""Classification metrics from logits: accuracy, per-class precision/recall, confusion matrix (torchmetrics)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def classification_report(logits: torch.Tensor, labels: torch.Tensor, class_names: list[str]) -> dict[str, Any]:
    """``logits (N, K)``, ``labels (N,)`` -> accuracy, loss, per-class precision/recall/support, confusion."""
    from torchmetrics.functional.classification import (
        multiclass_confusion_matrix,
        multiclass_precision,
        multiclass_recall,
    )

    k = len(class_names)
    preds = logits.argmax(1)
    precision = multiclass_precision(preds, labels, num_classes=k, average=None, zero_division=0)
    recall = multiclass_recall(preds, labels, num_classes=k, average=None, zero_division=0)
    confusion = multiclass_confusion_matrix(preds, labels, num_classes=k)
    support = torch.bincount(labels, minlength=k)
    return {
        "accuracy": float((preds == labels).float().mean()),
        "loss": float(F.cross_entropy(logits.float(), labels)),
        "n": int(labels.numel()),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "support": int(support[i])}
            for i, name in enumerate(class_names)
        },
        "confusion_matrix": confusion.cpu().tolist(),
    }
