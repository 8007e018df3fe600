"""``dlbox detect anchors``: k-means anchors for a dataset (notes 3.12.1) beside YOLOv3's COCO anchors.

The anchors are grouped three per output stride (k = 9: strides 32, 16, 8; k = 6: 32, 16), the
smallest on the finest map; the fit is judged by the mean over training boxes of the IoU with their
best anchor, for the k-means anchors and for the published COCO anchors rescaled to the images.
The run directory gets ``anchors.json``, which ``dlbox detect train --anchors FILE`` reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dlbox.config import DataConfig
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import write_json


def strides_for(k: int) -> tuple[int, ...]:
    """Three anchors per stride, coarsest first (32, 16, 8, ...); k not divisible by 3: one group at stride 32."""
    if k % 3:
        return (32,)
    return tuple(32 // 2**i for i in range(k // 3))


def fit_dataset_anchors(data: DataConfig, k: int = 9, on_bad_label: str = "fail", min_objects: int = 1, max_objects: int = 6,
                        seed: int = 0, out: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Fit ``k`` anchors to the training boxes of ``data``; write ``anchors.json``; return the directory and the report."""
    from dlbox.detection.anchors import box_sizes, group_anchors, mean_best_iou, yolov3_anchors, yolov3_tiny_anchors
    from dlbox.tasks.detect.data import load_detection
    from dlbox.tasks.detect.model_init import fit_anchors

    if k < 1:
        raise ValueError(f"--k must be at least 1, got {k}")
    bundle = load_detection(data, on_bad_label, min_objects, max_objects)
    train = bundle.train
    fit = fit_anchors(train["boxes"], train["box_labels"], k, seed)
    wh = box_sizes(train["boxes"], train["box_labels"])
    strides = strides_for(k)
    grouped = group_anchors(fit.anchors, strides)  # (L, k / L, 2)
    coco = yolov3_tiny_anchors(bundle.image_size) if k == 6 else yolov3_anchors(bundle.image_size)
    report = {
        "dataset": data.name,
        "image_size": list(bundle.image_size),
        "n_boxes": len(wh),
        "k": k,
        "anchors": [[round(v, 2) for v in a] for a in fit.anchors.tolist()],
        "per_stride": {str(s): [[round(v, 2) for v in a] for a in grouped[i].tolist()] for i, s in enumerate(strides)},
        "mean_iou": round(fit.mean_iou, 4),
        "coco_anchors": [[round(v, 2) for v in a] for a in coco.tolist()],
        "coco_mean_iou": round(mean_best_iou(wh, coco), 4),
        "iterations": fit.iterations,
        "converged": fit.converged,
    }
    with recorded_run("detect-anchors", None, out) as out_dir:
        write_json(out_dir / "anchors.json", report)
        write_json(out_dir / "metrics.json", {k_: report[k_] for k_ in ("dataset", "k", "n_boxes", "mean_iou", "coco_mean_iou")})
        return out_dir, report


def read_anchors(text: str) -> list[list[float]]:
    """``--anchors``: an ``anchors.json`` written by ``dlbox detect anchors``, or a list like ``[[10,13],[16,30]]``."""
    from dlbox.config import read_value

    path = Path(text)
    if path.is_file():
        try:
            value = json.loads(path.read_text()).get("anchors")
        except (json.JSONDecodeError, AttributeError):
            raise ValueError(f"--anchors {path}: not an anchors.json written by `dlbox detect anchors`") from None
    else:
        value = read_value(text)
    if not isinstance(value, list) or not value or not all(isinstance(a, list) and len(a) == 2 for a in value):
        raise ValueError(f"--anchors {text!r}: give an anchors.json file or (w, h) pairs like [[10,13],[16,30]]")
    return [[float(w), float(h)] for w, h in value]
