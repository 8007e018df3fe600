"""The detection step (notes 3.12.1): forward, target assignment, the chosen YOLOv3 loss, one optimizer step.

Target assignment follows ``detect.assign``: ``multi`` (the default: every anchor whose shape IoU with a box
reaches ``detect.assign_threshold`` is responsible for it, at the box centre's cell) or ``best`` (the notes'
rule, one anchor per box, available as ``assign=best``).

Every part of the loss (``box``, ``obj``, ``noobj``, ``cls``) is returned beside the total ``loss`` so
the loop logs each. Validation reports ``val_loss`` (the same loss, no augmentation) and ``val_map50``
(mAP at IoU 0.5 of the decoded, thresholded, NMS-ed predictions on the validation split, by the batched
:func:`~dlbox.tasks.detect.average_precision.map_at_iou`, which agrees with torchmetrics' COCO mAP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from dlbox.detection import (
    Detections, assign_targets, assign_targets_multi, assign_targets_neighbours, decode_outputs, select_detections, yolo_bce_loss, yolo_paper_loss,
)
from dlbox.engine.run import unwrap
from dlbox.engine.training import Run
from dlbox.tasks.detect.augment import augment_detection
from dlbox.tasks.detect.model_init import box_coding

LOSS_FUNCTIONS: dict[str, Callable[..., dict[str, Tensor]]] = {"bce": yolo_bce_loss, "paper": yolo_paper_loss}


def detection_loss(
    model: nn.Module, outputs: list[Tensor], boxes: Tensor, labels: Tensor, loss: str, ignore_threshold: float,
    assign: str = "best", assign_threshold: float = 0.5, obj_target: str = "one", weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> dict[str, Tensor]:
    """The parts of ``loss`` (``bce`` | ``paper``) for raw outputs ``[(B, A, H_l, W_l, 5 + C)]`` and padded ground truths.

    ``assign``: ``best`` (the notes' one positive per box, :func:`~dlbox.detection.assign.assign_targets`;
    the default of this function) | ``multi`` (also every anchor of shape IoU >= ``assign_threshold``,
    :func:`~dlbox.detection.assign.assign_targets_multi`) | ``neighbours`` (multi, also at the two cells next
    to the centre, :func:`~dlbox.detection.assign.assign_targets_neighbours`; the model must decode by
    ``yolov5``). ``obj_target`` (``one`` | ``iou``): the objectness target of a positive (bce; the paper loss keeps
    its target 1 whatever this says); ``weights``: the box, objectness and class weights (bce only).
    """
    net = unwrap(model)
    outputs = [o.float() for o in outputs]  # mixed precision: the loss in float32
    grids = [o.shape[2:4] for o in outputs]
    if assign == "best":
        targets = assign_targets(boxes, labels, net.anchors, net.strides, grids, ignore_threshold)
    elif assign == "multi":
        targets = assign_targets_multi(boxes, labels, net.anchors, net.strides, grids, ignore_threshold, assign_threshold=assign_threshold)
    elif assign == "neighbours":
        targets = assign_targets_neighbours(boxes, labels, net.anchors, net.strides, grids, ignore_threshold, assign_threshold=assign_threshold)
    else:
        raise ValueError(f"detect.assign {assign!r} is not valid; choose from best, multi, neighbours")
    coding = getattr(net, "box_coding", "yolov3")
    if coding != box_coding(assign):
        raise ValueError(f"detect.assign {assign!r} encodes targets by {box_coding(assign)!r} but the model decodes by {coding!r}")
    if loss == "bce":
        return yolo_bce_loss(outputs, targets, net.anchors, net.strides, *weights, coding=coding, obj_target=obj_target)
    if tuple(weights) != (1.0, 1.0, 1.0):  # the paper loss has its own (lambda_coord, lambda_noobj) and target 1
        raise ValueError(f"loss weights {tuple(weights)} apply to the bce loss only")
    return LOSS_FUNCTIONS[loss](outputs, targets, net.anchors, net.strides)


def configured_loss(model: nn.Module, outputs: list[Tensor], boxes: Tensor, labels: Tensor, opts: Any) -> dict[str, Tensor]:
    """:func:`detection_loss` with every choice taken from a ``detect`` config section ``opts``."""
    return detection_loss(model, outputs, boxes, labels, opts.loss, opts.ignore_threshold, opts.assign, opts.assign_threshold,
                          opts.obj_target, (opts.box_weight, opts.obj_weight, opts.cls_weight))


class DetectionStep:
    """One optimisation step of a YOLOv3 detector; ``validate`` uses the EMA weights when ``train.ema``."""

    def __init__(self, run: Run):
        self.run = run
        self.opts = run.cfg.detect
        self.augment = run.cfg.data.augment

    def train_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        run, model = self.run, self.run.model
        if not model.training:
            model.train()
        x = run.inputs(batch["image"])  # (B, C, H, W)
        boxes, labels = batch["boxes"].to(run.device), batch["box_labels"].to(run.device)  # (B, M, 4), (B, M)
        if self.augment:
            x, boxes, labels = augment_detection(x, boxes, labels)
            x = x.contiguous(memory_format=run.memory_format)
        parts = configured_loss(model, model(x), boxes, labels, self.opts)
        run.optimize(parts["total"])
        return {"loss": parts["total"].detach(), **{k: parts[k].detach() for k in ("box", "obj", "noobj", "cls")}}

    def validate(self) -> dict[str, float]:
        if len(self.run.val_loader) == 0:
            return {}
        from dlbox.tasks.detect.average_precision import map_at_iou

        dets, loss, boxes, labels = predict_split(self.run, self.run.val_loader, self.opts.eval_conf_threshold, with_loss=True)
        return {"val_loss": loss, "val_map50": map_at_iou(dets, boxes, labels, self.run.bundle.num_classes, 0.5)[0]}


@torch.no_grad()
def predict_split(run: Run, loader: Iterable[dict[str, Tensor]], conf_threshold: float, with_loss: bool = False) -> tuple[Detections, float, Tensor, Tensor]:
    """Detections of every image of ``loader`` (CPU), the mean loss per image (``with_loss``), and the ground truths."""
    from dlbox.tasks.detect.metrics import concat_detections

    model, opts = run.eval_model, run.cfg.detect
    model.eval()
    net = unwrap(model)
    found, gt_boxes, gt_labels = [], [], []
    total, count = 0.0, 0
    with run.fabric.autocast():
        for batch in loader:
            x = run.inputs(batch["image"])
            boxes, labels = batch["boxes"].to(run.device), batch["box_labels"].to(run.device)
            outputs = [o.float() for o in model(x)]
            if with_loss:
                total += float(configured_loss(model, outputs, boxes, labels, opts)["total"]) * len(x)
                count += len(x)
            found.append(_cpu(to_detections(net, outputs, conf_threshold, opts.iou_threshold, opts.max_detections, opts.multi_label)))
            gt_boxes.append(boxes.cpu())
            gt_labels.append(labels.cpu())
    return concat_detections(found), total / max(1, count), torch.cat(gt_boxes), torch.cat(gt_labels)


def _cpu(d: Detections) -> Detections:
    return Detections(d.boxes.cpu(), d.scores.cpu(), d.labels.cpu(), d.counts.cpu())


def to_detections(net: nn.Module, outputs: list[Tensor], conf_threshold: float, iou_threshold: float, max_detections: int,
                  multi_label: bool = False) -> Detections:
    """Raw outputs -> detections: decode every scale, score, threshold, NMS per class (notes 3.12.1, 3.12.3).

    Classes are independent sigmoids (YOLOv3), so one box may score for several classes; without
    ``multi_label`` each box keeps only its most probable class (one object, one label).
    """
    boxes, objectness, class_probs = decode_outputs([o.float() for o in outputs], net.anchors, net.strides, getattr(net, "box_coding", "yolov3"))
    if not multi_label:
        class_probs = class_probs * F.one_hot(class_probs.argmax(-1), class_probs.shape[-1])  # (B, N, C)
    return select_detections(boxes, objectness, class_probs, conf_threshold, iou_threshold, max_detections)


def detect(model: nn.Module, images: Tensor, conf_threshold: float, iou_threshold: float, max_detections: int,
           multi_label: bool = False, batch_size: int = 64) -> Detections:
    """A trained detector (eval mode) on ``images (N, C, H, W)`` -> detections in the images' pixels (CPU)."""
    from dlbox.tasks.detect.metrics import concat_detections

    net = unwrap(model).eval()
    device = next(net.parameters()).device
    parts: list[Any] = []
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            outputs = net(images[i : i + batch_size].to(device))
            parts.append(_cpu(to_detections(net, outputs, conf_threshold, iou_threshold, max_detections, multi_label)))
    return concat_detections(parts)
