"""``dlbox data export``: generated shapes scenes written as a YOLO, COCO or VOC dataset.

The scenes and their train / val / test split are exactly those ``dlbox detect train --data shapes``
makes from the same options (:func:`dlbox.tasks.detect.data.shapes_splits`), so training from the
files gives the same tensors as training from the generator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlbox.config import DataConfig

FORMATS = ("yolo", "coco", "voc")


def export_shapes(fmt: str, out: str | Path, data: DataConfig, min_objects: int = 1, max_objects: int = 6) -> dict[str, Any]:
    """Write the scenes of ``data`` (name ``shapes``) into ``out``; returns the ``--data`` spec to train on and the sizes."""
    from dlbox.data.coco_format import write_coco
    from dlbox.data.voc_format import write_voc
    from dlbox.data.yolo_format import write_yolo
    from dlbox.tasks.detect.data import shapes_splits

    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r} is not valid; choose from {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"--out {out} already exists and is not empty; choose a new directory")
    if data.image_size is not None and data.image_size < 16:
        raise ValueError(f"--image-size must be at least 16, got {data.image_size}")
    splits = {s: t for s, t in shapes_splits(data, min_objects, max_objects).items() if len(t["image"])}
    names = list(data.shapes)
    if fmt == "yolo":
        spec = f"yolo:{write_yolo(out, splits, names)}"
    elif fmt == "coco":
        files = write_coco(out, splits, names)
        spec = f"coco:{files['train']},{out / 'images'}"
    else:
        spec = f"voc:{write_voc(out, splits, names)}"
    return {"data": spec, "format": fmt, "out": str(out), "sizes": {s: len(t["image"]) for s, t in splits.items()},
            "objects": {s: int((t["box_labels"] >= 0).sum()) for s, t in splits.items()}}
