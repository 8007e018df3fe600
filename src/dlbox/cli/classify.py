"""``dlbox classify train|eval|predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli.common import SPLIT, echo_run_dir, out_option, print_table, run_option, user_errors
from dlbox.cli.training import print_run_summary, run_training, training_command
from dlbox.tasks.classify.config import ClassifyConfig

app = typer.Typer(help="Image classification: train, evaluate, predict; transfer learning and fine-tuning.", no_args_is_help=True)


@app.command()
@user_errors
@training_command(ClassifyConfig())
def train(
    common: dict,
    dropout: Optional[float] = typer.Option(None, min=0.0, max=1.0, help="dropout in the model"),
    train_per_class: Optional[int] = typer.Option(None, min=1, help="keep only N training images per class"),
    on_bad_image: Optional[str] = typer.Option(None, help="skip | fail (folder datasets) (default: skip)"),
    weights: Optional[str] = typer.Option(None, help="local weights file for --init torchvision:NAME"),
    freeze: Optional[str] = typer.Option(None, help="'features': train the new head only (transfer learning)"),
) -> None:
    """Train a classifier (--init RUN_DIR|torchvision:NAME for transfer learning); prints the run directory."""
    from dlbox.tasks.classify.train import train as train_classifier

    if dropout is not None:
        common["model_arg"] = [*(common["model_arg"] or []), f"dropout={dropout}"]
    run_dir = run_training(
        train_classifier, ClassifyConfig(), common,
        data={"train_per_class": train_per_class, "on_bad_image": on_bad_image},
        classify={"weights": weights, "freeze": freeze},
    )
    print_run_summary(run_dir, lambda m: f"test accuracy {m['test_acc']:.4f}")


@app.command("eval")
@user_errors
def evaluate(
    run: Path = run_option("classify"), split: str = SPLIT, out: Optional[Path] = out_option("classify-eval"),
    data: Optional[str] = typer.Option(None, help="dataset to evaluate on (default: the run's own test split)"),
) -> None:
    """Accuracy, per-class precision and recall, confusion matrix."""
    from dlbox.tasks.classify.evaluate import evaluate_run

    out_dir, report = evaluate_run(run, data=data, split=split, out=out)
    rows = [[name, f"{r['precision']:.3f}", f"{r['recall']:.3f}", str(r["support"])] for name, r in report["per_class"].items()]
    print_table(f"accuracy {report['accuracy']:.4f} on {report['n']} images", ["class", "precision", "recall", "support"], rows)
    echo_run_dir(out_dir)


@app.command()
@user_errors
def predict(
    images: list[Path] = typer.Argument(..., help="image files or sample:NAME"),
    run: Path = run_option("classify"), out: Optional[Path] = out_option("classify-predict"),
    top_k: int = typer.Option(3, min=1, help="classes to show per image"),
) -> None:
    """Top-k classes with probabilities for each image."""
    from dlbox.tasks.classify.predict import predict_images

    out_dir, rows = predict_images(run, images, top_k=top_k, out=out)
    for row in rows:
        shown = ", ".join(f"{c} {p:.3f}" for c, p in row["top"])
        typer.echo(f"{row['image']}: {shown}")
    echo_run_dir(out_dir)
