"""The options every training command shares, defined once, and the one way a training command runs.

``@training_command(defaults)`` adds the shared options (data, model, budgets, optimizer, devices,
run directory, resume, config file and ``--set``) to a typer command, with each default shown in
``--help``; the command receives them as ``common`` and adds its own section.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import typer

from dlbox.cli.common import OptionSpec, given, parse_pairs, with_options

_SHARED: dict[str, OptionSpec] = {
    "data": (Optional[str], (), "digits | shapes | folder:PATH | ...", "data.name"),
    "image_size": (Optional[int], (), "square image side images are resized to", "data.image_size"),
    "model": (Optional[str], (), "registered model name", "model.name"),
    "model_arg": (Optional[list[str]], ("--model-arg",), "model keyword, e.g. depth=3 or channels=[16,32]", None),
    "init": (Optional[str], (), "start from this run's weights (RUN_DIR)", "init"),
    "epochs": (Optional[int], (), "training epochs", "train.epochs"),
    "max_steps": (Optional[int], (), "stop after this many optimizer steps", "train.max_steps"),
    "max_time": (Optional[float], (), "wall-clock training budget in seconds; ends cleanly", "train.max_time"),
    "batch_size": (Optional[str], (), "N, 1 (online) or 'full' (full-batch)", "train.batch_size"),
    "optimizer": (Optional[str], (), "sgd | momentum | nesterov | adam | adamw", "optim.optimizer"),
    "lr": (Optional[float], (), "learning rate", "optim.lr"),
    "momentum": (Optional[float], (), "momentum (momentum, nesterov)", "optim.momentum"),
    "weight_decay": (Optional[float], (), "weight decay", "optim.weight_decay"),
    "schedule": (Optional[str], (), "none | cosine | step | onecycle", "optim.schedule"),
    "backbone_lr_mult": (Optional[float], (), "fine-tuning from --init: backbone lr = lr * this", "optim.backbone_lr_mult"),
    "patience": (Optional[int], (), "early stopping patience in epochs", "train.patience"),
    "monitor": (Optional[str], (), "validation metric for early stopping and the best checkpoint", "train.monitor"),
    "ema": (Optional[bool], ("--ema/--no-ema",), "evaluate and save an exponential moving average of the weights", "train.ema"),
    "grad_clip": (Optional[float], (), "clip the gradient norm to this", "train.grad_clip"),
    "seed": (Optional[int], (), "random seed", "train.seed"),
    "deterministic": (Optional[bool], ("--deterministic",), "deterministic algorithms; exact resume", "train.deterministic"),
    "augment": (Optional[bool], ("--augment/--no-augment",), "random flips and shifts of training images", "data.augment"),
    "accelerator": (Optional[str], (), "cpu | cuda | mps | auto", "fabric.accelerator"),
    "devices": (Optional[str], (), "number of devices, or 'auto'", "fabric.devices"),
    "num_nodes": (Optional[int], (), "machines (multi-node DDP)", "fabric.num_nodes"),
    "strategy": (Optional[str], (), "auto | ddp | ddp_spawn | fsdp | ...", "fabric.strategy"),
    "precision": (Optional[str], (), "32-true | bf16-mixed | 16-mixed (bf16-mixed + --channels-last is the fast CPU path)", "fabric.precision"),
    "compile": (Optional[bool], ("--compile",), "torch.compile the model", "fabric.compile"),
    "channels_last": (Optional[bool], ("--channels-last/--no-channels-last",), "channels-last memory format", "fabric.channels_last"),
    "progress": (Optional[bool], ("--progress/--no-progress",), "progress bar (off a terminal: one line per epoch)", "train.progress"),
    "name": (Optional[str], (), "run name under runs/TASK/", None),
    "out": (Optional[Path], (), "run directory (must not exist or be empty)", None),
    "resume": (Optional[Path], (), "continue an unfinished run (budgets, --lr and devices may change)", None),
    "config": (Optional[Path], (), "YAML config file", None),
    "set_": (Optional[list[str]], ("--set",), "config override, e.g. train.ema_decay=0.99", None),
}


def training_command(defaults: Any, hide: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate ``fn(common, **own)``: typer sees ``fn``'s own options plus the shared training ones (minus ``hide``)."""
    return with_options(_SHARED, defaults, hide)


def shared_sections(common: dict[str, Any]) -> dict[str, Any]:
    """The shared options the user gave, as nested config sections (options left out are not there)."""
    c = common
    batch = c["batch_size"]
    if batch is not None and batch != "full":
        batch = _int(batch, "--batch-size")
    devices = c["devices"]
    if devices is not None and devices != "auto":
        devices = _int(devices, "--devices")
    kwargs = parse_pairs(c["model_arg"], "--model-arg")
    sections = {
        "data": {"name": c["data"], "image_size": c["image_size"], "augment": c["augment"]},
        "model": {"name": c["model"], "kwargs": kwargs or None},
        "optim": {k: c[k] for k in ("optimizer", "lr", "momentum", "weight_decay", "schedule", "backbone_lr_mult")},
        "train": {"batch_size": batch, **{k: c[k] for k in ("epochs", "max_steps", "max_time", "patience", "monitor", "ema", "grad_clip", "seed", "deterministic", "progress")}},
        "fabric": {"devices": devices, **{k: c[k] for k in ("accelerator", "num_nodes", "strategy", "precision", "compile", "channels_last")}},
    }
    out = {name: {k: v for k, v in values.items() if v is not None} for name, values in sections.items()}
    out = {k: v for k, v in out.items() if v}
    out.update(given(name=c["name"], out=str(c["out"]) if c["out"] else None, init=c["init"]))
    return out


def run_training(train: Callable[..., Path], defaults: Any, common: dict[str, Any], **task_sections: Any) -> Path:
    """Resolve defaults <- --config <- --set <- options, then train (or resume) and return the run directory."""
    from dlbox.config import merge, requested

    direct = shared_sections(common)
    for key, value in task_sections.items():
        if isinstance(value, dict):
            value = {**direct.get(key, {}), **given(**value)}
        if value not in (None, {}):
            direct[key] = value
    changes = requested(common["config"], common["set_"], **direct)
    cfg = merge(defaults, changes)
    return train(cfg, resume=common["resume"], changes=changes if common["resume"] else None)


def print_run_summary(run_dir: Path, headline: Callable[[dict[str, Any]], str]) -> None:
    """The task's headline figures, the loop's figures and the run directory (rank 0 only: under torchrun or
    ``fabric run`` every process runs the CLI)."""
    import json
    import os

    from dlbox.cli.common import echo_run_dir

    if os.environ.get("RANK", "0") != "0":
        return
    m = json.loads((run_dir / "metrics.json").read_text())
    typer.echo(headline(m))
    typer.echo(f"epochs {m['epochs']} | {m['train_time_s']:.1f} s training | {m['images_per_s']:.0f} img/s | stopped by {m['stopped_by']}")
    echo_run_dir(run_dir)


def _int(text: str, option: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an integer", param_hint=option) from None
    if value < 1:
        raise typer.BadParameter(f"{value} must be at least 1", param_hint=option)
    return value
