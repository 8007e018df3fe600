"""A detector measured on a split: COCO mAP, per-class AP, precision-recall curves, confusion matrix,
the worst images, and inference time per image (decode and NMS included).

Used by ``dlbox detect train`` (the test split, at the end of the run) and ``dlbox detect eval``.
Files written into ``out_dir``: ``pr_curves.png``, ``confusion_matrix.png``, ``worst.png``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch import Tensor

from dlbox.tasks.detect.config import DetectOptions
from dlbox.tasks.detect.draw import plot_boxes_grid, plot_pr_curves
from dlbox.tasks.detect.metrics import above, match_detections, mean_ap
from dlbox.tasks.detect.step import detect


def detection_report(model: nn.Module, split: dict[str, Tensor], class_names: list[str], opts: DetectOptions, out_dir: Path,
                     worst: int = 8) -> dict[str, Any]:
    """Every figure of the module docstring for ``split`` (``image``, ``boxes``, ``box_labels``); metrics as a dict."""
    from dlbox.plots import plot_confusion

    images, boxes, labels = split["image"], split["boxes"], split["box_labels"]
    dets = detect(model, images, opts.eval_conf_threshold, opts.iou_threshold, opts.max_detections, opts.multi_label)
    ap = mean_ap(dets, boxes, labels, class_names)
    shown = above(dets, opts.conf_threshold)
    matching = match_detections(shown, boxes, labels, len(class_names))
    plot_pr_curves(ap.pop("pr_curves"), {k: v["ap50"] for k, v in ap["per_class"].items()}, out_dir / "pr_curves.png")
    plot_confusion(matching.confusion.numpy(), [*class_names, "background"], out_dir / "confusion_matrix.png",
                   title=f"detections (score >= {opts.conf_threshold:g}, IoU >= 0.5)")
    _plot_worst(images, boxes, labels, shown, matching.errors, class_names, out_dir / "worst.png", worst)
    tp = int(matching.matched_pred.sum())
    n_pred, n_true = int(shown.counts.sum()), int((labels >= 0).sum())
    return {
        **ap,
        "precision": tp / n_pred if n_pred else 0.0,  # at conf_threshold, matched whatever the class
        "recall": tp / n_true if n_true else 0.0,
        "confusion_matrix": matching.confusion.tolist(),
        "n_images": len(images),
        "n_objects": n_true,
        "ms_per_image": inference_ms(model, images, opts),
    }


def _plot_worst(images: Tensor, boxes: Tensor, labels: Tensor, shown: Any, errors: Tensor, class_names: list[str], path: Path, k: int) -> None:
    order = torch.argsort(errors, descending=True, stable=True)[:k]  # most errors first
    per_image = shown.per_image()
    keep = labels >= 0
    plot_boxes_grid(
        images[order], [boxes[i][keep[i]] for i in order], [labels[i][keep[i]] for i in order],
        [per_image[i] for i in order], class_names, [f"#{int(i)}: {int(errors[i])} error(s)" for i in order], path,
    )


@torch.inference_mode()
def inference_ms(model: nn.Module, images: Tensor, opts: DetectOptions, batch_sizes: tuple[int, ...] = (1, 32), n: int = 64) -> dict[str, float]:
    """Milliseconds per image, forward + decode + NMS, at each batch size (median of the batches of ``n`` images)."""
    from dlbox.engine.run import unwrap
    from dlbox.tasks.detect.step import to_detections

    net = unwrap(model).eval()
    device = next(net.parameters()).device
    images = images[torch.arange(n) % len(images)].to(device) if len(images) else images  # n images, repeated if fewer
    out: dict[str, float] = {}
    for bs in batch_sizes:
        batches = [images[i : i + bs] for i in range(0, len(images) - bs + 1, bs)][: max(2, 32 // bs)]
        if not batches:
            continue
        to_detections(net, net(batches[0]), opts.conf_threshold, opts.iou_threshold, opts.max_detections, opts.multi_label)  # warm-up
        times = []
        for x in batches:
            t0 = time.perf_counter()
            to_detections(net, net(x), opts.conf_threshold, opts.iou_threshold, opts.max_detections, opts.multi_label)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append((time.perf_counter() - t0) * 1000 / len(x))
        out[f"batch_{bs}"] = round(float(torch.tensor(times).median()), 3)
    return out
