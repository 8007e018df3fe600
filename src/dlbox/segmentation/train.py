"""``dlbox segment train``: data -> model -> the shared loop -> a complete run directory (notes 3.11).

Mirrors :mod:`dlbox.tasks.classify.train`: Fabric launch, run directory on
rank 0, CSV/TensorBoard loggers, :func:`dlbox.engine.loop.fit`, then the final
artifacts (``model.json`` + ``model.safetensors``, curves, test overlays) and
``metrics.json`` last.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from dlbox.data import make_loader, split_len
from dlbox.engine.fabric_setup import build_fabric, launch
from dlbox.engine.optim import build_optimizer, build_scheduler
from dlbox.engine.rundir import write_json
from dlbox.engine.run import prepare_run_dir, resolve_batch_size, resume_config, run_loop, total_steps, unwrap
from dlbox.segmentation.config import SegmentConfig

TASK = "segment"


def train(cfg: SegmentConfig, resume: str | Path | None = None) -> Path:
    """Train a segmentation model as ``cfg`` says (or continue ``resume``); return the run directory."""
    if resume is not None:
        cfg = resume_config(SegmentConfig, Path(resume), TASK, cfg)
    fabric = build_fabric(cfg.fabric)
    return Path(launch(fabric, _train_worker, cfg, str(resume) if resume else None))


def _train_worker(fabric: Any, cfg: SegmentConfig, resume: str | None) -> str:
    from dlbox.segmentation.augment import JointAugment
    from dlbox.segmentation.data import load_segmentation_data
    from dlbox.segmentation.model_init import build_segmentation_model
    from dlbox.segmentation.step import SegmentationTask

    fabric.seed_everything(cfg.train.seed, verbose=False)
    if cfg.train.deterministic:
        torch.use_deterministic_algorithms(True)
    bundle = load_segmentation_data(cfg.data, cfg.seg)  # before the run dir: bad data leaves nothing behind
    model = build_segmentation_model(cfg, bundle)
    run_dir = prepare_run_dir(fabric, cfg, TASK, resume)
    if fabric.global_rank == 0:
        write_json(run_dir / "data.json", {**bundle.info, "class_names": bundle.class_names})
    if cfg.fabric.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer([p for p in model.parameters() if p.requires_grad], cfg.optim)
    if cfg.fabric.compile:
        model = torch.compile(model)
    model, optimizer = fabric.setup(model, optimizer)

    batch_size = resolve_batch_size(cfg.train.batch_size, split_len(bundle.train), fabric.world_size)
    train_loader = make_loader(
        bundle.train, batch_size, shuffle=True, seed=cfg.train.seed, device=fabric.device,
        rank=fabric.global_rank, world_size=fabric.world_size, num_workers=cfg.data.num_workers,
    )
    val_loader = make_loader(bundle.val, cfg.train.eval_batch_size, shuffle=False, device=fabric.device)
    scheduler = build_scheduler(optimizer, cfg.optim, total_steps(cfg.train, len(train_loader)), len(train_loader))
    task = SegmentationTask(
        fabric, model, optimizer, scheduler, val_loader, bundle.num_classes,
        ignore_index=cfg.seg.ignore_index, dice_weight=cfg.seg.dice_weight, grad_clip=cfg.train.grad_clip,
        channels_last=cfg.fabric.channels_last,
        augment=JointAugment(cfg.seg.ignore_index) if cfg.data.augment else None,
    )
    result = run_loop(fabric, task, train_loader, cfg.train, run_dir, resume)
    if fabric.global_rank == 0:
        _finish(run_dir, cfg, bundle, task, fabric, result, batch_size)
    fabric.barrier()
    return str(run_dir)


def _finish(run_dir: Path, cfg: SegmentConfig, bundle: Any, task: Any, fabric: Any, result: Any, batch_size: int) -> None:
    from dlbox.model_io import save_model
    from dlbox.plots import plot_curves
    from dlbox.segmentation.evaluate import score_split
    from dlbox.segmentation.overlay import plot_examples

    model = unwrap(task.eval_model)
    meta = {
        "task": TASK,
        "class_names": bundle.class_names,
        "input": {"channels": bundle.in_channels, "size": list(bundle.image_size)},
        "ignore_index": cfg.seg.ignore_index,
        "tile_overlap": cfg.seg.tile_overlap,
    }
    if cfg.seg.init:
        meta["init"] = str(cfg.seg.init)
    save_model(run_dir, model, meta)
    plot_curves(result.state.history, run_dir / "curves.png")
    test = score_split(model, bundle.test, bundle.class_names, cfg.seg.ignore_index, cfg.train.eval_batch_size, cfg.seg.tile_overlap, fabric.autocast)
    if split_len(bundle.test):
        plot_examples(bundle.test["image"][:8], bundle.test["mask"][:8], test["preds"][:8], run_dir / "test_examples.png", cfg.seg.ignore_index)
    report = test["report"]
    last_val = result.state.history[-1] if result.state.history else {}
    metrics = {
        "test_miou": report["miou"],
        "test_pixel_acc": report["pixel_acc"],
        "val_miou": last_val.get("val_miou"),
        **result.as_metrics(),
        "batch_size": batch_size,
        "per_class_iou": {k: v["iou"] for k, v in report["per_class"].items()},
        "per_class": report["per_class"],
        "confusion_matrix": report["confusion_matrix"],
        "config": dataclasses.asdict(cfg)["model"],
    }
    write_json(run_dir / "metrics.json", metrics)  # last: its presence marks the run complete
