"""``dlbox segment train|eval|predict|heatmap`` (notes 3.11)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli.common import SPLIT, echo_run_dir, out_option, print_table, run_option, user_errors
from dlbox.cli.training import print_run_summary, run_training, training_command
from dlbox.tasks.segment.config import SegmentConfig

app = typer.Typer(
    help="Semantic segmentation: U-Net, FCN-32s/16s/8s from a convolutionalized classifier; class heatmaps.",
    no_args_is_help=True,
)


_DEFAULTS = SegmentConfig()


@app.command()
@user_errors
@training_command(_DEFAULTS)
def train(
    common: dict,
    num_samples: Optional[int] = typer.Option(None, min=1, help=f"shapes: number of scenes (default: {_DEFAULTS.data.num_samples})"),
    dice_weight: Optional[float] = typer.Option(None, min=0.0, help=f"loss = cross-entropy + this * soft Dice (default: {_DEFAULTS.segment.dice_weight})"),
    ignore_index: Optional[int] = typer.Option(None, help=f"mask value skipped by loss and metrics (default: {_DEFAULTS.segment.ignore_index})"),
    classes: Optional[str] = typer.Option(None, help="masks:IMAGES_DIR,MASKS_DIR datasets: comma-separated class names in index order"),
) -> None:
    """Train a U-Net or an FCN (--init CLASSIFY_RUN_DIR for fcn*); prints mIoU and the run directory.

    The default U-Net is small (--model-arg depth=3 width=8 unless given) and trains in minutes on a CPU.
    """
    from dlbox.tasks.segment.train import train as train_segmenter

    class_list = [c.strip() for c in classes.split(",")] if classes else None
    run_dir = run_training(
        train_segmenter, SegmentConfig(), common,
        data={"num_samples": num_samples},
        segment={"dice_weight": dice_weight, "ignore_index": ignore_index, "classes": class_list},
    )
    print_run_summary(run_dir, lambda m: f"test mIoU {m['test_miou']:.4f} | pixel accuracy {m['test_pixel_acc']:.4f}")


@app.command("eval")
@user_errors
def evaluate(
    run: Path = run_option("segment"), split: str = SPLIT, out: Optional[Path] = out_option("segment-eval"),
    data: Optional[str] = typer.Option(None, help="dataset to evaluate on (default: the run's own)"),
    worst: int = typer.Option(8, min=0, help="how many of the worst images (lowest mIoU) to draw"),
) -> None:
    """mIoU, pixel accuracy, per-class IoU table and the worst images."""
    from dlbox.tasks.segment.evaluate import evaluate_run

    out_dir, report = evaluate_run(run, data=data, split=split, out=out, worst=worst)
    rows = [[name, "-" if r["iou"] is None else f"{r['iou']:.3f}", str(r["pixels"]), str(r["predicted"])] for name, r in report["per_class"].items()]
    print_table(f"mIoU {report['miou']:.4f} | pixel accuracy {report['pixel_acc']:.4f} on {report['n']} images",
                ["class", "IoU", "pixels", "predicted"], rows)
    echo_run_dir(out_dir)


@app.command()
@user_errors
def predict(
    images: list[Path] = typer.Argument(..., help="image files or sample:NAME"),
    run: Path = run_option("segment"), out: Optional[Path] = out_option("segment-predict"),
    size: Optional[int] = typer.Option(None, min=1, help="resize images to this square side first"),
) -> None:
    """Write an index mask (palette PNG) and a colour overlay per image."""
    from dlbox.tasks.segment.predict import predict_images

    out_dir, rows = predict_images(run, images, out=out, size=size)
    for row in rows:
        shown = ", ".join(f"{c} {f:.1%}" for c, f in row["class_fraction"].items() if f > 0)
        typer.echo(f"{row['image']}: {shown}")
    echo_run_dir(out_dir)


@app.command()
@user_errors
def heatmap(
    image: Path = typer.Argument(..., help="an image at least as large as the classifier's input"),
    run: Path = run_option("classify"), out: Optional[Path] = out_option("segment-heatmap"),
    size: Optional[int] = typer.Option(None, min=1, help="resize the image to this square side first"),
) -> None:
    """Convolutionalize a trained classifier and draw its class heatmaps over IMAGE."""
    from dlbox.tasks.segment.heatmap import heatmap_image

    out_dir, info = heatmap_image(run, image, out=out, size=size)
    h, w = info["heatmap_size"]
    typer.echo(f"{h}x{w} heatmap per class (stride {info['stride']}): " + ", ".join(f"{n} max {p:.2f}" for n, p in info["max_prob"].items()))
    echo_run_dir(out_dir)
