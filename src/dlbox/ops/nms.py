"""Non-maximum suppression (notes 3.12.3), per class.

:func:`nms_reference` follows the notes step by step in plain Python;
:func:`nms` is the fast path on ``torchvision.ops.batched_nms``. Both return the
indices of the kept boxes, highest score first, and suppress a box when its IoU
with a kept box of the same class is strictly greater than the threshold.
The fast path compares a float32 IoU, so an IoU exactly equal to a threshold
that float32 cannot represent (0.2 = 55/275) may round above it and be
suppressed there but not in the reference.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchvision.ops import batched_nms

from dlbox.ops.boxes import iou_reference


def _check(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> None:
    n = boxes.shape[0]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"nms needs boxes of shape (N, 4), got {tuple(boxes.shape)}")
    if scores.shape != (n,) or labels.shape != (n,):
        raise ValueError(f"nms needs scores and labels of shape ({n},), got {tuple(scores.shape)} and {tuple(labels.shape)}")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must lie in [0, 1], got {iou_threshold}")


def nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> Tensor:
    """Per-class NMS of ``(N, 4)`` xyxy boxes with ``(N,)`` scores and labels -> kept indices ``(K,)``."""
    _check(boxes, scores, labels, iou_threshold)
    return batched_nms(boxes.float(), scores.float(), labels, iou_threshold)


def nms_reference(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> Tensor:
    """The notes' algorithm, one class at a time, in plain Python (slow; the tests' oracle)."""
    _check(boxes, scores, labels, iou_threshold)
    box_list, score_list, label_list = boxes.tolist(), scores.tolist(), labels.tolist()
    kept: list[int] = []
    for c in sorted(set(label_list)):
        # notes 3.12.3 (1): sort BB_c according to the score
        bb_c = sorted((i for i, lab in enumerate(label_list) if lab == c), key=lambda i: -score_list[i])
        while bb_c:  # (2) while BB_c is not empty
            p = bb_c.pop(0)  # (a) pop the first box p
            kept.append(p)  # (b) p is a true prediction
            # (c) remove from BB_c all boxes s with IoU(p, s) > t
            bb_c = [s for s in bb_c if not iou_reference(box_list[p], box_list[s]) > iou_threshold]
    kept.sort(key=lambda i: -score_list[i])
    return torch.tensor(kept, dtype=torch.long)
