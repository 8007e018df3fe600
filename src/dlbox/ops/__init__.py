"""Pure, typed tensor operations (torchvision ``ops`` style): boxes, NMS, letterboxing, anchors as data."""

from dlbox.ops.anchors import (
    YOLOV3_COCO_ANCHORS,
    YOLOV3_TINY_COCO_ANCHORS,
    group_anchors,
    rescale_anchors,
    yolov3_anchors,
    yolov3_tiny_anchors,
)
from dlbox.ops.boxes import (
    BOX_FORMATS,
    batched_box_iou,
    box_area,
    box_iou,
    box_iou_aligned,
    ciou_loss,
    convert_boxes,
    cxcywh_to_xyxy,
    giou_loss,
    iou_reference,
    valid_boxes,
    wh_iou,
    xyxy_to_cxcywh,
)
from dlbox.ops.letterbox import Letterbox, letterbox, letterbox_boxes, letterbox_params, unletterbox_boxes
from dlbox.ops.nms import nms, nms_reference

__all__ = [
    "YOLOV3_COCO_ANCHORS",
    "YOLOV3_TINY_COCO_ANCHORS",
    "group_anchors",
    "rescale_anchors",
    "yolov3_anchors",
    "yolov3_tiny_anchors",
    "BOX_FORMATS",
    "Letterbox",
    "batched_box_iou",
    "box_area",
    "box_iou",
    "box_iou_aligned",
    "ciou_loss",
    "convert_boxes",
    "cxcywh_to_xyxy",
    "giou_loss",
    "iou_reference",
    "letterbox",
    "letterbox_boxes",
    "letterbox_params",
    "nms",
    "nms_reference",
    "unletterbox_boxes",
    "valid_boxes",
    "wh_iou",
    "xyxy_to_cxcywh",
]
