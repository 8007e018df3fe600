"""``dlbox detect predict``: a trained detector on image files, folders and ``sample:NAME`` images.

Each image is letterboxed to the network's input (aspect kept, grey padding), detected, and its boxes
are mapped back to the original pixels. Written into the output directory: ``images/NAME.png`` (the
image with labelled boxes), ``labels/NAME.txt`` (YOLO lines ``class cx cy w h``, fractions of the
original image, readable by :func:`dlbox.data.yolo_format.read_yolo`) and ``detections.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from dlbox.data.images import IMAGE_SUFFIXES, read_image
from dlbox.data.samples import image_label, is_sample
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import write_json
from dlbox.ops.letterbox import letterbox, unletterbox_boxes

CHUNK = 32  # images decoded and detected at a time


def expand_inputs(inputs: list[str | Path]) -> list[str | Path]:
    """Files as given, folders as their image files (sorted, not recursive), ``sample:NAME`` as is."""
    out: list[str | Path] = []
    for spec in inputs:
        if is_sample(spec):
            out.append(str(spec))
            continue
        path = Path(spec)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise FileNotFoundError(f"{path} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(f"{path} does not exist (give image files, folders of images or sample:NAME)")
    return out


def load_detector(run: str | Path) -> torch.nn.Module:
    """A finished ``dlbox detect train`` run's model (a clear error for any other run)."""
    from dlbox.model_io import load_model

    model = load_model(run)
    if model.dlbox_meta.get("task") != "detect":
        raise ValueError(f"{run} is a {model.dlbox_meta.get('task')!r} run, not a detect run")
    return model


def predict_images(run: str | Path, inputs: list[str | Path], out: str | Path | None = None,
                   conf_threshold: float | None = None) -> tuple[Path, list[dict[str, Any]]]:
    """Detect objects in ``inputs``; returns the output directory and one row per image."""
    from dlbox.tasks.detect.draw import annotate
    from dlbox.tasks.detect.step import detect

    model = load_detector(run)
    meta = model.dlbox_meta
    names, channels, size = meta["class_names"], meta["input"]["channels"], tuple(meta["input"]["size"])
    th = meta["thresholds"]
    conf = th["conf"] if conf_threshold is None else conf_threshold
    if not 0 <= conf <= 1:
        raise ValueError(f"--conf-threshold must lie in [0, 1], got {conf}")
    specs = expand_inputs(inputs)
    chunks = [specs[i : i + CHUNK] for i in range(0, len(specs), CHUNK)]
    first = [read_image(s, channels) for s in chunks[0]]  # (C, H_i, W_i); a bad file fails before any output exists
    with recorded_run("detect-predict", None, out) as out_dir:
        (out_dir / "images").mkdir()
        (out_dir / "labels").mkdir()
        rows: list[dict[str, Any]] = []
        for n, chunk in enumerate(chunks):
            images = first if n == 0 else [read_image(s, channels) for s in chunk]
            boxed = [letterbox(img, size) for img in images]
            dets = detect(model, torch.stack([b for b, _ in boxed]), conf, th["iou"], th["max_detections"], th.get("multi_label", False))
            for spec, img, (_, lb), (boxes, scores, labels) in zip(chunk, images, boxed, dets.per_image()):
                boxes = unletterbox_boxes(boxes, lb)  # (K, 4) in the original image's pixels, clipped to it
                inside = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])  # a box wholly in the padding vanishes
                boxes, scores, labels = boxes[inside], scores[inside], labels[inside]
                stem = f"{len(rows):04d}_{image_label(spec)}"
                annotate(img, boxes, scores, labels, names).save(out_dir / "images" / f"{stem}.png")
                _write_yolo_txt(out_dir / "labels" / f"{stem}.txt", boxes, labels, img.shape[-1], img.shape[-2])
                rows.append({
                    "image": str(spec), "output": f"images/{stem}.png", "size": [int(img.shape[-2]), int(img.shape[-1])],
                    "detections": [{"class": names[int(c)], "class_id": int(c), "score": round(float(s), 4), "box_xyxy": [round(v, 2) for v in b]}
                                   for b, s, c in zip(boxes.tolist(), scores.tolist(), labels.tolist())],
                })
        write_json(out_dir / "detections.json", rows)
        write_json(out_dir / "metrics.json", {"run": str(run), "images": len(rows), "detections": sum(len(r["detections"]) for r in rows), "conf_threshold": conf})
        return out_dir, rows


def _write_yolo_txt(path: Path, boxes: torch.Tensor, labels: torch.Tensor, width: int, height: int) -> None:
    lines = []
    for (x1, y1, x2, y2), c in zip(boxes.tolist(), labels.tolist()):
        values = ((x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height)
        lines.append(" ".join([str(int(c))] + [f"{v:.6f}" for v in values]))
    path.write_text("".join(line + "\n" for line in lines))
