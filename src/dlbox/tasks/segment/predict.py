"""``dlbox segment predict``: index masks and colour overlays for image files (notes 3.11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from dlbox.data.images import read_image
from dlbox.data.samples import image_label
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import write_json


@torch.no_grad()
def predict_images(
    run: str | Path, images: list[Path], out: str | Path | None = None, size: int | None = None
) -> tuple[Path, list[dict[str, Any]]]:
    """For each image write ``NAME_mask.png`` (palette PNG of class indices) and ``NAME_overlay.png``.

    Images are segmented at their own size (``size`` resizes them to a square
    side first); a valid U-Net tiles them. Returns the output directory and one
    row per image (files written, pixel fraction of each class).
    """
    from dlbox.data.masks import write_mask
    from dlbox.model_io import load_model
    from dlbox.tasks.segment.overlay import overlay
    from dlbox.segmentation.tiling import whole_image_logits

    if not images:
        raise ValueError("no images given")
    model = load_model(run)
    meta = model.dlbox_meta
    if meta.get("task") != "segment":
        raise ValueError(f"{run} is a {meta.get('task')!r} run, not a segmentation run")
    channels, names = meta["input"]["channels"], meta["class_names"]
    need = getattr(model, "min_side", 1)
    tensors = []
    for path in images:  # decode all first: a bad file fails before anything is written
        x = read_image(path, channels, (size, size) if size else None)  # (C, H, W); bad files raise naming the path
        if min(x.shape[1:]) < need:
            raise ValueError(f"{path}: image is {x.shape[1]}x{x.shape[2]}, smaller than the {need}-pixel side this model needs (use --size)")
        tensors.append(x)
    with recorded_run("segment-predict", None, out) as out_dir:
        rows, used = [], set()
        for path, x in zip(images, tensors):
            stem = _unique(image_label(path), used)
            pred = whole_image_logits(model, x[None], overlap=meta.get("tile_overlap", 16))[0].argmax(0)  # (H, W)
            write_mask(out_dir / f"{stem}_mask.png", pred)
            _save_rgb(overlay(x, pred, ignore_index=meta.get("ignore_index", 255)), out_dir / f"{stem}_overlay.png")
            counts = torch.bincount(pred.flatten(), minlength=len(names)).float() / pred.numel()
            rows.append({
                "image": str(path), "size": list(pred.shape), "mask": f"{stem}_mask.png", "overlay": f"{stem}_overlay.png",
                "class_fraction": {n: round(float(c), 6) for n, c in zip(names, counts)},
            })
        write_json(out_dir / "predictions.json", rows)
        write_json(out_dir / "metrics.json", {"run": str(run), "images": len(rows)})
        return out_dir, rows


def _unique(stem: str, used: set[str]) -> str:
    name, i = stem, 1
    while name in used:
        i += 1
        name = f"{stem}-{i}"
    used.add(name)
    return name


def _save_rgb(rgb: Any, path: Path) -> None:
    import numpy as np
    from PIL import Image

    Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)).save(path)
