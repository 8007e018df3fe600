"""``dlbox detect train``: the run configuration (saved as ``config.yaml`` in the run directory)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlbox.config import DataConfig, FabricConfig, ModelConfig, OptimConfig, TrainConfig, TrainRunConfig

LOSSES = ("bce", "paper")  # detection.loss: yolo_bce_loss | yolo_paper_loss (notes 3.12.1)
MULTISCALE = ("fpn", "hierarchy", "single", "pyramid")  # notes 3.12.2 (models.yolov3.MULTISCALE)
ASSIGNMENTS = ("best", "multi", "neighbours")  # detection.assign: assign_targets | assign_targets_multi | assign_targets_neighbours
OBJ_TARGETS = ("one", "iou")  # detection.loss.OBJ_TARGETS: objectness target of a responsible prediction (bce loss)


@dataclass
class DetectOptions:
    """What is specific to detection: the loss, the multi-scale approach, anchors, thresholds, scenes."""

    loss: str = "bce"  # bce: 1 - CIoU + BCE (YOLOv3 as trained) | paper: the notes' squared errors
    multiscale: str = "fpn"  # fpn | hierarchy | single | pyramid (notes 3.12.2)
    anchors: list[list[float]] | None = None  # (w, h) pixels; None: k-means on the training boxes (notes 3.12.1)
    conf_threshold: float = 0.25  # objectness x class probability kept in predictions, confusion matrix, worst images
    eval_conf_threshold: float = 0.01  # the same, for mAP (low: the precision-recall curve needs the weak detections)
    iou_threshold: float = 0.45  # NMS (notes 3.12.3)
    max_detections: int = 100  # per image, after NMS
    multi_label: bool = False  # a box may be reported for every class scoring above the threshold (else its best only)
    ignore_threshold: float = 0.5  # predictions overlapping a ground truth this much get no objectness penalty
    # multi (default): besides the best anchor, every anchor of any scale with shape IoU >= assign_threshold is
    # responsible, at the cell holding the box centre at that scale | best: the notes' rule (3.12.1), one positive
    # per box. On the 128x128 shapes benchmark files, 3 min on 2 CPU cores, equal steps, 2 seeds: mAP@0.5:0.95
    # 0.714 / 0.658 with best, 0.767 / 0.718 with multi at 0.3, 0.804 / 0.776 at 0.5, 0.807 / 0.775 at 0.7.
    # neighbours (YOLOv5: multi, also at the two cells nearest the centre, decoded b_x = c_x + 2 sigma(t_x) - 0.5):
    # 0.767 against multi's 0.776 (1,100 scenes, 552 steps, 1 thread, seed 0), and fewer steps per second.
    assign: str = "multi"
    assign_threshold: float = 0.5  # detect.assign=multi | neighbours
    # iou (default): the objectness target of a responsible prediction is the IoU of its decoded box (YOLOv5), so
    # scores rank boxes by fit | one: 1 (YOLOv3). loss=bce only (the notes' loss, loss=paper, keeps its target 1).
    # Shapes, 1,100 scenes, 552 steps, 1 thread, seeds 0 / 1, mAP@0.5:0.95: 0.786 / 0.759 with iou, 0.776 / 0.749 with one.
    obj_target: str = "iou"
    # loss=bce: total = box_weight * box + obj_weight * (obj + noobj) + cls_weight * cls (each a sum per image)
    box_weight: float = 1.0
    obj_weight: float = 1.0
    cls_weight: float = 1.0
    on_bad_label: str = "fail"  # skip | fail: a bad annotation in a dataset file
    min_objects: int = 1  # generated shapes scenes: objects per scene
    max_objects: int = 6


@dataclass
class DetectConfig(TrainRunConfig):
    """``dlbox detect train``: the shared sections (with detection defaults) plus ``detect``.

    Defaults (sized for 2 CPU cores, under 3 minutes): 2,400 shapes scenes of 128x128 with 1-6 objects of
    3 kinds; YOLOv3 at an eighth of the width and a third of the depth (0.6 M parameters) with channels-last
    convolutions; every anchor of shape IoU >= 0.5 responsible for a box (``detect.assign = "multi"``; the notes'
    rule, one anchor per box, is available as ``assign=best``); BCE + CIoU loss with the IoU of each responsible
    box as its objectness target (``detect.obj_target = "iou"``; YOLOv3's target 1 is ``one``); box-aware
    augmentation; 4 epochs of batch 16 with a one-cycle AdamW schedule peaking at 8e-3, stopped after 140 s of
    training in any case; bf16 autocast where the CPU runs bf16 natively (``fabric.precision = "auto"``, 32-bit
    elsewhere).

    Measured (1,100 shapes scenes with 1-4 objects, 552 steps, 1 thread, seeds 0 / 1, test mAP@0.5:0.95): the
    earlier defaults (target 1, lr 4e-3, fp32) 0.776 / 0.749; objectness target IoU 0.786 / 0.759; lr 8e-3
    0.786 / 0.771; bf16 0.779 (seed 0); the three together 0.809 (seed 0).
    """

    data: DataConfig = field(default_factory=lambda: DataConfig(name="shapes", image_size=128, num_samples=2400, augment=True, val_fraction=0.1, test_fraction=0.1))
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="yolov3", kwargs={"width": 0.125, "depth": 0.34}))
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(optimizer="adamw", lr=8e-3, weight_decay=5e-4))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=4, batch_size=16, eval_batch_size=64, max_time=140.0, monitor="val_map50"))
    fabric: FabricConfig = field(default_factory=lambda: FabricConfig(channels_last=True, precision="auto"))
    detect: DetectOptions = field(default_factory=DetectOptions)
