"""YOLOv3 losses: the notes' squared-error loss and the common BCE + IoU-loss variant.

Both take the raw outputs (a list over scales of ``(B, A, H, W, 5 + C)``:
``t_x, t_y, t_w, t_h, t_o`` then ``C`` class logits) with the targets of
:func:`dlbox.detection.assign.assign_targets`, and return a dict with the parts
``box``, ``obj`` (responsible predictions), ``noobj`` (the rest, minus the
ignored ones), ``cls`` and their weighted ``total``. Every part is a sum over
predictions, averaged over the images of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from dlbox.detection.assign import ScaleTargets
from dlbox.detection.coder import decode_boxes
from dlbox.ops.boxes import box_iou_aligned, ciou_loss, cxcywh_to_xyxy

#: The objectness target of a responsible prediction: 1 (YOLOv3) | the IoU of its decoded box (YOLOv5)
OBJ_TARGETS = ("one", "iou")


def _check(outputs: Sequence[Tensor], targets: Sequence[ScaleTargets], anchors: Tensor, strides: Sequence[int]) -> int:
    if not len(outputs) == len(targets) == len(strides) == anchors.shape[0]:
        raise ValueError(
            f"need one target set, stride and anchor group per output: {len(outputs)} outputs, "
            f"{len(targets)} targets, {len(strides)} strides, {anchors.shape[0]} anchor groups"
        )
    num_classes = outputs[0].shape[-1] - 5
    for lvl, (p, t) in enumerate(zip(outputs, targets)):
        if p.ndim != 5 or p.shape[:4] != t.obj.shape or p.shape[-1] != 5 + num_classes:
            raise ValueError(f"output {lvl} has shape {tuple(p.shape)}; its targets expect {(*t.obj.shape, 5 + num_classes)}")
        if bool((t.labels >= num_classes).any()):
            raise ValueError(f"a ground-truth label is >= num_classes={num_classes} (labels must be 0..{num_classes - 1})")
    return num_classes


def _one_hot(labels: Tensor, num_classes: int, dtype: torch.dtype) -> Tensor:
    return F.one_hot(labels, num_classes).to(dtype)  # (N, C)


def yolo_paper_loss(
    outputs: Sequence[Tensor], targets: Sequence[ScaleTargets], anchors: Tensor, strides: Sequence[int],
    lambda_coord: float = 5.0, lambda_noobj: float = 0.5,
) -> dict[str, Tensor]:
    """The notes' loss (3.12.1): squared errors everywhere, classes by sigmoid.

    Box terms of responsible predictions: ``x, y`` are the centre's offsets in
    its cell (``sigma(t_x)``), ``w, h`` the box size as a fraction of the image
    (``p_w e^{t_w} / image width``) under a square root. Objectness ``C = sigma(t_o)``
    with target 1 for responsible predictions, 0 for the others (weighted by
    ``lambda_noobj``; the ignored ones not at all). Classes: ``(sigma(p_c) - 1[c = label])^2``
    per responsible prediction (the notes' per-cell 1_i^obj, here per anchor).
    """
    num_classes = _check(outputs, targets, anchors, strides)
    batch = outputs[0].shape[0]
    parts = {k: outputs[0].new_zeros(()) for k in ("box", "obj", "noobj", "cls")}
    for p, t, anc, stride in zip(outputs, targets, anchors, strides):
        h, w = p.shape[2], p.shape[3]
        image_wh = p.new_tensor([w * stride, h * stride])
        obj = t.obj
        pred, idx = p[obj], obj.nonzero()  # (N, 5 + C), (N, 4) rows (b, a, c_y, c_x)
        gt = t.boxes[obj].to(p)  # (N, 4) xyxy pixels
        xy = torch.sigmoid(pred[:, :2])  # the centre's offset in its cell
        xy_hat = (gt[:, :2] + gt[:, 2:]) / 2 / stride - idx[:, [3, 2]].to(p)
        wh = anc.to(p)[idx[:, 1]] * torch.exp(pred[:, 2:4]) / image_wh  # b_w = p_w e^{t_w}, as a fraction of the image
        wh_hat = (gt[:, 2:] - gt[:, :2]) / image_wh
        # notes 3.12.1: L_loc = lambda_coord sum 1^obj ((x - x^)^2 + (y - y^)^2 + (sqrt w - sqrt w^)^2 + (sqrt h - sqrt h^)^2)
        parts["box"] = parts["box"] + lambda_coord * (((xy - xy_hat) ** 2).sum() + ((wh.sqrt() - wh_hat.sqrt()) ** 2).sum())
        conf = torch.sigmoid(p[..., 4])  # (B, A, H, W)
        # notes 3.12.1: (1^obj + lambda_noobj (1 - 1^obj)) (C - C^)^2, ignored predictions weighted 0
        parts["obj"] = parts["obj"] + ((conf[obj] - 1) ** 2).sum()
        parts["noobj"] = parts["noobj"] + lambda_noobj * (conf[~obj & ~t.ignore] ** 2).sum()
        # notes 3.12.1: sum 1^obj sum_c (p(c) - p^(c))^2, p(c) by a sigmoid (YOLOv3)
        hot = _one_hot(t.labels[obj], num_classes, p.dtype)
        parts["cls"] = parts["cls"] + ((torch.sigmoid(pred[:, 5:]) - hot) ** 2).sum()
    parts = {k: v / batch for k, v in parts.items()}
    parts["total"] = parts["box"] + parts["obj"] + parts["noobj"] + parts["cls"]
    return parts


def yolo_bce_loss(
    outputs: Sequence[Tensor], targets: Sequence[ScaleTargets], anchors: Tensor, strides: Sequence[int],
    box_weight: float = 1.0, obj_weight: float = 1.0, cls_weight: float = 1.0, coding: str = "yolov3",
    obj_target: str = "one",
) -> dict[str, Tensor]:
    """YOLOv3 as usually trained: ``1 - CIoU`` on decoded boxes, BCE on objectness and classes.

    Objectness: BCE with target 1 for responsible predictions (``obj_target="iou"``: the IoU of
    the predicted box with its ground truth, detached and clipped at 0, as YOLOv5 does, so that the
    score ranks boxes by how well they fit), 0 for the rest except ignored ones (``noobj``, weighted
    by ``obj_weight`` too). Classes: independent BCE per class (sigmoid, notes 3.12.1) for
    responsible predictions. ``coding``: how the offsets decode (:data:`dlbox.detection.coder.CODINGS`).
    """
    if obj_target not in OBJ_TARGETS:
        raise ValueError(f"obj_target {obj_target!r} is not valid; choose from {', '.join(OBJ_TARGETS)}")
    num_classes = _check(outputs, targets, anchors, strides)
    batch = outputs[0].shape[0]
    parts = {k: outputs[0].new_zeros(()) for k in ("box", "obj", "noobj", "cls")}
    for p, t, anc, stride in zip(outputs, targets, anchors, strides):
        obj = t.obj
        boxes = cxcywh_to_xyxy(decode_boxes(p[..., :4], anc.to(p), stride, coding))  # (B, A, H, W, 4)
        pred_boxes, gt_boxes = boxes[obj], t.boxes[obj].to(p)
        parts["box"] = parts["box"] + ciou_loss(pred_boxes, gt_boxes).sum()
        logit = p[..., 4]
        if obj_target == "iou":  # YOLOv5: the objectness target of a positive is its box's IoU (no gradient through it)
            target = box_iou_aligned(pred_boxes.detach(), gt_boxes).clamp(min=0)
        else:
            target = torch.ones_like(logit[obj])
        parts["obj"] = parts["obj"] + F.binary_cross_entropy_with_logits(logit[obj], target, reduction="sum")
        neg = logit[~obj & ~t.ignore]
        parts["noobj"] = parts["noobj"] + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg), reduction="sum")
        hot = _one_hot(t.labels[obj], num_classes, p.dtype)
        parts["cls"] = parts["cls"] + F.binary_cross_entropy_with_logits(p[obj][:, 5:], hot, reduction="sum")
    parts = {k: v / batch for k, v in parts.items()}
    parts["total"] = box_weight * parts["box"] + obj_weight * (parts["obj"] + parts["noobj"]) + cls_weight * parts["cls"]
    return parts
