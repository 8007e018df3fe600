"""Plumbing every training command shares: resuming configs, the run directory on rank 0, unwrapping modules.

Each task's ``train`` reads as: validate -> build Fabric -> :func:`~dlbox.engine.fabric_setup.launch`
a worker that loads data and model, calls :func:`prepare_run_dir`, runs the loop and writes artifacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import torch.nn as nn

from dlbox.config import from_dict, load_yaml, save_yaml
from dlbox.engine.rundir import RunDirError, is_complete, new_run_dir

C = TypeVar("C")


def resume_config(cls: type[C], run_dir: Path, task: str, overrides: C | None = None) -> C:
    """The saved config of an unfinished run of ``task``; a complete or foreign directory is an error.

    Only the device settings (``fabric``) of ``overrides`` apply: a run may resume on other hardware.
    """
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.is_file():
        raise RunDirError(f"--resume {run_dir}: no config.yaml there; is it a dlbox {task} run directory?")
    if is_complete(run_dir):
        raise RunDirError(f"--resume {run_dir}: that run already finished (metrics.json exists)")
    cfg = from_dict(cls, load_yaml(cfg_path))
    if overrides is not None and hasattr(overrides, "fabric"):
        cfg.fabric = overrides.fabric  # type: ignore[attr-defined]
    return cfg


def prepare_run_dir(fabric: Any, cfg: Any, task: str, resume: str | None) -> Path:
    """Rank 0 creates (or reuses, when resuming) the run directory and saves the config; all ranks get its path."""
    path = None
    if fabric.global_rank == 0:
        path = Path(resume) if resume else new_run_dir(task, cfg.name, cfg.out)
        (path / "checkpoints").mkdir(exist_ok=True)
        save_yaml(cfg, path / "config.yaml")
    return Path(fabric.broadcast(str(path) if path else None, src=0))


def resolve_batch_size(batch_size: int | str, n_train: int, world_size: int) -> int:
    """An integer batch size, or ``"full"`` (notes 2.1: full-batch gradient descent) = the rank's share of the data."""
    if batch_size == "full":
        return max(1, n_train // world_size)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch size must be a positive integer or 'full', got {batch_size!r}")
    return batch_size


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside Fabric's and torch.compile's wrappers."""
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def total_steps(train: Any, steps_per_epoch: int) -> int:
    """Optimizer steps the run will take: epochs x steps per epoch, capped by ``max_steps`` (for schedules)."""
    total = train.epochs * steps_per_epoch
    return min(total, train.max_steps) if train.max_steps else total


def run_loop(fabric: Any, task: Any, train_loader: Any, train: Any, run_dir: Path, resume: str | None = None) -> Any:
    """The shared loop with a run directory's conventions; returns :class:`~dlbox.engine.loop.FitResult`.

    Rank 0 logs to ``metrics.csv`` and TensorBoard; checkpoints go to ``run_dir/checkpoints``; a resumed run
    continues from ``last.ckpt``; with early stopping (``train.patience``) the best epoch's weights are restored.
    """
    from dlbox.engine.fabric_setup import make_loggers
    from dlbox.engine.loop import fit

    ckpt_dir = run_dir / "checkpoints"
    last, best = ckpt_dir / "last.ckpt", ckpt_dir / "best.ckpt"
    loggers = make_loggers(run_dir) if fabric.global_rank == 0 else []
    result = fit(fabric, task, train_loader, train, ckpt_dir, loggers, resume_from=last if resume and last.exists() else None)
    for logger in loggers:
        logger.finalize("success")
    if train.patience is not None and best.exists():  # early stopping: keep the best epoch's weights
        fabric.load(best, task.checkpoint_state(), strict=False, weights_only=True)
    return result
