"""``dlbox detect train|eval|predict|anchors``: YOLOv3 object detection (notes 3.12).

Registered in ``cli/main.py`` as ``app.add_typer(detect.app, name="detect")``. The training options
every command shares come from :func:`dlbox.cli.training.training_command`; ``train`` adds the
``detect`` section's (loss, multi-scale approach, anchors, thresholds, scene contents).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli.common import SPLIT, echo_run_dir, given, out_option, run_option, user_errors
from dlbox.cli.training import run_training, training_command
from dlbox.tasks.detect.config import DetectConfig

app = typer.Typer(help="Object detection with YOLOv3: train, evaluate, predict, fit anchors.", no_args_is_help=True)

DATA_HELP = "shapes | yolo:DATASET.yaml | coco:ANNOTATIONS.json,IMAGES_DIR | voc:DIR"
HIDDEN = ("backbone_lr_mult",)  # tasks.detect.train.UNUSED
DEFAULTS = DetectConfig()


@app.command()
@user_errors
@training_command(DEFAULTS, hide=HIDDEN)
def train(
    common: dict,
    loss: Optional[str] = typer.Option(None, help="bce (1 - CIoU + BCE) | paper (the notes' squared errors) (default: bce)"),
    multiscale: Optional[str] = typer.Option(None, help="fpn | hierarchy | single | pyramid (notes 3.12.2) (default: fpn)"),
    assign: Optional[str] = typer.Option(None, help=f"multi (every anchor of shape IoU >= --assign-threshold is responsible) | neighbours (multi, also at the two cells nearest the centre; YOLOv5's decoding b_x = c_x + 2 sigma(t_x) - 0.5) | best (the notes: one anchor per box) (default: {DEFAULTS.detect.assign})"),
    assign_threshold: Optional[float] = typer.Option(None, help=f"shape IoU that makes an extra anchor responsible, --assign multi | neighbours (default: {DEFAULTS.detect.assign_threshold})"),
    obj_target: Optional[str] = typer.Option(None, help=f"objectness target of a responsible prediction, --loss bce: one | iou (its box's IoU, YOLOv5) (default: {DEFAULTS.detect.obj_target})"),
    anchors: Optional[str] = typer.Option(None, help="anchors.json from `dlbox detect anchors`, or a YAML list of w,h pixel pairs (default: k-means on the training boxes)"),
    conf_threshold: Optional[float] = typer.Option(None, help="score kept in predictions and the confusion matrix (default: 0.25)"),
    iou_threshold: Optional[float] = typer.Option(None, help="NMS IoU threshold (default: 0.45)"),
    max_detections: Optional[int] = typer.Option(None, help="detections kept per image (default: 100)"),
    multi_label: Optional[bool] = typer.Option(None, "--multi-label/--single-label", help="a box may get every class above the threshold, or its best only (default: single)"),
    on_bad_label: Optional[str] = typer.Option(None, help="skip | fail: a bad annotation in dataset files (default: fail)"),
    num_samples: Optional[int] = typer.Option(None, min=1, help=f"generated shapes scenes (default: {DEFAULTS.data.num_samples})"),
    min_objects: Optional[int] = typer.Option(None, min=1, help=f"objects per generated scene, at least (default: {DEFAULTS.detect.min_objects})"),
    max_objects: Optional[int] = typer.Option(None, min=1, help=f"objects per generated scene, at most (default: {DEFAULTS.detect.max_objects})"),
) -> None:
    """Train a YOLOv3 detector (--init CLASSIFY_RUN: a darknet backbone); prints test mAP and the run directory."""
    from dlbox.tasks.detect.anchors import read_anchors
    from dlbox.tasks.detect.train import train as train_detector

    section = {
        "loss": loss, "multiscale": multiscale, "assign": assign, "assign_threshold": assign_threshold, "obj_target": obj_target,
        "anchors": read_anchors(anchors) if anchors else None,
        "conf_threshold": conf_threshold, "iou_threshold": iou_threshold, "max_detections": max_detections, "multi_label": multi_label,
        "on_bad_label": on_bad_label, "min_objects": min_objects, "max_objects": max_objects,
    }
    run_dir = run_training(train_detector, DetectConfig(), common, data=given(num_samples=num_samples), detect=section)
    _print_summary(run_dir)


def _print_summary(run_dir: Path) -> None:
    import json
    import os

    if os.environ.get("RANK", "0") != "0":
        return
    m = json.loads((run_dir / "metrics.json").read_text())
    ms = m["ms_per_image"]
    typer.echo(
        f"test mAP@0.5 {m['test_map50']:.4f} | mAP@0.5:0.95 {m['test_map50_95']:.4f} | epochs {m['epochs']} | "
        f"{m['train_time_s']:.1f} s training | {ms.get('batch_1', float('nan')):.1f} ms/image (batch 1), "
        f"{ms.get('batch_32', float('nan')):.1f} ms/image (batch 32) | stopped by {m['stopped_by']}"
    )
    echo_run_dir(run_dir)


def _print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mAP@0.5 {report['map50']:.4f}, mAP@0.5:0.95 {report['map50_95']:.4f} on {report['n_images']} images, {report['n_objects']} objects")
    for col in ("class", "AP@0.5", "AP@0.5:0.95"):
        table.add_column(col, justify="right")
    for name, row in report["per_class"].items():
        table.add_row(name, f"{row['ap50']:.3f}", f"{row['ap50_95']:.3f}")
    Console().print(table)


@app.command("eval")
@user_errors
def evaluate(
    run: Path = run_option("detect"), split: str = SPLIT, out: Optional[Path] = out_option("detect-eval"),
    data: Optional[str] = typer.Option(None, help=f"dataset to evaluate on: {DATA_HELP} (default: the run's own)"),
) -> None:
    """mAP@0.5 and mAP@0.5:0.95, per-class AP, precision-recall curves, confusion matrix, worst images."""
    from dlbox.tasks.detect.evaluate import evaluate_run

    out_dir, report = evaluate_run(run, data=data, split=split, out=out)
    _print_report(report)
    echo_run_dir(out_dir)


@app.command()
@user_errors
def predict(
    images: list[str] = typer.Argument(..., help="image files, folders of images, or sample:NAME"),
    run: Path = run_option("detect"), out: Optional[Path] = out_option("detect-predict"),
    conf_threshold: Optional[float] = typer.Option(None, help="lowest score shown (default: the run's detect.conf_threshold)"),
) -> None:
    """Detect objects: images with labelled boxes, detections.json and a YOLO txt per image."""
    from dlbox.tasks.detect.predict import predict_images

    out_dir, rows = predict_images(run, images, out=out, conf_threshold=conf_threshold)
    for row in rows:
        shown = ", ".join(f"{d['class']} {d['score']:.2f}" for d in row["detections"]) or "nothing"
        typer.echo(f"{row['image']}: {shown}")
    echo_run_dir(out_dir)


@app.command()
@user_errors
def anchors(
    data: str = typer.Option("shapes", help=DATA_HELP),
    k: int = typer.Option(9, min=1, help="number of anchors (9: YOLOv3, 6: YOLOv3-tiny)"),
    image_size: Optional[int] = typer.Option(None, help="letterbox images to this side first (default: 128)"),
    num_samples: Optional[int] = typer.Option(None, min=1, help=f"generated shapes scenes (default: {DEFAULTS.data.num_samples})"),
    min_objects: int = typer.Option(1, min=1, help="objects per generated scene, at least"),
    max_objects: int = typer.Option(6, min=1, help="objects per generated scene, at most"),
    on_bad_label: str = typer.Option("fail", help="skip | fail"),
    seed: int = typer.Option(0, help="k-means seed"),
    out: Optional[Path] = typer.Option(None, help="output directory (default: new dir under runs/detect-anchors/)"),
) -> None:
    """k-means anchors (distance 1 - IoU) per output stride, and their fit beside YOLOv3's COCO anchors."""
    from dataclasses import replace

    from dlbox.tasks.detect.anchors import fit_dataset_anchors

    cfg = replace(DEFAULTS.data, name=data, **given(image_size=image_size, num_samples=num_samples))
    out_dir, report = fit_dataset_anchors(cfg, k, on_bad_label, min_objects, max_objects, seed, out)
    typer.echo(f"{report['n_boxes']} training boxes of {report['dataset']} ({report['image_size'][0]}x{report['image_size'][1]}), k={k}:")
    for stride, group in report["per_stride"].items():
        typer.echo(f"  stride {stride:>2}: " + "  ".join(f"{w:g}x{h:g}" for w, h in group))
    typer.echo(f"mean best IoU: k-means {report['mean_iou']:.4f} | YOLOv3 COCO anchors rescaled {report['coco_mean_iou']:.4f}")
    echo_run_dir(out_dir)
