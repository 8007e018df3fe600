"""``dlbox segment train|eval|predict|heatmap`` (notes 3.11)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli.common import echo_run_dir, nested, parse_pairs, user_errors

app = typer.Typer(
    help="Semantic segmentation: U-Net, FCN-32s/16s/8s from a convolutionalized classifier; class heatmaps.",
    no_args_is_help=True,
)


@app.command()
@user_errors
def train(
    data: Optional[str] = typer.Option(None, help="shapes | masks:IMAGES_DIR,MASKS_DIR (default shapes)"),
    model: Optional[str] = typer.Option(None, help="unet | fcn8s | fcn16s | fcn32s (default unet)"),
    model_arg: Optional[list[str]] = typer.Option(None, "--model-arg", help="model keyword, e.g. depth=3, width=16, padding=valid"),
    init: Optional[str] = typer.Option(None, help="fcn*: a classify RUN_DIR to start from (its backbone and dense head, convolutionalized)"),
    epochs: Optional[int] = typer.Option(None, min=1),
    max_steps: Optional[int] = typer.Option(None, min=1, help="stop after this many optimizer steps"),
    max_time: Optional[float] = typer.Option(None, min=0.0, help="wall-clock training budget in seconds; ends cleanly"),
    batch_size: Optional[int] = typer.Option(None, min=1),
    optimizer: Optional[str] = typer.Option(None, help="sgd | momentum | nesterov | adam | adamw"),
    lr: Optional[float] = typer.Option(None, min=0.0),
    weight_decay: Optional[float] = typer.Option(None, min=0.0),
    schedule: Optional[str] = typer.Option(None, help="none | cosine | step | onecycle"),
    dice_weight: Optional[float] = typer.Option(None, min=0.0, help="loss = cross-entropy + this * soft Dice"),
    ignore_index: Optional[int] = typer.Option(None, help="mask value skipped by loss and metrics (default 255)"),
    classes: Optional[str] = typer.Option(None, help="masks: comma-separated class names in index order"),
    augment: Optional[bool] = typer.Option(None, "--augment/--no-augment", help="joint flips, shifts and scaling of image and mask"),
    image_size: Optional[int] = typer.Option(None, min=1, help="square image side (shapes scenes; masks datasets are resized)"),
    num_samples: Optional[int] = typer.Option(None, min=1, help="shapes: number of scenes"),
    patience: Optional[int] = typer.Option(None, min=0, help="early stopping patience in epochs"),
    seed: Optional[int] = typer.Option(None),
    accelerator: Optional[str] = typer.Option(None, help="cpu | cuda | mps | auto"),
    devices: Optional[int] = typer.Option(None, min=1),
    precision: Optional[str] = typer.Option(None, help="32-true | bf16-mixed | 16-mixed"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress"),
    name: Optional[str] = typer.Option(None, help="run name under runs/segment/"),
    out: Optional[Path] = typer.Option(None, help="run directory (must not exist or be empty)"),
    resume: Optional[Path] = typer.Option(None, help="continue an unfinished run from its last checkpoint"),
    config: Optional[Path] = typer.Option(None, help="YAML config file"),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="config override, e.g. seg.tile_overlap=8"),
) -> None:
    """Train a segmentation model; prints mIoU and the run directory."""
    from dlbox.config import resolve
    from dlbox.segmentation.config import SegmentConfig
    from dlbox.segmentation.train import train as run_train

    class_list = [c.strip() for c in classes.split(",")] if classes else None
    direct = nested(
        data={"name": data, "image_size": image_size, "num_samples": num_samples, "augment": augment},
        model={"name": model, "kwargs": parse_pairs(model_arg, "--model-arg") or None},
        optim={"optimizer": optimizer, "lr": lr, "weight_decay": weight_decay, "schedule": schedule},
        train={"epochs": epochs, "max_steps": max_steps, "max_time": max_time, "batch_size": batch_size, "patience": patience, "seed": seed, "progress": progress},
        fabric={"accelerator": accelerator, "devices": devices, "precision": precision},
        seg={"init": init, "dice_weight": dice_weight, "ignore_index": ignore_index, "classes": class_list},
    )
    direct.update({k: v for k, v in {"name": name, "out": str(out) if out else None}.items() if v is not None})
    cfg = resolve(SegmentConfig(), config, set_, **direct)
    run_dir = run_train(cfg, resume=resume)
    _print_summary(run_dir)


def _print_summary(run_dir: Path) -> None:
    import json

    m = json.loads((run_dir / "metrics.json").read_text())
    typer.echo(
        f"test mIoU {m['test_miou']:.4f} | pixel accuracy {m['test_pixel_acc']:.4f} | epochs {m['epochs']} | "
        f"{m['train_time_s']:.1f} s training | {m['images_per_s']:.0f} img/s | stopped by {m['stopped_by']}"
    )
    echo_run_dir(run_dir)


@app.command("eval")
@user_errors
def evaluate(
    run: Path = typer.Option(..., help="a finished segment run directory"),
    data: Optional[str] = typer.Option(None, help="dataset to evaluate on (default: the run's own)"),
    split: str = typer.Option("test", help="train | val | test"),
    worst: int = typer.Option(8, min=0, help="how many of the worst images (lowest mIoU) to draw"),
    out: Optional[Path] = typer.Option(None, help="output directory (default: new dir under runs/segment-eval/)"),
) -> None:
    """mIoU, pixel accuracy, per-class IoU table and the worst images."""
    from dlbox.segmentation.evaluate import evaluate_run

    out_dir, report = evaluate_run(run, data=data, split=split, out=out, worst=worst)
    _print_report(report)
    echo_run_dir(out_dir)


def _print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mIoU {report['miou']:.4f} | pixel accuracy {report['pixel_acc']:.4f} on {report['n']} images")
    for col in ("class", "IoU", "pixels", "predicted"):
        table.add_column(col, justify="right")
    for name, row in report["per_class"].items():
        table.add_row(name, "-" if row["iou"] is None else f"{row['iou']:.3f}", str(row["pixels"]), str(row["predicted"]))
    Console().print(table)


@app.command()
@user_errors
def predict(
    images: list[Path] = typer.Argument(..., help="image files"),
    run: Path = typer.Option(..., help="a finished segment run directory"),
    size: Optional[int] = typer.Option(None, min=1, help="resize images to this square side first"),
    out: Optional[Path] = typer.Option(None, help="output directory (default: new dir under runs/segment-predict/)"),
) -> None:
    """Write an index mask (palette PNG) and a colour overlay per image."""
    from dlbox.segmentation.predict import predict_images

    out_dir, rows = predict_images(run, images, out=out, size=size)
    for row in rows:
        shown = ", ".join(f"{c} {f:.1%}" for c, f in row["class_fraction"].items() if f > 0)
        typer.echo(f"{row['image']}: {shown}")
    echo_run_dir(out_dir)


@app.command()
@user_errors
def heatmap(
    image: Path = typer.Argument(..., help="an image at least as large as the classifier's input"),
    run: Path = typer.Option(..., help="a finished classify run directory"),
    size: Optional[int] = typer.Option(None, min=1, help="resize the image to this square side first"),
    out: Optional[Path] = typer.Option(None, help="output directory (default: new dir under runs/segment-heatmap/)"),
) -> None:
    """Convolutionalize a trained classifier and draw its class heatmaps over IMAGE."""
    from dlbox.segmentation.heatmap import heatmap_image

    out_dir, info = heatmap_image(run, image, out=out, size=size)
    h, w = info["heatmap_size"]
    typer.echo(f"{h}x{w} heatmap per class (stride {info['stride']}): " + ", ".join(f"{n} max {p:.2f}" for n, p in info["max_prob"].items()))
    echo_run_dir(out_dir)
