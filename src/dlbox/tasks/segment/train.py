"""``dlbox segment train``: the segmentation recipe for the one training run (:mod:`dlbox.engine.training`, notes 3.11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlbox.engine.training import Recipe, Run
from dlbox.tasks.segment.config import SegmentConfig, upgrade  # noqa: F401  (upgrade: picked up by Recipe.of)


def train(cfg: SegmentConfig | None = None, resume: str | Path | None = None, changes: dict[str, Any] | None = None) -> Path:
    """Train a segmentation model as ``cfg`` says (or continue ``resume``); return the complete run directory."""
    from dlbox.engine.training import train as run_training

    return run_training(RECIPE, cfg or SegmentConfig(), resume, changes)


def check(cfg: SegmentConfig) -> None:
    from dlbox.tasks.segment.model_init import check_model_choice

    check_model_choice(cfg)
    options = cfg.segment
    if cfg.optim.backbone_lr_mult != 1.0 and not cfg.init:
        raise ValueError("--backbone-lr-mult (optim.backbone_lr_mult) goes with --init RUN_DIR (an FCN fine-tuned from a classifier)")
    if options.dice_weight < 0:
        raise ValueError(f"--dice-weight (segment.dice_weight) must be non-negative, got {options.dice_weight}")
    if options.tile_overlap < 0:
        raise ValueError(f"segment.tile_overlap must be non-negative, got {options.tile_overlap}")
    if not 1 <= options.min_objects <= options.max_objects:
        raise ValueError(f"segment.min_objects and segment.max_objects need 1 <= min <= max, got {options.min_objects} and {options.max_objects}")
    if options.classes is not None and not cfg.data.name.startswith("masks:"):
        raise ValueError(f"--classes (segment.classes) names the classes of a masks:IMAGES_DIR,MASKS_DIR dataset; {cfg.data.name!r} has its own")


def load_data(cfg: SegmentConfig) -> Any:
    from dlbox.tasks.segment.data import load_segmentation_data

    return load_segmentation_data(cfg.data, cfg.segment)


def build_model(cfg: SegmentConfig, bundle: Any) -> Any:
    from dlbox.tasks.segment.model_init import build_segmentation_model

    return build_segmentation_model(cfg, bundle)


def param_groups(cfg: SegmentConfig, model: Any) -> dict[str, list[Any]]:
    """An FCN fine-tuned from ``--init``: its backbone (``features``) at ``lr * backbone_lr_mult``."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not cfg.init or cfg.optim.backbone_lr_mult == 1.0:
        return {"model": params}
    backbone = {id(p) for p in model.features.parameters()}
    return {"model": [
        {"params": [p for p in params if id(p) in backbone], "lr_mult": cfg.optim.backbone_lr_mult},
        {"params": [p for p in params if id(p) not in backbone]},
    ]}


def make_step(run: Run) -> Any:
    from dlbox.tasks.segment.step import SegmentationStep

    return SegmentationStep(run)


def finish(run: Run) -> dict[str, Any]:
    """Whole test images (tiled for a valid U-Net): mIoU, pixel accuracy, per-class IoU, confusion; example overlays."""
    from dlbox.data import split_len
    from dlbox.engine.run import unwrap
    from dlbox.tasks.segment.evaluate import score_split
    from dlbox.tasks.segment.overlay import plot_examples

    cfg, bundle = run.cfg, run.bundle
    options = cfg.segment
    test = score_split(
        unwrap(run.eval_model), bundle.test, bundle.class_names, options.ignore_index, cfg.train.eval_batch_size,
        options.tile_overlap, run.fabric.autocast,
    )
    if split_len(bundle.test):
        plot_examples(bundle.test["image"][:8], bundle.test["mask"][:8], test["preds"][:8], run.run_dir / "test_examples.png", options.ignore_index)
    report = test["report"]
    return {
        "test_miou": report["miou"],
        "test_pixel_acc": report["pixel_acc"],
        "per_class_iou": {k: v["iou"] for k, v in report["per_class"].items()},
        "per_class": report["per_class"],
        "confusion_matrix": report["confusion_matrix"],
    }


def model_meta(run: Run) -> dict[str, Any]:
    """What prediction needs besides the weights: the label to ignore and the tiling overlap."""
    return {"ignore_index": run.cfg.segment.ignore_index, "tile_overlap": run.cfg.segment.tile_overlap}


RECIPE = Recipe.of(__name__, task="segment", config_type=SegmentConfig,
                   monitors=("val_miou", "val_loss", "val_pixel_acc"),
                   unused=("data.train_per_class", "data.on_bad_image", "data.in_memory_limit_mb"))
