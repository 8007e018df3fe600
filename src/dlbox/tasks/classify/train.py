"""``dlbox classify train``: data -> model -> the shared loop -> a complete run directory."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.config import ClassifyConfig
from dlbox.data import load_dataset, make_loader, split_len
from dlbox.engine.fabric_setup import build_fabric, launch
from dlbox.engine.optim import build_optimizer, build_scheduler
from dlbox.engine.rundir import write_json
from dlbox.engine.run import prepare_run_dir, resolve_batch_size, resume_config, run_loop, total_steps, unwrap
from dlbox.tasks.classify.model_init import build_model, param_groups
from dlbox.tasks.classify.step import ClassificationTask

TASK = "classify"


def train(cfg: ClassifyConfig, resume: str | Path | None = None) -> Path:
    """Train a classifier as ``cfg`` says (or continue ``resume``); return the run directory."""
    if resume is not None:
        cfg = resume_config(ClassifyConfig, Path(resume), TASK, cfg)
    validate_config(cfg)
    fabric = build_fabric(cfg.fabric)
    return Path(launch(fabric, _train_worker, cfg, str(resume) if resume else None))


def validate_config(cfg: ClassifyConfig) -> None:
    """Reject invalid choices before any work or any run directory (each message lists the valid values)."""
    from dlbox.engine.fabric_setup import PRECISIONS
    from dlbox.engine.optim import OPTIMIZERS, SCHEDULES

    checks = [
        ("--optimizer", cfg.optim.optimizer, OPTIMIZERS),
        ("--schedule", cfg.optim.schedule, SCHEDULES),
        ("--precision", str(cfg.fabric.precision), PRECISIONS),
        ("--freeze", cfg.transfer.freeze, (None, "features")),
        ("--on-bad-image", cfg.data.on_bad_image, ("skip", "fail")),
        ("--monitor", cfg.train.monitor, ("val_acc", "val_loss")),
    ]
    for option, value, valid in checks:
        if value not in valid:
            raise ValueError(f"{option} {value!r} is not valid; choose from {', '.join(str(v) for v in valid if v)}")
    resolve_batch_size(cfg.train.batch_size, 1, 1)
    if cfg.data.val_fraction <= 0 and (cfg.train.patience is not None):
        raise ValueError("early stopping (--patience) needs a validation split (data.val_fraction > 0)")


def _train_worker(fabric: Any, cfg: ClassifyConfig, resume: str | None) -> str:
    fabric.seed_everything(cfg.train.seed, verbose=False)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(cfg.train.deterministic or was_deterministic)
    try:
        return _train(fabric, cfg, resume)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def _train(fabric: Any, cfg: ClassifyConfig, resume: str | None) -> str:
    # Data and model first: a bad dataset, model name or --init fails before any run directory exists.
    bundle = load_dataset(cfg.data)
    model = build_model(cfg, bundle)
    run_dir = prepare_run_dir(fabric, cfg, TASK, resume)
    if fabric.global_rank == 0:
        write_json(run_dir / "data.json", {**bundle.info, "class_names": bundle.class_names})

    if cfg.fabric.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(
        param_groups(model, cfg.optim.lr, cfg.transfer.freeze, cfg.optim.backbone_lr_mult), cfg.optim
    )
    ema = None
    if cfg.train.ema:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.train.ema_decay), use_buffers=True)
    if cfg.fabric.compile:
        model = torch.compile(model)
    model, optimizer = fabric.setup(model, optimizer)
    if ema is not None:
        ema = fabric.to_device(ema)

    n_train = split_len(bundle.train)
    batch_size = resolve_batch_size(cfg.train.batch_size, n_train, fabric.world_size)
    train_loader = make_loader(
        bundle.train, batch_size, shuffle=True, seed=cfg.train.seed, device=fabric.device,
        rank=fabric.global_rank, world_size=fabric.world_size, num_workers=cfg.data.num_workers,
    )
    val_loader = make_loader(bundle.val, cfg.train.eval_batch_size, shuffle=False, device=fabric.device, num_workers=cfg.data.num_workers)
    scheduler = build_scheduler(optimizer, cfg.optim, total_steps(cfg.train, len(train_loader)), len(train_loader))
    task = ClassificationTask(
        fabric, model, optimizer, scheduler, val_loader, ema,
        label_smoothing=cfg.optim.label_smoothing, grad_clip=cfg.train.grad_clip,
        channels_last=cfg.fabric.channels_last, augment=cfg.data.augment,
        frozen_features=cfg.transfer.freeze == "features",
    )
    result = run_loop(fabric, task, train_loader, cfg.train, run_dir, resume)
    test_loader = make_loader(bundle.test, cfg.train.eval_batch_size, shuffle=False, device=fabric.device, num_workers=cfg.data.num_workers)
    replicas = replica_fingerprints(fabric, unwrap(task.eval_model))
    if fabric.global_rank == 0:
        _finish(run_dir, cfg, bundle, task, test_loader, result, batch_size, replicas)
    fabric.barrier()
    return str(run_dir)


def replica_fingerprints(fabric: Any, model: nn.Module) -> list[str]:
    """SHA-256 of each rank's final weights; under DDP every entry must be equal.

    A mismatch means the replicas diverged (e.g. a rank saw different data
    or skipped a gradient sync) and the run is reported as failed.
    """
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    mine = torch.frombuffer(bytearray(digest.digest()), dtype=torch.uint8).to(fabric.device)
    import warnings

    with warnings.catch_warnings():  # Lightning calls a torch.distributed API that torch now deprecates
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        gathered = fabric.all_gather(mine).reshape(-1, 32) if fabric.world_size > 1 else mine.reshape(1, 32)
    prints = [bytes(row.cpu().tolist()).hex() for row in gathered]
    if len(set(prints)) > 1:
        raise RuntimeError(f"DDP replicas ended with different weights: {prints}")
    return prints


def _finish(run_dir: Path, cfg: ClassifyConfig, bundle: Any, task: ClassificationTask, test_loader: Any, result: Any, batch_size: int, replicas: list[str]) -> None:
    from dlbox.model_io import save_model
    from dlbox.plots import plot_confusion, plot_curves
    from dlbox.tasks.classify.metrics import classification_report

    import numpy as np

    logits, labels = task.predict_logits(test_loader)
    report = classification_report(logits.cpu(), labels.cpu(), bundle.class_names)
    final_model = unwrap(task.eval_model)
    meta = {
        "task": TASK,
        "class_names": bundle.class_names,
        "input": {"channels": bundle.in_channels, "size": list(bundle.image_size)},
    }
    save_model(run_dir, final_model, meta)
    plot_curves(result.state.history, run_dir / "curves.png")
    plot_confusion(np.asarray(report["confusion_matrix"]), bundle.class_names, run_dir / "confusion_matrix.png")
    last_val = result.state.history[-1] if result.state.history else {}
    metrics = {
        "test_acc": report["accuracy"],
        "test_loss": report["loss"],
        "val_acc": last_val.get("val_acc"),
        **result.as_metrics(),
        "batch_size": batch_size,
        "world_size": len(replicas),
        "weight_sha256_per_rank": replicas,
        "per_class": report["per_class"],
        "confusion_matrix": report["confusion_matrix"],
        "config": dataclasses.asdict(cfg)["model"],
    }
    write_json(run_dir / "metrics.json", metrics)  # last: its presence marks the run complete

