"""Plumbing every training command shares: resuming configs, the run directory on rank 0, unwrapping modules.

Each task's ``train`` reads as: validate -> build Fabric -> :func:`~dlbox.engine.fabric_setup.launch`
a worker that loads data and model, calls :func:`prepare_run_dir`, runs the loop and writes artifacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import torch.nn as nn

from dlbox.config import from_dict, load_yaml, merge, save_yaml, to_dict
from dlbox.engine.rundir import RunDirError, is_complete, new_run_dir, write_json

C = TypeVar("C")


# What may change when a run resumes: budgets, the learning rate, and where/how it runs.
RESUMABLE = ("train.epochs", "train.max_steps", "train.max_time", "optim.lr", "train.progress", "train.log_every", "fabric.")


def resume_config(recipe: Any, run_dir: Path, cfg: Any, changes: dict[str, Any] | None) -> tuple[Any, dict[str, list[Any]]]:
    """The saved config of an unfinished run with the user's allowed ``changes`` applied.

    Returns the config and ``{field: [old, new]}`` of what changed. A complete or foreign directory, or a
    change to anything but budgets, the learning rate and device options, is an error naming the field.
    """
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.is_file():
        raise RunDirError(f"--resume {run_dir}: no config.yaml there; is it a dlbox {recipe.task} run directory?")
    if is_complete(run_dir):
        raise RunDirError(f"--resume {run_dir}: that run already finished (metrics.json exists)")
    data = load_yaml(cfg_path)
    saved = from_dict(recipe.config_type, recipe.upgrade(data) if recipe.upgrade else data)
    if changes is None:  # Python callers pass a whole config: what differs from the saved one is a change
        changes = _diff(to_dict(cfg), to_dict(saved))
    applied: dict[str, list[Any]] = {}
    for path, value in _leaves(changes):
        old = _lookup(to_dict(saved), path)
        if path.endswith("kwargs") and isinstance(old, dict) and isinstance(value, dict):
            value = {**old, **value}  # model arguments merge key by key, as config.merge does
        if value == old or path in ("name", "out"):  # the run's identity is the directory being resumed
            continue
        if not any(path == key or (key.endswith(".") and path.startswith(key)) for key in RESUMABLE):
            raise ValueError(
                f"--resume {run_dir}: {path} was {old!r} and cannot change to {value!r} when resuming "
                "(only epochs, max_steps, max_time, lr and device options can); start a new run instead"
            )
        if path == "optim.lr" and not old:
            raise ValueError(f"--resume {run_dir}: it trained at lr {old!r}, so a new --lr cannot be applied as a rescaling; start a new run")
        applied[path] = [old, value]
    if applied:
        overrides: dict[str, Any] = {}
        for path, (_, new) in applied.items():
            section, key = path.split(".", 1)
            overrides.setdefault(section, {})[key] = new
        saved = merge(saved, overrides)
    return saved, applied


def record_resume(run_dir: Path, applied: dict[str, list[Any]]) -> None:
    """Append what a resume changed to ``resumes.json`` (the updated ``config.yaml`` is saved by prepare_run_dir)."""
    import datetime
    import json

    path = run_dir / "resumes.json"
    history = json.loads(path.read_text()) if path.is_file() else []
    history.append({"at": datetime.datetime.now().isoformat(timespec="seconds"), "changed": applied})
    write_json(path, history)


def _leaves(tree: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in tree.items():
        if isinstance(value, dict) and key != "kwargs":
            out += _leaves(value, f"{prefix}{key}.")
        else:
            out.append((prefix + key, value))
    return out


def _lookup(tree: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        if not isinstance(tree, dict) or key not in tree:
            raise ValueError(f"--resume: unknown config field {path}")
        tree = tree[key]
    return tree


def _diff(cfg: dict[str, Any], default: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in cfg.items():
        if isinstance(value, dict) and key != "kwargs" and isinstance(default.get(key), dict):
            sub = _diff(value, default[key])
            if sub:
                out[key] = sub
        elif value != default.get(key):
            out[key] = value
    return out


def prepare_run_dir(fabric: Any, cfg: Any, task: str, resume: str | None) -> Path:
    """Rank 0 creates (or reuses, when resuming) the run directory, records its start (``run.json``) and saves
    the config; all ranks get its path."""
    from dlbox.engine.run_record import record_start

    path = None
    if fabric.global_rank == 0:
        path = Path(resume) if resume else new_run_dir(task, cfg.name, cfg.out)
        record_start(path, task)
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


def run_loop(fabric: Any, task: Any, train_loader: Any, train: Any, run_dir: Path, resume: str | None = None,
             after_resume: Any = None, rebudget: Any = None) -> Any:
    """The shared loop with a run directory's conventions; returns :class:`~dlbox.engine.loop.FitResult`.

    Rank 0 logs to ``metrics.csv`` and TensorBoard; checkpoints go to ``run_dir/checkpoints``; a resumed run
    continues from ``last.ckpt`` (its metrics.csv keeps the rows up to that checkpoint, so the history is
    whole), then ``after_resume()`` applies what the user changed; ``rebudget(total)`` refits the schedules when
    ``train.max_time`` ends the run first (:func:`~dlbox.engine.loop.fit`); with early stopping (``train.patience``)
    the best epoch's weights are restored.
    """
    from dlbox.engine.fabric_setup import make_loggers
    from dlbox.engine.loop import fit

    ckpt_dir = run_dir / "checkpoints"
    last, best = ckpt_dir / "last.ckpt", ckpt_dir / "best.ckpt"
    resume_from = last if resume and last.exists() else None
    keep_until = _checkpoint_step(last) if resume_from else None
    loggers = make_loggers(run_dir, keep_until) if fabric.global_rank == 0 else []
    result = fit(fabric, task, train_loader, train, ckpt_dir, loggers, resume_from=resume_from, after_resume=after_resume,
                 rebudget=rebudget)
    for logger in loggers:
        logger.finalize("success")
    if train.patience is not None and best.exists():  # early stopping: keep the best epoch's weights
        fabric.load(best, task.checkpoint_state(), strict=False, weights_only=True)
    return result


def _checkpoint_step(path: Path) -> int:
    """The optimizer step a checkpoint was written at (a garbage file is a clear error)."""
    import torch

    try:
        return int(torch.load(path, map_location="cpu", weights_only=True, mmap=True)["loop"]["step"])
    except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is the same user-facing problem
        raise RunDirError(f"--resume: checkpoint {path} cannot be read ({type(exc).__name__}); the run cannot resume from it") from None
