"""``dlbox segment eval``: a finished run's model on a split; per-class tables and the worst images (notes 3.11)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.config import from_dict, load_yaml
from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import require_run_dir, write_json
from dlbox.tasks.segment.config import SegmentConfig, upgrade
from dlbox.segmentation.metrics import confusion_matrix, per_image_miou, segmentation_report
from dlbox.segmentation.tiling import whole_image_logits


def score_split(
    model: nn.Module,
    split: dict[str, torch.Tensor],
    class_names: list[str],
    ignore_index: int = 255,
    batch_size: int = 64,
    tile_overlap: int = 16,
    context: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """Whole-image predictions of ``split`` (tiled for a valid U-Net), the report and per-image mIoU."""
    if not isinstance(split, dict):
        raise ValueError("segmentation evaluation needs an in-memory split (image and mask tensors)")
    device = next(model.parameters()).device
    images, masks = split["image"].to(device), split["mask"].to(device)
    k = len(class_names)
    if len(images) == 0:
        empty = torch.zeros(k, k, dtype=torch.long)
        return {"preds": masks.clone(), "report": segmentation_report(empty, class_names), "per_image_miou": torch.empty(0)}
    preds = torch.cat([
        whole_image_logits(model, images[i : i + batch_size], batch_size, overlap=tile_overlap, context=context).argmax(1)
        for i in range(0, len(images), batch_size)
    ])
    cm = confusion_matrix(preds, masks, k, ignore_index)
    return {
        "preds": preds.cpu(),
        "report": segmentation_report(cm, class_names),
        "per_image_miou": per_image_miou(preds, masks, k, ignore_index).cpu(),
    }


def evaluate_run(
    run: str | Path, data: str | None = None, split: str = "test", out: str | Path | None = None, worst: int = 8
) -> tuple[Path, dict[str, Any]]:
    """Evaluate ``run`` on ``split`` of its own dataset (or ``data``); writes metrics, per-class tables, worst images."""
    from dlbox.model_io import load_model
    from dlbox.tasks.segment.data import load_segmentation_data
    from dlbox.tasks.segment.overlay import plot_examples

    run = require_run_dir(run)
    if split not in ("train", "val", "test"):
        raise ValueError(f"--split {split!r} is not valid; use train, val or test")
    cfg_path = run / "config.yaml"
    if not cfg_path.is_file():
        raise ValueError(f"{run} has no config.yaml; is it a dlbox segment run?")
    cfg = from_dict(SegmentConfig, upgrade(load_yaml(cfg_path)))
    model = load_model(run)
    meta = model.dlbox_meta
    if meta.get("task") != "segment":
        raise ValueError(f"{run} is a {meta.get('task')!r} run, not a segmentation run")
    if data is not None:
        cfg.data.name = data
    if cfg.data.name.startswith("masks:") and cfg.segment.classes is None:
        cfg.segment.classes = meta["class_names"]
    bundle = load_segmentation_data(cfg.data, cfg.segment)
    if bundle.class_names != meta["class_names"]:
        raise ValueError(f"dataset {cfg.data.name!r} has classes {bundle.class_names} but the model was trained on {meta['class_names']}")
    part = getattr(bundle, split)
    ignore = meta.get("ignore_index", 255)
    result = score_split(model, part, bundle.class_names, ignore, cfg.train.eval_batch_size, meta.get("tile_overlap", 16))
    report = result["report"]
    with recorded_run("segment-eval", None, out) as out_dir:
        _write_tables(report, out_dir)
        order = result["per_image_miou"].argsort()[:worst]
        if len(order):
            plot_examples(
                part["image"][order], part["mask"][order], result["preds"][order], out_dir / "worst.png", ignore,
                titles=[f"#{int(i)} mIoU {float(result['per_image_miou'][i]):.2f}" for i in order],
            )
        worst_rows = [{"index": int(i), "miou": float(result["per_image_miou"][i])} for i in order]
        write_json(out_dir / "metrics.json", {"run": str(run), "dataset": cfg.data.name, "split": split, "n": len(result["preds"]), **report, "worst": worst_rows})
        return out_dir, {**report, "n": len(result["preds"]), "worst": worst_rows}


def _write_tables(report: dict[str, Any], out_dir: Path) -> None:
    """``per_class.csv`` and ``per_class.md``: IoU, true and predicted pixels per class."""
    rows = [(name, r["iou"], r["pixels"], r["predicted"]) for name, r in report["per_class"].items()]
    csv = ["class,iou,pixels,predicted"] + [f"{n},{'' if i is None else f'{i:.4f}'},{p},{q}" for n, i, p, q in rows]
    (out_dir / "per_class.csv").write_text("\n".join(csv) + "\n")
    md = ["| class | IoU | pixels | predicted |", "|---|---:|---:|---:|"]
    md += [f"| {n} | {'-' if i is None else f'{i:.3f}'} | {p} | {q} |" for n, i, p, q in rows]
    md.append(f"| **mean** | **{report['miou']:.3f}** | pixel accuracy {report['pixel_acc']:.3f} | |")
    (out_dir / "per_class.md").write_text("\n".join(md) + "\n")
