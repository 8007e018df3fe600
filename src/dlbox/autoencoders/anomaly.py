"""Anomaly detection by reconstruction error (notes 3.10.3).

An autoencoder trained on "normal" classes only reconstructs them well and
everything else (other classes, adversarially manipulated images) badly, so
the per-image reconstruction error is an anomaly score. The threshold is a
quantile of held-out *normal* errors (no anomaly is needed to choose it);
ROC-AUC measures the ranking independently of any threshold. The score itself
is :func:`dlbox.autoencoders.metrics.reconstruction_error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


def normal_class_indices(spec: Sequence[str | int] | None, class_names: Sequence[str]) -> list[int]:
    """Indices of the normal classes named by ``spec`` (names or indices); default: the first half."""
    names = list(class_names)
    if len(names) < 2:
        raise ValueError("anomaly detection needs at least two classes (normal and anomalous)")
    if not spec:
        return list(range(len(names) // 2))
    out = []
    for item in spec:
        text = str(item)
        if text in names:
            out.append(names.index(text))
        elif text.lstrip("-").isdigit() and 0 <= int(text) < len(names):
            out.append(int(text))
        else:
            raise ValueError(f"normal class {text!r} is not a class of this dataset; its classes are: {', '.join(names)}")
    out = sorted(set(out))
    if len(out) == len(names):
        raise ValueError("every class is marked normal; leave at least one class out as the anomalies")
    return out


def filter_classes(split: dict[str, torch.Tensor], classes: Sequence[int]) -> dict[str, torch.Tensor]:
    """The rows of ``split`` whose label is in ``classes``."""
    keep = torch.isin(split["label"], torch.as_tensor(list(classes), device=split["label"].device))
    return {k: v[keep] for k, v in split.items()}


def choose_threshold(normal_errors: torch.Tensor, quantile: float = 0.95) -> float:
    """The ``quantile`` of held-out normal errors: about ``1 - quantile`` of normal images get flagged."""
    if len(normal_errors) == 0:
        raise ValueError("no held-out normal images to choose a threshold from")
    return float(torch.quantile(normal_errors.double().cpu(), quantile))


def roc_auc(normal_scores: torch.Tensor, anomalous_scores: torch.Tensor) -> float | None:
    """Area under the ROC curve of ``score`` separating anomalies (positive) from normal images."""
    from sklearn.metrics import roc_auc_score

    if len(normal_scores) == 0 or len(anomalous_scores) == 0:
        return None
    y = torch.cat([torch.zeros(len(normal_scores)), torch.ones(len(anomalous_scores))]).numpy()
    s = torch.cat([normal_scores.double().cpu(), anomalous_scores.double().cpu()]).numpy()
    return float(roc_auc_score(y, s))


def detection_metrics(normal_scores: torch.Tensor, anomalous_scores: torch.Tensor, threshold: float) -> dict[str, Any]:
    """ROC-AUC and, at ``threshold``, the detection (true-positive) and false-alarm rates."""
    tp = int((anomalous_scores > threshold).sum())
    fp = int((normal_scores > threshold).sum())
    n_pos, n_neg = len(anomalous_scores), len(normal_scores)
    return {
        "roc_auc": roc_auc(normal_scores, anomalous_scores),
        "n_normal": n_neg,
        "n_anomalous": n_pos,
        "detection_rate": tp / n_pos if n_pos else None,
        "false_alarm_rate": fp / n_neg if n_neg else None,
        "precision": tp / (tp + fp) if tp + fp else None,
        "accuracy": (tp + n_neg - fp) / (n_pos + n_neg) if n_pos + n_neg else None,
        "mean_error_normal": float(normal_scores.mean()) if n_neg else None,
        "mean_error_anomalous": float(anomalous_scores.mean()) if n_pos else None,
    }
