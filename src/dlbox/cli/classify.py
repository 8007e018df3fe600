"""``dlbox classify train|eval|predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli.common import echo_run_dir, nested, parse_pairs, user_errors

app = typer.Typer(help="Image classification: train, evaluate, predict; transfer learning and fine-tuning.", no_args_is_help=True)


@app.command()
@user_errors
def train(
    data: Optional[str] = typer.Option(None, help="digits | shapes | folder:PATH (default digits)"),
    model: Optional[str] = typer.Option(None, help="registered model: mlp, cnn, resnet, resnet18, xception (default cnn)"),
    model_arg: Optional[list[str]] = typer.Option(None, "--model-arg", help="model keyword, e.g. depth=3 or channels=[16,32]"),
    epochs: Optional[int] = typer.Option(None, min=1),
    max_steps: Optional[int] = typer.Option(None, min=1, help="stop after this many optimizer steps"),
    max_time: Optional[float] = typer.Option(None, min=0.0, help="wall-clock training budget in seconds; ends cleanly"),
    batch_size: Optional[str] = typer.Option(None, help="N, 1 (online) or 'full' (full-batch)"),
    optimizer: Optional[str] = typer.Option(None, help="sgd | momentum | nesterov | adam | adamw"),
    lr: Optional[float] = typer.Option(None, min=0.0),
    momentum: Optional[float] = typer.Option(None),
    weight_decay: Optional[float] = typer.Option(None, min=0.0),
    schedule: Optional[str] = typer.Option(None, help="none | cosine | step | onecycle"),
    dropout: Optional[float] = typer.Option(None, min=0.0, max=1.0, help="dropout in the model"),
    patience: Optional[int] = typer.Option(None, min=0, help="early stopping patience in epochs"),
    monitor: Optional[str] = typer.Option(None, help="validation metric for early stopping/best (val_acc, val_loss)"),
    ema: Optional[bool] = typer.Option(None, "--ema/--no-ema", help="evaluate with an exponential moving average of the weights"),
    seed: Optional[int] = typer.Option(None),
    deterministic: Optional[bool] = typer.Option(None, "--deterministic", help="deterministic algorithms; exact resume"),
    image_size: Optional[int] = typer.Option(None, min=1, help="resize images to this square size"),
    train_per_class: Optional[int] = typer.Option(None, min=1, help="keep only N training images per class"),
    on_bad_image: Optional[str] = typer.Option(None, help="skip | fail (folder datasets)"),
    augment: Optional[bool] = typer.Option(None, "--augment/--no-augment", help="random flips and shifts"),
    init: Optional[str] = typer.Option(None, help="RUN_DIR or torchvision:NAME: start from a trained backbone with a new head"),
    weights: Optional[str] = typer.Option(None, help="local weights file for --init torchvision:NAME"),
    freeze: Optional[str] = typer.Option(None, help="'features': train the new head only (transfer learning)"),
    backbone_lr_mult: Optional[float] = typer.Option(None, min=0.0, help="fine-tuning: backbone lr = lr * this"),
    accelerator: Optional[str] = typer.Option(None, help="cpu | cuda | mps | auto"),
    devices: Optional[str] = typer.Option(None, help="number of devices, or 'auto'"),
    num_nodes: Optional[int] = typer.Option(None, min=1),
    strategy: Optional[str] = typer.Option(None, help="auto | ddp | ddp_spawn | fsdp | ..."),
    precision: Optional[str] = typer.Option(None, help="32-true | bf16-mixed | 16-mixed"),
    compile: Optional[bool] = typer.Option(None, "--compile", help="torch.compile the model"),
    channels_last: Optional[bool] = typer.Option(None, "--channels-last", help="channels-last memory format"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress"),
    name: Optional[str] = typer.Option(None, help="run name under runs/classify/"),
    out: Optional[Path] = typer.Option(None, help="run directory (must not exist or be empty)"),
    resume: Optional[Path] = typer.Option(None, help="continue an unfinished run from its last checkpoint"),
    config: Optional[Path] = typer.Option(None, help="YAML config file"),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="config override, e.g. train.ema_decay=0.99"),
) -> None:
    """Train a classifier; prints the run directory."""
    from dlbox.config import ClassifyConfig, resolve
    from dlbox.tasks.classify.train import train as run_train

    bs = None if batch_size is None else (batch_size if batch_size == "full" else _int(batch_size, "--batch-size"))
    dev = None if devices is None else (devices if devices == "auto" else _int(devices, "--devices"))
    model_kwargs = parse_pairs(model_arg, "--model-arg")
    if dropout is not None:
        model_kwargs["dropout"] = dropout
    direct = nested(
        data={"name": data, "image_size": image_size, "train_per_class": train_per_class, "on_bad_image": on_bad_image, "augment": augment},
        model={"name": model, "kwargs": model_kwargs or None},
        optim={"optimizer": optimizer, "lr": lr, "momentum": momentum, "weight_decay": weight_decay, "schedule": schedule, "backbone_lr_mult": backbone_lr_mult},
        train={"epochs": epochs, "max_steps": max_steps, "max_time": max_time, "batch_size": bs, "patience": patience, "monitor": monitor, "ema": ema, "seed": seed, "deterministic": deterministic, "progress": progress},
        fabric={"accelerator": accelerator, "devices": dev, "num_nodes": num_nodes, "strategy": strategy, "precision": precision, "compile": compile, "channels_last": channels_last},
        transfer={"init": init, "weights": weights, "freeze": freeze},
    )
    direct.update({k: v for k, v in {"name": name, "out": str(out) if out else None}.items() if v is not None})
    cfg = resolve(ClassifyConfig(), config, set_, **direct)
    run_dir = run_train(cfg, resume=resume)
    _print_summary(run_dir)


def _int(text: str, option: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an integer", param_hint=option) from None
    if value < 1:
        raise typer.BadParameter(f"{value} must be at least 1", param_hint=option)
    return value


def _print_summary(run_dir: Path) -> None:
    import json
    import os

    if os.environ.get("RANK", "0") != "0":  # torchrun / fabric run: every process runs this CLI; rank 0 reports
        return
    metrics = json.loads((run_dir / "metrics.json").read_text())
    typer.echo(
        f"test accuracy {metrics['test_acc']:.4f} | epochs {metrics['epochs']} | "
        f"{metrics['train_time_s']:.1f} s training | {metrics['images_per_s']:.0f} img/s | stopped by {metrics['stopped_by']}"
    )
    echo_run_dir(run_dir)


@app.command("eval")
@user_errors
def evaluate(
    run: Path = typer.Option(..., help="a finished classify run directory"),
    data: Optional[str] = typer.Option(None, help="dataset to evaluate on (default: the run's own test split)"),
    split: str = typer.Option("test", help="train | val | test"),
    out: Optional[Path] = typer.Option(None, help="where to write the evaluation (default: new dir under runs/classify-eval/)"),
) -> None:
    """Accuracy, per-class precision and recall, confusion matrix."""
    from dlbox.tasks.classify.evaluate import evaluate_run

    out_dir, report = evaluate_run(run, data=data, split=split, out=out)
    _print_report(report)
    echo_run_dir(out_dir)


def _print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"accuracy {report['accuracy']:.4f} on {report['n']} images")
    for col in ("class", "precision", "recall", "support"):
        table.add_column(col, justify="right")
    for name, row in report["per_class"].items():
        table.add_row(name, f"{row['precision']:.3f}", f"{row['recall']:.3f}", str(row["support"]))
    Console().print(table)


@app.command()
@user_errors
def predict(
    images: list[Path] = typer.Argument(..., help="image files"),
    run: Path = typer.Option(..., help="a finished classify run directory"),
    top_k: int = typer.Option(3, min=1, help="classes to show per image"),
    out: Optional[Path] = typer.Option(None, help="where to write predictions.json (default: new dir under runs/classify-predict/)"),
) -> None:
    """Top-k classes with probabilities for each image."""
    from dlbox.tasks.classify.predict import predict_images

    out_dir, rows = predict_images(run, images, top_k=top_k, out=out)
    for row in rows:
        shown = ", ".join(f"{c} {p:.3f}" for c, p in row["top"])
        typer.echo(f"{row['image']}: {shown}")
    echo_run_dir(out_dir)
