"""Object detection (notes 3.12): anchors, box coding, target assignment, YOLOv3 losses, postprocessing.

Pure functions over tensors; the model is :mod:`dlbox.models.yolov3`, box and
NMS operations are in :mod:`dlbox.ops`. One training step::

    outputs = model(images)                                   # [(B, A, H_l, W_l, 5 + C)] coarsest first
    targets = assign_targets(boxes, labels, model.anchors, model.strides,
                             [o.shape[2:4] for o in outputs])  # boxes (B, M, 4) xyxy px, labels (B, M) -1 padded
    parts = yolo_bce_loss(outputs, targets, model.anchors, model.strides)  # or yolo_paper_loss
    parts["total"].backward()

and prediction: ``postprocess(model(images), model.anchors, model.strides)``.
"""

from dlbox.detection.anchors import AnchorFit, box_sizes, kmeans_anchors, mean_best_iou
from dlbox.detection.assign import ScaleTargets, assign_targets, assign_targets_multi, assign_targets_neighbours
from dlbox.detection.coder import CODINGS, anchor_boxes, cell_grid, decode_boxes, encode_boxes
from dlbox.detection.loss import yolo_bce_loss, yolo_paper_loss
from dlbox.detection.postprocess import Detections, decode_outputs, postprocess, select_detections

__all__ = [
    "CODINGS",
    "AnchorFit",
    "Detections",
    "ScaleTargets",
    "anchor_boxes",
    "assign_targets",
    "assign_targets_multi",
    "assign_targets_neighbours",
    "box_sizes",
    "cell_grid",
    "decode_boxes",
    "decode_outputs",
    "encode_boxes",
    "kmeans_anchors",
    "mean_best_iou",
    "postprocess",
    "select_detections",
    "yolo_bce_loss",
    "yolo_paper_loss",
]
