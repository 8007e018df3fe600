"""``dlbox detect train``: the YOLOv3 detection recipe for the one training run (:mod:`dlbox.engine.training`).

Data (:mod:`~dlbox.tasks.detect.data`), anchors by k-means on the training boxes and the optional darknet
backbone (:mod:`~dlbox.tasks.detect.model_init`), the step (:mod:`~dlbox.tasks.detect.step`; targets by
``detect.assign = "multi"``, every anchor of shape IoU >= 0.5 with a box; the notes' rule available as
``assign=best``; objectness targets by ``detect.obj_target = "iou"``), and at the
end the test report (:mod:`~dlbox.tasks.detect.report`): mAP@0.5 and mAP@0.5:0.95, per-class AP,
precision-recall curves, the confusion matrix, the worst images and inference time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlbox.engine.training import Recipe, Run
from dlbox.tasks.detect.config import ASSIGNMENTS, LOSSES, MULTISCALE, OBJ_TARGETS, DetectConfig

# Shared fields a detection run does not use (setting one is an error; the CLI hides their options):
UNUSED = (
    "data.train_per_class",  # scenes hold several objects: there is no per-class subset
    "data.on_bad_image",  # bad annotations and images follow detect.on_bad_label
    "data.in_memory_limit_mb",  # detection datasets are held in memory
    "data.num_workers",  # in-memory splits are batched on the device, no workers
    "optim.backbone_lr_mult",  # the backbone from --init trains at the same rate as the heads
)


def train(cfg: DetectConfig | None = None, resume: str | Path | None = None, changes: dict[str, Any] | None = None) -> Path:
    """Train a detector as ``cfg`` says (or continue ``resume``); return the complete run directory."""
    from dlbox.engine.training import train as run_training

    return run_training(RECIPE, cfg or DetectConfig(), resume, changes)


def check(cfg: DetectConfig) -> None:
    o = cfg.detect
    choices = [("--loss (detect.loss)", o.loss, LOSSES), ("--multiscale (detect.multiscale)", o.multiscale, MULTISCALE),
               ("--assign (detect.assign)", o.assign, ASSIGNMENTS), ("detect.obj_target", o.obj_target, OBJ_TARGETS),
               ("--on-bad-label (detect.on_bad_label)", o.on_bad_label, ("skip", "fail"))]
    for option, value, valid in choices:
        if value not in valid:
            raise ValueError(f"{option} {value!r} is not valid; choose from {', '.join(valid)}")
    for option, value in [("--conf-threshold (detect.conf_threshold)", o.conf_threshold),
                          ("detect.eval_conf_threshold", o.eval_conf_threshold),
                          ("--iou-threshold (detect.iou_threshold)", o.iou_threshold),
                          ("detect.ignore_threshold", o.ignore_threshold),
                          ("--assign-threshold (detect.assign_threshold)", o.assign_threshold)]:
        if not 0 <= value <= 1:
            raise ValueError(f"{option} must lie in [0, 1], got {value}")
    if o.max_detections < 1:
        raise ValueError(f"--max-detections (detect.max_detections) must be at least 1, got {o.max_detections}")
    for option, value in [("detect.box_weight", o.box_weight), ("detect.obj_weight", o.obj_weight), ("detect.cls_weight", o.cls_weight)]:
        if not value >= 0:
            raise ValueError(f"{option} must be a number >= 0, got {value}")
    if (o.box_weight, o.obj_weight, o.cls_weight) != (1.0, 1.0, 1.0) and o.loss != "bce":
        raise ValueError("detect.box_weight, obj_weight and cls_weight apply to --loss bce only (the notes' loss has lambda_coord 5, lambda_noobj 0.5); leave them at 1")
    if not 1 <= o.min_objects <= o.max_objects:
        raise ValueError(f"objects per scene need 1 <= --min-objects <= --max-objects, got {o.min_objects} and {o.max_objects}")
    if o.anchors is not None and (not o.anchors or any(len(a) != 2 or min(a) <= 0 for a in o.anchors)):
        raise ValueError(f"--anchors (detect.anchors) must be (w, h) pairs of positive pixels, e.g. [[10,13],[16,30],...], got {o.anchors}")
    import importlib.util

    if not any(importlib.util.find_spec(m) for m in ("pycocotools", "faster_coco_eval")):  # the test report's COCO mAP
        raise ValueError("dlbox detect reports COCO mAP through torchmetrics, which needs pycocotools: pip install pycocotools")
    size = cfg.data.image_size
    if size is not None and size % 32:
        raise ValueError(f"--image-size (data.image_size) must be a multiple of 32 (YOLOv3's coarsest stride), got {size}")


def load_data(cfg: DetectConfig) -> Any:
    from dlbox.tasks.detect.data import load_detection

    from dlbox.data.folder import DatasetError

    d = cfg.detect
    bundle = load_detection(cfg.data, d.on_bad_label, d.min_objects, d.max_objects)
    if len(bundle.test["image"]) == 0:  # the run ends with a test report: refuse now, not after training
        raise DatasetError(f"dataset {cfg.data.name!r} has no test images; set data.test_fraction above 0 or give a test split")
    return bundle


def build_model(cfg: DetectConfig, bundle: Any) -> Any:
    from dlbox.tasks.detect.model_init import build_model as build

    return build(cfg, bundle)


def make_step(run: Run) -> Any:
    from dlbox.tasks.detect.step import DetectionStep

    return DetectionStep(run)


def model_meta(run: Run) -> dict[str, Any]:
    from dlbox.engine.run import unwrap

    net, o = unwrap(run.eval_model), run.cfg.detect
    return {
        "anchors": net.anchors.tolist(),  # (L, A, 2) pixels, per output (coarsest first)
        "strides": list(net.strides),
        "multiscale": o.multiscale,
        "loss": o.loss,
        "assign": o.assign,
        "box_coding": getattr(net, "box_coding", "yolov3"),
        "thresholds": {"conf": o.conf_threshold, "eval_conf": o.eval_conf_threshold, "iou": o.iou_threshold,
                       "max_detections": o.max_detections, "multi_label": o.multi_label},
    }


def finish(run: Run) -> dict[str, Any]:
    """The test report (metrics.json entries and PNGs in the run directory)."""
    from dlbox.engine.run import unwrap
    from dlbox.tasks.detect.report import detection_report

    report = detection_report(unwrap(run.eval_model), run.bundle.test, run.bundle.class_names, run.cfg.detect, run.run_dir)
    return {f"test_{k}" if k in ("map50", "map50_95", "map75", "mar100", "precision", "recall") else k: v for k, v in report.items()}


RECIPE = Recipe.of(__name__, task="detect", config_type=DetectConfig, monitors=("val_map50", "val_loss"),
                   unused=UNUSED,
                   curves=(("train_loss", "val_loss"), ("train_box", "train_obj", "train_noobj", "train_cls"), ("val_map50",)))
